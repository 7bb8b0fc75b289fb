#include "nodeagent/metrics_publisher.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace mcscale {
namespace {

std::map<std::string, std::string> Stats() {
  return {{"pid", "42"},           {"uptime", "77"},          {"get_hits", "7"},
          {"get_misses", "3"},     {"cmd_get", "10"},         {"cmd_set", "12"},
          {"curr_items", "9"},     {"bytes", "1234"},         {"limit_maxbytes", "67108864"},
          {"evictions", "1"},      {"curr_connections", "2"}, {"version", "1.6.18"}};
}

TEST(MetricsPublisher, StreamHoldsAboutAnHourForSixteenNodes) {
  EXPECT_EQ(MetricsPublisher::StreamMaxLen(5000), 720 * 16);
  EXPECT_EQ(MetricsPublisher::StreamMaxLen(200), 18000 * 16);
  EXPECT_EQ(MetricsPublisher::StreamMaxLen(3'600'000), 16);
}

TEST(MetricsPublisher, SampleCarriesTheNodesCounters) {
  FakeClock clock;
  std::string error;
  MetricSample s = MetricsPublisher::SampleFromStats("n1", "127.0.0.1:11211", clock.NowMs(), Stats(), &error);
  EXPECT_TRUE(s.up);
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(s.node, "n1");
  EXPECT_EQ(s.address, "127.0.0.1:11211");
  EXPECT_EQ(s.ts, clock.NowMs());
  EXPECT_EQ(s.counters.get_hits, 7u);
  EXPECT_EQ(s.counters.get_misses, 3u);
  EXPECT_EQ(s.counters.cmd_get, 10u);
  EXPECT_EQ(s.counters.cmd_set, 12u);
  EXPECT_EQ(s.counters.curr_items, 9u);
  EXPECT_EQ(s.counters.bytes, 1234u);
  EXPECT_EQ(s.counters.limit_maxbytes, 67108864u);
  EXPECT_EQ(s.counters.evictions, 1u);
  EXPECT_EQ(s.counters.curr_connections, 2u);
  EXPECT_EQ(s.counters.uptime, 77u);
}

TEST(MetricsPublisher, UnansweredStatsIsUpZero) {
  FakeClock clock;
  std::string error;
  Result<std::map<std::string, std::string>> failed = Status::Timeout("no reply within 1000 ms");
  MetricSample s = MetricsPublisher::SampleFromStats("n1", "127.0.0.1:1", clock.NowMs(), failed, &error);
  EXPECT_FALSE(s.up);
  EXPECT_EQ(s.ts, clock.NowMs());
  EXPECT_NE(error.find("1000 ms"), std::string::npos) << error;
  bool has_up_zero = false;
  for (const auto& [name, value] : s.ToFields()) has_up_zero |= (name == "up" && value == "0");
  EXPECT_TRUE(has_up_zero);
}

TEST(MetricsPublisher, MalformedStatsIsUpZeroNamingTheCounter) {
  auto stats = Stats();
  stats.erase("get_hits");
  std::string error;
  MetricSample s = MetricsPublisher::SampleFromStats("n1", "127.0.0.1:1", 1, stats, &error);
  EXPECT_FALSE(s.up);
  EXPECT_NE(error.find("get_hits"), std::string::npos) << error;
}

}  // namespace
}  // namespace mcscale
