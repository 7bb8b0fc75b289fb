#include "frontend/phase_machine.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

RegionMap Map(std::vector<NodeId> nodes) { return *RegionMap::Initial(16, nodes); }

PoolEvent Resized(const std::string& seq, int64_t epoch, const RegionMap& old_map, const RegionMap& new_map) {
  PoolEvent ev;
  ev.type = EventType::kPoolResized;
  ev.seq = seq;
  ev.pool_id = "p1";
  ev.epoch = epoch;
  ev.old_regions = old_map;
  ev.new_regions = new_map;
  for (const auto& id : old_map.Nodes()) ev.old_nodes[id] = id + ":1";
  for (const auto& id : new_map.Nodes()) ev.new_nodes[id] = id + ":1";
  return ev;
}

PoolEvent Simple(EventType t, const std::string& seq, int64_t epoch, const std::string& pool = "p1") {
  PoolEvent ev;
  ev.type = t;
  ev.seq = seq;
  ev.pool_id = pool;
  ev.epoch = epoch;
  return ev;
}

PoolState Stable(int64_t epoch, const RegionMap& map) {
  PoolState p;
  p.pool_id = "p1";
  p.epoch = epoch;
  p.regions = map;
  for (const auto& id : map.Nodes()) p.nodes[id] = id + ":1";
  return p;
}

class PhaseMachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    one_ = Map({"a"});
    two_ = *RegionMap::Rebalance(one_, {"a", "b"});
    ASSERT_EQ(m_.Adopt(Stable(1, one_), false), PhaseMachine::Change::kRouting);
    m_.set_last_seq("100-0");
  }
  PhaseMachine m_;
  RegionMap one_, two_;
};

TEST_F(PhaseMachineTest, PrepareCommitDone) {
  EXPECT_EQ(m_.Apply(Resized("101-0", 2, one_, two_)), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m_.snapshot().epoch, 2);
  EXPECT_EQ(m_.snapshot().phase, RoutePhase::kPrepare);
  ASSERT_TRUE(m_.snapshot().previous.has_value());
  EXPECT_EQ(*m_.snapshot().previous, one_);
  EXPECT_EQ(m_.snapshot().nodes.size(), 2u);
  EXPECT_EQ(m_.Apply(Simple(EventType::kMigrationCommit, "102-0", 2)), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m_.snapshot().phase, RoutePhase::kCommit);
  EXPECT_EQ(m_.Apply(Simple(EventType::kMigrationDone, "103-0", 2)), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m_.snapshot().phase, RoutePhase::kStable);
  EXPECT_FALSE(m_.snapshot().previous.has_value());
  EXPECT_EQ(m_.snapshot().map, two_);
}

TEST_F(PhaseMachineTest, ShrinkKeepsDrainingNodeAddressUntilDone) {
  m_.Apply(Resized("101-0", 2, one_, two_));
  m_.Apply(Simple(EventType::kMigrationDone, "102-0", 2));
  EXPECT_EQ(m_.Apply(Resized("103-0", 3, two_, one_)), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m_.snapshot().nodes.count("b"), 1u) << "the old owner stays reachable while its regions move";
  m_.Apply(Simple(EventType::kMigrationDone, "104-0", 3));
  EXPECT_EQ(m_.snapshot().nodes.count("b"), 0u);
}

TEST_F(PhaseMachineTest, EventSeenTwiceIsDroppedBySeq) {
  auto ev = Resized("101-0", 2, one_, two_);
  EXPECT_EQ(m_.Apply(ev), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m_.Apply(ev), PhaseMachine::Change::kNone);
  EXPECT_EQ(m_.Apply(Simple(EventType::kMigrationCommit, "102-0", 2)), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m_.Apply(Simple(EventType::kMigrationCommit, "102-0", 2)), PhaseMachine::Change::kNone);
  EXPECT_EQ(m_.Apply(Simple(EventType::kMigrationCommit, "99-0", 2)), PhaseMachine::Change::kNone);
}

TEST_F(PhaseMachineTest, EventsOutOfOrderOrFromOldEpochsDoNotMoveBack) {
  m_.Apply(Resized("101-0", 2, one_, two_));
  m_.Apply(Simple(EventType::kMigrationDone, "102-0", 2));
  // A late commit of the same epoch after done: ignored.
  EXPECT_EQ(m_.Apply(Simple(EventType::kMigrationCommit, "103-0", 2)), PhaseMachine::Change::kNone);
  EXPECT_EQ(m_.snapshot().phase, RoutePhase::kStable);
  // A resize of an older epoch: ignored.
  EXPECT_EQ(m_.Apply(Resized("104-0", 2, one_, two_)), PhaseMachine::Change::kNone);
}

TEST_F(PhaseMachineTest, DoneWithoutCommitEndsTheMigration) {
  m_.Apply(Resized("101-0", 2, one_, two_));
  EXPECT_EQ(m_.Apply(Simple(EventType::kMigrationDone, "102-0", 2)), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m_.snapshot().phase, RoutePhase::kStable);
}

TEST_F(PhaseMachineTest, GapsAndNewPoolsAskForThePoolHash) {
  auto three = *RegionMap::Rebalance(two_, {"a", "b", "c"});
  EXPECT_EQ(m_.Apply(Resized("101-0", 3, two_, three)), PhaseMachine::Change::kNeedsPool);
  EXPECT_EQ(m_.Apply(Simple(EventType::kMigrationCommit, "102-0", 5)), PhaseMachine::Change::kNeedsPool);
  EXPECT_EQ(m_.Apply(Simple(EventType::kCacheCleared, "103-0", 1, "p2")), PhaseMachine::Change::kNeedsPool);
  PoolState other = Stable(1, two_);
  other.pool_id = "p2";
  EXPECT_EQ(m_.Adopt(other, false), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m_.snapshot().pool_id, "p2");
}

TEST_F(PhaseMachineTest, AdoptsAMigratingPoolInPrepareOrCommitAndEndsAMissedDone) {
  PoolState p = Stable(2, two_);
  p.state = PoolPhase::kMigrating;
  p.previous_regions = one_;
  p.nodes["a"] = "a:1";
  PhaseMachine fresh;
  EXPECT_EQ(fresh.Adopt(p, false), PhaseMachine::Change::kRouting);
  EXPECT_EQ(fresh.snapshot().phase, RoutePhase::kPrepare);
  EXPECT_EQ(fresh.Adopt(p, true), PhaseMachine::Change::kRouting);
  EXPECT_EQ(fresh.snapshot().phase, RoutePhase::kCommit);
  // The done event was missed; the hash says stable.
  p.state = PoolPhase::kStable;
  p.previous_regions.reset();
  EXPECT_EQ(fresh.Adopt(p, false), PhaseMachine::Change::kRouting);
  EXPECT_EQ(fresh.snapshot().phase, RoutePhase::kStable);
  EXPECT_EQ(fresh.Adopt(p, false), PhaseMachine::Change::kNone);
}

TEST_F(PhaseMachineTest, MismatchedMapIsReportedAndTheEventWins) {
  auto wrong = *RegionMap::Initial(16, {"a", "b"});
  auto ev = Resized("101-0", 2, one_, wrong);
  std::string warning;
  m_.Apply(ev, &warning);
  ASSERT_NE(wrong, two_);
  EXPECT_NE(warning.find("not Rebalance"), std::string::npos);
  EXPECT_EQ(m_.snapshot().map, wrong);
}

TEST_F(PhaseMachineTest, NodeFailedGoesStraightToTheNewMap) {
  auto ev = Resized("101-0", 2, two_, one_);
  ev.type = EventType::kNodeFailed;
  ev.node = "b";
  PhaseMachine m2;
  m2.Adopt(Stable(1, two_), false);
  EXPECT_EQ(m2.Apply(ev), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m2.snapshot().phase, RoutePhase::kStable);
  EXPECT_EQ(m2.snapshot().map, one_);
}

}  // namespace
}  // namespace mcscale

namespace mcscale {
namespace {

TEST(PhaseMachineFailure, NodeFailedDuringCommitReadsThePoolAndStaysInCommit) {
  auto one = *RegionMap::Initial(16, {"a"});
  auto three = *RegionMap::Rebalance(one, {"a", "b", "c"});
  PhaseMachine m;
  PoolState p;
  p.pool_id = "p1";
  p.epoch = 2;
  p.regions = three;
  p.previous_regions = one;
  p.state = PoolPhase::kMigrating;
  p.nodes = {{"a", "a:1"}, {"b", "b:1"}, {"c", "c:1"}};
  ASSERT_EQ(m.Adopt(p, true), PhaseMachine::Change::kRouting);
  ASSERT_EQ(m.snapshot().phase, RoutePhase::kCommit);
  m.set_last_seq("10-0");
  // c fails while a -> b and a -> c are moving: the re-planned epoch keeps moving a -> b.
  PoolEvent ev;
  ev.type = EventType::kNodeFailed;
  ev.seq = "11-0";
  ev.pool_id = "p1";
  ev.epoch = 3;
  ev.node = "c";
  ev.old_regions = three;
  ev.new_regions = *RegionMap::Rebalance(three, {"a", "b"});
  EXPECT_EQ(m.Apply(ev), PhaseMachine::Change::kNeedsPool);
  PoolState q = p;
  q.epoch = 3;
  q.regions = ev.new_regions;
  q.nodes.erase("c");
  // No commit for epoch 3 in history yet: still never back to prepare.
  EXPECT_EQ(m.Adopt(q, false), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m.snapshot().epoch, 3);
  EXPECT_EQ(m.snapshot().phase, RoutePhase::kCommit);
  EXPECT_EQ(m.snapshot().nodes.count("c"), 0u) << "a failed node is never asked";
}

TEST(PhaseMachineFailure, NodeFailedWhileStableGoesStraightToTheNewMap) {
  auto two = *RegionMap::Initial(16, {"a", "b"});
  PhaseMachine m;
  PoolState p;
  p.pool_id = "p1";
  p.epoch = 1;
  p.regions = two;
  p.nodes = {{"a", "a:1"}, {"b", "b:1"}};
  m.Adopt(p, false);
  PoolEvent ev;
  ev.type = EventType::kNodeFailed;
  ev.seq = "5-0";
  ev.pool_id = "p1";
  ev.epoch = 2;
  ev.node = "b";
  ev.old_regions = two;
  ev.new_regions = *RegionMap::Rebalance(two, {"a"});
  ev.old_nodes = p.nodes;
  ev.new_nodes = {{"a", "a:1"}};
  EXPECT_EQ(m.Apply(ev), PhaseMachine::Change::kRouting);
  EXPECT_EQ(m.snapshot().phase, RoutePhase::kStable);
  EXPECT_EQ(m.snapshot().nodes.count("b"), 0u);
}

}  // namespace
}  // namespace mcscale
