// ResizeBench: `mcscale-bench resize`, what live migration buys under load (issue 7). One
// run starts a pool of its own (BenchPool: Redis, coordinator, memcached nodes with agents),
// loads the keys through the frontend library, and then, for each resize A:B of the plan,
// runs the versioned mixed workload (VersionedWorkload: 90% get, 9% set, 1% delete) at a
// steady rate, asks for B nodes through the manager API, waits until the pool is stable,
// lets the workload run a few seconds more, stops it and checks that no single-writer key
// was lost. At the end it checks every read of the run for stale values. Its report:
//   per second: gets, hits and the hit ratio;
//   per resize: regions moved and the fewest any balanced map could move, migration seconds
//     (pool.resized to migration.done in the history), keys and bytes moved and their rate
//     over the mover's time (the migration's planned_ms to migration.done), lost keys (the
//     decidable single-writer keys that do not hold what the logs say, after this resize:
//     keys lost earlier and not rewritten since count again), the mean hit ratio of the
//     segment's seconds before the request, and the lowest second's hit ratio from the
//     request to the end of its segment as a fraction of the steady state (the mean of the
//     seconds before the first resize). Seconds in which the machine stalled the workload
//     (under a quarter of the steady gets/s) count in neither ("thin_seconds");
//   over the run: stale reads, the most lost keys of any check, the lowest fraction.
// With live_migration false the coordinator runs with --no-migration (remap only): the
// baseline.
//
// Not thread-safe: one run at a time, from one thread.
#ifndef MCSCALE_BENCH_RESIZE_BENCH_H_
#define MCSCALE_BENCH_RESIZE_BENCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/hit_ratio_chart.h"
#include "common/status.h"

namespace mcscale::bench {

// One resize of the plan: the pool is at `from` nodes and goes to `to`.
struct ResizeStep {
  int from = 0;
  int to = 0;
  bool operator==(const ResizeStep& o) const { return from == o.from && to == o.to; }
};

struct ResizeBenchOptions {
  uint32_t keys = 100000;          // Default: 100,000 keys k0..k99999.
  size_t value_size = 1024;        // Default: 1 KB.
  double rate = 2000;              // Default: 2,000 operations/s over all threads.
  int threads = 4;                 // Default: 4.
  bool zipf = false;               // Default: uniform key choice.
  uint64_t seed = 1;
  std::vector<ResizeStep> steps;   // REQUIRES: not empty, each starting where the last ended.
  bool live_migration = true;      // Default: true; false: the remap-only baseline.
  double steady_s = 10;            // Default: 10 s of workload before the first resize.
  double settle_s = 5;             // Default: 5 s of workload after each resize is stable.
  double lead_s = 2;               // Default: 2 s of workload before each later resize.
  int64_t resize_timeout_s = 300;  // Default: 300 s for a resize to become stable.
  int node_capacity_mb = 0;        // Default: 0, enough for every key on the smallest pool.
  int agent_interval_ms = 500;     // Default: 500.
  int64_t request_timeout_ms = 200;  // Default: 200, the frontend library's; loading uses >= 2000.
  std::string bin_dir;             // where mcscale-coordinator and mcscale-agent are
  bool keep_dir = false;           // keep the scratch folder (logs) after the run
};

// One run's figures: the JSON summary and its per-second curve for the chart.
struct ResizeRunReport {
  nlohmann::json summary;
  std::vector<ChartPoint> seconds;
  std::vector<ChartMarker> resizes;
};

class ResizeBench {
 public:
  explicit ResizeBench(ResizeBenchOptions options) : options_(std::move(options)) {}

  // Runs the plan once on a pool of its own (stopped again on every path, Ctrl-C included).
  // Progress and the per-second hit ratio go to stderr, prefixed with `label`. Fails when the
  // pool cannot start, a resize is refused or does not finish in time, or the run is
  // interrupted.
  Result<ResizeRunReport> Run(const std::string& label);

  // Pure parts, public for tests.

  // "3:4,4:2,2:5" -> {3,4},{4,2},{2,5}. Each size within 1..max_nodes, A != B, and each
  // step starting at the size the one before ended at. The error says which step and why.
  static Result<std::vector<ResizeStep>> ParseSteps(const std::string& text, int max_nodes);
  // Per-node memory for `keys` values of `value_size` bytes on a pool of `smallest_pool`
  // nodes, with room to spare (memcached takes the memory only as items arrive).
  static int CapacityMb(uint32_t keys, size_t value_size, int smallest_pool);

 private:
  ResizeBenchOptions options_;
};

// `mcscale-bench resize ...` (argv[0] is "resize"): parses the options (exit 2 naming the
// one that is wrong), runs, prints the JSON summary on stdout and, with --out, writes
// resize.json and hit_ratio.svg there. Exit 0 after a complete run, 1 when it could not
// complete (or was interrupted).
int ResizeBenchMain(int argc, char** argv);

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_RESIZE_BENCH_H_
