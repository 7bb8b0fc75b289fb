// mcscale-bench against real memcached: a timed run reports operations, warm-up makes a
// get-only run hit, bad options exit 2 naming the option, and --compare prints per-round and
// median ratios. Also unit tests of the load generator's parts (reply parser, latency
// histogram, workload, comparison), which need no server.
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/harness/test_servers.h"

#ifdef MCSCALE_HAVE_BENCH_LIB
#include "bench/comparison.h"
#include "bench/latency_histogram.h"
#include "bench/reply_parser.h"
#include "bench/workload.h"
#endif

namespace mcscale {
namespace {

using mcscale::testing::BinPath;
using mcscale::testing::MemcachedServer;

using BenchRun = mcscale::testing::CommandRun;

// Runs mcscale-bench with `args`, stdout and stderr captured apart; killed after 60 s.
BenchRun RunBench(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinPath("mcscale-bench")};
  argv.insert(argv.end(), args.begin(), args.end());
  return mcscale::testing::RunCommand(argv, 60000);
}

nlohmann::json ParseJson(const BenchRun& run) {
  auto j = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON: " << run.out << "\nstderr: " << run.err;
  return j;
}

bool HaveBinary() { return access(BinPath("mcscale-bench").c_str(), X_OK) == 0; }

#define REQUIRE_BINARY()                                                      \
  if (!HaveBinary()) GTEST_SKIP() << "mcscale-bench not built (MCSCALE_BUILD_BENCH=OFF)"

TEST(McscaleBenchIt, TimedMixedRunReportsOpsAndLatency) {
  REQUIRE_BINARY();
  MemcachedServer mc;
  BenchRun run = RunBench({"--server", mc.address(), "--duration-s", "2", "--threads", "2",
                           "--connections", "8", "--pipeline", "4", "--keys", "1000", "--json"});
  ASSERT_EQ(run.status, 0) << run.err;
  auto j = ParseJson(run);
  EXPECT_GT(j.value("ops", 0), 0) << run.out;
  EXPECT_GT(j.value("gets", 0), 0);
  EXPECT_GT(j.value("sets", 0), 0);
  EXPECT_EQ(j.value("errors", -1), 0) << j.dump();
  EXPECT_GT(j.value("ops_per_s", 0.0), 0.0);
  EXPECT_GT(j.value("elapsed_s", 0.0), 1.0);
  ASSERT_TRUE(j.contains("latency_us"));
  EXPECT_GT(j["latency_us"].value("p50", 0.0), 0.0);
  EXPECT_LE(j["latency_us"].value("p50", 0.0), j["latency_us"].value("p99", 0.0));
  EXPECT_LE(j["latency_us"].value("p99", 0.0), j["latency_us"].value("p999", 0.0));
  EXPECT_EQ(j["config"].value("ratio", ""), "9:1");
}

TEST(McscaleBenchIt, WarmupThenGetOnlyRunHits) {
  REQUIRE_BINARY();
  MemcachedServer mc;
  BenchRun run = RunBench({"--server", mc.address(), "--warmup", "--ratio", "1:0", "--keys", "3000",
                           "--requests", "20000", "--connections", "6", "--pipeline", "8",
                           "--dist", "zipf", "--json"});
  ASSERT_EQ(run.status, 0) << run.err;
  auto j = ParseJson(run);
  EXPECT_EQ(j["warmup"][mc.address()].value("sets", 0), 3000) << j.dump();
  EXPECT_EQ(j.value("sets", -1), 0);
  EXPECT_EQ(j.value("gets", 0), 20000);
  EXPECT_EQ(j.value("errors", -1), 0);
  EXPECT_GE(j.value("hit_ratio", 0.0), 0.999) << j.dump();
}

TEST(McscaleBenchIt, BadOptionsExitTwoNamingTheOption) {
  REQUIRE_BINARY();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--ratio", "9-1"}, "--ratio"},
      {{"--dist", "foo"}, "--dist"},
      {{"--server", "localhost"}, "--server"},
      {{"--threads", "4", "--connections", "2"}, "--threads"},
      {{"--pipeline", "0"}, "--pipeline"},
      {{"--compare", "127.0.0.1:1"}, "--compare"},
      {{"--bogus"}, "--bogus"},
  };
  for (const auto& [args, option] : cases) {
    BenchRun run = RunBench(args);
    EXPECT_EQ(run.status, 2) << args[0] << ": " << run.err;
    EXPECT_NE(run.err.find(option), std::string::npos) << args[0] << ": " << run.err;
  }
}

TEST(McscaleBenchIt, UnreachableServerExitsOne) {
  REQUIRE_BINARY();
  uint16_t port = mcscale::testing::FreePort();
  BenchRun run = RunBench({"--server", "127.0.0.1:" + std::to_string(port), "--duration-s", "1"});
  EXPECT_EQ(run.status, 1) << run.err;
  EXPECT_NE(run.err.find("cannot connect"), std::string::npos) << run.err;
}

TEST(McscaleBenchIt, CompareAlternatesRoundsAndPrintsMedianRatio) {
  REQUIRE_BINARY();
  MemcachedServer a;
  MemcachedServer b;
  BenchRun run = RunBench({"--compare", a.address(), b.address(), "--rounds", "2", "--duration-s", "0.4",
                           "--connections", "4", "--keys", "500", "--warmup", "--json"});
  ASSERT_EQ(run.status, 0) << run.err;
  auto j = ParseJson(run);
  ASSERT_EQ(j["rounds"].size(), 2u) << j.dump();
  EXPECT_EQ(j["rounds"][0].value("first", ""), "A");
  EXPECT_EQ(j["rounds"][1].value("first", ""), "B");
  for (const auto& round : j["rounds"]) {
    EXPECT_GT(round["a"].value("ops", 0), 0);
    EXPECT_GT(round["b"].value("ops", 0), 0);
  }
  EXPECT_GT(j.value("median_ops_ratio", 0.0), 0.0);
  EXPECT_GT(j.value("median_p99_ratio", 0.0), 0.0);
  EXPECT_EQ(j.value("a", ""), a.address());
  EXPECT_EQ(j.value("b", ""), b.address());
  // The human-readable progress (on stderr with --json) names each round and the medians.
  EXPECT_NE(run.err.find("round 2 (B first)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("median B/A over 2 rounds: ops/s ratio"), std::string::npos) << run.err;
}

#ifdef MCSCALE_HAVE_BENCH_LIB

using bench::Comparison;
using bench::LatencyHistogram;
using bench::ReplyParser;
using bench::Workload;

ReplyParser::Outcome ParseOne(const std::string& bytes, ReplyParser::Reply* reply, size_t* used) {
  std::string error;
  return ReplyParser::Parse(bytes, reply, used, &error);
}

TEST(ReplyParser, HitMissStoredAndErrors) {
  ReplyParser::Reply r;
  size_t used = 0;
  std::string hit = "VALUE key:1 0 5\r\nhello\r\nEND\r\n";
  ASSERT_EQ(ParseOne(hit + "STORED\r\n", &r, &used), ReplyParser::Outcome::kReply);
  EXPECT_EQ(r.kind, ReplyParser::Kind::kValues);
  EXPECT_EQ(r.values, 1u);
  EXPECT_EQ(used, hit.size());
  ASSERT_EQ(ParseOne("END\r\n", &r, &used), ReplyParser::Outcome::kReply);
  EXPECT_EQ(r.values, 0u);
  ASSERT_EQ(ParseOne("STORED\r\n", &r, &used), ReplyParser::Outcome::kReply);
  EXPECT_EQ(r.kind, ReplyParser::Kind::kStored);
  std::string oom = "SERVER_ERROR out of memory storing object\r\n";
  ASSERT_EQ(ParseOne(oom, &r, &used), ReplyParser::Outcome::kReply);
  EXPECT_EQ(r.kind, ReplyParser::Kind::kServerError);
  EXPECT_EQ(r.line, "SERVER_ERROR out of memory storing object");
  ASSERT_EQ(ParseOne("VALUE a 1 1 99\r\nx\r\nVALUE b 0 0\r\n\r\nEND\r\n", &r, &used), ReplyParser::Outcome::kReply);
  EXPECT_EQ(r.values, 2u);
}

TEST(ReplyParser, EveryPrefixOfASplitReplyNeedsMore) {
  // Value bytes that look like protocol lines must not confuse it.
  std::string reply = "VALUE k 0 11\r\nEND\r\nSTORED\r\nEND\r\n";
  for (size_t n = 0; n < reply.size(); ++n) {
    ReplyParser::Reply r;
    size_t used = 0;
    EXPECT_EQ(ParseOne(reply.substr(0, n), &r, &used), ReplyParser::Outcome::kNeedMore) << n;
  }
  ReplyParser::Reply r;
  size_t used = 0;
  ASSERT_EQ(ParseOne(reply, &r, &used), ReplyParser::Outcome::kReply);
  EXPECT_EQ(used, reply.size());
}

TEST(ReplyParser, GarbageIsInvalid) {
  ReplyParser::Reply r;
  size_t used = 0;
  EXPECT_EQ(ParseOne("HELLO\r\n", &r, &used), ReplyParser::Outcome::kInvalid);
  EXPECT_EQ(ParseOne("VALUE k 0 x\r\n", &r, &used), ReplyParser::Outcome::kInvalid);
  EXPECT_EQ(ParseOne("VALUE k 0 2\r\nabcEND\r\n", &r, &used), ReplyParser::Outcome::kInvalid);
  EXPECT_EQ(ParseOne(std::string(5000, 'x'), &r, &used), ReplyParser::Outcome::kInvalid);
}

TEST(LatencyHistogram, BucketsCoverEveryValueWithinTwoPercent) {
  for (uint64_t v : {0ULL, 1ULL, 127ULL, 128ULL, 129ULL, 1000ULL, 123456ULL, 987654321ULL, ~0ULL}) {
    size_t b = LatencyHistogram::BucketOf(v);
    EXPECT_LE(LatencyHistogram::BucketLow(b), v);
    EXPECT_GE(LatencyHistogram::BucketHigh(b), v);
    EXPECT_LE(LatencyHistogram::BucketHigh(b) - LatencyHistogram::BucketLow(b), v / 64 + 1) << v;
  }
  for (size_t b = 0; b + 1 < LatencyHistogram::BucketOf(~0ULL); ++b)
    EXPECT_EQ(LatencyHistogram::BucketHigh(b) + 1, LatencyHistogram::BucketLow(b + 1)) << b;
}

TEST(LatencyHistogram, PercentilesAndMerge) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 1; i <= 990; ++i) a.Record(100'000);   // 100 us
  for (int i = 1; i <= 10; ++i) b.Record(5'000'000);  // 5 ms
  a.Merge(b);
  EXPECT_EQ(a.count(), 1000u);
  EXPECT_NEAR(a.Percentile(0.5), 100'000, 2'000);
  EXPECT_NEAR(a.Percentile(0.99), 100'000, 2'000);
  EXPECT_NEAR(a.Percentile(0.999), 5'000'000, 80'000);
  EXPECT_EQ(a.max_ns(), 5'000'000);
  EXPECT_EQ(LatencyHistogram().Percentile(0.99), 0);
}

TEST(Workload, RatioAndDistributionParsing) {
  auto r = Workload::ParseRatio("9:1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->gets, 9u);
  EXPECT_EQ(r->sets, 1u);
  EXPECT_TRUE(Workload::ParseRatio("0:1").ok());
  for (const char* bad : {"9-1", "9:", ":1", "0:0", "a:b", "9:1:1", "-1:2"})
    EXPECT_FALSE(Workload::ParseRatio(bad).ok()) << bad;
  EXPECT_TRUE(Workload::ParseDistribution("zipf").ok());
  EXPECT_FALSE(Workload::ParseDistribution("foo").ok());
}

TEST(Workload, ZipfFavoursLowKeysAndRatioHolds) {
  bench::WorkloadSpec spec;
  spec.keys = 1000;
  spec.distribution = bench::KeyDistribution::kZipf;
  spec.ratio = {3, 1};
  spec.value_size = 10;
  Workload w(spec);
  bench::FastRng rng(7);
  int first_ten = 0;
  int gets = 0;
  bench::Op op;
  for (int i = 0; i < 100000; ++i) {
    w.NextOp(&rng, &op);
    ASSERT_LT(op.key_index, 1000u);
    if (op.key_index < 10) ++first_ten;
    if (op.kind == bench::OpKind::kGet) ++gets;
    else ASSERT_EQ(op.value.size(), 10u);
  }
  // With s = 0.99 over 1000 keys the ten hottest keys take about 39% of the draws.
  EXPECT_GT(first_ten, 35000);
  EXPECT_LT(first_ten, 43000);
  EXPECT_NEAR(gets, 75000, 1500);
  w.MakeSet(42, &op);
  EXPECT_EQ(op.key(), "key:42");
}

TEST(Comparison, MedianOfRoundRatios) {
  EXPECT_DOUBLE_EQ(Comparison::Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Comparison::Median({4, 1, 2, 3}), 2.5);
  EXPECT_DOUBLE_EQ(Comparison::Median({}), 0);
}

#endif  // MCSCALE_HAVE_BENCH_LIB

}  // namespace
}  // namespace mcscale
