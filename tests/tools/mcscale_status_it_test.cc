// Integration tests of the operator tool's pool subcommands (`mcscale status`, `watch`,
// `traffic`) against a real pool: redis-server, mcscale-coordinator with the local provider,
// memcached nodes and their agents (tests/harness/test_pool.h).
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/event_log.h"
#include "common/memcache_client.h"
#include "tests/harness/test_pool.h"

namespace mcscale {
namespace {

using testing::TestPool;
using testing::TestPoolOptions;
using testing::WaitUntil;

struct ToolRun {
  int status = -1;
  std::string out;
};

// Runs `mcscale ARGS` (shell text) and returns its exit status and stdout (plus stderr when
// `with_stderr`).
ToolRun Mcscale(const std::string& args, bool with_stderr = false) {
  std::string command = "'" + testing::BinPath("mcscale") + "' " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  testing::ShellRun shell = testing::RunShell(command);
  ToolRun run;
  run.status = shell.status;
  run.out = std::move(shell.out);
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Manual mode, and resizes that remap only: these tests are about what the tool shows, not
// about moving keys (so they do not wait for movers).
TestPoolOptions Manual() {
  TestPoolOptions opts;
  opts.config["mode"] = "manual";
  opts.extra_args = {"--no-migration"};
  return opts;
}

nlohmann::json StatusJson(TestPool& pool) {
  ToolRun run = Mcscale("status --json --redis " + pool.redis().url());
  EXPECT_EQ(run.status, 0) << run.out;
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

TEST(McscaleStatusIt, StatusShowsThePoolFromRedisEvenWithNoCoordinator) {
  TestPool pool(Manual());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":2})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(2, 60000));
  auto state = *pool.Pool();
  // Something to count on every node.
  for (const auto& [id, address] : state.nodes) {
    MemcacheClient mc(*HostPort::Parse(address));
    ASSERT_TRUE(mc.Set("key-on-" + id, "value").ok());
  }

  // Agents register and sample within a few of their 200 ms intervals.
  nlohmann::json j;
  ASSERT_TRUE(WaitUntil(
      [&] {
        j = StatusJson(pool);
        if (!j.is_object() || !j["nodes"].is_array() || j["nodes"].size() != 2) return false;
        for (const auto& n : j["nodes"])
          if (n["agent_alive"] != true || n["up"] != true || n["items"] != 1) return false;
        return true;
      },
      20000))
      << j.dump();
  EXPECT_EQ(j["exists"], true);
  EXPECT_EQ(j["pool_id"], state.pool_id);
  EXPECT_EQ(j["epoch"], state.epoch);
  EXPECT_EQ(j["state"], "stable");
  EXPECT_EQ(j["size"], 2);
  EXPECT_EQ(j["regions"], 16);
  EXPECT_EQ(j["mode"], "manual");
  int regions = 0;
  for (const auto& n : j["nodes"]) {
    std::string id = n["id"];
    ASSERT_TRUE(state.nodes.count(id)) << id;
    EXPECT_EQ(n["address"], state.nodes[id]);
    EXPECT_EQ(n["draining"], false);
    EXPECT_GT(n["bytes"].get<int64_t>(), 0);
    regions += n["regions"].get<int>();
  }
  EXPECT_EQ(regions, 16);

  // The table names the pool and every node.
  ToolRun text = Mcscale("status --redis " + pool.redis().url());
  ASSERT_EQ(text.status, 0);
  EXPECT_NE(text.out.find(state.pool_id), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("epoch " + std::to_string(state.epoch)), std::string::npos) << text.out;
  for (const auto& [id, address] : state.nodes) EXPECT_NE(text.out.find(address), std::string::npos) << text.out;

  // Straight from Redis: a stopped coordinator changes nothing (its nodes keep running).
  pool.KillCoordinator(SIGTERM);
  j = StatusJson(pool);
  EXPECT_EQ(j["epoch"], state.epoch);
  EXPECT_EQ(j["nodes"].size(), 2u);

  // Another prefix has no pool: said so, not an error.
  ToolRun none = Mcscale("status --json --prefix nothing-here --redis " + pool.redis().url());
  EXPECT_EQ(none.status, 0);
  auto nj = nlohmann::json::parse(none.out, nullptr, false);
  EXPECT_EQ(nj["exists"], false) << none.out;
  EXPECT_EQ(Mcscale("status --prefix nothing-here --redis " + pool.redis().url()).out.find("no pool"), 0u);

  // Redis unreachable: exit status 1 with the address named.
  ToolRun down = Mcscale("status --redis redis://127.0.0.1:1", true);
  EXPECT_EQ(down.status, 1);
  EXPECT_NE(down.out.find("127.0.0.1:1"), std::string::npos) << down.out;
}

TEST(McscaleStatusIt, WatchPrintsEachEventOnceAcrossARedisRestart) {
  TestPool pool(Manual());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  EventLog log(&pool.client(), pool.keys());
  auto before = log.Latest(1);
  ASSERT_TRUE(before.ok() && !before->empty());
  std::string start_seq = before->front().seq;
  int64_t epoch = pool.Pool()->epoch;

  // stdout (the event lines) to one file, stderr (notes) to another. A long poll interval
  // leaves the subscription, and the catch-up after each resubscribe, to do the work.
  std::string out = pool.state_dir() + "/watch.out";
  std::string err = pool.state_dir() + "/watch.err";
  testing::TestProcess watch(
      "mcscale watch",
      {"/bin/sh", "-c",
       "exec '" + testing::BinPath("mcscale") + "' watch --poll-ms 60000 --redis " + pool.redis().url() + " 2>'" +
           err + "'"},
      out);
  ASSERT_TRUE(watch.Start());
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(err).find("following") != std::string::npos; }, 20000))
      << ReadFile(err);

  auto lines_with = [&](const std::string& what) {
    int n = 0;
    for (const auto& line : Lines(ReadFile(out)))
      if (line.find(what) != std::string::npos) ++n;
    return n;
  };
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":2})").status, 200);
  std::string resized2 = "pool.resized epoch " + std::to_string(epoch + 1) + " nodes 1->2";
  std::string done2 = "migration.done epoch " + std::to_string(epoch + 1);
  ASSERT_TRUE(WaitUntil([&] { return lines_with(resized2) == 1 && lines_with(done2) == 1; }, 30000))
      << ReadFile(out);

  // Redis goes away and comes back (with its append-only file), and the next resize happens
  // before the watch could resubscribe (it is paused meanwhile): its events reach no
  // subscriber, so they must come from history after the resubscribe, once each.
  watch.Signal(SIGSTOP);
  pool.redis().Restart();
  ASSERT_TRUE(WaitUntil([&] { return pool.Api("POST", "/api/pool/resize", R"({"size":3})").status == 200; }, 30000, 200));
  ASSERT_TRUE(pool.WaitForSize(3, 60000));
  watch.Signal(SIGCONT);
  std::string resized3 = "pool.resized epoch " + std::to_string(epoch + 2) + " nodes 2->3";
  std::string done3 = "migration.done epoch " + std::to_string(epoch + 2);
  ASSERT_TRUE(WaitUntil([&] { return lines_with(resized3) == 1 && lines_with(done3) == 1; }, 30000))
      << ReadFile(out) << "\n" << ReadFile(err);
  EXPECT_NE(ReadFile(err).find("resubscribed"), std::string::npos) << ReadFile(err);
  ASSERT_EQ(pool.Api("PUT", "/api/config", R"({"max_miss_rate":0.6})").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return lines_with("config.changed") == 1; }, 30000)) << ReadFile(out);

  // Exactly the history after the start, once each, in order; nothing from before it.
  auto history = log.ReadAfter(start_seq);
  ASSERT_TRUE(history.ok());
  ASSERT_TRUE(WaitUntil([&] { return Lines(ReadFile(out)).size() >= history->size(); }, 10000));
  std::vector<std::string> lines = Lines(ReadFile(out));
  ASSERT_EQ(lines.size(), history->size()) << ReadFile(out);
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], EventLog::OneLine((*history)[i]));
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()).size(), lines.size()) << "no duplicate lines";

  // SIGTERM ends it cleanly.
  watch.Signal(SIGTERM);
  EXPECT_TRUE(WaitUntil([&] { return !watch.Running(); }, 10000));
}

TEST(McscaleStatusIt, WatchFromStartPrintsTheHistoryFirst) {
  TestPool pool(Manual());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  EventLog log(&pool.client(), pool.keys());
  auto history = log.ReadAfter("");
  ASSERT_TRUE(history.ok() && !history->empty());
  std::string out = pool.state_dir() + "/watch.out";
  testing::TestProcess watch("mcscale watch",
                             {"/bin/sh", "-c",
                              "exec '" + testing::BinPath("mcscale") + "' watch --from-start --redis " +
                                  pool.redis().url() + " 2>/dev/null"},
                             out);
  ASSERT_TRUE(watch.Start());
  ASSERT_TRUE(WaitUntil([&] { return Lines(ReadFile(out)).size() >= history->size(); }, 20000)) << ReadFile(out);
  auto lines = Lines(ReadFile(out));
  ASSERT_EQ(lines.size(), history->size());
  EXPECT_EQ(lines[0], EventLog::OneLine((*history)[0]));
  watch.Signal(SIGINT);
  EXPECT_TRUE(WaitUntil([&] { return !watch.Running(); }, 10000));
}

TEST(McscaleStatusIt, TrafficAlternatesColdAndWarmThroughThePool) {
  TestPool pool(Manual());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ToolRun run = Mcscale("traffic --phase-s 2 --rate 500 --report-s 1 --duration-s 5 --redis " + pool.redis().url());
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("phase cold"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("phase warm"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("traffic cold: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("miss rate 1.00"), std::string::npos) << "every cold get misses\n" << run.out;
  EXPECT_NE(run.out.find("traffic warm: "), std::string::npos) << run.out;
  // The node saw the gets and the cache-aside sets.
  auto state = *pool.Pool();
  MemcacheClient mc(*HostPort::Parse(state.nodes.begin()->second));
  auto stats = mc.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_GT(std::stoll((*stats)["cmd_get"]), 1000);
  EXPECT_GT(std::stoll((*stats)["get_hits"]), 100) << "warm gets hit";
  EXPECT_GT(std::stoll((*stats)["cmd_set"]), 500) << "cold misses are set";
}

TEST(McscaleStatusIt, BadArgumentsExitTwoWithTheOptionNamed) {
  for (const auto& [args, named] : std::vector<std::pair<std::string, std::string>>{
           {"status --bogus", "--bogus"},
           {"status --redis http://x", "--redis"},
           {"status --prefix ''", "--prefix"},
           {"status extra", "extra"},
           {"watch --redis http://x", "--redis"},
           {"watch --poll-ms 0", "poll-ms"},
           {"watch --log-level loud", "log-level"},
           {"traffic --rate 0", "rate"},
           {"traffic --phase-s abc", "phase-s"},
           {"traffic --duration-s -1", "duration-s"},
       }) {
    ToolRun run = Mcscale(args, true);
    EXPECT_EQ(run.status, 2) << args << "\n" << run.out;
    EXPECT_NE(run.out.find(named), std::string::npos) << args << "\n" << run.out;
  }
  for (const char* sub : {"status", "watch", "traffic"}) {
    ToolRun help = Mcscale(std::string(sub) + " --help");
    EXPECT_EQ(help.status, 0) << sub;
    EXPECT_NE(help.out.find("--redis"), std::string::npos) << sub << "\n" << help.out;
  }
  ToolRun usage = Mcscale("--help");
  for (const char* sub : {"region", "plan", "status", "watch", "traffic"})
    EXPECT_NE(usage.out.find(sub), std::string::npos) << usage.out;
}

}  // namespace
}  // namespace mcscale
