// Integration tests of mcscale-agent: the real binary against real redis-server and
// memcached, at a 200 ms interval. Every wait is a condition with a generous deadline.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/memcache_client.h"
#include "common/metric_sample.h"
#include "common/pool_config.h"
#include "common/pool_event.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/subprocess.h"
#include "tests/harness/test_servers.h"

namespace mcscale {
namespace {

using testing::BinPath;
using testing::MemcachedServer;
using testing::RedisServer;
using testing::TempDir;
using testing::TestProcess;
using testing::WaitUntil;

constexpr int64_t kIntervalMs = 200;
constexpr int64_t kDeadlineMs = 20000;  // generous: a busy 2-core machine

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AgentIt : public ::testing::Test {
 protected:
  AgentIt() : keys_("agentit"), redis_(RedisAddress::Parse(redis_server_.url()).value()) {}

  std::unique_ptr<TestProcess> StartAgent(const std::string& id = "n1", int64_t interval_ms = kIntervalMs) {
    auto agent = std::make_unique<TestProcess>(
        "mcscale-agent",
        std::vector<std::string>{BinPath("mcscale-agent"), "--node", memcached_.address(), "--redis",
                                 redis_server_.url(), "--id", id, "--interval-ms", std::to_string(interval_ms),
                                 "--prefix", keys_.prefix(), "--log-level", "debug"},
        dir_.path() + "/agent-" + id + ".log");
    agent->Start();
    return agent;
  }

  // Every entry of the metrics stream for node `id`, in stream order.
  std::vector<MetricSample> Samples(const std::string& id = "n1") {
    std::vector<MetricSample> out;
    auto entries = redis_.XRange(keys_.metrics(), "-", "+");
    if (!entries.ok()) return out;
    for (const auto& e : *entries) {
      auto s = MetricSample::FromFields(e.fields);
      EXPECT_TRUE(s.ok()) << "entry " << e.id << ": " << s.status().ToString();
      if (s.ok() && s->node == id) out.push_back(*s);
    }
    return out;
  }

  // Waits for an entry with ts > after_ms that satisfies `pred`; returns it (up=0 sample
  // with ts 0 on timeout, after a test failure).
  MetricSample WaitForSample(int64_t after_ms, const std::function<bool(const MetricSample&)>& pred,
                             const std::string& what, const std::string& id = "n1") {
    MetricSample found;
    bool ok = WaitUntil(
        [&] {
          for (const auto& s : Samples(id))
            if (s.ts > after_ms && pred(s)) {
              found = s;
              return true;
            }
          return false;
        },
        kDeadlineMs, 50);
    EXPECT_TRUE(ok) << "no metrics entry " << what << " within " << kDeadlineMs << " ms";
    return found;
  }

  uint64_t NodeLimitBytes() {
    MemcacheClient client(HostPort{"127.0.0.1", memcached_.port()});
    auto stats = client.Stats();
    if (!stats.ok() || !stats->count("limit_maxbytes")) return 0;
    return std::stoull(stats->at("limit_maxbytes"));
  }

  void SetConfigAndPublish(int capacity_mb, const std::string& policy) {
    PoolConfig config;
    config.node_capacity_mb = capacity_mb;
    config.node_policy = policy;
    ASSERT_TRUE(redis_.HSet(keys_.config(), config.ToHash()).ok());
    PoolEvent event;
    event.type = EventType::kConfigChanged;
    event.pool_id = "0123456789abcdef0123456789abcdef";
    event.epoch = 1;
    event.ts = WallMs();
    event.config = config.ToJson();
    event.reason = "test";
    ASSERT_TRUE(redis_.Publish(keys_.events(), event.Encode()).ok());
  }

  bool Subscribed() {
    auto reply = redis_.Command({"PUBSUB", "NUMSUB", keys_.events()});
    return reply.ok() && reply->elements.size() == 2 && reply->elements[1].integer >= 1;
  }

  bool Registered(const std::string& id = "n1") {
    auto reply = redis_.Command({"EXISTS", keys_.agent(id)});
    return reply.ok() && reply->integer == 1;
  }

  RedisServer redis_server_;
  MemcachedServer memcached_;
  TempDir dir_;
  RedisKeys keys_;
  RedisClient redis_;
};

TEST_F(AgentIt, EntriesCarryTheNodesCounters) {
  auto agent = StartAgent();
  MemcacheClient client(HostPort{"127.0.0.1", memcached_.port()});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client.Set("key" + std::to_string(i), "value" + std::to_string(i)).ok());
  for (int i = 0; i < 7; ++i) {
    auto hit = client.Get("key" + std::to_string(i));
    ASSERT_TRUE(hit.ok() && hit->has_value());
  }
  for (int i = 0; i < 3; ++i) {
    auto miss = client.Get("absent" + std::to_string(i));
    ASSERT_TRUE(miss.ok() && !miss->has_value());
  }
  auto stats = client.Stats();
  ASSERT_TRUE(stats.ok());
  auto node = NodeCounters::FromStats(*stats);
  ASSERT_TRUE(node.ok());
  ASSERT_EQ(node->get_hits, 7u);
  ASSERT_EQ(node->get_misses, 3u);
  ASSERT_EQ(node->cmd_get, 10u);
  ASSERT_EQ(node->cmd_set, 10u);
  ASSERT_EQ(node->curr_items, 10u);

  int64_t after = WallMs();
  // A sample stamped after the operations may still hold stats read just before the last of
  // them: wait for one that has seen every get.
  const uint64_t gets = node->cmd_get;
  MetricSample s = WaitForSample(
      after, [gets](const MetricSample& m) { return m.up && m.counters.cmd_get >= gets; },
      "with up=1 and every get counted");
  EXPECT_EQ(s.address, memcached_.address());
  EXPECT_EQ(s.counters.get_hits, node->get_hits);
  EXPECT_EQ(s.counters.get_misses, node->get_misses);
  EXPECT_EQ(s.counters.cmd_get, node->cmd_get);
  EXPECT_EQ(s.counters.cmd_set, node->cmd_set);
  EXPECT_EQ(s.counters.curr_items, node->curr_items);
  EXPECT_EQ(s.counters.bytes, node->bytes);
  EXPECT_EQ(s.counters.limit_maxbytes, node->limit_maxbytes);
  EXPECT_EQ(s.counters.evictions, node->evictions);
  EXPECT_GE(s.counters.curr_connections, 2u);  // the agent's and ours
  EXPECT_GE(s.counters.uptime, node->uptime);

  // Several more entries, all with increasing timestamps.
  ASSERT_TRUE(WaitUntil([&] { return Samples().size() >= 5; }, kDeadlineMs));
  auto samples = Samples();
  for (size_t i = 1; i < samples.size(); ++i) EXPECT_GT(samples[i].ts, samples[i - 1].ts) << "entry " << i;
  EXPECT_TRUE(agent->Running());
}

TEST_F(AgentIt, NodeDownGivesUpZeroAndARestartIsSeenAndReconfigured) {
  auto agent = StartAgent();
  ASSERT_TRUE(WaitUntil([&] { return Subscribed(); }, kDeadlineMs));
  SetConfigAndPublish(32, "lru");
  ASSERT_TRUE(WaitUntil([&] { return NodeLimitBytes() == 32u << 20; }, kDeadlineMs))
      << "limit_maxbytes " << NodeLimitBytes();

  // Let the uptime grow so that the restarted node's is visibly lower.
  MetricSample first = WaitForSample(0, [](const MetricSample& m) { return m.up; }, "with up=1");
  MetricSample older = WaitForSample(
      first.ts, [&](const MetricSample& m) { return m.up && m.counters.uptime >= first.counters.uptime + 3; },
      "with a grown uptime");

  memcached_.Stop();
  int64_t stopped = WallMs();
  MetricSample down = WaitForSample(stopped, [](const MetricSample& m) { return !m.up; }, "with up=0");
  EXPECT_FALSE(down.up);
  EXPECT_TRUE(agent->Running());

  memcached_.Start();  // same port, fresh process: 64 MB and uptime from zero
  MetricSample back = WaitForSample(down.ts, [](const MetricSample& m) { return m.up; }, "with up=1 again");
  EXPECT_LT(back.counters.uptime, older.counters.uptime);
  // A restarted node has lost its limit: the agent sets it again.
  EXPECT_TRUE(WaitUntil([&] { return NodeLimitBytes() == 32u << 20; }, kDeadlineMs))
      << "limit_maxbytes " << NodeLimitBytes();
  EXPECT_TRUE(agent->Running());
}

TEST_F(AgentIt, SurvivesARedisRestart) {
  auto agent = StartAgent();
  WaitForSample(0, [](const MetricSample& m) { return m.up; }, "before the restart");
  // A quick restart can fall between two samples and cost no entry, so keep Redis away
  // until the agent has noticed, to see the outage logged once going and once coming back.
  redis_server_.Stop();
  EXPECT_TRUE(WaitUntil([&] { return agent->ReadLog().find("does not take metric entries") != std::string::npos; },
                        kDeadlineMs));
  redis_server_.Start();
  int64_t restarted = WallMs();
  MetricSample s = WaitForSample(restarted, [](const MetricSample& m) { return m.up; }, "after the restart");
  EXPECT_TRUE(s.up);
  EXPECT_TRUE(agent->Running());
  EXPECT_TRUE(WaitUntil([&] { return Registered(); }, kDeadlineMs));
  std::string log = agent->ReadLog();
  EXPECT_NE(log.find("is back after"), std::string::npos) << log;
  EXPECT_NE(log.find("metric entries were dropped"), std::string::npos) << log;
}

TEST_F(AgentIt, SurvivesAQuickRedisRestart) {
  auto agent = StartAgent();
  WaitForSample(0, [](const MetricSample& m) { return m.up; }, "before the restart");
  redis_server_.Restart();
  int64_t restarted = WallMs();
  WaitForSample(restarted, [](const MetricSample& m) { return m.up; }, "after the restart");
  EXPECT_TRUE(agent->Running());
  EXPECT_TRUE(WaitUntil([&] { return Registered(); }, kDeadlineMs));
}

TEST_F(AgentIt, ConfigChangedEventSetsTheNodesCapacity) {
  auto agent = StartAgent();
  ASSERT_TRUE(WaitUntil([&] { return Registered() && Subscribed(); }, kDeadlineMs));
  EXPECT_EQ(NodeLimitBytes(), 64u << 20);  // no pool config yet: the node is left as it is

  SetConfigAndPublish(32, "lru");
  EXPECT_TRUE(WaitUntil([&] { return NodeLimitBytes() == 32u << 20; }, kDeadlineMs))
      << "limit_maxbytes " << NodeLimitBytes();

  // Stock memcached cannot take the random policy: said in the registration.
  SetConfigAndPublish(48, "random");
  EXPECT_TRUE(WaitUntil([&] { return NodeLimitBytes() == 48u << 20; }, kDeadlineMs))
      << "limit_maxbytes " << NodeLimitBytes();
  std::map<std::string, std::string> reg;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto h = redis_.HGetAll(keys_.agent("n1"));
        if (h.ok()) reg = *h;
        return reg["policy_note"] == "node is stock memcached: policy 'random' not applied";
      },
      kDeadlineMs))
      << "policy_note '" << reg["policy_note"] << "'";
  EXPECT_EQ(reg["supports_policy"], "0");
  EXPECT_EQ(reg["address"], memcached_.address());
  EXPECT_EQ(reg["pid"], std::to_string(agent->pid()));
  EXPECT_EQ(reg["interval_ms"], std::to_string(kIntervalMs));
  for (const char* field : {"version", "started", "last_seen"}) EXPECT_FALSE(reg[field].empty()) << field;
}

TEST_F(AgentIt, ConfigIsAppliedAtStart) {
  PoolConfig config;
  config.node_capacity_mb = 40;
  ASSERT_TRUE(redis_.HSet(keys_.config(), config.ToHash()).ok());
  auto agent = StartAgent();
  EXPECT_TRUE(WaitUntil([&] { return NodeLimitBytes() == 40u << 20; }, kDeadlineMs))
      << "limit_maxbytes " << NodeLimitBytes();
}

TEST_F(AgentIt, HeartbeatExpiresWithinItsTtlAfterSigkill) {
  auto agent = StartAgent();
  ASSERT_TRUE(WaitUntil([&] { return Registered(); }, kDeadlineMs));
  auto ttl = redis_.Command({"TTL", keys_.agent("n1")});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GE(ttl->integer, 1);
  EXPECT_LE(ttl->integer, 3);  // max(3 * 200 ms, 3 s)

  agent->Signal(SIGKILL);
  auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] { return !Registered(); }, kDeadlineMs));
  auto gone_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed).count();
  EXPECT_LE(gone_ms, 3000 + 2000) << "TTL 3 s, plus slack for Redis's expiry cycle";
}

TEST_F(AgentIt, SigtermDeregistersAndExitsZero) {
  // A 2 s interval makes the TTL 6 s, so a hash gone within 2 s was deleted, not expired.
  std::string log = dir_.path() + "/agent-term.log";
  auto proc = Subprocess::Spawn({BinPath("mcscale-agent"), "--node", memcached_.address(), "--redis",
                                 redis_server_.url(), "--id", "n1", "--interval-ms", "2000", "--prefix",
                                 keys_.prefix()},
                                SpawnOptions{false, log, {}});
  ASSERT_TRUE(proc.ok()) << proc.status().ToString();
  ASSERT_TRUE(WaitUntil([&] { return Registered(); }, kDeadlineMs)) << ReadFile(log);
  ASSERT_TRUE(proc->Kill(SIGTERM).ok());
  auto status = proc->Wait(kDeadlineMs);
  ASSERT_TRUE(status.ok()) << "agent did not exit on SIGTERM\n" << ReadFile(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status << "\n" << ReadFile(log);
  EXPECT_FALSE(Registered());
}

// Against mcscale-node, which has run-time policies: the policy is applied and reported.
TEST_F(AgentIt, PolicyIsAppliedOnAPolicyNode) {
  if (access(BinPath("mcscale-node").c_str(), X_OK) != 0) GTEST_SKIP() << "mcscale-node is not built";
  uint16_t port = testing::FreePort();
  TestProcess node("mcscale-node",
                   {BinPath("mcscale-node"), "--port", std::to_string(port), "--memory-limit", "64"},
                   dir_.path() + "/mcscale-node.log");
  ASSERT_TRUE(node.Start());
  ASSERT_TRUE(WaitUntil([&] { return testing::RawExchange(port, "version\r\n", "\r\n", 500).rfind("VERSION", 0) == 0; },
                        kDeadlineMs));
  std::string address = "127.0.0.1:" + std::to_string(port);
  TestProcess agent("mcscale-agent",
                    {BinPath("mcscale-agent"), "--node", address, "--redis", redis_server_.url(), "--id", "p1",
                     "--interval-ms", std::to_string(kIntervalMs), "--prefix", keys_.prefix(), "--log-level", "debug"},
                    dir_.path() + "/agent-p1.log");
  ASSERT_TRUE(agent.Start());
  ASSERT_TRUE(WaitUntil([&] { return Registered("p1") && Subscribed(); }, kDeadlineMs));

  SetConfigAndPublish(32, "random");
  MemcacheClient client(HostPort{"127.0.0.1", port});
  std::map<std::string, std::string> settings;
  std::map<std::string, std::string> stats;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto s = client.Stats("settings");
        auto t = client.Stats();
        if (s.ok()) settings = *s;
        if (t.ok()) stats = *t;
        return settings["eviction_policy"] == "random" && stats["limit_maxbytes"] == std::to_string(32u << 20);
      },
      kDeadlineMs))
      << "eviction_policy '" << settings["eviction_policy"] << "', limit_maxbytes " << stats["limit_maxbytes"];
  std::map<std::string, std::string> reg;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto h = redis_.HGetAll(keys_.agent("p1"));
        if (h.ok()) reg = *h;
        return reg["supports_policy"] == "1";
      },
      kDeadlineMs));
  EXPECT_EQ(reg["policy_note"], "");
  MetricSample s = WaitForSample(0, [](const MetricSample& m) { return m.up; }, "from mcscale-node", "p1");
  EXPECT_EQ(s.address, address);
}

struct BadFlags {
  std::vector<std::string> args;
  std::string named;  // what the message must mention
};

TEST(AgentItFlags, BadFlagsExitTwoNamingTheProblem) {
  TempDir dir;
  std::vector<BadFlags> cases = {
      {{}, "--node"},
      {{"--node", "localhost"}, "--node"},
      {{"--node", "127.0.0.1:99999"}, "--node"},
      {{"--node", "127.0.0.1:11211", "--redis", "http://127.0.0.1:6379"}, "--redis"},
      {{"--node", "127.0.0.1:11211", "--interval-ms", "50"}, "--interval-ms"},
      {{"--node", "127.0.0.1:11211", "--interval-ms", "often"}, "--interval-ms"},
      {{"--node", "127.0.0.1:11211", "--bogus", "1"}, "--bogus"},
      {{"--node", "127.0.0.1:11211", "--log-level", "loud"}, "--log-level"},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::vector<std::string> argv = {BinPath("mcscale-agent")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    std::string log = dir.path() + "/bad" + std::to_string(n++) + ".log";
    auto proc = Subprocess::Spawn(argv, SpawnOptions{false, log, {}});
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    auto status = proc->Wait(kDeadlineMs);
    ASSERT_TRUE(status.ok()) << "still running with " << ::testing::PrintToString(c.args);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2)
        << ::testing::PrintToString(c.args) << ": wait status " << *status;
    std::string out = ReadFile(log);
    EXPECT_NE(out.find(c.named), std::string::npos) << ::testing::PrintToString(c.args) << ": " << out;
  }
}

TEST(AgentItFlags, HelpListsEveryOptionWithItsDefault) {
  TempDir dir;
  std::string log = dir.path() + "/help.log";
  auto proc = Subprocess::Spawn({BinPath("mcscale-agent"), "--help"}, SpawnOptions{false, log, {}});
  ASSERT_TRUE(proc.ok());
  auto status = proc->Wait(kDeadlineMs);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  std::string out = ReadFile(log);
  for (const char* text : {"--node", "--redis", "redis://127.0.0.1:6379", "--id", "--interval-ms", "5000",
                           "--prefix", "mcscale", "--log-level", "info"})
    EXPECT_NE(out.find(text), std::string::npos) << text << " in\n" << out;
}

}  // namespace
}  // namespace mcscale
