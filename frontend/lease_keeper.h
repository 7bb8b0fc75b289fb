// LeaseKeeper: when a frontend may use the cache. A lease renewed with a write sent at
// monotonic time t is good until t + ttl - margin on this machine's own clock (the margin
// covers Redis expiring the key a little early from its point of view). Once that passes
// the lease has lapsed: the client must catch up with the pool before it renews, and uses
// no cache meanwhile.
//
// Thread-safe: Valid() from any thread; Renewed() from the control thread.
#ifndef MCSCALE_FRONTEND_LEASE_KEEPER_H_
#define MCSCALE_FRONTEND_LEASE_KEEPER_H_

#include <atomic>
#include <cstdint>

namespace mcscale {

class LeaseKeeper {
 public:
  // REQUIRES: 0 <= margin_ms < ttl_ms.
  LeaseKeeper(int64_t ttl_ms, int64_t margin_ms) : ttl_ms_(ttl_ms), margin_ms_(margin_ms) {}

  // True while the lease is good at monotonic time `now_ms`.
  bool Valid(int64_t now_ms) const { return now_ms < deadline_ms_.load(); }
  // True once a lease held before has run out (not before the first renewal).
  bool Lapsed(int64_t now_ms) const { return held_.load() && !Valid(now_ms); }
  // Records a successful renewal whose write was sent at `sent_ms`.
  void Renewed(int64_t sent_ms) {
    deadline_ms_ = sent_ms + ttl_ms_ - margin_ms_;
    held_ = true;
  }
  int64_t deadline_ms() const { return deadline_ms_.load(); }

 private:
  const int64_t ttl_ms_;
  const int64_t margin_ms_;
  std::atomic<int64_t> deadline_ms_{0};
  std::atomic<bool> held_{false};
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_LEASE_KEEPER_H_
