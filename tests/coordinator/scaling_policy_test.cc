#include "coordinator/scaling_policy.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace mcscale {
namespace {

// Drives the policy the way the coordinator does: one evaluation per interval on a fake
// clock, applying each resize at once (the migration is over by the next evaluation).
class PolicyDriver {
 public:
  explicit PolicyDriver(PoolConfig config, int nodes) : config_(config), nodes_(nodes) {}

  Decision Evaluate(uint64_t gets, uint64_t misses) {
    clock_.Advance(config_.interval_s * 1000);
    PolicyInput in;
    in.config = config_;
    in.window.gets = gets;
    in.window.misses = misses;
    in.nodes = nodes_;
    in.migrating = migrating_;
    in.stable_since_ms = stable_since_ms_;
    in.now_ms = clock_.NowMs();
    Decision d = ScalingPolicy::Decide(in, &memory_);
    if (d.resize) {
      nodes_ = d.to;
      // The resize ends one second later; the cooldown counts from then.
      stable_since_ms_ = clock_.NowMs() + 1000;
      // Skip the cooldown interval so the next evaluation may decide again.
      clock_.Advance(config_.interval_s * 1000 + 1000);
    }
    return d;
  }
  int nodes() const { return nodes_; }
  void set_migrating(bool m) { migrating_ = m; }
  FakeClock& clock() { return clock_; }
  PolicyMemory& memory() { return memory_; }

 private:
  PoolConfig config_;
  int nodes_;
  bool migrating_ = false;
  int64_t stable_since_ms_ = 0;
  FakeClock clock_;
  PolicyMemory memory_;
};

PoolConfig Defaults() {
  PoolConfig c;
  c.scale_down_stabilization_s = 0;
  return c;
}

TEST(ScalingPolicy, GrowsOneTwoFourEightAndNoFurther) {
  PolicyDriver p(Defaults(), 1);
  std::vector<int> sizes;
  for (int i = 0; i < 5; ++i) {
    Decision d = p.Evaluate(1000, 900);
    sizes.push_back(p.nodes());
    if (i < 3) {
      EXPECT_TRUE(d.resize) << d.reason;
    } else {
      EXPECT_FALSE(d.resize) << d.reason;
      EXPECT_NE(d.reason.find("max_nodes"), std::string::npos) << d.reason;
    }
  }
  EXPECT_EQ(sizes, (std::vector<int>{2, 4, 8, 8, 8}));
}

TEST(ScalingPolicy, ShrinksEightFourTwoOneAndNoFurther) {
  PolicyDriver p(Defaults(), 8);
  std::vector<int> sizes;
  for (int i = 0; i < 5; ++i) {
    p.Evaluate(1000, 10);
    sizes.push_back(p.nodes());
  }
  EXPECT_EQ(sizes, (std::vector<int>{4, 2, 1, 1, 1}));
}

TEST(ScalingPolicy, ReasonNamesRateThresholdWindowAndSizes) {
  PolicyDriver p(Defaults(), 2);
  Decision d = p.Evaluate(100, 62);
  ASSERT_TRUE(d.resize);
  EXPECT_EQ(d.reason, "miss rate 0.62 > max 0.50 over the last 60 s: 2 -> 4 nodes");
}

TEST(ScalingPolicy, RatiosOnePointFiveAndPointSevenFiveRoundAsSpecified) {
  PoolConfig c = Defaults();
  c.expand_ratio = 1.5;
  c.shrink_ratio = 0.75;
  PolicyDriver grow(c, 1);
  std::vector<int> up;
  for (int i = 0; i < 6; ++i) {
    grow.Evaluate(1000, 900);
    up.push_back(grow.nodes());
  }
  // ceil(1*1.5)=2, ceil(2*1.5)=3, ceil(3*1.5)=5, ceil(5*1.5)=8, then max_nodes.
  EXPECT_EQ(up, (std::vector<int>{2, 3, 5, 8, 8, 8}));
  PolicyDriver shrink(c, 8);
  std::vector<int> down;
  for (int i = 0; i < 8; ++i) {
    shrink.Evaluate(1000, 1);
    down.push_back(shrink.nodes());
  }
  // floor(8*.75)=6, floor(6*.75)=4, floor(4*.75)=3, floor(3*.75)=2, floor(2*.75)=1, min 1.
  EXPECT_EQ(down, (std::vector<int>{6, 4, 3, 2, 1, 1, 1, 1}));
  EXPECT_EQ(ScalingPolicy::Grown(4, 1.5), 6);
  EXPECT_EQ(ScalingPolicy::Shrunk(4, 0.75), 3);
}

TEST(ScalingPolicy, ClampsToMinAndMaxNodesAndRegions) {
  PoolConfig c = Defaults();
  c.min_nodes = 2;
  c.max_nodes = 5;
  PolicyDriver p(c, 4);
  p.Evaluate(1000, 900);
  EXPECT_EQ(p.nodes(), 5);
  PolicyDriver q(c, 3);
  q.Evaluate(1000, 0);
  EXPECT_EQ(q.nodes(), 2);
  c.max_nodes = 64;
  c.regions = 16;
  EXPECT_EQ(ScalingPolicy::Ceiling(c), 16);
}

TEST(ScalingPolicy, ManualModeIgnoresThresholds) {
  PoolConfig c = Defaults();
  c.mode = PoolConfig::Mode::kManual;
  PolicyDriver p(c, 2);
  Decision d = p.Evaluate(1000, 1000);
  EXPECT_FALSE(d.resize);
  EXPECT_NE(d.reason.find("manual"), std::string::npos);
  d = p.Evaluate(1000, 0);
  EXPECT_FALSE(d.resize);
  EXPECT_EQ(p.nodes(), 2);
}

TEST(ScalingPolicy, NoDecisionWhileMigrating) {
  PolicyDriver p(Defaults(), 2);
  p.set_migrating(true);
  Decision d = p.Evaluate(1000, 1000);
  EXPECT_FALSE(d.resize);
  EXPECT_NE(d.reason.find("migration"), std::string::npos);
}

TEST(ScalingPolicy, NoDecisionWithinOneIntervalAfterAChange) {
  PoolConfig c = Defaults();
  PolicyInput in;
  in.config = c;
  in.window = {1000, 900, 10};
  in.nodes = 2;
  in.now_ms = 1'000'000;
  in.stable_since_ms = in.now_ms - c.interval_s * 1000 + 1;
  PolicyMemory m;
  Decision d = ScalingPolicy::Decide(in, &m);
  EXPECT_FALSE(d.resize);
  EXPECT_NE(d.reason.find("cooling down"), std::string::npos);
  in.stable_since_ms = in.now_ms - c.interval_s * 1000;
  EXPECT_TRUE(ScalingPolicy::Decide(in, &m).resize);
}

TEST(ScalingPolicy, NoDecisionBelowMinRequests) {
  PolicyDriver p(Defaults(), 2);
  Decision d = p.Evaluate(99, 99);
  EXPECT_FALSE(d.resize);
  EXPECT_NE(d.reason.find("min_requests"), std::string::npos);
  d = p.Evaluate(100, 99);
  EXPECT_TRUE(d.resize);
}

TEST(ScalingPolicy, ShrinkOnlyAfterStabilizationHeld) {
  PoolConfig c = Defaults();
  c.interval_s = 10;
  c.scale_down_stabilization_s = 25;
  PolicyDriver p(c, 4);
  EXPECT_FALSE(p.Evaluate(1000, 0).resize);   // low seen at t=10
  EXPECT_FALSE(p.Evaluate(1000, 0).resize);   // held 10 s
  EXPECT_FALSE(p.Evaluate(1000, 0).resize);   // held 20 s
  Decision d = p.Evaluate(1000, 0);           // held 30 s >= 25
  EXPECT_TRUE(d.resize) << d.reason;
  EXPECT_EQ(p.nodes(), 2);
}

TEST(ScalingPolicy, StabilizationRestartsWhenMissRateRises) {
  PoolConfig c = Defaults();
  c.interval_s = 10;
  c.scale_down_stabilization_s = 15;
  PolicyDriver p(c, 4);
  EXPECT_FALSE(p.Evaluate(1000, 0).resize);    // low from t=10
  EXPECT_FALSE(p.Evaluate(1000, 300).resize);  // normal: resets
  EXPECT_FALSE(p.Evaluate(1000, 0).resize);    // low again from t=30
  EXPECT_FALSE(p.Evaluate(1000, 0).resize);    // held 10 s < 15
  EXPECT_TRUE(p.Evaluate(1000, 0).resize);     // held 20 s
}

TEST(ScalingPolicy, DefaultStabilizationIsOneInterval) {
  PoolConfig c;  // defaults: interval 60, stabilization 60
  PolicyDriver p(c, 4);
  EXPECT_FALSE(p.Evaluate(1000, 0).resize);
  EXPECT_TRUE(p.Evaluate(1000, 0).resize);
}

}  // namespace
}  // namespace mcscale
