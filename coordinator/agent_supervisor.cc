#include "coordinator/agent_supervisor.h"

#include <algorithm>

namespace mcscale {

int64_t AgentSupervisor::RegistrationTtlMs(int64_t interval_ms) {
  int64_t ttl_ms = std::max<int64_t>(3 * interval_ms, 3000);
  return (ttl_ms + 999) / 1000 * 1000;
}

AgentSupervisor::AgentSupervisor(int64_t default_interval_ms) : default_interval_ms_(default_interval_ms) {}

void AgentSupervisor::RedisAnswered(int64_t now_ms) {
  if (!redis_up_since_ms_) redis_up_since_ms_ = now_ms;
}

void AgentSupervisor::RedisFailed() { redis_up_since_ms_.reset(); }

void AgentSupervisor::Registered(const NodeId& node, int64_t interval_ms) {
  if (interval_ms > 0) interval_ms_[node] = interval_ms;
}

int64_t AgentSupervisor::GraceMs(const NodeId& node) const {
  auto it = interval_ms_.find(node);
  int64_t interval = it != interval_ms_.end() ? it->second : default_interval_ms_;
  return RegistrationTtlMs(interval) + kAgentMaxBackoffMs;
}

bool AgentSupervisor::ShouldRestart(const NodeId& node, bool registered, bool node_answers, int64_t now_ms) {
  if (registered || !node_answers) return false;  // a dead node is the failure detector's business
  if (!redis_up_since_ms_ || now_ms - *redis_up_since_ms_ < GraceMs(node)) return false;
  auto it = restarted_ms_.find(node);
  if (it != restarted_ms_.end() && now_ms - it->second < kRestartIntervalMs) return false;
  restarted_ms_[node] = now_ms;
  return true;
}

void AgentSupervisor::Forget(const NodeId& node) {
  interval_ms_.erase(node);
  restarted_ms_.erase(node);
}

}  // namespace mcscale
