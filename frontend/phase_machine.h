// PhaseMachine: a frontend's view of the pool, advanced by pool events in seq order and by
// the pool hash when events are missing: stable -> (pool.resized E) prepare E ->
// (migration.commit E) commit E -> (migration.done E) stable E. Duplicates (seq not
// newer) and events of older epochs are dropped; a new pool_id or a gap in epochs asks for
// the pool hash. Pure: no I/O, no clock.
//
// Not thread-safe: the client's control thread owns it.
#ifndef MCSCALE_FRONTEND_PHASE_MACHINE_H_
#define MCSCALE_FRONTEND_PHASE_MACHINE_H_

#include <string>

#include "common/pool_event.h"
#include "common/pool_state.h"
#include "frontend/routing_table.h"

namespace mcscale {

class PhaseMachine {
 public:
  enum class Change {
    kNone,       // nothing that affects routing (duplicate, old, or not a routing event)
    kRouting,    // the snapshot changed
    kNeedsPool,  // cannot follow from events (new pool, gap): adopt the pool hash
  };

  // Applies one event. `warning` (when given) gets a loud message when the event's map is
  // not RegionMap::Rebalance of its old map (the event's map wins).
  Change Apply(const PoolEvent& event, std::string* warning = nullptr);
  // Adopts the pool hash when it is newer (or another pool), or ends a migration the
  // events did not report. `commit_seen` says whether history holds migration.commit for
  // the hash's epoch (so a migrating pool is entered in commit, not prepare).
  Change Adopt(const PoolState& pool, bool commit_seen);

  const RoutingSnapshot& snapshot() const { return s_; }
  const std::string& last_seq() const { return last_seq_; }
  void set_last_seq(const std::string& seq) { last_seq_ = seq; }
  bool known() const { return !s_.pool_id.empty() && !s_.map.empty(); }

 private:
  static NodeAddresses Union(const NodeAddresses& a, const NodeAddresses& b);
  static NodeAddresses OnlyMapped(const NodeAddresses& nodes, const RegionMap& map);

  RoutingSnapshot s_;
  std::string last_seq_;
  // Set when pool.node_failed re-planned a migration we were in: the pool hash then gives
  // the new maps, and we never step back from commit to prepare (movers may be running).
  bool keep_commit_ = false;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_PHASE_MACHINE_H_
