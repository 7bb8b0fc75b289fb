#include "frontend/lease_keeper.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace mcscale {
namespace {

TEST(LeaseKeeper, NoCacheBeforeTheFirstRenewal) {
  FakeClock clock;
  LeaseKeeper lease(3000, 1000);
  EXPECT_FALSE(lease.Valid(clock.MonoMs()));
  EXPECT_FALSE(lease.Lapsed(clock.MonoMs()));
}

TEST(LeaseKeeper, GoodUntilTtlMinusMarginAfterTheWriteWasSent) {
  FakeClock clock;
  LeaseKeeper lease(3000, 1000);
  int64_t sent = clock.MonoMs();
  clock.Advance(5);  // the renewal's round trip
  lease.Renewed(sent);
  EXPECT_TRUE(lease.Valid(clock.MonoMs()));
  clock.Advance(1994);
  EXPECT_TRUE(lease.Valid(clock.MonoMs()));
  clock.Advance(1);
  EXPECT_FALSE(lease.Valid(clock.MonoMs())) << "deadline counts from when the write was sent";
}

TEST(LeaseKeeper, ExpiresMidWayWhenRenewalsStopAndComesBackOnlyWhenRenewed) {
  FakeClock clock;
  LeaseKeeper lease(3000, 1000);
  // Renewed every second for a while: always valid.
  for (int i = 0; i < 5; ++i) {
    lease.Renewed(clock.MonoMs());
    clock.Advance(1000);
    EXPECT_TRUE(lease.Valid(clock.MonoMs()));
  }
  // The process is paused (or Redis is gone): no renewal.
  clock.Advance(1500);
  EXPECT_FALSE(lease.Valid(clock.MonoMs()));
  EXPECT_TRUE(lease.Lapsed(clock.MonoMs()));
  // Time passing alone never brings it back.
  clock.Advance(60000);
  EXPECT_FALSE(lease.Valid(clock.MonoMs()));
  lease.Renewed(clock.MonoMs());
  EXPECT_TRUE(lease.Valid(clock.MonoMs()));
  EXPECT_FALSE(lease.Lapsed(clock.MonoMs()));
}

TEST(LeaseKeeper, ARenewalSentBeforeAPauseDoesNotStretchTheLease) {
  FakeClock clock;
  LeaseKeeper lease(3000, 1000);
  int64_t sent = clock.MonoMs();
  clock.Advance(2500);  // the reply arrives late (paused in between)
  lease.Renewed(sent);
  EXPECT_FALSE(lease.Valid(clock.MonoMs()));
}

}  // namespace
}  // namespace mcscale
