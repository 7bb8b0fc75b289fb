#include "nodeagent/agent_registration.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

TEST(AgentRegistration, TtlIsThreeIntervalsAtLeastThreeSeconds) {
  EXPECT_EQ(AgentRegistration::TtlSeconds(100), 3);
  EXPECT_EQ(AgentRegistration::TtlSeconds(200), 3);
  EXPECT_EQ(AgentRegistration::TtlSeconds(1000), 3);
  EXPECT_EQ(AgentRegistration::TtlSeconds(1500), 5);  // 4.5 s rounds up
  EXPECT_EQ(AgentRegistration::TtlSeconds(5000), 15);
}

TEST(AgentRegistration, FieldsDescribeTheAgentAsOfNow) {
  FakeClock clock;
  RedisClient redis(RedisAddress{});  // not connected: Fields() makes no call
  AgentIdentity id{"n1", "127.0.0.1:11211", 4242, "0.1.0", clock.NowMs(), 5000};
  AgentRegistration reg(id, &redis, RedisKeys("pfx"), &clock);
  EXPECT_EQ(reg.key(), "pfx:agent:n1");
  clock.Advance(7000);
  auto f = reg.Fields(false, "node is stock memcached: policy 'random' not applied");
  EXPECT_EQ(f.at("address"), "127.0.0.1:11211");
  EXPECT_EQ(f.at("pid"), "4242");
  EXPECT_EQ(f.at("version"), "0.1.0");
  EXPECT_EQ(f.at("started"), std::to_string(clock.NowMs() - 7000));
  EXPECT_EQ(f.at("last_seen"), std::to_string(clock.NowMs()));
  EXPECT_EQ(f.at("supports_policy"), "0");
  EXPECT_EQ(f.at("policy_note"), "node is stock memcached: policy 'random' not applied");
  EXPECT_EQ(f.at("interval_ms"), "5000");
  EXPECT_EQ(reg.Fields(true, "").at("supports_policy"), "1");
  EXPECT_EQ(f.size(), 8u);
}

}  // namespace
}  // namespace mcscale
