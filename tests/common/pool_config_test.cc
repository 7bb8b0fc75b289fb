#include "common/pool_config.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

// Fields named by the errors of applying `patch` to the defaults.
std::vector<std::string> RefusedFields(const nlohmann::json& patch) {
  std::vector<FieldError> errors;
  auto r = PoolConfig().Patched(patch, &errors);
  EXPECT_FALSE(r.ok()) << patch.dump();
  if (!r.ok()) {
    for (const auto& e : errors) EXPECT_NE(r.status().message().find(e.field), std::string::npos);
  }
  std::vector<std::string> fields;
  for (const auto& e : errors) fields.push_back(e.field);
  return fields;
}

using Fields = std::vector<std::string>;

TEST(PoolConfig, DefaultsAreValid) {
  EXPECT_TRUE(PoolConfig().Validate().empty()) << JoinFieldErrors(PoolConfig().Validate());
}

TEST(PoolConfig, HashRoundTrip) {
  PoolConfig c;
  c.mode = PoolConfig::Mode::kManual;
  c.max_miss_rate = 0.35;
  c.min_miss_rate = 0.05;
  c.expand_ratio = 1.5;
  c.shrink_ratio = 0.75;
  c.min_nodes = 2;
  c.max_nodes = 12;
  c.regions = 64;
  c.interval_s = 30;
  c.window_s = 120;
  c.bucket_s = 10;
  c.min_requests = 0;
  c.scale_down_stabilization_s = 300;
  c.failure_timeout_s = 5;
  c.node_capacity_mb = 128;
  c.node_policy = "random";
  HashFields h = c.ToHash();
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h["mode"], "manual");
  EXPECT_EQ(h["max_miss_rate"], "0.35");
  EXPECT_EQ(h["regions"], "64");
  std::vector<FieldError> errors;
  auto back = PoolConfig::FromHash(h, &errors);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(back->ToHash(), h);
  EXPECT_EQ(back->ToJson(), c.ToJson());
}

TEST(PoolConfig, FromHashKeepsDefaultsForMissingFieldsAndNamesMalformedOnes) {
  auto partial = PoolConfig::FromHash({{"max_nodes", "4"}}, nullptr);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->max_nodes, 4);
  EXPECT_EQ(partial->min_nodes, 1);

  std::vector<FieldError> errors;
  auto bad = PoolConfig::FromHash({{"max_nodes", "four"}, {"max_miss_rate", "0.5x"}, {"mode", "sometimes"}}, &errors);
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], (FieldError{"mode", "expected auto or manual, got 'sometimes'"}));
  EXPECT_EQ(errors[1], (FieldError{"max_miss_rate", "expected a number, got '0.5x'"}));
  EXPECT_EQ(errors[2], (FieldError{"max_nodes", "expected an integer, got 'four'"}));
}

TEST(PoolConfig, JsonRoundTripThroughPatch) {
  PoolConfig c;
  c.max_miss_rate = 0.3;
  c.node_policy = "random";
  auto back = PoolConfig().Patched(c.ToJson(), nullptr);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), c.ToJson());
  EXPECT_EQ(c.ToJson()["mode"], "auto");
  EXPECT_EQ(c.ToJson()["max_miss_rate"], 0.3);
}

TEST(PoolConfig, PatchChangesOnlyTheGivenFields) {
  PoolConfig base;
  base.max_nodes = 6;
  auto r = base.Patched({{"mode", "manual"}, {"node_capacity_mb", 256}}, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->mode, PoolConfig::Mode::kManual);
  EXPECT_EQ(r->node_capacity_mb, 256);
  EXPECT_EQ(r->max_nodes, 6);
  EXPECT_EQ(base.mode, PoolConfig::Mode::kAuto);  // the original is untouched
}

TEST(PoolConfig, UnknownFieldAndWrongTypeAreNamed) {
  std::vector<FieldError> errors;
  auto r = PoolConfig().Patched({{"max_nodez", 3}, {"max_miss_rate", "high"}, {"min_nodes", 1.5}}, &errors);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], (FieldError{"max_miss_rate", "expected number, got string"}));
  EXPECT_EQ(errors[1], (FieldError{"max_nodez", "unknown field"}));
  EXPECT_EQ(errors[2], (FieldError{"min_nodes", "expected integer, got number"}));
  EXPECT_EQ(RefusedFields({{"mode", 1}}), Fields{"mode"});
  EXPECT_EQ(RefusedFields({{"mode", "sometimes"}}), Fields{"mode"});
  EXPECT_EQ(RefusedFields({{"node_policy", true}}), Fields{"node_policy"});
  EXPECT_EQ(RefusedFields({{"max_nodes", 1e12}}), Fields{"max_nodes"});
  EXPECT_EQ(RefusedFields({{"max_nodes", 5000000000LL}}), Fields{"max_nodes"});
  EXPECT_EQ(RefusedFields(nlohmann::json::array()), Fields{"config"});
}

TEST(PoolConfig, EveryInvalidFieldIsRefusedByName) {
  EXPECT_EQ(RefusedFields({{"max_miss_rate", 1.5}}), Fields{"max_miss_rate"});
  EXPECT_EQ(RefusedFields({{"max_miss_rate", 0}, {"min_miss_rate", 0}}), (Fields{"max_miss_rate", "min_miss_rate"}));
  EXPECT_EQ(RefusedFields({{"min_miss_rate", -0.1}}), Fields{"min_miss_rate"});
  EXPECT_EQ(RefusedFields({{"min_miss_rate", 0.5}}), Fields{"min_miss_rate"});  // not below max (0.5)
  EXPECT_EQ(RefusedFields({{"min_miss_rate", 0.6}, {"max_miss_rate", 0.4}}), Fields{"min_miss_rate"});
  EXPECT_EQ(RefusedFields({{"expand_ratio", 1}}), Fields{"expand_ratio"});
  EXPECT_EQ(RefusedFields({{"shrink_ratio", 0}}), Fields{"shrink_ratio"});
  EXPECT_EQ(RefusedFields({{"shrink_ratio", 1}}), Fields{"shrink_ratio"});
  EXPECT_EQ(RefusedFields({{"min_nodes", 0}}), Fields{"min_nodes"});
  EXPECT_EQ(RefusedFields({{"min_nodes", 9}}), Fields{"max_nodes"});  // max 8 below min 9
  EXPECT_EQ(RefusedFields({{"max_nodes", 17}}), Fields{"max_nodes"});  // more nodes than regions
  EXPECT_EQ(RefusedFields({{"regions", 24}}), Fields{"regions"});
  EXPECT_EQ(RefusedFields({{"regions", 2048}}), Fields{"regions"});
  for (const char* field : {"interval_s", "window_s", "bucket_s", "scale_down_stabilization_s", "failure_timeout_s"})
    EXPECT_EQ(RefusedFields({{field, 0}}), Fields{field});
  EXPECT_EQ(RefusedFields({{"min_requests", -1}}), Fields{"min_requests"});
  EXPECT_EQ(RefusedFields({{"node_capacity_mb", 7}}), Fields{"node_capacity_mb"});
  EXPECT_EQ(RefusedFields({{"node_policy", "fifo"}}), Fields{"node_policy"});

  // The bounds themselves are accepted.
  auto edge = PoolConfig().Patched({{"min_miss_rate", 0}, {"max_miss_rate", 1}, {"min_requests", 0},
                                    {"node_capacity_mb", 8}, {"min_nodes", 16}, {"max_nodes", 16},
                                    {"interval_s", 1}, {"expand_ratio", 1.01}, {"shrink_ratio", 0.99}},
                                   nullptr);
  EXPECT_TRUE(edge.ok()) << edge.status().ToString();
}

TEST(PoolConfig, MessagesSayWhy) {
  PoolConfig c;
  c.min_miss_rate = 0.7;
  c.max_nodes = 32;
  c.node_capacity_mb = 4;
  auto errors = c.Validate();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], (FieldError{"min_miss_rate", "must be below max_miss_rate (0.5)"}));
  EXPECT_EQ(errors[1], (FieldError{"max_nodes", "must be at most regions (16)"}));
  EXPECT_EQ(errors[2], (FieldError{"node_capacity_mb", "must be at least 8 (memcached refuses less)"}));
  EXPECT_EQ(JoinFieldErrors(errors),
            "min_miss_rate: must be below max_miss_rate (0.5); max_nodes: must be at most regions (16); "
            "node_capacity_mb: must be at least 8 (memcached refuses less)");
  nlohmann::json j = FieldErrorsToJson(errors);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[1]["field"], "max_nodes");
  EXPECT_EQ(j[1]["message"], "must be at most regions (16)");
}

TEST(PoolConfig, ModeNames) {
  EXPECT_EQ(PoolConfig::ModeName(PoolConfig::Mode::kAuto), "auto");
  EXPECT_EQ(PoolConfig::ModeName(PoolConfig::Mode::kManual), "manual");
}

}  // namespace
}  // namespace mcscale
