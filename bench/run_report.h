// How mcscale-bench reports a run: one readable block of text, or a JSON object with the
// same figures (ops/s, hit ratio, errors, latency percentiles in microseconds) for scripts.
#ifndef MCSCALE_BENCH_RUN_REPORT_H_
#define MCSCALE_BENCH_RUN_REPORT_H_

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/comparison.h"
#include "bench/load_stats.h"

namespace mcscale::bench {

// {"ops", "ops_per_s", "elapsed_s", "gets", "sets", "hits", "misses", "hit_ratio" (null
// without gets), "errors", "first_error" (only when there is one), "latency_us": {"p50",
// "p99", "p999", "max", "mean"}}.
nlohmann::json StatsJson(const LoadStats& stats);
// "ops/s 85123 (...)\nhit ratio ...\nlatency us: ...\n".
std::string StatsText(const LoadStats& stats);
// "warmup: 100000 keys set in 0.61 s (163934/s), 0 errors\n".
std::string WarmupText(const std::string& target, const LoadStats& stats);
// One line per round of a comparison: both runs and their ratios. `number` counts from 1.
std::string RoundText(size_t number, const Comparison::Round& round);
nlohmann::json RoundJson(size_t number, const Comparison::Round& round);

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_RUN_REPORT_H_
