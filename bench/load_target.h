// LoadTarget: what mcscale-bench sends its load to. The runner starts one thread per
// --threads and calls RunThread on each with that thread's share of the connections; the
// target performs the operations the OpSource hands out, keeping up to `pipeline` of them
// in flight per connection, and records every outcome in the thread's LoadStats.
//
// MemcacheTarget speaks the memcached text protocol to one server over non-blocking
// sockets. A target that goes through the frontend library implements RunThread as a loop
// that takes up to `pipeline` operations from the OpSource, performs them as one batch
// (multi_get, sets), records them, and repeats until OpSource::Next returns false.
//
// Implementations must allow RunThread to be called concurrently from every load thread;
// each call keeps its own connections.
#ifndef MCSCALE_BENCH_LOAD_TARGET_H_
#define MCSCALE_BENCH_LOAD_TARGET_H_

#include <cstdint>
#include <string>

#include "bench/load_stats.h"
#include "bench/op_source.h"
#include "common/status.h"

namespace mcscale::bench {

// One load thread's part of a run.
struct ThreadShare {
  int thread_index = 0;
  // Connections this thread drives. REQUIRES: >= 1.
  int connections = 1;
  // Requests kept in flight per connection. REQUIRES: >= 1.
  int pipeline = 1;
  // A request unanswered for this long fails its connection (its in-flight requests count
  // as errors) and bounds every wait, so a stopped server cannot hang the run.
  int64_t timeout_ms = 5000;
};

class LoadTarget {
 public:
  virtual ~LoadTarget() = default;

  // How the target is named in reports, e.g. "127.0.0.1:11211".
  virtual std::string Name() const = 0;

  // Runs this thread's share until `ops` runs dry and every request it issued has been
  // answered or has failed. Failures during the run (error replies, lost connections,
  // timeouts) are counted in *stats, and lost connections are reopened while there is load
  // left. Returns non-ok only when the thread could not start, e.g. a connection could not
  // be opened; the message names the target and the reason.
  virtual Status RunThread(const ThreadShare& share, OpSource* ops, LoadStats* stats) = 0;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_LOAD_TARGET_H_
