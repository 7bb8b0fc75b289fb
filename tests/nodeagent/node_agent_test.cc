#include "nodeagent/node_agent.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

TEST(NodeAgent, NextDueStaysOnTheIntervalGrid) {
  FakeClock clock;
  int64_t start = clock.MonoMs();
  int64_t due = start;
  // A tick that took 30 ms: the next one is one interval after the last slot, not after now.
  clock.Advance(30);
  due = NodeAgent::NextDue(due, 200, clock.MonoMs());
  EXPECT_EQ(due, start + 200);
  clock.Advance(170);  // exactly on the slot
  due = NodeAgent::NextDue(due, 200, clock.MonoMs());
  EXPECT_EQ(due, start + 400);
}

TEST(NodeAgent, NextDueSkipsSlotsTheLoopOverran) {
  FakeClock clock;
  int64_t start = clock.MonoMs();
  clock.Advance(1050);  // a node timeout of a second at a 200 ms interval
  EXPECT_EQ(NodeAgent::NextDue(start, 200, clock.MonoMs()), start + 1200);
}

TEST(NodeAgent, NextDueInTheFutureIsKept) {
  FakeClock clock;
  int64_t due = clock.MonoMs() + 150;
  EXPECT_EQ(NodeAgent::NextDue(due, 200, clock.MonoMs()), due);
}

}  // namespace
}  // namespace mcscale
