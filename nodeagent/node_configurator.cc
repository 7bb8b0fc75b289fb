#include "nodeagent/node_configurator.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace mcscale {

namespace {

constexpr const char* kStockPolicy = "lru";

}  // namespace

NodeConfigurator::NodeConfigurator(MemcacheClient* node, RedisClient* redis, const RedisKeys& keys)
    : node_(node), redis_(redis), config_key_(keys.config()) {}

NodeConfigPlan NodeConfigurator::Plan(const PoolConfig& config,
                                      const std::map<std::string, std::string>& settings) {
  NodeConfigPlan plan;
  plan.commands.push_back("cache_memlimit " + std::to_string(config.node_capacity_mb));
  plan.supports_policy = settings.count("eviction_policy") > 0;
  if (plan.supports_policy) {
    plan.commands.push_back("eviction_policy " + config.node_policy);
  } else if (config.node_policy != kStockPolicy) {
    plan.policy_note = "node is stock memcached: policy '" + config.node_policy + "' not applied";
  }
  return plan;
}

Status NodeConfigurator::Reload() {
  auto hash = redis_->HGetAll(config_key_);
  if (!hash.ok()) return hash.status();
  if (hash->empty()) {
    if (!config_) spdlog::debug("{} is empty: no pool config to apply yet", config_key_);
    return Status::Ok();
  }
  std::vector<FieldError> errors;
  auto config = PoolConfig::FromHash(*hash, &errors);
  if (config.ok() && errors.empty()) errors = config->Validate();
  if (!config.ok() || !errors.empty()) {
    std::string why = errors.empty() ? config.status().message() : JoinFieldErrors(errors);
    if (why != last_config_error_)
      spdlog::error("{} is invalid, keeping the {}: {}", config_key_,
                    config_ ? "last good one" : "node as it is", why);
    last_config_error_ = why;
    return Status::Invalid(config_key_ + ": " + why);
  }
  last_config_error_.clear();
  config_ = std::move(config.value());
  return Status::Ok();
}

Status NodeConfigurator::ApplyToNode() {
  // Read even with no config yet: the registration reports whether the node has policies.
  auto settings = node_->Stats("settings");
  if (!settings.ok()) return settings.status();
  supports_policy_ = settings->count("eviction_policy") > 0;
  if (!config_) return Status::Ok();
  NodeConfigPlan plan = Plan(*config_, *settings);
  if (plan.policy_note != policy_note_ && !plan.policy_note.empty())
    spdlog::warn("{} ({} keeps its LRU)", plan.policy_note, node_->address().ToString());
  policy_note_ = plan.policy_note;

  Status first_error;
  for (const auto& command : plan.commands) {
    auto reply = node_->Command(command);
    Status st = !reply.ok()       ? reply.status()
                : *reply == "OK"  ? Status::Ok()
                                  : Status::Protocol("'" + command + "' answered '" + *reply + "'");
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  if (!first_error.ok()) {
    if (first_error.message() != last_apply_error_)
      spdlog::error("applying the pool config to node {} failed: {}", node_->address().ToString(),
                    first_error.ToString());
    last_apply_error_ = first_error.message();
    return first_error;
  }
  last_apply_error_.clear();
  std::pair<int, std::string> now{config_->node_capacity_mb,
                                  plan.supports_policy ? config_->node_policy : std::string(kStockPolicy)};
  if (applied_ != now)
    spdlog::info("node {}: capacity {} MB, policy {}", node_->address().ToString(), now.first, now.second);
  applied_ = now;
  return Status::Ok();
}

}  // namespace mcscale
