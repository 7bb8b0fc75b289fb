#include "coordinator/agent_supervisor.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

constexpr int64_t kStart = 1'000'000;

TEST(AgentSupervisor, RegistrationTtlIsThreeIntervalsAtLeastThreeSecondsInWholeSeconds) {
  EXPECT_EQ(AgentSupervisor::RegistrationTtlMs(200), 3000);
  EXPECT_EQ(AgentSupervisor::RegistrationTtlMs(5000), 15000);
  EXPECT_EQ(AgentSupervisor::RegistrationTtlMs(1100), 4000);  // 3.3 s rounds up
}

TEST(AgentSupervisor, MissingAgentOfAnAnsweringNodeIsRestartedOncePerInterval) {
  AgentSupervisor s(200);
  s.RedisAnswered(kStart);
  int64_t t = kStart + s.GraceMs("node-1");
  EXPECT_FALSE(s.ShouldRestart("node-1", /*registered=*/true, /*node_answers=*/true, t));
  EXPECT_FALSE(s.ShouldRestart("node-1", false, /*node_answers=*/false, t)) << "a dead node is not an agent matter";
  EXPECT_TRUE(s.ShouldRestart("node-1", false, true, t));
  EXPECT_FALSE(s.ShouldRestart("node-1", false, true, t + AgentSupervisor::kRestartIntervalMs - 1));
  EXPECT_TRUE(s.ShouldRestart("node-1", false, true, t + AgentSupervisor::kRestartIntervalMs));
  EXPECT_TRUE(s.ShouldRestart("node-2", false, true, t)) << "each node on its own";
}

TEST(AgentSupervisor, NoAgentIsJudgedMissingForOneRegistrationPeriodAfterRedisCameBack) {
  AgentSupervisor s(200);
  s.RedisAnswered(kStart);
  s.Registered("node-1", 200);
  int64_t outage_end = kStart + 60'000;
  s.RedisFailed();
  // While Redis is away nothing can be judged.
  EXPECT_FALSE(s.ShouldRestart("node-1", false, true, outage_end - 1));
  s.RedisAnswered(outage_end);
  s.RedisAnswered(outage_end + 1000);  // answering again does not restart the grace
  // The registration expired during the outage; the agent re-registers after its back-off.
  EXPECT_EQ(s.GraceMs("node-1"), 3000 + AgentSupervisor::kAgentMaxBackoffMs);
  EXPECT_FALSE(s.ShouldRestart("node-1", false, true, outage_end + s.GraceMs("node-1") - 1));
  EXPECT_TRUE(s.ShouldRestart("node-1", false, true, outage_end + s.GraceMs("node-1")))
      << "an agent still missing after the grace is gone";
}

TEST(AgentSupervisor, GraceFollowsEachAgentsOwnInterval) {
  AgentSupervisor s(5000);
  EXPECT_EQ(s.GraceMs("node-1"), 15000 + AgentSupervisor::kAgentMaxBackoffMs) << "the default interval";
  s.Registered("node-1", 1000);
  EXPECT_EQ(s.GraceMs("node-1"), 3000 + AgentSupervisor::kAgentMaxBackoffMs);
  s.Registered("node-1", 0);  // unknown: keeps what was known
  EXPECT_EQ(s.GraceMs("node-1"), 3000 + AgentSupervisor::kAgentMaxBackoffMs);
  s.Forget("node-1");
  EXPECT_EQ(s.GraceMs("node-1"), 15000 + AgentSupervisor::kAgentMaxBackoffMs);
}

TEST(AgentSupervisor, CoordinatorStartGivesTheSameGrace) {
  AgentSupervisor s(200);
  EXPECT_FALSE(s.ShouldRestart("node-1", false, true, kStart)) << "Redis not seen yet";
  s.RedisAnswered(kStart);
  EXPECT_FALSE(s.ShouldRestart("node-1", false, true, kStart + 1000));
  EXPECT_TRUE(s.ShouldRestart("node-1", false, true, kStart + s.GraceMs("node-1")));
}

}  // namespace
}  // namespace mcscale
