#include "nodeagent/node_health.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

using Change = NodeHealth::Change;

TEST(NodeHealth, FirstSampleReportsEitherState) {
  NodeHealth up;
  EXPECT_EQ(up.Observe(true, 10), Change::kCameUp);
  EXPECT_TRUE(up.up());
  NodeHealth down;
  EXPECT_EQ(down.Observe(false, 0), Change::kWentDown);
  EXPECT_FALSE(down.up());
}

TEST(NodeHealth, ReportsEachTransitionOnce) {
  NodeHealth h;
  h.Observe(true, 10);
  EXPECT_EQ(h.Observe(true, 15), Change::kNone);
  EXPECT_EQ(h.Observe(false, 0), Change::kWentDown);
  EXPECT_EQ(h.Observe(false, 0), Change::kNone);
  EXPECT_EQ(h.Observe(true, 2), Change::kCameUp);
  EXPECT_EQ(h.Observe(true, 2), Change::kNone);
}

TEST(NodeHealth, UptimeGoingDownIsARestart) {
  NodeHealth h;
  h.Observe(true, 100);
  EXPECT_EQ(h.Observe(true, 3), Change::kRestarted);
  EXPECT_EQ(h.Observe(true, 4), Change::kNone);
}

}  // namespace
}  // namespace mcscale
