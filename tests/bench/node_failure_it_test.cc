// Node failure end to end (issue 7): a node killed with SIGKILL under load leaves the pool
// in a new epoch within failure_timeout_s plus a few seconds and the frontends serve from
// the survivors; an agent killed alone does not take its healthy node out (the coordinator
// restarts it); a node that fails in the middle of a migration does not stop the migration
// of the other regions, and no read is stale.
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "bench/consistency_checker.h"
#include "common/pool_event.h"
#include "common/redis_subscriber.h"
#include "frontend/pool_client.h"
#include "tests/harness/test_pool.h"

namespace mcscale {
namespace {

using testing::BinPath;
using testing::TestPool;
using testing::TestPoolOptions;
using testing::TestProcess;
using testing::WaitUntil;

TestPoolOptions FastFailure() {
  TestPoolOptions o;
  o.config = {{"mode", "manual"}, {"failure_timeout_s", 3}, {"node_capacity_mb", 128}, {"bucket_s", 5}};
  return o;
}

nlohmann::json ProviderRecord(TestPool& pool, const NodeId& id) {
  auto all = *pool.client().HGetAll(pool.keys().provider());
  return nlohmann::json::parse(all.at(id));
}

class FailedEvents {
 public:
  explicit FailedEvents(TestPool& pool)
      : sub_(*RedisAddress::Parse(pool.redis().url()), {pool.keys().events()},
             [this](const std::string&, const std::string& msg) {
               auto ev = PoolEvent::Decode(msg);
               if (!ev.ok() || ev->type != EventType::kNodeFailed) return;
               std::lock_guard<std::mutex> l(mu_);
               events_.push_back({*ev, std::chrono::steady_clock::now()});
             }) {
    sub_.Start();
    EXPECT_TRUE(WaitUntil([&] { return sub_.connected(); }, 20000));
  }
  size_t size() {
    std::lock_guard<std::mutex> l(mu_);
    return events_.size();
  }
  std::pair<PoolEvent, std::chrono::steady_clock::time_point> at(size_t i) {
    std::lock_guard<std::mutex> l(mu_);
    return events_.at(i);
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<PoolEvent, std::chrono::steady_clock::time_point>> events_;
  RedisSubscriber sub_;
};

TEST(NodeFailureIt, KilledNodeLeavesThePoolInSecondsAndSurvivorsServe) {
  TestPool pool(FastFailure());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":3})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(3, 60000));
  FailedEvents failed(pool);
  PoolClientOptions o;
  o.redis_url = pool.redis().url();
  o.request_timeout_ms = 100;
  auto client = PoolClient::Create(o).value();
  ASSERT_TRUE(client->WaitReady(30000));
  auto before = *pool.Pool();

  std::atomic<bool> stop{false};
  std::atomic<int> thrown{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (uint64_t n = static_cast<uint64_t>(t); !stop; n += 4) {
        std::string k = "f-" + std::to_string(n % 2000);
        try {
          if (n % 5 == 0) client->Set(k, "v");
          else client->Get(k);
        } catch (...) {
          ++thrown;
        }
      }
    });
  ASSERT_TRUE(WaitUntil([&] { return client->Stats().gets > 2000; }, 30000));
  NodeId victim = "node-2";
  ASSERT_EQ(::kill(ProviderRecord(pool, victim)["pid"].get<int>(), SIGKILL), 0);
  auto killed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] { return failed.size() > 0; }, 60000)) << "pool.node_failed";
  auto [ev, seen_at] = failed.at(0);
  double seconds = std::chrono::duration<double>(seen_at - killed_at).count();
  std::cerr << "pool.node_failed " << seconds << " s after SIGKILL (failure_timeout_s 3)\n";
  EXPECT_LT(seconds, 3 + 5.0);
  EXPECT_EQ(ev.node, victim);
  EXPECT_EQ(ev.epoch, before.epoch + 1);
  EXPECT_EQ(ev.new_nodes.count(victim), 0u);
  for (const auto& owner : ev.new_regions.owners()) EXPECT_NE(owner, victim);
  // Only the dead node's regions changed owner.
  for (int r = 0; r < 16; ++r)
    if (before.regions.owner(r) != victim) {
      EXPECT_EQ(ev.new_regions.owner(r), before.regions.owner(r));
    }
  ASSERT_TRUE(client->WaitForEpoch(ev.epoch, true, 30000));
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(thrown.load(), 0);
  // The survivors serve every key, including the dead node's.
  for (int i = 0; i < 200; ++i) {
    std::string k = "after-" + std::to_string(i);
    ASSERT_TRUE(client->Set(k, "x").ok()) << k;
    auto got = client->Get(k);
    ASSERT_TRUE(got.has_value()) << k;
  }
  EXPECT_EQ(pool.ApiJson("GET", "/api/pool")["node_list"].size(), 2u);
}

TEST(NodeFailureIt, AgentKilledAloneKeepsItsHealthyNodeAndIsRestarted) {
  TestPool pool(FastFailure());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":2})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(2, 60000));
  FailedEvents failed(pool);
  int64_t epoch = pool.Pool()->epoch;
  int agent_pid = ProviderRecord(pool, "node-1")["agent_pid"].get<int>();
  ASSERT_EQ(::kill(agent_pid, SIGKILL), 0);
  // Its registration expires (TTL 3 s at 200 ms samples), the coordinator probes the node,
  // finds it answering, and starts a new agent.
  ASSERT_TRUE(WaitUntil(
      [&] {
        int now_pid = ProviderRecord(pool, "node-1")["agent_pid"].get<int>();
        auto reg = pool.client().HGetAll(pool.keys().agent("node-1"));
        return now_pid != agent_pid && reg.ok() && !reg->empty() && reg->at("pid") == std::to_string(now_pid);
      },
      60000))
      << "the agent is restarted";
  // Longer than failure_timeout_s since the agent died: still in the pool.
  auto since = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] { return std::chrono::steady_clock::now() - since > std::chrono::seconds(4); }, 10000));
  EXPECT_EQ(failed.size(), 0u);
  EXPECT_EQ(pool.Pool()->epoch, epoch);
  EXPECT_EQ(pool.Pool()->nodes.count("node-1"), 1u);
}

TEST(NodeFailureIt, NodeFailingMidMigrationLetsTheOtherRegionsFinishWithoutStaleReads) {
  TestPool pool(FastFailure());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":3})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(3, 60000));
  const std::string dir = pool.state_dir();
  auto workload = [&](int index, int processes, bool load_only, const std::string& log) {
    std::vector<std::string> a = {BinPath("mcscale-workload"), "--redis", pool.redis().url(), "--keys", "60000",
                                  "--threads", "4", "--processes", std::to_string(processes), "--process-index",
                                  std::to_string(index), "--rate", "1500", "--log", dir + "/" + log,
                                  "--request-timeout-ms", "100"};
    if (load_only) a.push_back("--load-only");
    return a;
  };
  {
    TestProcess loader("loader", workload(0, 1, true, "load.bin"), dir + "/load.out");
    ASSERT_TRUE(loader.Start());
    ASSERT_TRUE(WaitUntil([&] { return !loader.Running(); }, 300000, 100));
  }
  std::vector<std::unique_ptr<TestProcess>> workers;
  for (int p = 0; p < 2; ++p) {
    workers.push_back(std::make_unique<TestProcess>("workload", workload(p, 2, false, "run.p" + std::to_string(p) + ".bin"),
                                                    dir + "/run.p" + std::to_string(p) + ".out"));
    ASSERT_TRUE(workers.back()->Start());
  }
  for (auto& w : workers)
    ASSERT_TRUE(WaitUntil([&] { return w->ReadLog().find("\"t\":1,") != std::string::npos; }, 60000));
  int64_t epoch = pool.Pool()->epoch + 1;
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":5})").status, 200);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto m = pool.client().HGetAll(pool.keys().migration(epoch));
        return m.ok() && m->count("keys_moved") && std::stoll((*m)["keys_moved"]) > 0;
      },
      120000, 5))
      << "the movers have started";
  // A destination of this migration fails.
  ASSERT_EQ(::kill(ProviderRecord(pool, "node-5")["pid"].get<int>(), SIGKILL), 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto p = pool.Pool();
        return p && p->epoch > epoch && p->nodes.count("node-5") == 0 && p->state == PoolPhase::kStable;
      },
      180000))
      << "the failure is handled and the migration of the other regions completes";
  auto after = *pool.Pool();
  EXPECT_EQ(after.regions.Nodes().size(), 4u);
  for (auto& w : workers) {
    std::string marker = w->ReadLog();
    ASSERT_TRUE(WaitUntil([&] { return w->ReadLog().size() > marker.size() + 200; }, 60000));
    w->Signal(SIGTERM);
    ASSERT_TRUE(WaitUntil([&] { return !w->Running(); }, 60000));
  }
  ConsistencyChecker checker;
  for (const char* log : {"load.bin", "run.p0.bin", "run.p1.bin"}) {
    std::vector<OpRecord> records;
    ASSERT_TRUE(ReadOpLog(dir + "/" + log, &records).ok());
    checker.Add(records);
  }
  auto rep = checker.CheckStaleReads();
  std::cerr << rep.reads << " reads of a value, " << rep.stale_reads << " stale\n";
  EXPECT_GT(rep.reads, 1000u);
  EXPECT_EQ(rep.stale_reads, 0u);
  for (const auto& e : rep.examples) ADD_FAILURE() << e;
}

}  // namespace
}  // namespace mcscale
