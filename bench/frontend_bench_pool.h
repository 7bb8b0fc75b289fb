// ScriptedPool: a pool the frontend benchmarks drive themselves, with no coordinator: it
// writes `<prefix>:pool` and publishes pool events exactly as the coordinator's PoolManager
// does (the hash in MULTI/EXEC, then EventLog::Publish: history first, then PUBLISH), so a
// PoolClient follows it like a real pool. The nodes are addresses only; nothing is started.
// The destructor deletes every key under the prefix it wrote or the clients made.
//
// Not thread-safe: one owner.
#ifndef MCSCALE_BENCH_FRONTEND_BENCH_POOL_H_
#define MCSCALE_BENCH_FRONTEND_BENCH_POOL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "common/event_log.h"
#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale::bench {

class ScriptedPool {
 public:
  // Writes a stable pool (epoch 1, a new pool_id, the initial map of `nodes` over 16
  // regions) under `prefix`, replacing whatever was there. Fails when Redis cannot be
  // written or `nodes` is empty or has a bad address.
  static Result<std::unique_ptr<ScriptedPool>> Create(const std::string& redis_url, const std::string& prefix,
                                                      const NodeAddresses& nodes);
  ~ScriptedPool();
  ScriptedPool(const ScriptedPool&) = delete;
  ScriptedPool& operator=(const ScriptedPool&) = delete;

  const PoolState& state() const { return pool_; }
  RedisClient& redis() { return redis_; }

  // Epoch + 1 with the minimal-movement map for `nodes`: the pool hash goes to
  // `migrating`, then pool.resized is published. *published_ns (when given) is the
  // monotonic time (steady_clock, ns) taken just before the publish, where the
  // coordinator takes the event's ts. REQUIRES: the pool is stable.
  Status Resize(const NodeAddresses& nodes, int64_t* published_ns = nullptr);
  // Publishes migration.commit for the current epoch. REQUIRES: migrating.
  Status Commit();
  // Ends the migration: the hash goes back to `stable` (nodes no longer mapped dropped),
  // then migration.done is published. REQUIRES: migrating.
  Status Finish();

 private:
  ScriptedPool(RedisAddress address, std::string prefix);
  Status Save(const PoolState& next);
  // Fills in pool_id, epoch, reason and ts, then publishes.
  Status Publish(PoolEvent event, int64_t* published_ns = nullptr);

  RedisClient redis_;
  RedisKeys keys_;
  EventLog events_;
  PoolState pool_;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_FRONTEND_BENCH_POOL_H_
