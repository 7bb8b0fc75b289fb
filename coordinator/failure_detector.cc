#include "coordinator/failure_detector.h"

#include <algorithm>

namespace mcscale {

FailureDetector::FailureDetector(int64_t timeout_ms) { set_timeout_ms(timeout_ms); }

void FailureDetector::set_timeout_ms(int64_t timeout_ms) {
  timeout_ms_ = timeout_ms;
  fresh_ms_ = std::max<int64_t>(1000, timeout_ms / 3);
}

bool FailureDetector::NeedsProbe(const NodeObservation& obs, int64_t now_ms) const {
  return !obs.agent_registered || !obs.sample_ts || *obs.sample_ts < now_ms - fresh_ms_;
}

bool FailureDetector::Observe(const NodeId& node, const NodeObservation& obs, int64_t now_ms) {
  std::optional<bool> up;
  if (obs.probe_ok) {
    up = *obs.probe_ok;
  } else if (obs.sample_ts && *obs.sample_ts >= now_ms - fresh_ms_) {
    up = obs.sample_up;
  }
  if (!up) return false;  // no fresh evidence either way: keep what we had
  if (*up) {
    since_.erase(node);
    return false;
  }
  auto [it, inserted] = since_.try_emplace(node, now_ms);
  (void)inserted;
  return now_ms - it->second >= timeout_ms_;
}

std::optional<int64_t> FailureDetector::UnreachableSince(const NodeId& node) const {
  auto it = since_.find(node);
  if (it == since_.end()) return std::nullopt;
  return it->second;
}

}  // namespace mcscale
