// FailureDetector: decides when a node has been unreachable long enough to leave the pool
// (DESIGN.md, "Health is not membership"). Evidence, freshest first: the coordinator's own
// probe of the node (taken when the agent is not registered or its samples are stale),
// then the agent's latest sample (up=0 / up=1). A node is failed once it has had only
// down evidence for timeout_ms; any up evidence clears it, so a node that timed out
// briefly keeps its regions. A dead agent alone is not a dead node.
//
// Pure; not thread-safe.
#ifndef MCSCALE_COORDINATOR_FAILURE_DETECTOR_H_
#define MCSCALE_COORDINATOR_FAILURE_DETECTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/region_map.h"

namespace mcscale {

struct NodeObservation {
  bool agent_registered = false;
  std::optional<int64_t> sample_ts;  // the latest sample's time, if any
  bool sample_up = false;
  std::optional<bool> probe_ok;      // the coordinator's probe, when one was taken
};

class FailureDetector {
 public:
  // Samples older than fresh_ms are no evidence. Default fresh: a third of the timeout,
  // at least one second.
  explicit FailureDetector(int64_t timeout_ms);
  void set_timeout_ms(int64_t timeout_ms);

  // True when the coordinator should probe the node itself: its agent is gone or its
  // samples are not fresh.
  bool NeedsProbe(const NodeObservation& obs, int64_t now_ms) const;
  // Records what is known of `node` now; true when it has been unreachable for the timeout.
  bool Observe(const NodeId& node, const NodeObservation& obs, int64_t now_ms);
  std::optional<int64_t> UnreachableSince(const NodeId& node) const;
  void Forget(const NodeId& node) { since_.erase(node); }

 private:
  int64_t timeout_ms_;
  int64_t fresh_ms_;
  std::map<NodeId, int64_t> since_;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_FAILURE_DETECTOR_H_
