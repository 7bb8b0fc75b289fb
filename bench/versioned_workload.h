// VersionedWorkload: the mixed workload of the resize tests and benchmarks (90% get, 9% set,
// 1% delete by default) through the frontend library, from several threads at a steady
// rate, with versioned values and every operation logged (OpLog) for the
// ConsistencyChecker. Keys are "k<i>" for i in [0, keys): the first half are single-writer
// keys (each written by exactly one thread of one process: i % writers == writer slot),
// the second half are shared by every thread of every process. Reads go to any key.
//
// Thread-safe: Run() from one thread; Stop() from any.
#ifndef MCSCALE_BENCH_VERSIONED_WORKLOAD_H_
#define MCSCALE_BENCH_VERSIONED_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/op_log.h"
#include "frontend/pool_client.h"

namespace mcscale {

struct WorkloadOptions {
  uint32_t keys = 100000;         // Default: 100,000.
  size_t value_size = 1024;       // Default: 1 KB.
  int threads = 4;                // Default: 4 per process.
  int process_index = 0;          // this process among `processes`
  int processes = 1;
  double get_share = 0.90;        // Default: 90% get,
  double set_share = 0.09;        //          9% set, the rest delete.
  double rate = 2000;             // Default: 2,000 operations/s per process (0: unpaced).
  bool zipf = false;              // Default: uniform key choice.
  uint64_t seed = 1;
  // Added to every writer id, so runs of one test that follow each other never write the
  // same version (each run's sequences start again at 1). Default: 0.
  uint32_t writer_offset = 0;
};

class VersionedWorkload {
 public:
  // Per-second figures for hit-ratio curves.
  struct Second {
    int64_t t = 0;  // seconds since Run began
    uint64_t gets = 0, hits = 0, sets = 0, deletes = 0, write_failures = 0;
  };

  VersionedWorkload(PoolClient* client, WorkloadOptions options);

  // Writes every key once (version seq 1 of a loader writer id), split over the threads.
  // Returns the number of writes that were not acknowledged.
  uint64_t Load();
  // Runs until Stop(); calls on_second (when set) once per second with the last second.
  void Run(const std::function<void(const Second&)>& on_second = nullptr);
  void Stop() { stop_ = true; }

  // Every operation so far, all threads merged.
  std::vector<OpRecord> Records() const;

 private:
  struct SecondCounters {
    std::atomic<uint64_t> gets{0}, hits{0}, sets{0}, deletes{0}, write_failures{0};
  };
  static constexpr size_t kMaxSeconds = 4 * 3600;  // longer runs stop counting per second

  void Thread(int t, std::vector<OpRecord>* log, int64_t start_ns);
  uint32_t WriterSlot(int t) const { return static_cast<uint32_t>(options_.process_index * options_.threads + t); }
  uint32_t WriterId(int t) const { return options_.writer_offset + WriterSlot(t) + 1; }

  PoolClient* client_;
  WorkloadOptions options_;
  std::atomic<bool> stop_{false};
  std::vector<std::vector<OpRecord>> logs_;
  std::unique_ptr<SecondCounters[]> seconds_;  // shared by the threads, read by Run
};

}  // namespace mcscale

#endif  // MCSCALE_BENCH_VERSIONED_WORKLOAD_H_
