// LoadStats: what one load thread (or, merged, one run) observed: operations completed,
// hits and misses, errors with the first error's text, the latency of every reply, and the
// interval in which requests were outstanding.
//
// Not thread-safe: each thread fills its own; Merge() after the threads have finished.
#ifndef MCSCALE_BENCH_LOAD_STATS_H_
#define MCSCALE_BENCH_LOAD_STATS_H_

#include <cstdint>
#include <string>

#include "bench/latency_histogram.h"

namespace mcscale::bench {

struct LoadStats {
  uint64_t gets = 0;    // gets answered with a value or a miss (hits + misses)
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t sets = 0;    // sets answered STORED
  // Operations that failed: an error or unexpected reply (NOT_STORED, SERVER_ERROR ...), a
  // connection lost with the request in flight, or no reply within the timeout.
  uint64_t errors = 0;
  std::string first_error;
  LatencyHistogram latency;  // every reply received, errors included
  // Monotonic ns of the first request sent and the last reply received; 0 if none.
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  // CPU seconds (user + system) the whole load-generator process used during the run, set
  // by the runner, so a report shows whether the client itself was near saturation.
  double client_cpu_s = 0;

  uint64_t ops() const { return gets + sets; }
  // hits / gets; negative when there were no gets.
  double hit_ratio() const { return gets ? static_cast<double>(hits) / gets : -1.0; }
  double elapsed_s() const { return end_ns > start_ns ? (end_ns - start_ns) / 1e9 : 0.0; }
  // Completed operations per second of elapsed_s(); 0 when nothing completed.
  double ops_per_s() const { return elapsed_s() > 0 ? ops() / elapsed_s() : 0.0; }

  // Cores the client kept busy on average: client_cpu_s / elapsed_s().
  double client_cores() const { return elapsed_s() > 0 ? client_cpu_s / elapsed_s() : 0.0; }

  void AddError(uint64_t n, const std::string& what) {
    errors += n;
    if (first_error.empty() && n > 0) first_error = what;
  }
  void Merge(const LoadStats& other);
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_LOAD_STATS_H_
