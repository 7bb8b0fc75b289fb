// PoolManager: every change of `<prefix>:pool`, in the contract's order: start the new
// nodes, write the new pool (epoch + 1, map from RegionMap::Rebalance, previous map,
// state=migrating), then publish the event. A removed node stays in the pool's `nodes`
// (draining) until its migration is done, and is stopped only then.
//
// Not thread-safe: the coordinator serializes calls.
#ifndef MCSCALE_COORDINATOR_POOL_MANAGER_H_
#define MCSCALE_COORDINATOR_POOL_MANAGER_H_

#include <set>
#include <string>

#include "common/clock.h"
#include "common/event_log.h"
#include "common/pool_config.h"
#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "coordinator/node_provider.h"

namespace mcscale {

class PoolManager {
 public:
  PoolManager(RedisClient* redis, RedisKeys keys, NodeProvider* provider, Clock* clock);

  // Reads the pool from Redis, or creates an empty one (fresh pool_id, epoch 0) when there
  // is none. Fails when Redis is unreachable or the stored pool does not decode.
  Status Load();
  const PoolState& pool() const { return pool_; }
  bool migrating() const { return pool_.state == PoolPhase::kMigrating; }
  // Nodes that serve the current map (without those draining).
  std::set<NodeId> ServingNodes() const;
  // Nodes still in `nodes` only because their regions are moving away.
  std::set<NodeId> DrainingNodes() const;

  // Grows or shrinks the pool to `target` nodes. Conflict while a migration runs; Invalid
  // for a target out of 1..regions. On success the pool is migrating in the new epoch. When
  // a grow fails part-way (a node id, a start, the pool's write), the nodes it had started
  // are stopped, the pool stays as it was, and the error (Io) says so.
  Status Resize(int target, const PoolConfig& config, const std::string& reason);
  // Ends the running migration: state=stable, publishes migration.done. The drained nodes
  // leave `nodes` and are returned in *drained, still running: stop them with
  // RetireNodes once no frontend can still ask them.
  Status FinishMigration(const std::string& reason, std::set<NodeId>* drained);
  // Stops nodes that left the pool.
  void RetireNodes(const std::set<NodeId>& nodes);
  // Takes a failed node out of the pool in a new epoch (pool.node_failed): its regions go
  // to the survivors, nothing is copied from it; a running migration is re-planned from the
  // current map (FailurePlan). With no survivor a replacement is started first. The failed
  // node is stopped through the provider; nodes that no longer own or give up a region are
  // returned in *leaving, still running (stop them with RetireNodes once drained). On
  // failure a replacement started here is stopped again.
  Status NodeFailed(const NodeId& failed, const PoolConfig& config, const std::string& reason,
                    std::set<NodeId>* leaving);
  // Brings the pool in line with what the provider still runs after a restart: nodes that
  // are gone are started again under the same id (a new address is published as a new
  // epoch); nodes the provider runs that are not in the pool are stopped.
  Status Reconcile(const PoolConfig& config);
  // Publishes an event of `type` in the current epoch (cache.cleared, config.changed, ...).
  Status PublishEvent(PoolEvent event);
  // Stops every node and agent and deletes the pool (config and history stay).
  Status Retire();

 private:
  Result<NodeId> NewNodeId();
  Status Save(const PoolState& next);
  // Saves `next` as the pool (a write whose reply was lost counts when Redis holds the new
  // epoch), then publishes the `type` event of the change (node lists and maps before and
  // after); a failed publish is logged, readers catch up from history.
  Status SaveAndAnnounce(const PoolState& next, EventType type, const std::string& reason,
                         const std::string& node = "");

  RedisClient* redis_;
  RedisKeys keys_;
  NodeProvider* provider_;
  Clock* clock_;
  EventLog events_;
  PoolState pool_;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_POOL_MANAGER_H_
