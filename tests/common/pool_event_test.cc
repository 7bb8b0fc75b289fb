#include "common/pool_event.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

PoolEvent Resized() {
  PoolEvent e;
  e.type = EventType::kPoolResized;
  e.seq = "1700000000000-3";
  e.pool_id = "0123456789abcdef0123456789abcdef";
  e.epoch = 4;
  e.ts = 1'700'000'000'000;
  e.reason = "miss rate 0.62 above 0.5";
  e.old_nodes = {{"a", "127.0.0.1:11211"}, {"b", "127.0.0.1:11212"}};
  e.new_nodes = {{"a", "127.0.0.1:11211"}, {"b", "127.0.0.1:11212"}, {"c", "127.0.0.1:11213"}};
  e.old_regions = *RegionMap::Initial(16, {"a", "b"});
  e.new_regions = *RegionMap::Rebalance(e.old_regions, {"a", "b", "c"});
  return e;
}

std::string DecodeError(const std::string& text) {
  auto r = PoolEvent::Decode(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

// The JSON of `e` with one field changed (or removed when `value` is discarded).
std::string With(const PoolEvent& e, const std::string& field, const nlohmann::json& value) {
  nlohmann::json j = e.ToJson();
  if (value.is_discarded()) j.erase(field);
  else j[field] = value;
  return j.dump();
}
const nlohmann::json kRemove = nlohmann::json(nlohmann::json::value_t::discarded);

TEST(PoolEvent, TypeNamesRoundTrip) {
  for (EventType t : {EventType::kPoolResized, EventType::kNodeFailed, EventType::kMigrationCommit,
                      EventType::kMigrationDone, EventType::kConfigChanged, EventType::kCacheCleared,
                      EventType::kDataCleared}) {
    auto parsed = ParseEventType(EventTypeName(t));
    ASSERT_TRUE(parsed.has_value()) << EventTypeName(t);
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(EventTypeName(EventType::kNodeFailed), "pool.node_failed");
  EXPECT_FALSE(ParseEventType("pool.exploded").has_value());
}

TEST(PoolEvent, ResizedRoundTrip) {
  PoolEvent e = Resized();
  auto back = PoolEvent::Decode(e.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->seq, e.seq);
  EXPECT_EQ(back->pool_id, e.pool_id);
  EXPECT_EQ(back->epoch, e.epoch);
  EXPECT_EQ(back->ts, e.ts);
  EXPECT_EQ(back->reason, e.reason);
  EXPECT_EQ(back->old_nodes, e.old_nodes);
  EXPECT_EQ(back->new_nodes, e.new_nodes);
  EXPECT_EQ(back->old_regions, e.old_regions);
  EXPECT_EQ(back->new_regions, e.new_regions);
}

TEST(PoolEvent, NodeFailedAndConfigChangedRoundTrip) {
  PoolEvent failed = Resized();
  failed.type = EventType::kNodeFailed;
  failed.node = "c";
  std::swap(failed.old_nodes, failed.new_nodes);
  failed.old_regions = failed.new_regions;
  failed.new_regions = *RegionMap::Rebalance(failed.old_regions, {"a", "b"});
  auto back = PoolEvent::Decode(failed.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->node, "c");
  EXPECT_EQ(back->new_regions, failed.new_regions);

  PoolEvent changed;
  changed.type = EventType::kConfigChanged;
  changed.pool_id = "p";
  changed.epoch = 2;
  changed.ts = 5;
  changed.config = {{"max_miss_rate", 0.4}, {"mode", "manual"}};
  back = PoolEvent::Decode(changed.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config, changed.config);
  EXPECT_EQ(back->reason, "");
}

TEST(PoolEvent, SimpleEventsCarryOnlyTheCommonFields) {
  PoolEvent e;
  e.type = EventType::kMigrationCommit;
  e.pool_id = "p";
  e.epoch = 9;
  e.ts = 1;
  nlohmann::json j = e.ToJson();
  EXPECT_EQ(j.size(), 5u) << j.dump();
  auto back = PoolEvent::Decode(j.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->type, EventType::kMigrationCommit);
  EXPECT_EQ(back->seq, "");
  // A history entry may leave seq out: the stream id is the seq.
  j.erase("seq");
  EXPECT_TRUE(PoolEvent::Decode(j.dump()).ok());
}

TEST(PoolEvent, CreationEventMayHaveAnEmptyOldMap) {
  PoolEvent e = Resized();
  e.old_nodes.clear();
  e.old_regions = RegionMap();
  auto back = PoolEvent::Decode(e.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->old_regions.empty());
}

TEST(PoolEvent, MalformedJsonIsAnError) {
  EXPECT_NE(DecodeError("{\"type\": \"pool.resized\"").find("malformed JSON"), std::string::npos);
  EXPECT_NE(DecodeError("").find("malformed JSON"), std::string::npos);
  EXPECT_NE(DecodeError("\xff\xfe").find("malformed JSON"), std::string::npos);
  EXPECT_EQ(DecodeError("[1,2]"), "event: expected a JSON object, got array");
}

TEST(PoolEvent, MissingFieldIsNamed) {
  EXPECT_EQ(DecodeError(With(Resized(), "new_regions", kRemove)), "pool.resized: missing field 'new_regions'");
  EXPECT_EQ(DecodeError(With(Resized(), "reason", kRemove)), "pool.resized: missing field 'reason'");
  EXPECT_EQ(DecodeError(With(Resized(), "epoch", kRemove)), "pool.resized: missing field 'epoch'");
  EXPECT_EQ(DecodeError(With(Resized(), "type", kRemove)), "event: missing field 'type'");
  PoolEvent failed = Resized();
  failed.type = EventType::kNodeFailed;
  failed.node = "x";
  EXPECT_EQ(DecodeError(With(failed, "node", kRemove)), "pool.node_failed: missing field 'node'");
  PoolEvent changed;
  changed.type = EventType::kConfigChanged;
  changed.pool_id = "p";
  EXPECT_EQ(DecodeError(With(changed, "config", kRemove)), "config.changed: missing field 'config'");
}

TEST(PoolEvent, WrongTypeIsNamed) {
  EXPECT_EQ(DecodeError(With(Resized(), "epoch", "4")), "pool.resized: epoch: expected integer, got string");
  EXPECT_EQ(DecodeError(With(Resized(), "ts", 1.5)), "pool.resized: ts: expected integer, got number");
  EXPECT_EQ(DecodeError(With(Resized(), "seq", 12)), "pool.resized: seq: expected string, got number");
  EXPECT_EQ(DecodeError(With(Resized(), "type", 3)), "event: type: expected string, got number");
  EXPECT_NE(DecodeError(With(Resized(), "new_regions", "abc")).find("pool.resized: new_regions: expected an array"),
            std::string::npos);
  EXPECT_NE(DecodeError(With(Resized(), "old_nodes", nlohmann::json::array()))
                .find("pool.resized: old_nodes: expected an object"),
            std::string::npos);
}

TEST(PoolEvent, UnknownTypeIsNamed) {
  EXPECT_EQ(DecodeError(With(Resized(), "type", "pool.exploded")), "unknown event type 'pool.exploded'");
}

TEST(PoolEvent, InconsistentMembershipIsAnError) {
  PoolEvent e = Resized();
  e.new_nodes.erase("c");
  EXPECT_EQ(DecodeError(e.Encode()), "pool.resized: new_regions: node 'c' is missing from new_nodes");
  e = Resized();
  e.old_regions = *RegionMap::Initial(32, {"a", "b"});
  EXPECT_NE(DecodeError(e.Encode()).find("pool.resized: new_regions: 16 regions but old_regions has 32"),
            std::string::npos);
}

TEST(PoolEvent, CompareSeqIsNumeric) {
  EXPECT_LT(CompareSeq("999-0", "1000-0"), 0);
  EXPECT_LT(CompareSeq("1000-9", "1000-10"), 0);
  EXPECT_GT(CompareSeq("1700000000001-0", "1700000000000-99"), 0);
  EXPECT_EQ(CompareSeq("5-1", "5-1"), 0);
  EXPECT_EQ(CompareSeq("", "0-0"), 0);
  EXPECT_EQ(CompareSeq("garbage", "0-0"), 0);
  EXPECT_LT(CompareSeq("x-y", "0-1"), 0);
  EXPECT_EQ(CompareSeq("7", "7-0"), 0);
}

}  // namespace
}  // namespace mcscale
