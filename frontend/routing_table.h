// RoutingTable: where each key's operations go, and in what order, under one routing
// snapshot (pool, epoch, phase, map, previous map). This is the protocol of DESIGN.md
// ("Resizing without losing keys") as data: for a key whose region moves from A to B,
//   prepare: read A;            write: set A, delete B;   delete: delete A, delete B
//   commit:  read B, miss -> A; write: delete A, set B;   delete: delete A, tombstone B
//            (a tombstone read at B is a miss and A is not asked)
//   stable:  the owner alone.
// The real client and the exhaustive interleaving test both execute these plans.
//
// Immutable; thread-safe to share.
#ifndef MCSCALE_FRONTEND_ROUTING_TABLE_H_
#define MCSCALE_FRONTEND_ROUTING_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/frontend_lease.h"
#include "common/move_planner.h"  // kTombstoneFlag
#include "common/pool_state.h"
#include "common/region_map.h"

namespace mcscale {

enum class StepKind { kSet, kAdd, kDelete, kTombstone };

struct Step {
  StepKind kind;
  NodeId node;
  bool operator==(const Step& o) const { return kind == o.kind && node == o.node; }
};

struct ReadPlan {
  NodeId first;
  std::optional<NodeId> fallback;  // asked on a miss at `first` (commit phase only)
};

struct RoutingSnapshot {
  std::string pool_id;
  int64_t epoch = 0;
  RoutePhase phase = RoutePhase::kStable;
  RegionMap map;                      // the epoch's owners
  std::optional<RegionMap> previous;  // the owners before, while migrating
  NodeAddresses nodes;                // every node a plan may name
};

class RoutingTable {
 public:
  explicit RoutingTable(RoutingSnapshot snapshot);
  // Reverses commit's order (old owner touched last): wrong on purpose, so the
  // interleaving test can show it has teeth. Never used outside tests.
  static RoutingTable WithReversedCommitForTest(RoutingSnapshot snapshot);

  const RoutingSnapshot& snapshot() const { return s_; }
  bool empty() const { return s_.map.empty(); }
  // REQUIRES: !empty().
  ReadPlan Read(std::string_view key) const;
  std::vector<Step> Write(std::string_view key) const;   // set
  std::vector<Step> Add(std::string_view key) const;     // add
  std::vector<Step> Delete(std::string_view key) const;
  // The owner by the epoch's map.
  const NodeId& Owner(std::string_view key) const { return s_.map.OwnerOfKey(key); }

 private:
  // The old owner when the key's region moves in this phase; nullopt otherwise.
  std::optional<NodeId> Moving(std::string_view key, NodeId* new_owner) const;

  RoutingSnapshot s_;
  bool reversed_commit_ = false;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_ROUTING_TABLE_H_
