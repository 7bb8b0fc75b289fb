// OpSource: hands one load thread its operations, one at a time, until its share of the run
// is done. Two kinds: a mixed source draws random operations from a Workload until the run
// is stopped or the shared request budget is spent; a warm-up source hands out "set key i"
// for every key exactly once across all threads.
//
// Each load thread owns one OpSource; the RunControl (or the warm-up cursor) they share is
// atomic.
#ifndef MCSCALE_BENCH_OP_SOURCE_H_
#define MCSCALE_BENCH_OP_SOURCE_H_

#include <atomic>
#include <cstdint>

#include "bench/fast_rng.h"
#include "bench/op.h"
#include "bench/workload.h"

namespace mcscale::bench {

// Shared by the threads of one run: stop is set by the runner when the duration is over;
// when limited, budget counts down the requests still to issue.
struct RunControl {
  std::atomic<bool> stop{false};
  bool limited = false;  // set before the threads start
  std::atomic<int64_t> budget{0};
};

class OpSource {
 public:
  // Random operations. REQUIRES: workload and control outlive the source.
  static OpSource Mixed(const Workload* workload, uint64_t seed, RunControl* control);
  // Sets of keys 0..keys-1, each handed out once among the sources sharing `cursor`.
  static OpSource Warmup(const Workload* workload, std::atomic<uint64_t>* cursor);

  // Fills *op and returns true, or returns false when this thread's share is done (it stays
  // done).
  bool Next(Op* op);
  // True when Next would return false (without taking an operation).
  bool Exhausted() const;

 private:
  OpSource(const Workload* workload, uint64_t seed, RunControl* control,
           std::atomic<uint64_t>* cursor)
      : workload_(workload), rng_(seed), control_(control), cursor_(cursor) {}

  const Workload* workload_;
  FastRng rng_;
  RunControl* control_;             // mixed
  std::atomic<uint64_t>* cursor_;   // warm-up
  bool done_ = false;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_OP_SOURCE_H_
