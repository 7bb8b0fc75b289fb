// NodeConfigurator: applies the pool's node configuration (`<prefix>:config`: capacity and
// replacement policy) to the cache node, without restarting it. Capacity goes through
// `cache_memlimit MB` (stock memcached and mcscale-node alike); the policy through
// `eviction_policy NAME` when the node shows `eviction_policy` in `stats settings`
// (mcscale-node). On stock memcached a policy other than LRU cannot be applied: that is
// reported once in the log and kept as policy_note() for the agent's registration.
//
// Reload() and ApplyToNode() are separate so the agent can re-read the config when Redis
// says so (an event, a resubscription) and re-apply the last one read when the node says so
// (it came up or restarted) even while Redis is away.
//
// Not thread-safe: runs on the agent's loop thread, which owns the clients it is given.
#ifndef MCSCALE_NODEAGENT_NODE_CONFIGURATOR_H_
#define MCSCALE_NODEAGENT_NODE_CONFIGURATOR_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/memcache_client.h"
#include "common/pool_config.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale {

// What to send to one node for one config.
struct NodeConfigPlan {
  std::vector<std::string> commands;  // e.g. "cache_memlimit 64", "eviction_policy random"
  bool supports_policy = false;       // the node shows eviction_policy in `stats settings`
  std::string policy_note;            // why the policy is not applied; empty when it is
};

class NodeConfigurator {
 public:
  NodeConfigurator(MemcacheClient* node, RedisClient* redis, const RedisKeys& keys);

  // Pure: the commands that give a node with these `stats settings` this config.
  static NodeConfigPlan Plan(const PoolConfig& config, const std::map<std::string, std::string>& settings);

  // Reads `<prefix>:config`. On success the config read becomes the one ApplyToNode()
  // applies (an empty hash means no pool config yet: nothing to apply). A Redis failure or
  // an invalid config (logged with every bad field) leaves the last good one in force.
  Status Reload();
  // Reads the node's `stats settings` (which tells supports_policy()) and applies the last
  // config read. Ok when every command answered OK, or when there is no config to apply
  // yet; otherwise the first failure (the rest are still tried), logged once.
  Status ApplyToNode();
  // Makes the next ApplyToNode() log what it applies even if unchanged (the node restarted).
  void ForgetApplied() { applied_.reset(); }

  const std::optional<PoolConfig>& config() const { return config_; }
  bool supports_policy() const { return supports_policy_; }
  const std::string& policy_note() const { return policy_note_; }

 private:
  MemcacheClient* node_;
  RedisClient* redis_;
  std::string config_key_;
  std::optional<PoolConfig> config_;
  std::string last_config_error_;
  // Node settings last applied successfully (capacity MB, policy), to log changes only.
  std::optional<std::pair<int, std::string>> applied_;
  std::string last_apply_error_;
  bool supports_policy_ = false;
  std::string policy_note_;
};

}  // namespace mcscale

#endif  // MCSCALE_NODEAGENT_NODE_CONFIGURATOR_H_
