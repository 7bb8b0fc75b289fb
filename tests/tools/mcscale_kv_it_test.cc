// Integration tests of the operator tool's key subcommands (`mcscale get`, `set`, `del`,
// which go through the frontend library) and of `mcscale region` naming the owning node,
// against a real pool (tests/harness/test_pool.h). Where a key lives is checked by asking
// each memcached node directly.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/memcache_client.h"
#include "common/region_map.h"
#include "tests/harness/test_pool.h"

namespace mcscale {
namespace {

using testing::TestPool;
using testing::TestPoolOptions;

struct ToolRun {
  int status = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `mcscale ARGS` (shell text), keeping stdout and stderr apart.
ToolRun Mcscale(const std::string& args) {
  testing::TempDir dir;
  std::string err_path = dir.path() + "/stderr";
  std::string command = "'" + testing::BinPath("mcscale") + "' " + args + " 2>'" + err_path + "'";
  testing::ShellRun shell = testing::RunShell(command);
  ToolRun run;
  run.status = shell.status;
  run.out = std::move(shell.out);
  std::ifstream in(err_path);
  std::stringstream ss;
  ss << in.rdbuf();
  run.err = ss.str();
  return run;
}

std::string On(TestPool& pool) { return " --redis " + pool.redis().url() + " --prefix " + pool.keys().prefix(); }

TestPoolOptions Manual() {
  TestPoolOptions o;
  o.config["mode"] = "manual";
  return o;
}

// One direct memcached connection per node of the pool.
std::map<NodeId, std::unique_ptr<MemcacheClient>> Direct(const PoolState& state) {
  std::map<NodeId, std::unique_ptr<MemcacheClient>> out;
  for (const auto& [id, address] : state.nodes) out[id] = std::make_unique<MemcacheClient>(*HostPort::Parse(address));
  return out;
}

// The ids of the nodes that hold `key`, asked directly.
std::vector<NodeId> Holders(std::map<NodeId, std::unique_ptr<MemcacheClient>>& direct, const std::string& key) {
  std::vector<NodeId> holders;
  for (auto& [id, mc] : direct) {
    auto got = mc->Get(key);
    EXPECT_TRUE(got.ok()) << id << ": " << got.status().ToString();
    if (got.ok() && got->has_value()) holders.push_back(id);
  }
  return holders;
}

class McscaleKvIt : public ::testing::Test {
 protected:
  void SetUp() override {
    FILE* f = std::fopen(testing::BinPath("mcscale").c_str(), "r");
    ASSERT_NE(f, nullptr) << "build the target 'mcscale' first: " << testing::BinPath("mcscale");
    std::fclose(f);
  }
};

TEST_F(McscaleKvIt, SetGetDelRoundTripLandsOnTheOwnerRegionNames) {
  TestPool pool(Manual());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":3})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(3, 60000));
  PoolState state = *pool.Pool();
  auto direct = Direct(state);

  for (const std::string key : {"user:42", "cart:7", "session:abc", "hello"}) {
    SCOPED_TRACE(key);
    ToolRun set = Mcscale("set" + On(pool) + " --ttl 300 --flags 5 '" + key + "' 'value of " + key + "'");
    ASSERT_EQ(set.status, 0) << set.err;
    EXPECT_EQ(set.out, "");

    ToolRun get = Mcscale("get" + On(pool) + " '" + key + "'");
    ASSERT_EQ(get.status, 0) << get.err;
    EXPECT_EQ(get.out, "value of " + key + "\n");
    ToolRun json = Mcscale("get --json" + On(pool) + " '" + key + "'");
    ASSERT_EQ(json.status, 0) << json.err;
    auto j = nlohmann::json::parse(json.out, nullptr, false);
    EXPECT_EQ(j["value"], "value of " + key);
    EXPECT_EQ(j["flags"], 5);

    // region names the node that holds the key, and only that node holds it.
    ToolRun region = Mcscale("region" + On(pool) + " '" + key + "'");
    ASSERT_EQ(region.status, 0) << region.err;
    EXPECT_EQ(region.err, "");
    auto r = nlohmann::json::parse(region.out, nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << region.out;
    EXPECT_EQ(r["key"], key);
    EXPECT_EQ(r["region"], RegionMap::RegionOf(key, 16));
    ASSERT_TRUE(r.contains("node")) << region.out;
    EXPECT_EQ(r["node"], state.regions.OwnerOfKey(key));
    EXPECT_EQ(r["address"], state.nodes.at(r["node"].get<std::string>()));
    EXPECT_EQ(Holders(direct, key), std::vector<NodeId>{r["node"].get<std::string>()});
    auto held = direct.at(r["node"].get<std::string>())->Get(key);
    ASSERT_TRUE(held.ok() && held->has_value());
    EXPECT_EQ((*held)->value, "value of " + key);
    EXPECT_EQ((*held)->flags, 5u);

    ToolRun del = Mcscale("del" + On(pool) + " '" + key + "'");
    ASSERT_EQ(del.status, 0) << del.err;
    EXPECT_TRUE(Holders(direct, key).empty());
    ToolRun miss = Mcscale("get" + On(pool) + " '" + key + "'");
    EXPECT_EQ(miss.status, 1) << "a miss";
    EXPECT_EQ(miss.out, "") << "a miss prints nothing";
  }
  // Deleting a key that does not exist is done too.
  EXPECT_EQ(Mcscale("del" + On(pool) + " never-set").status, 0);
}

TEST_F(McscaleKvIt, RegionFollowsAKeyThatMovedInAResize) {
  TestPool pool(Manual());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":2})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(2, 60000));
  PoolState before = *pool.Pool();
  // A key whose region moves to the next node (node-3) when the pool grows.
  std::vector<NodeId> next_nodes = before.regions.Nodes();
  next_nodes.push_back("node-3");
  RegionMap next_map = *RegionMap::Rebalance(before.regions, next_nodes);
  std::string key;
  for (int i = 0; key.empty(); ++i)
    if (next_map.OwnerOfKey("mover-" + std::to_string(i)) == "node-3") key = "mover-" + std::to_string(i);
  ASSERT_EQ(Mcscale("set" + On(pool) + " " + key + " moved-value").status, 0);
  auto r = nlohmann::json::parse(Mcscale("region" + On(pool) + " " + key).out, nullptr, false);
  EXPECT_EQ(r["node"], before.regions.OwnerOfKey(key));

  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":3})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(3, 60000));
  PoolState after = *pool.Pool();
  ASSERT_EQ(after.regions.OwnerOfKey(key), "node-3");
  r = nlohmann::json::parse(Mcscale("region" + On(pool) + " " + key).out, nullptr, false);
  EXPECT_EQ(r["node"], "node-3");
  EXPECT_EQ(r["address"], after.nodes.at("node-3"));
  EXPECT_FALSE(r.contains("previous_node")) << "the migration is over";
  auto direct = Direct(after);
  EXPECT_EQ(Holders(direct, key), std::vector<NodeId>{"node-3"}) << "the mover carried it to its new owner";
  ToolRun get = Mcscale("get" + On(pool) + " " + key);
  EXPECT_EQ(get.status, 0) << get.err;
  EXPECT_EQ(get.out, "moved-value\n");
}

TEST_F(McscaleKvIt, NoPoolIsAClearErrorAndRegionStillAnswers) {
  testing::RedisServer redis;  // reachable, but no pool under the prefix
  std::string empty = " --redis " + redis.url() + " --prefix nothing-here --timeout-ms 2000";
  for (const std::string args : {"get k", "set k v", "del k"}) {
    ToolRun run = Mcscale(args + empty);
    EXPECT_EQ(run.status, 1) << args;
    EXPECT_EQ(run.out, "") << args;
    EXPECT_NE(run.err.find("no pool"), std::string::npos) << args << ": " << run.err;
    EXPECT_NE(run.err.find("nothing-here:pool"), std::string::npos) << args << ": " << run.err;
  }
  std::string unreachable = " --redis redis://127.0.0.1:" + std::to_string(testing::FreePort());
  ToolRun get = Mcscale("get k" + unreachable);
  EXPECT_EQ(get.status, 1);
  EXPECT_NE(get.err.find("not reachable"), std::string::npos) << get.err;

  // region without a pool: the old output, and the reason on stderr.
  for (const std::string& where : {empty, unreachable}) {
    ToolRun region = Mcscale("region hello" + where);
    EXPECT_EQ(region.status, 0) << region.err;
    EXPECT_EQ(region.out, "{\"key\":\"hello\",\"region\":5}\n");
    EXPECT_NE(region.err.find("without their node"), std::string::npos) << region.err;
  }
}

TEST_F(McscaleKvIt, BadUsageExitsTwoNamingTheProblem) {
  struct Case {
    std::string args;
    std::string names;
  };
  // Usage is checked before any connection: no Redis is needed.
  for (const Case& c : std::vector<Case>{
           {"get", "KEY"},
           {"get a b", "KEY"},
           {"get 'two words'", "KEY"},
           {"set k", "KEY VALUE"},
           {"set k v extra", "KEY VALUE"},
           {"set k v --ttl -1", "--ttl"},
           {"set k v --ttl soon", "--ttl"},
           {"set k v --flags 2147483648", "--flags"},
           {"set k v --bogus 1", "--bogus"},
           {"del", "KEY"},
           {"del k --redis http://x", "--redis"},
           {"region k --timeout-ms 0", "--timeout-ms"},
       }) {
    ToolRun run = Mcscale(c.args);
    EXPECT_EQ(run.status, 2) << c.args << ": " << run.err;
    EXPECT_NE(run.err.find(c.names), std::string::npos) << c.args << ": " << run.err;
  }
  for (const char* sub : {"get", "set", "del", "region"}) {
    ToolRun help = Mcscale(std::string(sub) + " --help");
    EXPECT_EQ(help.status, 0) << sub;
    EXPECT_NE(help.out.find("--redis"), std::string::npos) << sub;
  }
}

}  // namespace
}  // namespace mcscale
