#include "common/metric_sample.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::map<std::string, std::string> Stats() {
  return {{"pid", "1234"},         {"uptime", "3600"},         {"get_hits", "900"},
          {"get_misses", "100"},   {"cmd_get", "1000"},        {"cmd_set", "250"},
          {"curr_items", "240"},   {"bytes", "123456"},        {"limit_maxbytes", "67108864"},
          {"evictions", "3"},      {"curr_connections", "10"}, {"version", "1.6.18"}};
}

MetricSample UpSample() {
  MetricSample s;
  s.node = "node-1";
  s.address = "127.0.0.1:11211";
  s.ts = 1'700'000'000'000;
  s.up = true;
  s.counters = *NodeCounters::FromStats(Stats());
  return s;
}

std::string FieldsError(const Fields& fields) {
  auto r = MetricSample::FromFields(fields);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

Fields Without(Fields fields, const std::string& name) {
  Fields out;
  for (auto& f : fields)
    if (f.first != name) out.push_back(f);
  return out;
}

Fields Replaced(Fields fields, const std::string& name, const std::string& value) {
  for (auto& f : fields)
    if (f.first == name) f.second = value;
  return fields;
}

TEST(NodeCounters, FromStatsReadsTheTenCounters) {
  auto c = NodeCounters::FromStats(Stats());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->get_hits, 900u);
  EXPECT_EQ(c->get_misses, 100u);
  EXPECT_EQ(c->cmd_get, 1000u);
  EXPECT_EQ(c->cmd_set, 250u);
  EXPECT_EQ(c->curr_items, 240u);
  EXPECT_EQ(c->bytes, 123456u);
  EXPECT_EQ(c->limit_maxbytes, 67108864u);
  EXPECT_EQ(c->evictions, 3u);
  EXPECT_EQ(c->curr_connections, 10u);
  EXPECT_EQ(c->uptime, 3600u);
}

TEST(NodeCounters, MissingOrMalformedCounterIsNamed) {
  auto stats = Stats();
  stats.erase("evictions");
  auto r = NodeCounters::FromStats(stats);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "stats: missing counter 'evictions'");
  stats = Stats();
  stats["bytes"] = "12k";
  r = NodeCounters::FromStats(stats);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "stats: counter 'bytes' is not a non-negative integer: '12k'");
  stats["bytes"] = "-5";
  EXPECT_FALSE(NodeCounters::FromStats(stats).ok());
}

TEST(NodeCounters, Equality) {
  NodeCounters a = *NodeCounters::FromStats(Stats());
  NodeCounters b = a;
  EXPECT_TRUE(a == b);
  b.uptime += 1;
  EXPECT_FALSE(a == b);
}

TEST(MetricSample, UpRoundTrip) {
  MetricSample s = UpSample();
  Fields fields = s.ToFields();
  ASSERT_EQ(fields.size(), 14u);
  EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{"node", "node-1"}));
  EXPECT_EQ(fields[3], (std::pair<std::string, std::string>{"up", "1"}));
  auto back = MetricSample::FromFields(fields);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->node, s.node);
  EXPECT_EQ(back->address, s.address);
  EXPECT_EQ(back->ts, s.ts);
  EXPECT_TRUE(back->up);
  EXPECT_TRUE(back->counters == s.counters);
}

TEST(MetricSample, DownSampleHasNoCounters) {
  MetricSample s = UpSample();
  s.up = false;
  Fields fields = s.ToFields();
  EXPECT_EQ(fields.size(), 4u);
  auto back = MetricSample::FromFields(fields);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->up);
  EXPECT_TRUE(back->counters == NodeCounters());
}

TEST(MetricSample, MissingOrMalformedFieldIsNamed) {
  Fields good = UpSample().ToFields();
  EXPECT_EQ(FieldsError(Without(good, "node")), "metric sample: missing field 'node'");
  EXPECT_EQ(FieldsError(Without(good, "ts")), "metric sample: missing field 'ts'");
  EXPECT_EQ(FieldsError(Without(good, "up")), "metric sample: missing field 'up'");
  EXPECT_EQ(FieldsError(Without(good, "cmd_get")), "metric sample: missing counter 'cmd_get'");
  EXPECT_EQ(FieldsError(Replaced(good, "ts", "soon")), "metric sample: ts: expected a decimal integer, got 'soon'");
  EXPECT_EQ(FieldsError(Replaced(good, "up", "yes")), "metric sample: up: expected 1 or 0, got 'yes'");
  EXPECT_NE(FieldsError(Replaced(good, "address", "localhost")).find("metric sample: address: missing port"),
            std::string::npos);
  EXPECT_EQ(FieldsError(Replaced(good, "get_hits", "")),
            "metric sample: counter 'get_hits' is not a non-negative integer: ''");
  Fields twice = good;
  twice.emplace_back("node", "other");
  EXPECT_EQ(FieldsError(twice), "metric sample: duplicate field 'node'");
}

TEST(MetricSample, UnknownFieldsAreIgnored) {
  Fields fields = UpSample().ToFields();
  fields.emplace_back("agent_version", "0.2.0");
  EXPECT_TRUE(MetricSample::FromFields(fields).ok());
}

}  // namespace
}  // namespace mcscale
