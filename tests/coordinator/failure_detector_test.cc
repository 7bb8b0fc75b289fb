#include "coordinator/failure_detector.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace mcscale {
namespace {

NodeObservation Sample(int64_t ts, bool up) {
  NodeObservation o;
  o.agent_registered = true;
  o.sample_ts = ts;
  o.sample_up = up;
  return o;
}

TEST(FailureDetector, NodeReportedDownForTheTimeoutFails) {
  FakeClock clock;
  FailureDetector d(15000);
  for (int i = 0; i < 15; ++i) {
    EXPECT_FALSE(d.Observe("n", Sample(clock.NowMs(), false), clock.NowMs())) << i;
    clock.Advance(1000);
  }
  EXPECT_TRUE(d.Observe("n", Sample(clock.NowMs(), false), clock.NowMs()));
}

TEST(FailureDetector, BriefTimeoutKeepsTheNode) {
  FakeClock clock;
  FailureDetector d(15000);
  for (int i = 0; i < 10; ++i) {
    d.Observe("n", Sample(clock.NowMs(), false), clock.NowMs());
    clock.Advance(1000);
  }
  EXPECT_FALSE(d.Observe("n", Sample(clock.NowMs(), true), clock.NowMs()));
  EXPECT_FALSE(d.UnreachableSince("n").has_value());
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(d.Observe("n", Sample(clock.NowMs(), false), clock.NowMs()));
    clock.Advance(1000);
  }
}

TEST(FailureDetector, DeadAgentWithALiveNodeIsNotAFailure) {
  FakeClock clock;
  FailureDetector d(15000);
  NodeObservation o;  // agent gone, old samples
  o.sample_ts = clock.NowMs() - 60000;
  o.sample_up = true;
  EXPECT_TRUE(d.NeedsProbe(o, clock.NowMs()));
  o.probe_ok = true;
  for (int i = 0; i < 30; ++i) {
    EXPECT_FALSE(d.Observe("n", o, clock.NowMs()));
    clock.Advance(1000);
  }
}

TEST(FailureDetector, DeadAgentAndFailedProbeFailsAfterTheTimeout) {
  FakeClock clock;
  FailureDetector d(15000);
  NodeObservation o;
  o.probe_ok = false;
  EXPECT_FALSE(d.Observe("n", o, clock.NowMs()));
  clock.Advance(14999);
  EXPECT_FALSE(d.Observe("n", o, clock.NowMs()));
  clock.Advance(1);
  EXPECT_TRUE(d.Observe("n", o, clock.NowMs()));
}

TEST(FailureDetector, StaleSamplesAreNoEvidence) {
  FakeClock clock;
  FailureDetector d(3000);
  NodeObservation old = Sample(clock.NowMs() - 10000, false);
  EXPECT_TRUE(d.NeedsProbe(old, clock.NowMs()));
  EXPECT_FALSE(d.Observe("n", old, clock.NowMs()));
  EXPECT_FALSE(d.UnreachableSince("n").has_value());
  EXPECT_FALSE(d.NeedsProbe(Sample(clock.NowMs(), true), clock.NowMs()));
}

}  // namespace
}  // namespace mcscale
