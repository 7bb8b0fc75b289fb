#include "cachenode/eviction_policy.h"

namespace mcscale {

std::string_view EvictionPolicyName(EvictionPolicy policy) {
  return policy == EvictionPolicy::kRandom ? "random" : "lru";
}

std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name) {
  if (name == "lru") return EvictionPolicy::kLru;
  if (name == "random") return EvictionPolicy::kRandom;
  return std::nullopt;
}

}  // namespace mcscale
