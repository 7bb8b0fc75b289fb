// PoolClient: the application's way into the cache pool. It routes every key by its
// region, follows pool events, holds a lease in Redis naming the epoch and phase it routes
// by, and never fails or throws because a cache node is down (a get is a miss; a write is
// reported as not done).
//
//   auto client = mcscale::PoolClient::Create({.redis_url = "redis://127.0.0.1:6379"});
//   (*client)->Set("user:42", "{...}", 0, 300);
//   auto item = (*client)->Get("user:42");   // std::optional<CacheItem>
//
// Thread-safe: one PoolClient serves many application threads. Each request runs wholly
// under one routing snapshot; a new snapshot is swapped in atomically and the lease reports
// it only after every request begun under the older one has finished.
#ifndef MCSCALE_FRONTEND_POOL_CLIENT_H_
#define MCSCALE_FRONTEND_POOL_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/memcache_client.h"
#include "common/pool_event.h"
#include "common/status.h"

namespace mcscale {

struct PoolClientOptions {
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string prefix = "mcscale";
  std::string id;                    // Default: HOST-PID-RANDOM. Names the lease.
  int64_t request_timeout_ms = 200;  // Default: 200. Per cache request.
  int failure_limit = 3;             // Default: 3 consecutive failures mark a node down.
  int64_t backoff_min_ms = 250;      // Default: 250; doubles up to backoff_max_ms.
  int64_t backoff_max_ms = 5000;     // Default: 5000.
  size_t replay_log_max = 10000;     // Default: 10000 failed writes remembered per node.
  int64_t lease_ttl_ms = 3000;       // Default: 3000. The lease's TTL in Redis.
  int64_t lease_renew_ms = 1000;     // Default: 1000.
  int64_t lease_margin_ms = 1000;    // Default: 1000. Stop using the cache this long before the TTL.
  int64_t pool_reread_ms = 5000;     // Default: 5000. Re-read the pool hash at least this often.
  int64_t tombstone_ttl_s = 3600;    // Default: 3600. Tombstones outlive any migration.
  bool plan_moves = true;            // Default: true. Take part in claiming epochs' moves.
  // Called on the control thread for every new event (cache.cleared, data.cleared, ...).
  std::function<void(const PoolEvent&)> on_event;
  Clock* clock = nullptr;            // Default: the real clock.
};

struct PoolClientStats {
  struct Node {
    std::string address;
    uint64_t gets = 0, hits = 0, misses = 0, errors = 0, fast_failed = 0;
    bool down = false;
    size_t replay_pending = 0;
  };
  uint64_t gets = 0, hits = 0, misses = 0;
  uint64_t writes = 0, write_failures = 0;
  uint64_t errors = 0, fast_failed = 0;
  uint64_t lease_blocked = 0;  // operations refused because the lease had lapsed
  std::string pool_id;
  int64_t epoch = 0;
  std::string phase;
  bool lease_valid = false;
  std::map<std::string, Node> nodes;
};

class PoolClient {
 public:
  // Starts the client (its threads connect and catch up in the background). Fails only on
  // invalid options. Until the pool is known and the lease held, gets miss and writes fail.
  static Result<std::unique_ptr<PoolClient>> Create(PoolClientOptions options);
  ~PoolClient();  // Stops the threads and deletes the lease.
  PoolClient(const PoolClient&) = delete;
  PoolClient& operator=(const PoolClient&) = delete;

  // Waits until the client routes by a known pool with a valid lease.
  bool WaitReady(int64_t timeout_ms);
  // Waits until the client routes by `epoch` or a later one, in the stable phase when
  // `stable` is set, with a valid lease. Returns as soon as the new routing is in place (the
  // switch wakes the waiters; no polling); false after `timeout_ms` (0: checks once).
  bool WaitForEpoch(int64_t epoch, bool stable, int64_t timeout_ms);

  // A hit, or nullopt (a miss, a node down, a lapsed lease, an invalid key).
  std::optional<CacheItem> Get(const std::string& key);
  std::map<std::string, CacheItem> MultiGet(const std::vector<std::string>& keys);
  // Ok when every step was acknowledged. flags may not use bit 31 (reserved).
  Status Set(const std::string& key, const std::string& value, uint32_t flags = 0, int64_t ttl = 0);
  // true stored, false the key existed.
  Result<bool> Add(const std::string& key, const std::string& value, uint32_t flags = 0, int64_t ttl = 0);
  // Ok when the key is gone (whether or not it existed).
  Status Delete(const std::string& key);

  // The node that owns `key` in the current epoch ("" when the pool is unknown).
  std::string OwnerOf(const std::string& key);
  PoolClientStats Stats();

  class Impl;

 private:
  explicit PoolClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_POOL_CLIENT_H_
