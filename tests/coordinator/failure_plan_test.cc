#include "coordinator/failure_plan.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

TEST(FailurePlan, StablePoolGivesTheFailedNodesRegionsToSurvivorsAndMovesNothing) {
  auto map = *RegionMap::Initial(16, {"a", "b", "c"});
  auto plan = *FailurePlan::Make(map, std::nullopt, {}, "b", {"a", "c"});
  EXPECT_FALSE(plan.previous.has_value());
  for (int r = 0; r < 16; ++r) {
    EXPECT_NE(plan.map.owner(r), "b");
    if (map.owner(r) != "b") {
      EXPECT_EQ(plan.map.owner(r), map.owner(r)) << "only the failed node's regions change";
    }
  }
  auto counts = plan.map.Counts();
  EXPECT_EQ(counts["a"], 8);
  EXPECT_EQ(counts["c"], 8);
}

TEST(FailurePlan, MidMigrationKeepsMovingBetweenLiveNodesAndNeverNamesTheFailedNode) {
  auto before = *RegionMap::Initial(16, {"a", "b"});
  auto during = *RegionMap::Rebalance(before, {"a", "b", "c", "d"});
  std::set<int> done;
  int first_done = -1;
  for (const auto& mv : RegionMap::Moves(before, during))
    if (first_done < 0) done.insert(first_done = mv.region);
  // d (a destination) fails mid-way.
  auto plan = *FailurePlan::Make(during, before, done, "d", {"a", "b", "c"});
  ASSERT_TRUE(plan.previous.has_value());
  for (int r = 0; r < 16; ++r) {
    EXPECT_NE(plan.map.owner(r), "d");
    EXPECT_NE(plan.previous->owner(r), "d");
    bool was_moving = before.owner(r) != during.owner(r) && !done.count(r);
    if (was_moving) {
      EXPECT_EQ(plan.previous->owner(r), before.owner(r)) << "region " << r << " still moves from its old owner";
    } else {
      EXPECT_EQ(plan.previous->owner(r), plan.map.owner(r)) << "region " << r << " does not move";
    }
  }
}

TEST(FailurePlan, SourceFailingMidMigrationStopsItsRegionsMoving) {
  auto before = *RegionMap::Initial(16, {"a", "b"});
  auto during = *RegionMap::Rebalance(before, {"a", "b", "c"});
  auto plan = *FailurePlan::Make(during, before, {}, "a", {"b", "c"});
  for (int r = 0; r < 16; ++r) {
    if (before.owner(r) == "a") {
      EXPECT_EQ(plan.previous ? plan.previous->owner(r) : plan.map.owner(r), plan.map.owner(r))
          << "nothing to copy from a failed node";
    }
    EXPECT_NE(plan.map.owner(r), "a");
  }
}

}  // namespace
}  // namespace mcscale
