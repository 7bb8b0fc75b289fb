// LatencyHistogram: HDR-like log-linear histogram of latencies in nanoseconds. Values below
// 128 ns have a bucket each; above, every power of two is split into 64 buckets, so any
// recorded value is known to within 1/64 (1.6%) and a percentile is reported as the middle
// of its bucket. Recording is one array increment; histograms of different threads merge by
// adding counts.
//
// Not thread-safe: one per thread, merged after the threads have finished.
#ifndef MCSCALE_BENCH_LATENCY_HISTOGRAM_H_
#define MCSCALE_BENCH_LATENCY_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mcscale::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(int64_t ns);
  void Merge(const LatencyHistogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  int64_t min_ns() const { return count_ ? min_ns_ : 0; }
  int64_t max_ns() const { return max_ns_; }
  double mean_ns() const { return count_ ? static_cast<double>(sum_ns_) / count_ : 0.0; }
  // The smallest recorded value v (to bucket precision) such that at least fraction `q`
  // of the values are <= v. 0 when empty. REQUIRES: 0 <= q <= 1.
  int64_t Percentile(double q) const;

  // Bucket arithmetic, exposed for tests.
  static size_t BucketOf(uint64_t ns);
  static uint64_t BucketLow(size_t bucket);
  static uint64_t BucketHigh(size_t bucket);  // inclusive

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  int64_t min_ns_ = 0;
  int64_t max_ns_ = 0;
  uint64_t sum_ns_ = 0;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_LATENCY_HISTOGRAM_H_
