#include "frontend/routing_table.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

// A key whose region moves from "a" to "b" between the two maps, and one that stays.
struct Fixture {
  RegionMap before = *RegionMap::Initial(16, {"a"});
  RegionMap after = *RegionMap::Rebalance(before, {"a", "b"});
  std::string moving, staying;
  Fixture() {
    for (int i = 0; moving.empty() || staying.empty(); ++i) {
      std::string k = "k" + std::to_string(i);
      (after.OwnerOfKey(k) == "b" ? moving : staying) = k;
    }
  }
  RoutingTable Table(RoutePhase phase) const {
    RoutingSnapshot s;
    s.epoch = 2;
    s.phase = phase;
    s.map = after;
    if (phase != RoutePhase::kStable) s.previous = before;
    s.nodes = {{"a", "a:1"}, {"b", "b:1"}};
    return RoutingTable(s);
  }
};

TEST(RoutingTable, PrepareReadsOldOwnerWritesOldThenInvalidatesNew) {
  Fixture f;
  RoutingTable t = f.Table(RoutePhase::kPrepare);
  EXPECT_EQ(t.Read(f.moving).first, "a");
  EXPECT_FALSE(t.Read(f.moving).fallback);
  EXPECT_EQ(t.Write(f.moving), (std::vector<Step>{{StepKind::kSet, "a"}, {StepKind::kDelete, "b"}}));
  EXPECT_EQ(t.Delete(f.moving), (std::vector<Step>{{StepKind::kDelete, "a"}, {StepKind::kDelete, "b"}}));
}

TEST(RoutingTable, CommitReadsNewThenOldAndTouchesOldOwnerFirst) {
  Fixture f;
  RoutingTable t = f.Table(RoutePhase::kCommit);
  EXPECT_EQ(t.Read(f.moving).first, "b");
  EXPECT_EQ(t.Read(f.moving).fallback, std::optional<NodeId>("a"));
  EXPECT_EQ(t.Write(f.moving), (std::vector<Step>{{StepKind::kDelete, "a"}, {StepKind::kSet, "b"}}));
  EXPECT_EQ(t.Delete(f.moving), (std::vector<Step>{{StepKind::kDelete, "a"}, {StepKind::kTombstone, "b"}}));
}

TEST(RoutingTable, StableAndNonMovingKeysUseTheOwnerAlone) {
  Fixture f;
  for (RoutePhase p : {RoutePhase::kPrepare, RoutePhase::kCommit, RoutePhase::kStable}) {
    RoutingTable t = f.Table(p);
    EXPECT_EQ(t.Read(f.staying).first, "a");
    EXPECT_FALSE(t.Read(f.staying).fallback);
    EXPECT_EQ(t.Write(f.staying), (std::vector<Step>{{StepKind::kSet, "a"}}));
    EXPECT_EQ(t.Delete(f.staying), (std::vector<Step>{{StepKind::kDelete, "a"}}));
  }
  RoutingTable stable = f.Table(RoutePhase::kStable);
  EXPECT_EQ(stable.Read(f.moving).first, "b");
  EXPECT_EQ(stable.Write(f.moving), (std::vector<Step>{{StepKind::kSet, "b"}}));
}

TEST(RoutingTable, ReversedCommitIsOnlyForTheTeethTest) {
  Fixture f;
  RoutingSnapshot s = f.Table(RoutePhase::kCommit).snapshot();
  RoutingTable wrong = RoutingTable::WithReversedCommitForTest(s);
  EXPECT_EQ(wrong.Write(f.moving), (std::vector<Step>{{StepKind::kSet, "b"}, {StepKind::kDelete, "a"}}));
}

}  // namespace
}  // namespace mcscale
