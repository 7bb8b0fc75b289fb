// AgentSupervisor: decides when the coordinator restarts the agent of a node. An agent is
// missing when its registration (`<prefix>:agent:<id>`, renewed every interval with a TTL of
// max(3 intervals, 3 s)) is gone while its node answers the coordinator's probe. But a
// registration also expires while Redis is down, although its agent lives on: the agent
// registers again on its own once its Redis back-off (up to kAgentMaxBackoffMs) lets it try.
// So for a grace of one registration period plus that back-off after Redis answers again
// (and after the coordinator starts), a missing registration is held against no agent.
// After the grace a missing agent is restarted, at most once per kRestartIntervalMs.
//
// Pure: every time is passed in (monotonic ms). Not thread-safe.
#ifndef MCSCALE_COORDINATOR_AGENT_SUPERVISOR_H_
#define MCSCALE_COORDINATOR_AGENT_SUPERVISOR_H_

#include <cstdint>
#include <map>
#include <optional>

#include "common/region_map.h"

namespace mcscale {

class AgentSupervisor {
 public:
  // The agent's longest wait between two tries of a Redis that is away (its RedisOutage).
  static constexpr int64_t kAgentMaxBackoffMs = 5000;
  // A restarted agent gets this long to register before it is restarted again.
  static constexpr int64_t kRestartIntervalMs = 10000;
  // The registration's TTL for an agent sampling every interval_ms (the Redis contract):
  // max(3 intervals, 3 s), in whole seconds rounded up.
  static int64_t RegistrationTtlMs(int64_t interval_ms);

  // `default_interval_ms`: the agents' interval until a registration says otherwise.
  explicit AgentSupervisor(int64_t default_interval_ms);

  // Redis answered a call, or failed one, at now_ms.
  void RedisAnswered(int64_t now_ms);
  void RedisFailed();
  // The agent of `node` is registered and samples every interval_ms (<= 0: unknown).
  void Registered(const NodeId& node, int64_t interval_ms);
  // How long after Redis came back a missing registration of `node` is not held against
  // its agent: one registration period plus the agent's longest back-off.
  int64_t GraceMs(const NodeId& node) const;
  // True when the agent of `node` should be restarted now: it is not registered, its node
  // answers, Redis has been answering for GraceMs(node), and the agent was not restarted in
  // the last kRestartIntervalMs. A true answer is recorded as a restart.
  bool ShouldRestart(const NodeId& node, bool registered, bool node_answers, int64_t now_ms);
  // The node left the pool.
  void Forget(const NodeId& node);

 private:
  int64_t default_interval_ms_;
  std::optional<int64_t> redis_up_since_ms_;  // nullopt while Redis does not answer
  std::map<NodeId, int64_t> interval_ms_;
  std::map<NodeId, int64_t> restarted_ms_;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_AGENT_SUPERVISOR_H_
