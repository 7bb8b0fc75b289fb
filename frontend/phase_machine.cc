#include "frontend/phase_machine.h"

namespace mcscale {

NodeAddresses PhaseMachine::Union(const NodeAddresses& a, const NodeAddresses& b) {
  NodeAddresses out = a;
  for (const auto& [id, addr] : b) out[id] = addr;
  return out;
}

NodeAddresses PhaseMachine::OnlyMapped(const NodeAddresses& nodes, const RegionMap& map) {
  NodeAddresses out;
  for (const auto& id : map.Nodes()) {
    auto it = nodes.find(id);
    if (it != nodes.end()) out[id] = it->second;
  }
  return out;
}

PhaseMachine::Change PhaseMachine::Apply(const PoolEvent& ev, std::string* warning) {
  if (!ev.seq.empty() && !last_seq_.empty() && CompareSeq(ev.seq, last_seq_) <= 0) return Change::kNone;
  if (!ev.seq.empty()) last_seq_ = ev.seq;
  if (!s_.pool_id.empty() && ev.pool_id != s_.pool_id) return Change::kNeedsPool;

  switch (ev.type) {
    case EventType::kPoolResized:
    case EventType::kNodeFailed: {
      if (known() && ev.epoch <= s_.epoch) return Change::kNone;
      if (known() && ev.epoch > s_.epoch + 1) return Change::kNeedsPool;
      if (ev.type == EventType::kNodeFailed && s_.phase != RoutePhase::kStable) {
        // A failure during a migration: the new epoch may still be migrating, with a
        // previous map the event does not carry. Read it from the pool hash.
        keep_commit_ = s_.phase == RoutePhase::kCommit;
        return Change::kNeedsPool;
      }
      std::vector<NodeId> ids;
      for (const auto& [id, _] : ev.new_nodes) ids.push_back(id);
      if (!ev.old_regions.empty()) {
        auto expected = RegionMap::Rebalance(ev.old_regions, ids);
        if (warning && (!expected.ok() || *expected != ev.new_regions))
          *warning = "epoch " + std::to_string(ev.epoch) +
                     ": the event's region map is not Rebalance(old map, new nodes); following the event's map";
      }
      bool moves = ev.type == EventType::kPoolResized && !ev.old_regions.empty() &&
                   ev.old_regions.region_count() == ev.new_regions.region_count() &&
                   !RegionMap::Moves(ev.old_regions, ev.new_regions).empty();
      s_.pool_id = ev.pool_id;
      s_.epoch = ev.epoch;
      s_.map = ev.new_regions;
      if (moves) {
        s_.phase = RoutePhase::kPrepare;
        s_.previous = ev.old_regions;
        s_.nodes = Union(ev.old_nodes, ev.new_nodes);
      } else {
        // Nothing to copy (a failed node's regions, a new address): straight to stable.
        s_.phase = RoutePhase::kStable;
        s_.previous.reset();
        s_.nodes = ev.new_nodes;
      }
      return Change::kRouting;
    }
    case EventType::kMigrationCommit:
      if (ev.epoch == s_.epoch && s_.phase == RoutePhase::kPrepare) {
        s_.phase = RoutePhase::kCommit;
        return Change::kRouting;
      }
      if (ev.epoch > s_.epoch) return Change::kNeedsPool;
      return Change::kNone;
    case EventType::kMigrationDone:
      if (ev.epoch == s_.epoch && s_.phase != RoutePhase::kStable) {
        s_.phase = RoutePhase::kStable;
        s_.previous.reset();
        s_.nodes = OnlyMapped(s_.nodes, s_.map);
        return Change::kRouting;
      }
      if (ev.epoch > s_.epoch) return Change::kNeedsPool;
      return Change::kNone;
    default:
      return Change::kNone;
  }
}

PhaseMachine::Change PhaseMachine::Adopt(const PoolState& pool, bool commit_seen) {
  if (pool.regions.empty()) return Change::kNone;
  // Stay in commit only for the epoch the failure made (a different change happened since
  // otherwise).
  bool keep_commit = keep_commit_ && pool.epoch == s_.epoch + 1;
  keep_commit_ = false;
  bool other_pool = pool.pool_id != s_.pool_id;
  if (other_pool || pool.epoch > s_.epoch || !known()) {
    s_.pool_id = pool.pool_id;
    s_.epoch = pool.epoch;
    s_.map = pool.regions;
    s_.nodes = pool.nodes;
    if (pool.state == PoolPhase::kMigrating && pool.previous_regions) {
      s_.phase = commit_seen ? RoutePhase::kCommit : RoutePhase::kPrepare;
      if (keep_commit) s_.phase = RoutePhase::kCommit;
      s_.previous = pool.previous_regions;
    } else {
      s_.phase = RoutePhase::kStable;
      s_.previous.reset();
      s_.nodes = OnlyMapped(pool.nodes, pool.regions);
    }
    return Change::kRouting;
  }
  if (pool.epoch == s_.epoch && pool.state == PoolPhase::kStable && s_.phase != RoutePhase::kStable) {
    s_.phase = RoutePhase::kStable;
    s_.previous.reset();
    s_.nodes = OnlyMapped(s_.nodes, s_.map);
    return Change::kRouting;
  }
  if (pool.epoch == s_.epoch && commit_seen && s_.phase == RoutePhase::kPrepare) {
    s_.phase = RoutePhase::kCommit;
    return Change::kRouting;
  }
  return Change::kNone;
}

}  // namespace mcscale
