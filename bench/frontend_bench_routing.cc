// frontend_bench_routing: what the frontend library spends on each request besides the
// network, in-process with Google Benchmark:
//   - RegionOf: the key's MD5 (region_map.cc's own) and its region; for comparison, OpenSSL's
//     MD5 as RegionOf computed it before (EVP_Digest per call) and with the digest fetched
//     once and a reused context;
//   - Read/Write/Delete plans of RoutingTable in the stable, prepare and commit phases of a
//     resize from 8 to 9 nodes (2 of 16 regions move), over all keys or only moving ones;
//   - Bookkeeping: PoolClient::Get's path without the I/O (lease check, taking and giving
//     back the routing generation, the read plan, the node channel lookup, the counters),
//     written out here as the library does it, from 1 and 2 threads;
//   - PoolClientGetNodeDown (with --redis): the library's own PoolClient::Get on a pool
//     whose one node is marked down, so the whole request runs and fails fast with no
//     network: everything the library adds to a get, end to end.
//
//   build/bin/frontend_bench_routing [--redis=redis://127.0.0.1:6379] [Google Benchmark flags]
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench/frontend_bench_pool.h"
#include "common/clock.h"
#include "common/memcache_client.h"
#include "frontend/node_channel.h"
#include "frontend/pool_client.h"
#include "frontend/routing_table.h"

namespace mcscale::bench {
namespace {

constexpr size_t kKeys = 4096;

std::vector<NodeId> NodeIds(int n) {
  std::vector<NodeId> ids;
  for (int i = 1; i <= n; ++i) ids.push_back("node-" + std::to_string(i));
  return ids;
}

// An 8 -> 9 node resize in `phase` (stable: the 9-node map alone).
RoutingSnapshot Snapshot(RoutePhase phase) {
  RegionMap before = *RegionMap::Initial(RegionMap::kDefaultRegions, NodeIds(8));
  RoutingSnapshot s;
  s.pool_id = "0123456789abcdef0123456789abcdef";
  s.epoch = 2;
  s.phase = phase;
  s.map = *RegionMap::Rebalance(before, NodeIds(9));
  if (phase != RoutePhase::kStable) s.previous = before;
  for (int i = 1; i <= 9; ++i) s.nodes["node-" + std::to_string(i)] = "127.0.0.1:" + std::to_string(21000 + i);
  return s;
}

// Application-like keys; with `moving_only`, only keys whose region moves in the resize.
const std::vector<std::string>& Keys(bool moving_only) {
  struct KeySets {
    std::vector<std::string> all, moving;
  };
  static const KeySets sets = [] {
    KeySets k;
    RoutingSnapshot s = Snapshot(RoutePhase::kCommit);
    for (int i = 0; k.moving.size() < kKeys; ++i) {
      std::string key = "user:" + std::to_string(i * 7919 % 1000003) + ":profile";
      if (k.all.size() < kKeys) k.all.push_back(key);
      if (s.previous->OwnerOfKey(key) != s.map.OwnerOfKey(key)) k.moving.push_back(key);
    }
    return k;
  }();
  return moving_only ? sets.moving : sets.all;
}

RoutePhase PhaseArg(int64_t arg) { return static_cast<RoutePhase>(arg); }

void SetLabel(benchmark::State& state) {
  state.SetLabel(RoutePhaseName(PhaseArg(state.range(0))) + (state.range(1) ? ", moving keys" : ", all keys"));
}

void BM_RegionOf(benchmark::State& state) {
  const auto& keys = Keys(false);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(RegionMap::RegionOf(keys[i++ % kKeys], RegionMap::kDefaultRegions));
  }
}
BENCHMARK(BM_RegionOf);

// For comparison only: OpenSSL's MD5 of the same keys, as RegionOf computed it until it had
// an MD5 of its own: EVP_Digest, which in OpenSSL 3 looks MD5 up and sets up a context on
// every call.
void BM_Md5OpenSslDigest(benchmark::State& state) {
  const auto& keys = Keys(false);
  size_t i = 0;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ % kKeys];
    EVP_Digest(key.data(), key.size(), digest, &len, EVP_md5(), nullptr);
    benchmark::DoNotOptimize(digest[0]);
  }
}
BENCHMARK(BM_Md5OpenSslDigest);

// For comparison only: OpenSSL's MD5 with the algorithm fetched once and a context kept per
// thread, the cheapest way through EVP.
void BM_Md5PrefetchedDigest(benchmark::State& state) {
  static EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const auto& keys = Keys(false);
  size_t i = 0;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ % kKeys];
    EVP_DigestInit_ex2(ctx, md5, nullptr);
    EVP_DigestUpdate(ctx, key.data(), key.size());
    EVP_DigestFinal_ex(ctx, digest, &len);
    benchmark::DoNotOptimize(digest[0]);
  }
  EVP_MD_CTX_free(ctx);
}
BENCHMARK(BM_Md5PrefetchedDigest);

void BM_Read(benchmark::State& state) {
  RoutingTable table(Snapshot(PhaseArg(state.range(0))));
  const auto& keys = Keys(state.range(1) != 0);
  size_t i = 0;
  for (auto _ : state) {
    ReadPlan plan = table.Read(keys[i++ % kKeys]);
    benchmark::DoNotOptimize(plan);
  }
  SetLabel(state);
}

void BM_Write(benchmark::State& state) {
  RoutingTable table(Snapshot(PhaseArg(state.range(0))));
  const auto& keys = Keys(state.range(1) != 0);
  size_t i = 0;
  for (auto _ : state) {
    std::vector<Step> steps = table.Write(keys[i++ % kKeys]);
    benchmark::DoNotOptimize(steps);
  }
  SetLabel(state);
}

void BM_Delete(benchmark::State& state) {
  RoutingTable table(Snapshot(PhaseArg(state.range(0))));
  const auto& keys = Keys(state.range(1) != 0);
  size_t i = 0;
  for (auto _ : state) {
    std::vector<Step> steps = table.Delete(keys[i++ % kKeys]);
    benchmark::DoNotOptimize(steps);
  }
  SetLabel(state);
}

// {phase, moving keys only}: stable over all keys, prepare and commit over all and moving.
void PhaseArgs(benchmark::internal::Benchmark* b) {
  b->Args({static_cast<int64_t>(RoutePhase::kStable), 0});
  for (RoutePhase p : {RoutePhase::kPrepare, RoutePhase::kCommit}) {
    b->Args({static_cast<int64_t>(p), 0});
    b->Args({static_cast<int64_t>(p), 1});
  }
}
BENCHMARK(BM_Read)->Apply(PhaseArgs);
BENCHMARK(BM_Write)->Apply(PhaseArgs);
BENCHMARK(BM_Delete)->Apply(PhaseArgs);

// PoolClient::Get's bookkeeping around the I/O, as frontend/pool_client.cc does it (its
// Generation is private to that file; this copy must follow it).
struct Generation {
  std::shared_ptr<const RoutingTable> table;
  std::map<NodeId, std::shared_ptr<NodeChannel>> channels;
  std::atomic<int> inflight{0};
};

struct Bookkeeping {
  std::shared_ptr<Generation> current;
  std::atomic<int64_t> lease_deadline{0};
  std::atomic<uint64_t> gets{0}, misses{0};
  Clock* clock = Clock::Real();

  explicit Bookkeeping(RoutePhase phase) {
    auto g = std::make_shared<Generation>();
    g->table = std::make_shared<RoutingTable>(Snapshot(phase));
    for (const auto& [id, address] : g->table->snapshot().nodes)
      g->channels[id] = std::make_shared<NodeChannel>(id, *HostPort::Parse(address), NodeChannelOptions{}, clock);
    std::atomic_store(&current, g);
    lease_deadline = clock->MonoMs() + 3600 * 1000;
  }

  std::shared_ptr<Generation> Acquire() {
    while (true) {
      auto g = std::atomic_load(&current);
      if (!g || g->table->empty()) return nullptr;
      g->inflight.fetch_add(1);
      if (std::atomic_load(&current) == g) return g;
      g->inflight.fetch_sub(1);
    }
  }

  // Everything of a get but the node's reply; returns the channel the get would use (a
  // plain pointer, as the library's requests hold it while their generation keeps it).
  NodeChannel* Get(const std::string& key) {
    ++gets;
    if (!ValidCacheKey(key)) return nullptr;
    if (clock->MonoMs() >= lease_deadline.load()) return nullptr;
    auto g = Acquire();
    if (!g) return nullptr;
    ReadPlan plan = g->table->Read(key);
    auto it = g->channels.find(plan.first);
    NodeChannel* channel = it == g->channels.end() ? nullptr : it->second.get();
    g->inflight.fetch_sub(1);
    ++misses;
    return channel;
  }
};

void BM_Bookkeeping(benchmark::State& state) {
  static std::unique_ptr<Bookkeeping> shared;
  // Every thread's loop starts (and ends) at a barrier: thread 0's setup is seen by all.
  if (state.thread_index() == 0) shared = std::make_unique<Bookkeeping>(PhaseArg(state.range(0)));
  const auto& keys = Keys(false);
  size_t i = static_cast<size_t>(state.thread_index()) * 1000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(shared->Get(keys[i++ % kKeys]));
  }
  if (state.thread_index() == 0) {
    state.SetLabel(RoutePhaseName(PhaseArg(state.range(0))));
    shared.reset();
  }
}
BENCHMARK(BM_Bookkeeping)
    ->Arg(static_cast<int64_t>(RoutePhase::kStable))
    ->Arg(static_cast<int64_t>(RoutePhase::kCommit))
    ->Threads(1)
    ->Threads(2);

// The real PoolClient on a scripted pool whose one node refuses connections: the first get
// marks it down for an hour, every later one runs the library's whole path and fails fast.
std::unique_ptr<ScriptedPool> g_pool;
std::unique_ptr<PoolClient> g_client;

void BM_PoolClientGetNodeDown(benchmark::State& state) {
  const auto& keys = Keys(false);
  size_t i = static_cast<size_t>(state.thread_index()) * 1000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(g_client->Get(keys[i++ % kKeys]));
  }
  if (state.thread_index() == 0) {
    PoolClientStats s = g_client->Stats();
    state.counters["fast_failed"] = static_cast<double>(s.fast_failed);
  }
}

bool StartClient(const std::string& redis_url) {
  std::string prefix = "fe-bench-routing-" + std::to_string(getpid());
  // Port 1 on loopback refuses at once.
  auto pool = ScriptedPool::Create(redis_url, prefix, {{"node-1", "127.0.0.1:1"}});
  if (!pool.ok()) {
    std::cerr << "frontend_bench_routing: " << redis_url << ": " << pool.status().ToString() << "\n";
    return false;
  }
  g_pool = std::move(*pool);
  PoolClientOptions o;
  o.redis_url = redis_url;
  o.prefix = prefix;
  o.plan_moves = false;
  o.failure_limit = 1;
  o.backoff_min_ms = o.backoff_max_ms = 3600 * 1000;
  auto client = PoolClient::Create(o);
  if (!client.ok() || !(*client)->WaitReady(10000)) {
    std::cerr << "frontend_bench_routing: the client did not become ready\n";
    return false;
  }
  g_client = std::move(*client);
  (void)g_client->Get("first");  // refused: the node is down from now on
  if (g_client->Stats().nodes["node-1"].down) return true;
  std::cerr << "frontend_bench_routing: the node was not marked down\n";
  return false;
}

}  // namespace
}  // namespace mcscale::bench

int main(int argc, char** argv) {
  // --redis=URL (or MCSCALE_REDIS) adds the PoolClient benchmark; the rest is Google Benchmark's.
  std::string redis_url = std::getenv("MCSCALE_REDIS") ? std::getenv("MCSCALE_REDIS") : "";
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--redis=", 8) == 0) redis_url = argv[i] + 8;
    else args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  spdlog::set_level(spdlog::level::off);
  if (!redis_url.empty()) {
    if (!mcscale::bench::StartClient(redis_url)) return 1;
    benchmark::RegisterBenchmark("BM_PoolClientGetNodeDown", mcscale::bench::BM_PoolClientGetNodeDown)
        ->Threads(1)
        ->Threads(2);
  } else {
    std::cerr << "frontend_bench_routing: no --redis=URL: BM_PoolClientGetNodeDown skipped\n";
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  mcscale::bench::g_client.reset();
  mcscale::bench::g_pool.reset();
  return 0;
}
