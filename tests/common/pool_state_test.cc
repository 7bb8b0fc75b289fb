#include "common/pool_state.h"

#include <gtest/gtest.h>

#include <set>

namespace mcscale {
namespace {

PoolState SamplePool() {
  PoolState s;
  s.pool_id = "0123456789abcdef0123456789abcdef";
  s.epoch = 7;
  s.nodes = {{"a", "127.0.0.1:11211"}, {"b", "127.0.0.1:11212"}, {"c", "10.0.0.3:11211"}};
  s.regions = *RegionMap::Initial(16, {"a", "b", "c"});
  s.previous_regions = *RegionMap::Initial(16, {"a", "b"});
  s.state = PoolPhase::kMigrating;
  s.updated_ms = 1'700'000'000'123;
  return s;
}

void ExpectSame(const PoolState& a, const PoolState& b) {
  EXPECT_EQ(a.pool_id, b.pool_id);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.nodes, b.nodes);
  EXPECT_EQ(a.regions, b.regions);
  EXPECT_EQ(a.previous_regions.has_value(), b.previous_regions.has_value());
  if (a.previous_regions && b.previous_regions) {
    EXPECT_EQ(*a.previous_regions, *b.previous_regions);
  }
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
}

std::string HashError(const HashFields& h) {
  auto r = PoolState::FromHash(h);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

std::string JsonError(const nlohmann::json& j) {
  auto r = PoolState::FromJson(j);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(PoolState, HashRoundTrip) {
  PoolState s = SamplePool();
  auto back = PoolState::FromHash(s.ToHash());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, s);

  s.state = PoolPhase::kStable;
  s.previous_regions.reset();
  HashFields h = s.ToHash();
  EXPECT_EQ(h["previous_regions"], "");
  EXPECT_EQ(h["state"], "stable");
  EXPECT_EQ(h["epoch"], "7");
  back = PoolState::FromHash(h);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, s);
}

TEST(PoolState, JsonRoundTrip) {
  PoolState s = SamplePool();
  auto back = PoolState::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, s);
  EXPECT_EQ(s.ToJson()["regions"].size(), 16u);
  EXPECT_EQ(s.ToJson()["nodes"]["c"], "10.0.0.3:11211");
}

TEST(PoolState, MissingFieldIsNamed) {
  for (const char* field : {"pool_id", "epoch", "nodes", "regions", "state"}) {
    HashFields h = SamplePool().ToHash();
    h.erase(field);
    EXPECT_EQ(HashError(h), std::string("missing field '") + field + "'");
  }
}

TEST(PoolState, MalformedFieldsAreNamed) {
  HashFields h = SamplePool().ToHash();
  h["epoch"] = "seven";
  EXPECT_EQ(HashError(h), "epoch: expected a decimal integer, got 'seven'");
  h = SamplePool().ToHash();
  h["nodes"] = "{not json";
  EXPECT_NE(HashError(h).find("nodes: malformed JSON"), std::string::npos);
  h = SamplePool().ToHash();
  h["regions"] = "[\"a\"]";
  EXPECT_NE(HashError(h).find("regions: region count 1"), std::string::npos);
  h = SamplePool().ToHash();
  h["state"] = "resting";
  EXPECT_EQ(HashError(h), "state: expected 'stable' or 'migrating', got 'resting'");
  h = SamplePool().ToHash();
  h["nodes"] = R"({"a":"127.0.0.1:11211","b":"127.0.0.1:11212","c":"nowhere"})";
  EXPECT_NE(HashError(h).find("nodes: node 'c': missing port"), std::string::npos);
}

TEST(PoolState, WrongJsonTypesAreNamed) {
  nlohmann::json j = SamplePool().ToJson();
  j["epoch"] = "7";
  EXPECT_EQ(JsonError(j), "epoch: expected integer, got string");
  j = SamplePool().ToJson();
  j["pool_id"] = 5;
  EXPECT_EQ(JsonError(j), "pool_id: expected string, got number");
  j = SamplePool().ToJson();
  j["nodes"] = nlohmann::json::array();
  EXPECT_NE(JsonError(j).find("nodes: expected an object"), std::string::npos);
  EXPECT_NE(JsonError(nlohmann::json::array()).find("expected a JSON object"), std::string::npos);
}

TEST(PoolState, RegionOwnersNeedAnAddress) {
  HashFields h = SamplePool().ToHash();
  h["nodes"] = R"({"a":"127.0.0.1:11211","b":"127.0.0.1:11212"})";
  EXPECT_EQ(HashError(h), "regions: node 'c' has no address in nodes");
}

TEST(PoolState, MigratingNeedsPreviousRegions) {
  HashFields h = SamplePool().ToHash();
  h["previous_regions"] = "";
  EXPECT_EQ(HashError(h), "previous_regions: required while the pool is migrating");
  h = SamplePool().ToHash();
  h["previous_regions"] = RegionMap::Initial(32, {"a"})->ToJson().dump();
  EXPECT_NE(HashError(h).find("previous_regions: 32 regions"), std::string::npos);
}

TEST(PoolState, NewPoolIdIs32RandomHexChars) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    std::string id = PoolState::NewPoolId();
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST(PoolState, PhaseNames) {
  EXPECT_EQ(PoolPhaseName(PoolPhase::kStable), "stable");
  EXPECT_EQ(PoolPhaseName(PoolPhase::kMigrating), "migrating");
}

}  // namespace
}  // namespace mcscale
