// mcscale-node under load, as a real process: concurrent clients on shared keys, the byte
// limit with 100 KB values, LRU and random eviction, and policy and capacity changed while
// clients run.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/memcache_client.h"
#include "tests/cachenode/node_fixture.h"

namespace mcscale::testing {
namespace {

uint64_t Fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// "<checksum>:<payload>", so a reader can tell a torn or mixed-up value.
std::string MakeValue(std::mt19937& rng, size_t size) {
  std::string payload(size, 'x');
  for (char& c : payload) c = static_cast<char>('a' + rng() % 26);
  return std::to_string(Fnv(payload)) + ":" + payload;
}

bool ValueIntact(const std::string& v) {
  size_t colon = v.find(':');
  if (colon == std::string::npos) return false;
  return v.substr(0, colon) == std::to_string(Fnv(std::string_view(v).substr(colon + 1)));
}

uint64_t StatOf(MemcacheClient& c, const std::string& name, const std::string& group = "") {
  auto st = c.Stats(group);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  if (!st.ok() || !st->count(name)) return 0;
  return std::stoull(st->at(name));
}

HostPort Address(uint16_t port) { return HostPort{"127.0.0.1", port}; }

TEST(NodeIt, TenThreadsOfMixedOpsOnSharedKeys) {
  NodeProcess node({}, 64, 4);
  constexpr int kThreads = 10;
  constexpr int kOps = 1000;
  std::atomic<uint64_t> gets{0}, hits{0}, sets{0}, deletes{0}, delete_hits{0}, incrs{0}, corrupt{0}, errors{0};
  {
    MemcacheClient setup(Address(node.port()), 5000);
    ASSERT_TRUE(setup.Set("counter", "0").ok());
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t * 7919 + 1));
      MemcacheClient c(Address(node.port()), 10000);
      for (int i = 0; i < kOps; ++i) {
        std::string key = "shared:" + std::to_string(rng() % 40);
        int op = static_cast<int>(rng() % 10);
        if (op < 4) {
          auto r = c.Get(key);
          if (!r.ok()) { ++errors; continue; }
          ++gets;
          if (r->has_value()) {
            ++hits;
            if (!ValueIntact((*r)->value)) ++corrupt;
          }
        } else if (op < 8) {
          size_t size = rng() % 3 == 0 ? rng() % 60000 : rng() % 2000;
          if (!c.Set(key, MakeValue(rng, size), static_cast<uint32_t>(t)).ok()) { ++errors; continue; }
          ++sets;
        } else if (op < 9) {
          auto r = c.Delete(key);
          if (!r.ok()) { ++errors; continue; }
          ++deletes;
          if (*r) ++delete_hits;
        } else {
          auto r = c.Command("incr counter 3");
          if (!r.ok() || r->empty() || !std::isdigit(static_cast<unsigned char>((*r)[0]))) { ++errors; continue; }
          ++incrs;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_EQ(corrupt.load(), 0u);
  MemcacheClient c(Address(node.port()), 5000);
  auto counter = c.Get("counter");
  ASSERT_TRUE(counter.ok() && counter->has_value());
  EXPECT_EQ(std::stoull((*counter)->value), 3 * incrs.load());
  auto st = c.Stats();
  ASSERT_TRUE(st.ok());
  auto stat = [&](const char* n) { return std::stoull(st->at(n)); };
  EXPECT_EQ(stat("cmd_get"), gets.load() + 1);  // + the counter read above
  EXPECT_EQ(stat("get_hits"), hits.load() + 1);
  EXPECT_EQ(stat("get_misses"), gets.load() - hits.load());
  EXPECT_EQ(stat("cmd_set"), sets.load() + 1);
  EXPECT_EQ(stat("delete_hits"), delete_hits.load());
  EXPECT_EQ(stat("delete_hits") + stat("delete_misses"), deletes.load());
  EXPECT_EQ(stat("incr_hits"), incrs.load());
  EXPECT_LE(stat("curr_items"), 41u);
  EXPECT_EQ(stat("evictions"), 0u);
  EXPECT_TRUE(node.process().Running());
}

// Runs a shell command line; returns its exit status and puts stdout+stderr in *out.
int RunCommand(const std::string& line, std::string* out) {
  testing::ShellRun run = testing::RunShell(line + " 2>&1");
  out->append(run.out);
  return run.status;
}

TEST(NodeIt, HelpVersionAndBadFlags) {
  std::string out;
  EXPECT_EQ(RunCommand(BinPath("mcscale-node") + " --help", &out), 0);
  for (const char* flag : {"--port", "--memory-limit", "--threads", "--policy", "--max-item-size", "--conn-limit"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
  out.clear();
  EXPECT_EQ(RunCommand(BinPath("mcscale-node") + " --version", &out), 0);
  EXPECT_NE(out.find("mcscale-node"), std::string::npos);
  out.clear();
  EXPECT_EQ(RunCommand(BinPath("mcscale-node") + " --policy fifo", &out), 2);
  EXPECT_NE(out.find("--policy"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunCommand(BinPath("mcscale-node") + " -I 12", &out), 2);
  EXPECT_NE(out.find("--max-item-size"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunCommand(BinPath("mcscale-node") + " -p 99999", &out), 2);
  EXPECT_NE(out.find("--port"), std::string::npos) << out;
}

TEST(NodeIt, ItemSizeLimitFlagAndConnectionLimit) {
  NodeProcess node({"-I", "2m", "-c", "10", "-U", "0", "-u", "nobody"}, 64, 2);
  MemcacheClient c(Address(node.port()), 5000);
  EXPECT_EQ(c.Stats("settings")->at("item_size_max"), std::to_string(2u << 20));
  std::string big(1500 * 1024, 'b');
  ASSERT_TRUE(c.Set("big", big).ok());
  auto r = c.Get("big");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->value.size(), big.size());
  // 10 connections in use (the client above is one): the next is told and closed.
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 9; ++i) {
    conns.push_back(std::make_unique<RawConnection>(node.port()));
    conns.back()->Send("version\r\n");
    EXPECT_EQ(conns.back()->ReadUntil("\r\n").substr(0, 8), "VERSION ");
  }
  RawConnection extra(node.port());
  std::string got;
  EXPECT_TRUE(extra.WaitClosed(&got));
  EXPECT_EQ(got, "ERROR Too many open connections\r\n");
  conns.pop_back();
  EXPECT_TRUE(WaitUntil([&] {
    RawConnection again(node.port());
    again.Send("version\r\n");
    return again.ReadUntil("\r\n", 1000).rfind("VERSION", 0) == 0;
  }, 20000, 50));
}

TEST(NodeIt, StopsCleanlyOnSigterm) {
  NodeProcess node({}, 64, 2);
  MemcacheClient c(Address(node.port()), 5000);
  ASSERT_TRUE(c.Set("k", "v").ok());
  node.process().Signal(SIGTERM);
  EXPECT_TRUE(WaitUntil([&] { return !node.process().Running(); }, 20000, 20));
  EXPECT_NE(node.process().ReadLog().find("stopped"), std::string::npos);
}

class CapacityIt : public ::testing::Test {
 protected:
  static constexpr size_t kValue = 100 * 1024;
  static std::string Key(int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "cap%05d", i);
    return buf;
  }
  std::string value_ = std::string(kValue, 'c');
};

TEST_F(CapacityIt, ItemBytesNeverExceedTheLimitAndEvictionsAreCounted) {
  NodeProcess node({}, 8, 2);
  MemcacheClient c(Address(node.port()), 5000);
  const uint64_t limit = StatOf(c, "limit_maxbytes");
  ASSERT_EQ(limit, 8u << 20);
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(c.Set(Key(i), value_).ok());
    ASSERT_LE(StatOf(c, "bytes"), limit) << "after " << i + 1 << " sets";
  }
  uint64_t items = StatOf(c, "curr_items");
  EXPECT_GE(items, 75u);  // the memory is used: 8 MB holds 81 such items
  EXPECT_LE(items, 81u);
  EXPECT_EQ(StatOf(c, "evictions"), 300 - items);
  EXPECT_EQ(StatOf(c, "total_items"), 300u);
}

TEST_F(CapacityIt, LruKeepsTheKeysReadMostRecently) {
  NodeProcess node({"--policy", "lru"}, 8, 2);
  MemcacheClient c(Address(node.port()), 5000);
  for (int i = 0; i < 80; ++i) ASSERT_TRUE(c.Set(Key(i), value_).ok());
  for (int i = 0; i < 20; ++i) {
    auto r = c.Get(Key(i));
    ASSERT_TRUE(r.ok() && r->has_value()) << Key(i);
  }
  for (int i = 80; i < 120; ++i) ASSERT_TRUE(c.Set(Key(i), value_).ok());
  for (int i = 0; i < 20; ++i) {
    auto r = c.Get(Key(i));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->has_value()) << "recently read " << Key(i) << " was evicted";
  }
  int old_survivors = 0;
  // 8 MB holds 81 such items, so the 39 least recently used (keys 20..58) went.
  for (int i = 20; i < 58; ++i) old_survivors += c.Get(Key(i))->has_value() ? 1 : 0;
  EXPECT_EQ(old_survivors, 0);
}

// With random eviction the keys read just before the pressure fare like the others. 80
// items, 40 more written: each of the 40 hot and 40 cold keys survives with probability
// about 0.6 (sd of a group's count ~3.1, of the difference ~4.4); LRU would keep all hot and
// about none of the cold. The bound of 24 is over five standard deviations.
TEST_F(CapacityIt, RandomEvictsWithoutRegardToRecency) {
  NodeProcess node({"--policy", "random"}, 8, 2);
  MemcacheClient c(Address(node.port()), 5000);
  EXPECT_NE(c.Stats("settings")->at("eviction_policy"), "lru");
  for (int i = 0; i < 80; ++i) ASSERT_TRUE(c.Set(Key(i), value_).ok());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(c.Get(Key(i)).ok());
  for (int i = 80; i < 120; ++i) ASSERT_TRUE(c.Set(Key(i), value_).ok());
  int hot = 0, cold = 0;
  for (int i = 0; i < 40; ++i) hot += c.Get(Key(i))->has_value() ? 1 : 0;
  for (int i = 40; i < 80; ++i) cold += c.Get(Key(i))->has_value() ? 1 : 0;
  EXPECT_LT(std::abs(hot - cold), 24) << "hot " << hot << " cold " << cold;
  EXPECT_LT(hot, 40);
  EXPECT_GT(cold, 5);
}

TEST_F(CapacityIt, PolicyAndCapacityChangeWhileFourClientsRun) {
  NodeProcess node({}, 32, 2);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0}, failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t + 1));
      MemcacheClient c(Address(node.port()), 10000);
      const std::string v(10 * 1024, static_cast<char>('a' + t));
      while (!stop.load()) {
        std::string key = "run" + std::to_string(rng() % 5000);
        bool ok = rng() % 2 ? c.Set(key, v).ok() : c.Get(key).ok();
        if (!ok) ++failures;
        ++ops;
      }
    });
  }
  MemcacheClient admin(Address(node.port()), 10000);
  ASSERT_TRUE(WaitUntil([&] { return StatOf(admin, "bytes") > (16u << 20); }, 60000, 50));
  // Shrinking takes effect at once: when OK arrives the items already fit.
  auto r = admin.Command("cache_memlimit 8");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "OK");
  EXPECT_EQ(StatOf(admin, "limit_maxbytes"), 8u << 20);
  EXPECT_LE(StatOf(admin, "bytes"), 8u << 20);
  EXPECT_EQ(admin.Stats("settings")->at("maxbytes"), std::to_string(8u << 20));
  r = admin.Command("eviction_policy random");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "OK");
  EXPECT_EQ(admin.Stats("settings")->at("eviction_policy"), "random");
  uint64_t evictions = StatOf(admin, "evictions");
  ASSERT_TRUE(WaitUntil([&] { return StatOf(admin, "evictions") > evictions + 100; }, 60000, 50));
  EXPECT_LE(StatOf(admin, "bytes"), 8u << 20);
  EXPECT_EQ(*admin.Command("eviction_policy lru"), "OK");
  EXPECT_EQ(*admin.Command("cache_memlimit 16"), "OK");
  EXPECT_EQ(admin.Stats("settings")->at("eviction_policy"), "lru");
  ASSERT_TRUE(WaitUntil([&] { return StatOf(admin, "bytes") > (9u << 20); }, 60000, 50));
  EXPECT_LE(StatOf(admin, "bytes"), 16u << 20);
  stop = true;
  for (auto& th : clients) th.join();
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(ops.load(), 1000u);
  EXPECT_TRUE(node.process().Running());
}

}  // namespace
}  // namespace mcscale::testing
