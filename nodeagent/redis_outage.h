// RedisOutage: the agent's view of whether Redis takes its writes. While Redis answers every
// write is attempted; after a failure writes are attempted again only after a back-off
// (doubling from first_backoff_ms to max_backoff_ms), so an agent whose Redis is gone keeps
// sampling without spending each interval on a connect timeout. Entries that could not be
// written are counted so the agent can say, once, how many it dropped.
//
// Not thread-safe: owned by the agent's loop thread. Time comes from the injected Clock.
#ifndef MCSCALE_NODEAGENT_REDIS_OUTAGE_H_
#define MCSCALE_NODEAGENT_REDIS_OUTAGE_H_

#include <cstdint>

#include "common/clock.h"

namespace mcscale {

class RedisOutage {
 public:
  // What a reported attempt changed, for the caller to log once.
  enum class Change { kNone, kWentDown, kCameBack };

  // Default: first retry 250 ms after the failure, doubling up to 5 s.
  explicit RedisOutage(Clock* clock, int64_t first_backoff_ms = 250, int64_t max_backoff_ms = 5000);

  // True when a write should be attempted now: always while Redis is up, during an outage
  // once the back-off since the last failed attempt has passed.
  bool ShouldTry() const;
  // Reports a write that Redis took. kCameBack ends an outage; dropped() and
  // outage_ms() then describe the outage that just ended until the next one starts.
  Change Succeeded();
  // Reports a failed write and schedules the next attempt. kWentDown starts an outage.
  Change Failed();
  // Counts one entry that was not written (failed or not attempted).
  void Dropped() { ++dropped_; }

  bool down() const { return down_; }
  // Entries dropped in the current (or the last ended) outage.
  int64_t dropped() const { return dropped_; }
  // How long the current (or the last ended) outage lasted so far, in ms.
  int64_t outage_ms() const;
  // Monotonic time of the next attempt during an outage.
  int64_t next_try_mono_ms() const { return next_try_ms_; }

 private:
  Clock* clock_;
  int64_t first_backoff_ms_;
  int64_t max_backoff_ms_;
  bool down_ = false;
  int64_t backoff_ms_ = 0;
  int64_t next_try_ms_ = 0;
  int64_t down_since_ms_ = 0;
  int64_t ended_ms_ = 0;
  int64_t dropped_ = 0;
};

}  // namespace mcscale

#endif  // MCSCALE_NODEAGENT_REDIS_OUTAGE_H_
