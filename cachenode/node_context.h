// NodeContext: what every connection of one mcscale-node shares: the storage, the settings
// `stats settings` shows, the per-worker counters `stats` sums, and connection counts.
//
// Thread-safe: settings are fixed after start-up (verbosity is atomic); each ThreadStats has
// one writer (its worker) and is read with relaxed atomics.
#ifndef MCSCALE_CACHENODE_NODE_CONTEXT_H_
#define MCSCALE_CACHENODE_NODE_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cachenode/cache_storage.h"

namespace mcscale {

// The counters memcached keeps per worker thread, in `stats` order.
#define MCSCALE_THREAD_STATS(X)                                                                 \
  X(cmd_get) X(cmd_set) X(cmd_flush) X(cmd_touch) X(cmd_meta) X(get_hits) X(get_misses)           \
  X(get_expired) X(get_flushed) X(delete_misses) X(delete_hits) X(incr_misses) X(incr_hits)       \
  X(decr_misses) X(decr_hits) X(cas_misses) X(cas_hits) X(cas_badval) X(touch_hits)               \
  X(touch_misses) X(store_too_large) X(store_no_memory) X(bytes_read) X(bytes_written)

struct ThreadStats {
#define MCSCALE_DECLARE_STAT(name) std::atomic<uint64_t> name{0};
  MCSCALE_THREAD_STATS(MCSCALE_DECLARE_STAT)
#undef MCSCALE_DECLARE_STAT
};

// One writer per ThreadStats, so a plain load and store is enough.
inline void Bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct NodeSettings {
  std::string interface = "127.0.0.1";  // Default: 127.0.0.1.
  int port = 11211;                     // Default: 11211.
  int threads = 4;                      // Default: 4 worker threads.
  int max_connections = 1024;           // Default: 1024.
  size_t item_size_max = 1u << 20;      // Default: 1 MB.
};

class NodeContext {
 public:
  NodeContext(NodeSettings settings, const StorageOptions& storage_options);

  CacheStorage& storage() { return storage_; }
  const NodeSettings& settings() const { return settings_; }
  // The counters of one more worker (or test session); owned by the context.
  ThreadStats* NewThreadStats();
  // Sum of every worker's counters, by name order of MCSCALE_THREAD_STATS.
  std::vector<uint64_t> SumThreadStats() const;
  void ResetThreadStats();

  int64_t started() const { return started_; }  // unix seconds
  std::atomic<int>& verbosity() { return verbosity_; }
  std::atomic<uint64_t>& curr_connections() { return curr_connections_; }
  std::atomic<uint64_t>& total_connections() { return total_connections_; }
  std::atomic<uint64_t>& rejected_connections() { return rejected_connections_; }
  // Set by the server once it listens (the port may be chosen at bind time).
  void set_port(int port) { settings_.port = port; }

 private:
  NodeSettings settings_;
  CacheStorage storage_;
  int64_t started_;
  std::atomic<int> verbosity_{0};
  std::atomic<uint64_t> curr_connections_{0};
  std::atomic<uint64_t> total_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  mutable std::mutex mu_;  // guards thread_stats_ (the list, not the counters)
  std::vector<std::unique_ptr<ThreadStats>> thread_stats_;
};

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_NODE_CONTEXT_H_
