// EvictionPolicy: which item CacheStorage gives up when it needs room. Changeable at run
// time (`eviction_policy lru|random`, `--policy`).
#ifndef MCSCALE_CACHENODE_EVICTION_POLICY_H_
#define MCSCALE_CACHENODE_EVICTION_POLICY_H_

#include <optional>
#include <string_view>

namespace mcscale {

enum class EvictionPolicy {
  kLru,     // the least recently read or written item goes first
  kRandom,  // a uniformly chosen item goes, whatever its recency
};

// "lru" or "random".
std::string_view EvictionPolicyName(EvictionPolicy policy);
// Parses "lru" or "random"; nullopt for anything else.
std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name);

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_EVICTION_POLICY_H_
