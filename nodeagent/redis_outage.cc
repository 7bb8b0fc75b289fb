#include "nodeagent/redis_outage.h"

#include <algorithm>

namespace mcscale {

RedisOutage::RedisOutage(Clock* clock, int64_t first_backoff_ms, int64_t max_backoff_ms)
    : clock_(clock), first_backoff_ms_(first_backoff_ms),
      max_backoff_ms_(std::max(first_backoff_ms, max_backoff_ms)) {}

bool RedisOutage::ShouldTry() const { return !down_ || clock_->MonoMs() >= next_try_ms_; }

RedisOutage::Change RedisOutage::Succeeded() {
  if (!down_) return Change::kNone;
  down_ = false;
  ended_ms_ = clock_->MonoMs();
  return Change::kCameBack;
}

RedisOutage::Change RedisOutage::Failed() {
  int64_t now = clock_->MonoMs();
  Change change = Change::kNone;
  if (!down_) {
    down_ = true;
    down_since_ms_ = now;
    dropped_ = 0;
    backoff_ms_ = first_backoff_ms_;
    change = Change::kWentDown;
  } else {
    backoff_ms_ = std::min(backoff_ms_ * 2, max_backoff_ms_);
  }
  next_try_ms_ = now + backoff_ms_;
  return change;
}

int64_t RedisOutage::outage_ms() const {
  return (down_ ? clock_->MonoMs() : ended_ms_) - down_since_ms_;
}

}  // namespace mcscale
