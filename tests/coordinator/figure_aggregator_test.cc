#include "coordinator/figure_aggregator.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

MetricSample Sample(const std::string& node, int64_t ts, uint64_t gets, uint64_t hits, uint64_t sets,
                    uint64_t uptime, uint64_t items = 10) {
  MetricSample s;
  s.node = node;
  s.address = "127.0.0.1:1";
  s.ts = ts;
  s.up = true;
  s.counters.cmd_get = gets;
  s.counters.get_hits = hits;
  s.counters.get_misses = gets - hits;
  s.counters.cmd_set = sets;
  s.counters.uptime = uptime;
  s.counters.curr_items = items;
  s.counters.bytes = items * 100;
  s.counters.limit_maxbytes = 64 << 20;
  return s;
}

TEST(FigureAggregator, FirstSampleIsOnlyABaseline) {
  FigureAggregator agg(60);
  EXPECT_FALSE(agg.Add(Sample("a", 60'000, 500, 400, 10, 100), 1).has_value());
  auto d = agg.Add(Sample("a", 65'000, 600, 450, 12, 105), 1);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->gets, 100u);
  EXPECT_EQ(d->hits, 50u);
  EXPECT_EQ(d->misses, 50u);
  EXPECT_EQ(d->sets, 2u);
}

TEST(FigureAggregator, CounterGoingDownMeansRestartAndNewValueIsTheDelta) {
  FigureAggregator agg(60);
  agg.Add(Sample("a", 60'000, 500, 400, 10, 100), 1);
  auto d = agg.Add(Sample("a", 65'000, 30, 20, 5, 3), 1);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->gets, 30u);
  EXPECT_EQ(d->hits, 20u);
  EXPECT_EQ(d->sets, 5u);
}

TEST(FigureAggregator, BucketsSumNodesAndDeriveRates) {
  FigureAggregator agg(60);
  agg.Add(Sample("a", 60'000, 0, 0, 0, 1, 5), 2);
  agg.Add(Sample("b", 60'000, 0, 0, 0, 1, 7), 2);
  agg.Add(Sample("a", 70'000, 100, 75, 10, 11, 5), 2);
  agg.Add(Sample("b", 70'000, 300, 225, 30, 11, 7), 2);
  agg.Add(Sample("a", 125'000, 200, 175, 10, 66, 6), 2);  // next bucket
  auto dirty = agg.TakeDirty();
  ASSERT_EQ(dirty.size(), 2u);
  const PoolFigure& f = dirty[0];
  EXPECT_EQ(f.t, 60'000);
  EXPECT_EQ(f.gets, 400u);
  EXPECT_EQ(f.misses, 100u);
  EXPECT_DOUBLE_EQ(f.miss_rate(), 0.25);
  EXPECT_DOUBLE_EQ(f.hit_rate(), 0.75);
  EXPECT_EQ(f.items(), 12u);
  EXPECT_EQ(f.node_count, 2);
  EXPECT_DOUBLE_EQ(f.requests_per_minute(), 440.0);
  EXPECT_EQ(dirty[1].t, 120'000);
  EXPECT_EQ(dirty[1].gets, 100u);
  EXPECT_TRUE(agg.TakeDirty().empty());
}

TEST(FigureAggregator, WindowCountsOnlyRecentDeltas) {
  FigureAggregator agg(60);
  agg.Add(Sample("a", 0, 0, 0, 0, 1), 1);
  agg.Add(Sample("a", 5'000, 100, 0, 0, 6), 1);    // 100 gets, all misses
  agg.Add(Sample("a", 10'000, 300, 150, 0, 11), 1);  // 200 gets, 50 misses
  WindowStats w = agg.Window(10'000, 5'000);  // (5 s, 10 s]: only the last delta
  EXPECT_EQ(w.gets, 200u);
  EXPECT_EQ(w.misses, 50u);
  w = agg.Window(10'000, 60'000);
  EXPECT_EQ(w.gets, 300u);
  EXPECT_EQ(w.misses, 150u);
  EXPECT_EQ(agg.Window(10'000, 60'000, {"other"}).gets, 0u);
}

TEST(FigureAggregator, FigureJsonRoundTripsAndRestores) {
  FigureAggregator agg(60);
  agg.Add(Sample("a", 60'000, 0, 0, 0, 1), 1);
  agg.Add(Sample("a", 61'000, 10, 5, 1, 2), 1);
  PoolFigure f = agg.TakeDirty()[0];
  auto back = PoolFigure::FromJson(f.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->gets, 10u);
  EXPECT_EQ(back->items(), f.items());
  FigureAggregator restored(60);
  restored.Restore(*back);
  restored.Add(Sample("a", 62'000, 0, 0, 0, 3), 1);  // baseline after restart
  restored.Add(Sample("a", 63'000, 4, 4, 0, 4), 1);
  EXPECT_EQ(restored.TakeDirty()[0].gets, 14u);
  EXPECT_FALSE(PoolFigure::FromJson(nlohmann::json::parse("{\"t\":\"x\"}")).ok());
}

}  // namespace
}  // namespace mcscale
