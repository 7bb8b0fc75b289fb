#include "nodeagent/redis_outage.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

using Change = RedisOutage::Change;

TEST(RedisOutage, TriesEveryWriteWhileUp) {
  FakeClock clock;
  RedisOutage outage(&clock);
  EXPECT_TRUE(outage.ShouldTry());
  EXPECT_EQ(outage.Succeeded(), Change::kNone);
  EXPECT_TRUE(outage.ShouldTry());
  EXPECT_FALSE(outage.down());
}

TEST(RedisOutage, BacksOffDoublingUpToTheCap) {
  FakeClock clock;
  RedisOutage outage(&clock, 250, 1000);
  EXPECT_EQ(outage.Failed(), Change::kWentDown);
  EXPECT_TRUE(outage.down());
  EXPECT_FALSE(outage.ShouldTry());
  clock.Advance(249);
  EXPECT_FALSE(outage.ShouldTry());
  clock.Advance(1);
  EXPECT_TRUE(outage.ShouldTry());

  EXPECT_EQ(outage.Failed(), Change::kNone);  // still the same outage: 500 ms now
  clock.Advance(499);
  EXPECT_FALSE(outage.ShouldTry());
  clock.Advance(1);
  EXPECT_TRUE(outage.ShouldTry());

  outage.Failed();  // 1000
  clock.Advance(1000);
  EXPECT_TRUE(outage.ShouldTry());
  outage.Failed();  // capped at 1000
  clock.Advance(999);
  EXPECT_FALSE(outage.ShouldTry());
  clock.Advance(1);
  EXPECT_TRUE(outage.ShouldTry());
}

TEST(RedisOutage, CountsDropsAndDurationOfOneOutage) {
  FakeClock clock;
  RedisOutage outage(&clock, 100, 400);
  outage.Dropped();
  EXPECT_EQ(outage.Failed(), Change::kWentDown);
  EXPECT_EQ(outage.dropped(), 0);  // drops before the outage began are not its own
  outage.Dropped();
  clock.Advance(50);
  outage.Dropped();
  clock.Advance(1950);
  EXPECT_EQ(outage.Succeeded(), Change::kCameBack);
  EXPECT_FALSE(outage.down());
  EXPECT_EQ(outage.dropped(), 2);
  EXPECT_EQ(outage.outage_ms(), 2000);
  clock.Advance(5000);
  EXPECT_EQ(outage.outage_ms(), 2000);  // the ended outage keeps its length

  EXPECT_EQ(outage.Failed(), Change::kWentDown);  // a new outage starts afresh
  EXPECT_EQ(outage.dropped(), 0);
  clock.Advance(100);  // back-off restarted at the first step
  EXPECT_TRUE(outage.ShouldTry());
}

}  // namespace
}  // namespace mcscale
