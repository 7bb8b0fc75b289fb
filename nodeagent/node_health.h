// NodeHealth: follows the cache node from one sample to the next and says when it went
// down, came up, or restarted between two samples (its uptime went down). The agent
// re-applies the pool's node configuration whenever the node comes up or restarted: a
// restarted memcached has lost the limit set with cache_memlimit.
//
// Not thread-safe: owned by the agent's loop thread.
#ifndef MCSCALE_NODEAGENT_NODE_HEALTH_H_
#define MCSCALE_NODEAGENT_NODE_HEALTH_H_

#include <cstdint>

namespace mcscale {

class NodeHealth {
 public:
  enum class Change {
    kNone,       // same as before
    kWentDown,   // stopped answering (also: the first sample found it down)
    kCameUp,     // answers again (also: the first sample found it up)
    kRestarted,  // answered both times, but its uptime went down in between
  };

  // Reports one sample: whether the node answered and, if so, its uptime in seconds.
  Change Observe(bool up, uint64_t uptime_s);
  // True when the last sample found the node up.
  bool up() const { return state_ == State::kUp; }

 private:
  enum class State { kUnknown, kUp, kDown };
  State state_ = State::kUnknown;
  uint64_t uptime_s_ = 0;
};

}  // namespace mcscale

#endif  // MCSCALE_NODEAGENT_NODE_HEALTH_H_
