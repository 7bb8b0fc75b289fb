// Comparison: the rounds of `mcscale-bench --compare A B` and their medians. Each round
// holds one run against A and one against B under the same load; the verdict is the median
// over rounds of B/A throughput and of B/A p99 latency, so one disturbed round (another
// process waking up on a 2-core machine) does not decide it.
//
// Not thread-safe.
#ifndef MCSCALE_BENCH_COMPARISON_H_
#define MCSCALE_BENCH_COMPARISON_H_

#include <cstddef>
#include <vector>

#include "bench/load_stats.h"

namespace mcscale::bench {

class Comparison {
 public:
  struct Round {
    LoadStats a;
    LoadStats b;
    bool b_first = false;  // B ran before A in this round
    double ops_ratio() const;  // B ops/s over A ops/s (0 when A did nothing)
    double p99_ratio() const;  // B p99 over A p99 (0 when A has no latency)
  };

  void Add(Round round) { rounds_.push_back(std::move(round)); }
  const std::vector<Round>& rounds() const { return rounds_; }

  // Medians over the rounds so far; 0 when there are none.
  double MedianOpsRatio() const;
  double MedianP99Ratio() const;

  // The median of `values` (mean of the middle two for an even count); 0 when empty.
  static double Median(std::vector<double> values);

 private:
  std::vector<Round> rounds_;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_COMPARISON_H_
