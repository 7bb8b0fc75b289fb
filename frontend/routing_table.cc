#include "frontend/routing_table.h"

namespace mcscale {

RoutingTable::RoutingTable(RoutingSnapshot snapshot) : s_(std::move(snapshot)) {}

RoutingTable RoutingTable::WithReversedCommitForTest(RoutingSnapshot snapshot) {
  RoutingTable t(std::move(snapshot));
  t.reversed_commit_ = true;
  return t;
}

std::optional<NodeId> RoutingTable::Moving(std::string_view key, NodeId* new_owner) const {
  int region = RegionMap::RegionOf(key, s_.map.region_count());
  *new_owner = s_.map.owner(region);
  if (s_.phase == RoutePhase::kStable || !s_.previous || s_.previous->region_count() != s_.map.region_count())
    return std::nullopt;
  const NodeId& old_owner = s_.previous->owner(region);
  if (old_owner == *new_owner) return std::nullopt;
  return old_owner;
}

ReadPlan RoutingTable::Read(std::string_view key) const {
  NodeId b;
  std::optional<NodeId> a = Moving(key, &b);
  if (!a) return {b, std::nullopt};
  if (s_.phase == RoutePhase::kPrepare) return {*a, std::nullopt};
  return {b, *a};
}

std::vector<Step> RoutingTable::Write(std::string_view key) const {
  NodeId b;
  std::optional<NodeId> a = Moving(key, &b);
  if (!a) return {{StepKind::kSet, b}};
  if (s_.phase == RoutePhase::kPrepare) return {{StepKind::kSet, *a}, {StepKind::kDelete, b}};
  if (reversed_commit_) return {{StepKind::kSet, b}, {StepKind::kDelete, *a}};
  return {{StepKind::kDelete, *a}, {StepKind::kSet, b}};
}

std::vector<Step> RoutingTable::Add(std::string_view key) const {
  NodeId b;
  std::optional<NodeId> a = Moving(key, &b);
  if (!a) return {{StepKind::kAdd, b}};
  // Prepare: A owns the key. Commit: B owns it; A's copy (if any) is older than anything B
  // will hold, and the add must not succeed over it, so the client asks A first (see
  // PoolClient::Add) and then adds on B.
  if (s_.phase == RoutePhase::kPrepare) return {{StepKind::kAdd, *a}, {StepKind::kDelete, b}};
  return {{StepKind::kAdd, b}};
}

std::vector<Step> RoutingTable::Delete(std::string_view key) const {
  NodeId b;
  std::optional<NodeId> a = Moving(key, &b);
  if (!a) return {{StepKind::kDelete, b}};
  if (s_.phase == RoutePhase::kPrepare) return {{StepKind::kDelete, *a}, {StepKind::kDelete, b}};
  if (reversed_commit_) return {{StepKind::kTombstone, b}, {StepKind::kDelete, *a}};
  return {{StepKind::kDelete, *a}, {StepKind::kTombstone, b}};
}

}  // namespace mcscale
