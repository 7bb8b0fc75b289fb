#include "nodeagent/agent_registration.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace mcscale {

int64_t AgentRegistration::TtlSeconds(int64_t interval_ms) {
  int64_t ttl_ms = std::max<int64_t>(3 * interval_ms, 3000);
  return (ttl_ms + 999) / 1000;
}

AgentRegistration::AgentRegistration(AgentIdentity identity, RedisClient* redis, const RedisKeys& keys,
                                     Clock* clock)
    : identity_(std::move(identity)), redis_(redis), key_(keys.agent(identity_.node_id)), clock_(clock) {}

std::map<std::string, std::string> AgentRegistration::Fields(bool supports_policy,
                                                             const std::string& policy_note) const {
  return {
      {"address", identity_.address},
      {"pid", std::to_string(identity_.pid)},
      {"version", identity_.version},
      {"started", std::to_string(identity_.started_ms)},
      {"supports_policy", supports_policy ? "1" : "0"},
      {"policy_note", policy_note},
      {"interval_ms", std::to_string(identity_.interval_ms)},
      {"last_seen", std::to_string(clock_->NowMs())},
  };
}

Status AgentRegistration::Refresh(bool supports_policy, const std::string& policy_note) {
  std::vector<std::string> hset = {"HSET", key_};
  for (const auto& [name, value] : Fields(supports_policy, policy_note)) {
    hset.push_back(name);
    hset.push_back(value);
  }
  auto replies = redis_->Pipeline(
      {{"MULTI"}, hset, {"EXPIRE", key_, std::to_string(TtlSeconds(identity_.interval_ms))}, {"EXEC"}});
  if (!replies.ok()) return replies.status();
  for (const auto& reply : *replies)
    if (!reply.ok()) return reply.status();
  const RedisValue& exec = replies->back().value();
  if (exec.type != RedisValue::Type::kArray || exec.elements.size() != 2)
    return Status::Protocol("registration of " + key_ + " was not executed");
  return Status::Ok();
}

Status AgentRegistration::Deregister() {
  auto reply = redis_->Command({"DEL", key_});
  return reply.ok() ? Status::Ok() : reply.status();
}

}  // namespace mcscale
