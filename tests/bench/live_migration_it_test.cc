// Live migration end to end (issue 6): 3 memcached nodes, 100,000 keys of 1 KB, resizes
// 3->4, 4->2 and 2->5 under the mixed workload (90% get, 9% set, 1% delete, versioned
// values) from two frontend processes, nothing evicted. Checks: 0 stale reads over the whole
// run, 0 lost single-writer keys after each migration.done, regions moved = the minimum.
// Variants: a frontend process paused (SIGSTOP) across the resize; the agent of a source
// node killed (SIGKILL) and restarted mid-migration.
#include <signal.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "bench/consistency_checker.h"
#include "bench/minimum_moves.h"
#include "common/event_log.h"
#include "common/memcache_client.h"
#include "common/move_planner.h"
#include "frontend/pool_client.h"
#include "tests/harness/test_pool.h"

namespace mcscale {
namespace {

using testing::BinPath;
using testing::TestPool;
using testing::TestPoolOptions;
using testing::TestProcess;
using testing::WaitUntil;

constexpr uint32_t kKeys = 100000;

enum class Variant { kPlain, kPausedFrontend, kAgentKilled };

class LiveMigration {
 public:
  explicit LiveMigration(TestPool& pool) : pool_(pool) {}

  void Load() {
    TestProcess loader("mcscale-workload (load)", Args(0, 1) , pool_.state_dir() + "/load.out");
    loader.Start();
    ASSERT_TRUE(WaitUntil([&] { return !loader.Running(); }, 300000, 100)) << "loading 100,000 keys";
    ASSERT_NE(loader.ReadLog().find("\"load_failures\":0"), std::string::npos) << loader.ReadLog();
    logs_.push_back(pool_.state_dir() + "/run0.p0.bin");
  }

  void Resize(int size, Variant variant, int run) {
    std::vector<std::unique_ptr<TestProcess>> workers;
    for (int p = 0; p < 2; ++p) {
      auto args = Args(run, 2, p);
      workers.push_back(std::make_unique<TestProcess>(
          "mcscale-workload " + std::to_string(p), args,
          pool_.state_dir() + "/run" + std::to_string(run) + ".p" + std::to_string(p) + ".out"));
      ASSERT_TRUE(workers.back()->Start());
      logs_.push_back(pool_.state_dir() + "/run" + std::to_string(run) + ".p" + std::to_string(p) + ".bin");
    }
    for (auto& w : workers)
      ASSERT_TRUE(WaitUntil([&] { return w->ReadLog().find("\"t\":1,") != std::string::npos; }, 60000))
          << "workload running";
    if (variant == Variant::kPausedFrontend) workers[1]->Signal(SIGSTOP);

    auto before = *pool_.Pool();
    auto r = pool_.Api("POST", "/api/pool/resize", "{\"size\":" + std::to_string(size) + "}");
    ASSERT_EQ(r.status, 200) << r.body;
    int64_t epoch = before.epoch + 1;
    // One change at a time: a resize while this one migrates is refused.
    if (pool_.Pool()->state == PoolPhase::kMigrating) {
      auto again = pool_.Api("POST", "/api/pool/resize", R"({"size":1})");
      EXPECT_EQ(again.status, 409) << again.body;
    }
    if (variant == Variant::kAgentKilled) KillAndRestartASourceAgent(before, epoch);
    ASSERT_TRUE(pool_.WaitForSize(size, 240000)) << "migration of epoch " << epoch << " completes";
    // A resize while migrating is refused; now that it is done, the next one is accepted.
    auto after = *pool_.Pool();
    ASSERT_EQ(after.epoch, epoch);

    // Regions moved: the minimum, and every one of them done by the movers.
    auto moves = RegionMap::Moves(before.regions, after.regions);
    EXPECT_EQ(moves.size(), MinimumMoves(before.regions, after.regions.Nodes()));
    auto m = *pool_.client().HGetAll(pool_.keys().migration(epoch));
    EXPECT_EQ(m["regions_total"], std::to_string(moves.size()));
    EXPECT_EQ(m["regions_done"], std::to_string(moves.size()));
    std::cerr << "epoch " << epoch << ": " << before.regions.Nodes().size() << " -> " << size << " nodes, "
              << moves.size() << " regions, " << m["keys_moved"] << " keys moved, " << m["keys_skipped"]
              << " skipped\n";
    EXPECT_GT(std::stoll(m["keys_moved"]), 0);

    if (variant == Variant::kPausedFrontend) workers[1]->Signal(SIGCONT);
    // Traffic on the new map for a moment, then stop and check.
    for (auto& w : workers) {
      std::string marker = w->ReadLog();
      ASSERT_TRUE(WaitUntil([&] { return w->ReadLog().size() > marker.size() + 200; }, 60000));
      w->Signal(SIGTERM);
      ASSERT_TRUE(WaitUntil([&] { return !w->Running(); }, 60000));
      ASSERT_NE(w->ReadLog().find("\"done\":true"), std::string::npos) << w->ReadLog();
    }
    CheckNothingLost();
  }

  void CheckNoStaleReads() {
    ConsistencyChecker c;
    for (const auto& path : logs_) {
      std::vector<OpRecord> records;
      ASSERT_TRUE(ReadOpLog(path, &records).ok()) << path;
      c.Add(records);
    }
    auto rep = c.CheckStaleReads();
    std::cerr << rep.reads << " reads of a value checked, " << rep.stale_reads << " stale\n";
    EXPECT_GT(rep.reads, 10000u);
    EXPECT_EQ(rep.unknown_versions, 0u);
    EXPECT_EQ(rep.stale_reads, 0u);
    for (const auto& e : rep.examples) ADD_FAILURE() << e;
  }

  void CheckNothingEvicted() {
    auto pool = pool_.Pool();
    ASSERT_TRUE(pool.has_value());
    for (const auto& [id, address] : pool->nodes) {
      MemcacheClient mc(*HostPort::Parse(address));
      auto s = mc.Stats();
      ASSERT_TRUE(s.ok());
      EXPECT_EQ(s->at("evictions"), "0") << id;
    }
  }

 private:
  std::vector<std::string> Args(int run, int processes, int index = 0) {
    std::vector<std::string> a = {BinPath("mcscale-workload"), "--redis", pool_.redis().url(),
                                  "--keys", std::to_string(kKeys), "--threads", "4",
                                  "--processes", std::to_string(processes), "--process-index", std::to_string(index),
                                  "--rate", "1500", "--seed", std::to_string(run * 10 + index + 1),
                                  // Versions unique across runs: sequences start again each run.
                                  "--writer-offset", std::to_string(run * 10000),
                                  "--log", pool_.state_dir() + "/run" + std::to_string(run) + ".p" +
                                               std::to_string(index) + ".bin"};
    if (run == 0) a.push_back("--load-only");
    return a;
  }

  void KillAndRestartASourceAgent(const PoolState& before, int64_t epoch) {
    // Wait until the movers have started but not finished, then kill one source's agent.
    std::string key = pool_.keys().migration(epoch);
    bool midway = WaitUntil(
        [&] {
          auto m = pool_.client().HGetAll(key);
          if (!m.ok() || !m->count("regions_total")) return false;
          return std::stoll((*m)["keys_moved"]) > 0;
        },
        120000, 2);
    ASSERT_TRUE(midway);
    auto m = *pool_.client().HGetAll(key);
    auto provider = *pool_.client().HGetAll(pool_.keys().provider());
    // A node that is a source in this epoch and still has regions to do.
    auto after = *pool_.Pool();
    NodeId source;
    for (const auto& mv : RegionMap::Moves(before.regions, after.regions))
      if (!m.count("r" + std::to_string(mv.region) + ".done")) source = mv.from;
    if (source.empty()) source = RegionMap::Moves(before.regions, after.regions).front().from;
    auto rec = nlohmann::json::parse(provider.at(source));
    int agent_pid = rec["agent_pid"].get<int>();
    std::vector<std::string> argv = rec["agent_cmdline"].get<std::vector<std::string>>();
    ASSERT_EQ(::kill(agent_pid, SIGKILL), 0);
    std::cerr << "killed the agent of " << source << " at regions_done " << m["regions_done"] << "/"
              << m["regions_total"] << "\n";
    // Kept for the rest of the run: a restarted agent serves its node in later epochs too.
    restarted_agents_.push_back(std::make_unique<TestProcess>(
        "restarted agent of " + source, argv,
        pool_.state_dir() + "/restarted-agent-" + std::to_string(restarted_agents_.size()) + ".log"));
    ASSERT_TRUE(restarted_agents_.back()->Start());
  }

  void CheckNothingLost() {
    ConsistencyChecker c;
    for (const auto& path : logs_) {
      std::vector<OpRecord> records;
      ASSERT_TRUE(ReadOpLog(path, &records).ok()) << path;
      c.Add(records);
    }
    auto expected = c.ExpectedState();
    PoolClientOptions o;
    o.redis_url = pool_.redis().url();
    o.id = "checker";
    auto client = PoolClient::Create(o).value();
    ASSERT_TRUE(client->WaitForEpoch(pool_.Pool()->epoch, true, 30000));
    std::vector<std::string> batch;
    std::vector<uint32_t> ids;
    size_t checked = 0, lost = 0;
    auto flush = [&] {
      auto got = client->MultiGet(batch);
      for (size_t i = 0; i < batch.size(); ++i) {
        uint64_t want = expected[ids[i]];
        auto it = got.find(batch[i]);
        uint64_t have = it == got.end() ? kNoVersion : VersionOf(it->second.value);
        if (have != want && ++lost <= 10)
          ADD_FAILURE() << batch[i] << ": expected version " << want << ", found " << have;
      }
      checked += batch.size();
      batch.clear();
      ids.clear();
    };
    for (const auto& [key, version] : expected) {
      if (key >= kKeys / 2) continue;  // single-writer keys only
      batch.push_back("k" + std::to_string(key));
      ids.push_back(key);
      if (batch.size() == 500) flush();
    }
    if (!batch.empty()) flush();
    std::cerr << checked << " single-writer keys checked, " << lost << " lost\n";
    EXPECT_GT(checked, kKeys / 4);
    EXPECT_EQ(lost, 0u);
  }

  TestPool& pool_;
  std::vector<std::string> logs_;
  std::vector<std::unique_ptr<TestProcess>> restarted_agents_;
};

void RunScenario(Variant variant) {
  TestPoolOptions opts;
  opts.config = {{"mode", "manual"}, {"node_capacity_mb", 256}, {"bucket_s", 5}};
  TestPool pool(opts);
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":3})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(3, 60000));
  LiveMigration lm(pool);
  lm.Load();
  if (::testing::Test::HasFatalFailure()) return;
  int run = 1;
  for (int size : {4, 2, 5}) {
    lm.Resize(size, variant, run++);
    if (::testing::Test::HasFatalFailure()) return;
  }
  lm.CheckNoStaleReads();
  lm.CheckNothingEvicted();
}

TEST(LiveMigrationIt, ResizesUnderTwoFrontendsServeNoStaleValueAndLoseNoKey) { RunScenario(Variant::kPlain); }

TEST(LiveMigrationIt, FrontendPausedAcrossTheResizeStillSeesNoStaleValue) { RunScenario(Variant::kPausedFrontend); }

TEST(LiveMigrationIt, SourceAgentKilledMidMigrationResumesAndCompletes) { RunScenario(Variant::kAgentKilled); }

}  // namespace
}  // namespace mcscale
