// Clock: the one source of time for policy, leases and retries, so logic is tested with a
// FakeClock in microseconds instead of with sleeps. RealClock is stateless and thread-safe;
// FakeClock is thread-safe (atomics) so tests may advance it from another thread.
#ifndef MCSCALE_COMMON_CLOCK_H_
#define MCSCALE_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace mcscale {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch (for timestamps others read).
  virtual int64_t NowMs() const = 0;
  // Monotonic milliseconds from an arbitrary origin (for deadlines and intervals).
  virtual int64_t MonoMs() const = 0;
  // Blocks the caller for `ms` (a FakeClock advances itself instead).
  virtual void SleepMs(int64_t ms) = 0;

  // The process-wide real clock.
  static Clock* Real();
};

class RealClock : public Clock {
 public:
  int64_t NowMs() const override;
  int64_t MonoMs() const override;
  void SleepMs(int64_t ms) override;
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000, int64_t mono_ms = 1'000'000)
      : now_ms_(now_ms), mono_ms_(mono_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonoMs() const override { return mono_ms_.load(); }
  void SleepMs(int64_t ms) override { Advance(ms); }
  // Moves both clocks forward by `ms`.
  void Advance(int64_t ms) {
    now_ms_ += ms;
    mono_ms_ += ms;
  }

 private:
  std::atomic<int64_t> now_ms_;
  std::atomic<int64_t> mono_ms_;
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_CLOCK_H_
