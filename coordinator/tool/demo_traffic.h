// DemoTraffic: `mcscale traffic`, the demo's application. It reads the pool from Redis
// (again every 200 ms), routes each key to its owner with RegionMap::OwnerOfKey, and reads
// cache-aside (get; on a miss, set) at a paced rate, alternating two phases so the pool
// visibly grows and shrinks under the coordinator's policy:
//   cold  keys never asked for before: every get misses (miss rate ~1), the pool grows;
//   warm  a small hot set: after its first touch every get hits (miss rate ~0), it shrinks.
// It prints a line at every phase change and every report interval (gets/s, miss rate,
// errors, pool size, epoch).
//
// Not thread-safe: Run() on one thread; `stop` may be set from any.
#ifndef MCSCALE_COORDINATOR_TOOL_DEMO_TRAFFIC_H_
#define MCSCALE_COORDINATOR_TOOL_DEMO_TRAFFIC_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/memcache_client.h"
#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"

namespace mcscale {

struct DemoTrafficOptions {
  int phase_s = 40;           // Default: 40. Seconds per phase, cold first.
  int rate = 2000;            // Default: 2000. Gets per second.
  int duration_s = 0;         // Default: 0 (until stopped).
  int hot_keys = 200;         // Default: 200. Keys of the warm phase.
  int value_bytes = 100;      // Default: 100. Size of each value set after a miss.
  int report_s = 5;           // Default: 5. Seconds between status lines.
  int64_t pool_read_ms = 200;  // Default: 200. How often the pool is read again.
  int64_t node_timeout_ms = 200;  // Default: 200. Per memcached call.
};

class DemoTraffic {
 public:
  using LineFn = std::function<void(const std::string& line)>;

  // Does not own `redis` or `clock`.
  DemoTraffic(RedisClient* redis, RedisKeys keys, DemoTrafficOptions options, Clock* clock, LineFn print);

  // Runs until *stop is set or duration_s has passed.
  void Run(const std::atomic<bool>* stop);

  // "cold" or "warm" for the phase at `elapsed_ms` since the start.
  static const char* PhaseAt(int64_t elapsed_ms, int phase_s);

 private:
  struct Window {
    uint64_t gets = 0;
    uint64_t misses = 0;
    uint64_t errors = 0;
    int64_t start_ms = 0;
  };

  void ReadPool();
  // One cache-aside read of `key`; counts it in `window`.
  void ReadThrough(const std::string& key, Window* window);
  void Report(const char* phase, Window* window, int64_t now_ms);
  std::string Timestamp() const;

  RedisClient* redis_;
  RedisKeys keys_;
  DemoTrafficOptions options_;
  Clock* clock_;
  LineFn print_;
  std::string run_id_;  // makes cold keys new to every run
  std::string value_;
  std::optional<PoolState> pool_;
  std::string pool_error_;
  std::map<NodeId, std::unique_ptr<MemcacheClient>> clients_;
  uint64_t cold_n_ = 0;
  uint64_t hot_n_ = 0;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_TOOL_DEMO_TRAFFIC_H_
