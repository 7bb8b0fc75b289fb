// Integration test of mcscale-coordinator's exec provider driving the shipped example,
// scripts/exec-provider-example.sh: real redis-server, memcached nodes and mcscale-agents that
// the script starts on loopback, keeping pid files in a state folder of the test's own.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/memcache_client.h"
#include "common/subprocess.h"
#include "tests/harness/test_pool.h"

namespace mcscale {
namespace {

using testing::TestPool;
using testing::TestPoolOptions;
using testing::WaitUntil;

// Pid file name ("node-1.node.pid") -> pid, for every pid file in `dir`.
std::map<std::string, int> PidFiles(const std::string& dir) {
  std::map<std::string, int> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".pid") continue;
    std::ifstream in(entry.path());
    int pid = 0;
    if (in >> pid) out[entry.path().filename().string()] = pid;
  }
  return out;
}

bool Running(int pid) { return ProcessCommandLine(pid).has_value(); }

bool Answers(const std::string& address) {
  auto hp = HostPort::Parse(address);
  if (!hp.ok()) return false;
  MemcacheClient mc(*hp, 2000);
  auto v = mc.Command("version");
  return v.ok() && v->rfind("VERSION", 0) == 0;
}

bool AgentRegistered(TestPool& pool, const std::string& id) {
  auto r = pool.client().Command({"EXISTS", pool.keys().agent(id)});
  return r.ok() && r->integer == 1;
}

class ExecProviderIt : public ::testing::Test {
 protected:
  void SetUp() override {
    // The coordinator passes its environment on to the script: where to keep its state,
    // which agent to run and how often the agents sample.
    setenv("MCSCALE_EXEC_STATE", state_.path().c_str(), 1);
    setenv("MCSCALE_AGENT_BINARY", testing::BinPath("mcscale-agent").c_str(), 1);
    setenv("MCSCALE_AGENT_INTERVAL_MS", "200", 1);
  }

  TestPoolOptions Options() {
    TestPoolOptions opts;
    opts.config["mode"] = "manual";
    // Resizes are live migrations: the script's agents carry out the moves.
    opts.extra_args = {"--provider", "exec", "--exec-script",
                       std::string(MCSCALE_SOURCE_DIR) + "/scripts/exec-provider-example.sh"};
    return opts;
  }

  testing::TempDir state_;
};

TEST_F(ExecProviderIt, GrowsToMinNodesResizesReadoptsAndRetiresEverything) {
  std::set<int> seen;
  {
    TestPool pool(Options());
    ASSERT_TRUE(pool.WaitForSize(1, 60000)) << "an empty pool is grown to min_nodes through the script";
    auto one = *pool.Pool();
    const auto& [first_id, first_address] = *one.nodes.begin();
    EXPECT_TRUE(Answers(first_address)) << first_address;
    EXPECT_TRUE(WaitUntil([&] { return AgentRegistered(pool, first_id); }, 20000)) << "the script starts the agent";
    auto provider = pool.client().HGetAll(pool.keys().provider());
    ASSERT_TRUE(provider.ok());
    EXPECT_EQ(provider->count(first_id), 1u) << "the exec provider records what the script started";

    // Keys on the one node; growing moves half the regions, and the script's agents move
    // their keys (the exec agents run under the node ids and prefix the coordinator uses).
    MemcacheClient first(*HostPort::Parse(first_address));
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(first.Set("key-" + std::to_string(i), "value").ok());

    ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":2})").status, 200);
    ASSERT_TRUE(pool.WaitForSize(2, 60000));
    auto two = *pool.Pool();
    ASSERT_EQ(two.nodes.size(), 2u);
    int found = 0;
    for (int i = 0; i < 200; ++i) {
      std::string key = "key-" + std::to_string(i);
      MemcacheClient owner(*HostPort::Parse(two.nodes[two.regions.OwnerOfKey(key)]));
      auto got = owner.Get(key);
      if (got.ok() && got->has_value()) ++found;
    }
    EXPECT_EQ(found, 200) << "every key is on its owner after the migration";
    for (const auto& [id, address] : two.nodes) {
      EXPECT_TRUE(Answers(address)) << id << " " << address;
      EXPECT_TRUE(WaitUntil([&] { return AgentRegistered(pool, id); }, 20000)) << id;
    }
    auto pids = PidFiles(state_.path());
    EXPECT_EQ(pids.size(), 4u) << "a node and an agent per node";
    for (const auto& [file, pid] : pids) {
      EXPECT_TRUE(Running(pid)) << file;
      seen.insert(pid);
    }

    // A coordinator killed and restarted re-adopts the nodes the script says still run
    // (`check`), starting none anew.
    pool.KillCoordinator(SIGKILL);
    ASSERT_TRUE(pool.StartCoordinator());
    ASSERT_TRUE(pool.WaitForSize(2, 60000));
    EXPECT_EQ(pool.Pool()->nodes, two.nodes);
    EXPECT_EQ(PidFiles(state_.path()), pids) << "the same processes, no duplicates";

    // Shrinking stops the removed node and its agent through `down`.
    ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":1})").status, 200);
    ASSERT_TRUE(pool.WaitForSize(1, 60000));
    auto left = *pool.Pool();
    ASSERT_EQ(left.nodes.size(), 1u);
    NodeId removed;
    for (const auto& [id, _] : two.nodes)
      if (!left.nodes.count(id)) removed = id;
    ASSERT_FALSE(removed.empty());
    int node_pid = pids[removed + ".node.pid"];
    int agent_pid = pids[removed + ".agent.pid"];
    ASSERT_GT(node_pid, 0);
    ASSERT_GT(agent_pid, 0);
    EXPECT_TRUE(WaitUntil([&] { return !Running(node_pid) && !Running(agent_pid); }, 20000))
        << "node " << removed << " and its agent still run";
    EXPECT_TRUE(WaitUntil([&] { return PidFiles(state_.path()).size() == 2u; }, 20000));
    EXPECT_TRUE(Answers(left.nodes.begin()->second));

    EXPECT_TRUE(pool.Retire());
  }
  // Retiring the pool ran `down` for every node: nothing the script started runs on.
  EXPECT_TRUE(WaitUntil(
      [&] {
        for (int pid : seen)
          if (Running(pid)) return false;
        return true;
      },
      20000));
  EXPECT_TRUE(PidFiles(state_.path()).empty());
}

TEST_F(ExecProviderIt, ScriptRefusesBadUsageWithStatusTwo) {
  std::string script = std::string(MCSCALE_SOURCE_DIR) + "/scripts/exec-provider-example.sh";
  for (const char* args : {"", "up", "up node-1", "start node-1", "check"}) {
    std::string cmd = "'" + script + "' " + args + " >/dev/null 2>&1";
    int status = system(cmd.c_str());
    EXPECT_EQ(WEXITSTATUS(status), 2) << cmd;
  }
  // A node that was never started is not running, and stopping it is not an error.
  EXPECT_NE(system(("'" + script + "' check node-404 2>/dev/null").c_str()), 0);
  EXPECT_EQ(system(("'" + script + "' down node-404 2>/dev/null").c_str()), 0);
}

}  // namespace
}  // namespace mcscale
