// `mcscale-bench resize` and `mcscale-bench migrate` (issue 7): a short resize run against a
// pool the benchmark starts itself finishes within a minute with 0 stale reads, 0 lost keys
// and the minimum number of regions moved, writes its JSON and SVG, and leaves nothing
// running; bad options exit 2 naming the option. Also unit tests of the pure parts (the
// resize plan parser, the brute-force minimum, the chart).
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/harness/test_servers.h"

#ifndef MCSCALE_HAVE_RESIZE_BENCH
// Built without the benchmarks (MCSCALE_BUILD_BENCH=OFF): nothing to test.
TEST(McscaleBenchResizeIt, NeedsTheBenchmarks) { GTEST_SKIP() << "built without MCSCALE_BUILD_BENCH"; }
#else
#include "bench/hit_ratio_chart.h"
#include "bench/minimum_moves.h"
#include "bench/resize_bench.h"

namespace mcscale {
namespace {

using mcscale::bench::ChartMarker;
using mcscale::bench::ChartPoint;
using mcscale::bench::ChartSeries;
using mcscale::bench::HitRatioChart;
using mcscale::bench::ResizeBench;
using mcscale::bench::ResizeStep;
using mcscale::testing::BinPath;
using mcscale::testing::TempDir;

using BenchRun = mcscale::testing::CommandRun;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs mcscale-bench with `args`, stdout and stderr captured apart; interrupted after
// timeout_s (SIGINT, so it stops the pool it started; SIGKILL 30 s later).
BenchRun RunBench(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv = {BinPath("mcscale-bench")};
  argv.insert(argv.end(), args.begin(), args.end());
  return mcscale::testing::RunCommand(argv, timeout_s * 1000, 30000);
}

TEST(McscaleBenchResizeIt, ShortRunServesNoStaleValueLosesNoKeyAndMovesTheMinimum) {
  TempDir out;
  BenchRun run = RunBench({"resize", "--keys", "5000", "--resizes", "2:3", "--rate", "500", "--steady-s", "4",
                           "--settle-s", "3", "--out", out.path()},
                          60);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_LT(run.seconds, 60);
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << "stdout is one JSON object:\n" << run.out;
  EXPECT_EQ(j["mode"], "live migration");
  EXPECT_EQ(j["load"]["failures"], 0);
  EXPECT_EQ(j["stale_reads"], 0) << j["stale_examples"].dump();
  EXPECT_GT(j["reads_checked"].get<int>(), 1000);
  EXPECT_EQ(j["unknown_versions"], 0);
  EXPECT_EQ(j["lost_keys"], 0);
  EXPECT_EQ(j["evictions"], 0);
  EXPECT_FALSE(j.contains("cleanup")) << j["cleanup"];
  ASSERT_EQ(j["resizes"].size(), 1u);
  const auto& r = j["resizes"][0];
  EXPECT_EQ(r["from"], 2);
  EXPECT_EQ(r["to"], 3);
  EXPECT_EQ(r["regions_moved"], r["regions_minimum"]);
  EXPECT_EQ(r["regions_moved"], 5);  // 8+8 -> 6+5+5
  EXPECT_GT(r["keys_moved"].get<int>(), 0);
  EXPECT_GT(r["single_writer_keys_checked"].get<int>(), 1000);
  EXPECT_TRUE(r["migration_s"].is_number()) << r.dump();
  EXPECT_TRUE(r["keys_per_s"].is_number()) << r.dump();
  EXPECT_GT(j["steady_hit_ratio"].get<double>(), 0.9);
  EXPECT_GT(j["seconds"].size(), 6u);
  // The per-second hit ratio went to stderr, the files to --out.
  EXPECT_NE(run.err.find("hit ratio"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(ReadFile(out.path() + "/resize.json")), j);
  EXPECT_EQ(ReadFile(out.path() + "/hit_ratio.svg").rfind("<svg", 0), 0u);
}

TEST(McscaleBenchResizeIt, BadOptionsExit2NamingTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  std::vector<Case> cases = {
      {{"resize", "--resizes", "3:3"}, "--resizes"},
      {{"resize", "--resizes", "3:4,2:5"}, "--resizes"},
      {{"resize", "--resizes", "3-4"}, "--resizes"},
      {{"resize", "--rate", "fast"}, "--rate"},
      {{"resize", "--keys", "0"}, "--keys"},
      {{"resize", "--dist", "pareto"}, "--dist"},
      {{"resize", "--no-migration", "--compare-baseline"}, "--compare-baseline"},
      {{"resize", "--bogus"}, "--bogus"},
      {{"migrate", "--keys", "-1"}, "--keys"},
      {{"migrate", "--batch-keys", "0"}, "--batch-keys"},
  };
  for (const auto& c : cases) {
    BenchRun run = RunBench(c.args, 20);
    EXPECT_EQ(run.status, 2) << c.args[1] << " " << (c.args.size() > 2 ? c.args[2] : "") << "\n" << run.err;
    EXPECT_NE(run.err.find(c.names), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
  }
}

TEST(ResizeBench, ParseStepsChainsTheResizes) {
  auto steps = ResizeBench::ParseSteps("3:4,4:2,2:5", 16);
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  EXPECT_EQ(*steps, (std::vector<ResizeStep>{{3, 4}, {4, 2}, {2, 5}}));
  EXPECT_FALSE(ResizeBench::ParseSteps("", 16).ok());
  EXPECT_FALSE(ResizeBench::ParseSteps("3:4,", 16).ok());
  EXPECT_FALSE(ResizeBench::ParseSteps("0:4", 16).ok());
  EXPECT_FALSE(ResizeBench::ParseSteps("3:17", 16).ok());
  EXPECT_FALSE(ResizeBench::ParseSteps("3:4x", 16).ok());
  auto broken = ResizeBench::ParseSteps("3:4,5:2", 16);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("'5:2' starts at 5"), std::string::npos) << broken.status().message();
}

TEST(MinimumMoves, IsTheFewestRegionsABalancedMapMoves) {
  auto three = *RegionMap::Initial(16, {"a", "b", "c"});  // 6, 5, 5
  EXPECT_EQ(MinimumMoves(three, {"a", "b", "c", "d"}), 4u);  // 4 each: d takes 4
  EXPECT_EQ(MinimumMoves(three, {"a", "b"}), 5u);            // c's 5 move
  EXPECT_EQ(MinimumMoves(three, {"a", "b", "c"}), 0u);
  auto seven = *RegionMap::Initial(16, {"1", "2", "3", "4", "5", "6", "7"});
  EXPECT_EQ(MinimumMoves(seven, {"1", "2", "3", "4", "5", "6", "7", "8"}), 2u);  // DESIGN.md
  // Rebalance reaches the minimum.
  auto four = *RegionMap::Rebalance(three, {"a", "b", "c", "d"});
  EXPECT_EQ(RegionMap::Moves(three, four).size(), MinimumMoves(three, four.Nodes()));
}

TEST(HitRatioChart, DrawsEachRunWithItsMarkersAndLegend) {
  HitRatioChart chart("runs <a & b>");
  chart.Add(ChartSeries{"with live migration", "#1f77b4", {{0.5, 0.99}, {1.5, 0.98}, {5.5, 0.99}}, {{1.2, "3→4"}}});
  chart.Add(ChartSeries{"remap only", "#d62728", {{0.5, 0.99}, {1.5, 0.7}}, {}});
  std::string svg = chart.Svg();
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("runs &lt;a &amp; b&gt;"), std::string::npos);
  EXPECT_NE(svg.find("with live migration"), std::string::npos);
  EXPECT_NE(svg.find("remap only"), std::string::npos);
  EXPECT_NE(svg.find("3→4"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  // The 4-second gap breaks the first line into two pieces ("M" twice); the second is one.
  size_t first = svg.find("<path d=\"");
  ASSERT_NE(first, std::string::npos);
  std::string d = svg.substr(first, svg.find('"', first + 9) - first);
  EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 2);
  // The y axis reaches down to the lowest point: 0.7 needs a label at or below it.
  EXPECT_NE(svg.find(">0.60<"), std::string::npos);
  EXPECT_NE(svg.find(">1.00<"), std::string::npos);
}

}  // namespace
}  // namespace mcscale

#endif  // MCSCALE_HAVE_RESIZE_BENCH
