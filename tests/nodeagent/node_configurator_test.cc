#include "nodeagent/node_configurator.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace mcscale {
namespace {

const std::map<std::string, std::string> kStockSettings = {{"maxbytes", "67108864"}, {"evictions", "on"}};
const std::map<std::string, std::string> kPolicyNodeSettings = {{"maxbytes", "67108864"},
                                                                {"eviction_policy", "lru"}};

PoolConfig Config(int capacity_mb, const std::string& policy) {
  PoolConfig c;
  c.node_capacity_mb = capacity_mb;
  c.node_policy = policy;
  return c;
}

TEST(NodeConfigurator, StockMemcachedGetsCapacityOnly) {
  NodeConfigPlan plan = NodeConfigurator::Plan(Config(32, "lru"), kStockSettings);
  EXPECT_EQ(plan.commands, std::vector<std::string>{"cache_memlimit 32"});
  EXPECT_FALSE(plan.supports_policy);
  EXPECT_EQ(plan.policy_note, "");
}

TEST(NodeConfigurator, StockMemcachedReportsAPolicyItCannotApply) {
  NodeConfigPlan plan = NodeConfigurator::Plan(Config(64, "random"), kStockSettings);
  EXPECT_EQ(plan.commands, std::vector<std::string>{"cache_memlimit 64"});
  EXPECT_FALSE(plan.supports_policy);
  EXPECT_EQ(plan.policy_note, "node is stock memcached: policy 'random' not applied");
}

TEST(NodeConfigurator, PolicyNodeGetsCapacityAndPolicy) {
  NodeConfigPlan plan = NodeConfigurator::Plan(Config(128, "random"), kPolicyNodeSettings);
  EXPECT_EQ(plan.commands, (std::vector<std::string>{"cache_memlimit 128", "eviction_policy random"}));
  EXPECT_TRUE(plan.supports_policy);
  EXPECT_EQ(plan.policy_note, "");
  plan = NodeConfigurator::Plan(Config(128, "lru"), kPolicyNodeSettings);
  EXPECT_EQ(plan.commands, (std::vector<std::string>{"cache_memlimit 128", "eviction_policy lru"}));
}

}  // namespace
}  // namespace mcscale
