#include "nodeagent/node_health.h"

namespace mcscale {

NodeHealth::Change NodeHealth::Observe(bool up, uint64_t uptime_s) {
  State before = state_;
  state_ = up ? State::kUp : State::kDown;
  if (!up) return before == State::kDown ? Change::kNone : Change::kWentDown;
  uint64_t previous = uptime_s_;
  uptime_s_ = uptime_s;
  if (before != State::kUp) return Change::kCameUp;
  return uptime_s < previous ? Change::kRestarted : Change::kNone;
}

}  // namespace mcscale
