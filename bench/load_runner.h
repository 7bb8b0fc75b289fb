// LoadRunner: drives a LoadTarget with a Workload from several threads: splits the
// connections over the threads, runs them for a duration or a request count, and merges
// what the threads saw. Warm-up sets every key once, pipelined, before the measured runs.
//
// Not thread-safe: one caller; it owns the load threads while a call runs.
#ifndef MCSCALE_BENCH_LOAD_RUNNER_H_
#define MCSCALE_BENCH_LOAD_RUNNER_H_

#include <cstdint>

#include "bench/load_stats.h"
#include "bench/load_target.h"
#include "bench/op_source.h"
#include "bench/workload.h"
#include "common/status.h"

namespace mcscale::bench {

struct LoadShape {
  // Default: 2 threads, 50 connections spread over them (the first threads take one more
  // when they do not divide evenly), 1 request in flight per connection.
  // REQUIRES: 1 <= threads <= connections; pipeline >= 1.
  int threads = 2;
  int connections = 50;
  int pipeline = 1;
  // See ThreadShare::timeout_ms. Default: 5000.
  int64_t timeout_ms = 5000;
};

// How long a run lasts: `requests` operations when positive, otherwise `duration_s`.
struct RunLimits {
  double duration_s = 10;
  int64_t requests = 0;
};

class LoadRunner {
 public:
  // REQUIRES: target and workload outlive the runner.
  LoadRunner(LoadTarget* target, const Workload* workload, LoadShape shape)
      : target_(target), workload_(workload), shape_(shape) {}

  // Sets every key of the workload once. The stats count the sets and errors.
  Result<LoadStats> Warmup();
  // One measured run; thread i draws its operations from FastRng::Derive(seed, i), so the
  // same seed gives every target the same operation sequence per thread. Fails only when a thread could not
  // start (the first such error).
  Result<LoadStats> Run(const RunLimits& limits, uint64_t seed);

 private:
  // Runs one OpSource per thread, made by make_source(thread index); stop_after_s > 0 sets
  // control->stop that many seconds after the start.
  template <typename MakeSource>
  Result<LoadStats> RunThreads(MakeSource make_source, double stop_after_s, RunControl* control);

  LoadTarget* target_;
  const Workload* workload_;
  LoadShape shape_;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_LOAD_RUNNER_H_
