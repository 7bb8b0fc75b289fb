// frontend_bench_throughput: get/set throughput through the frontend library against a
// plain client on the same memcached, in alternating rounds. The library is synchronous (one
// request at a time per application thread), so the like-for-like baseline is the plain
// client with the same threads and one connection per thread at pipeline depth 1; the plain
// client at depth --pipeline is run too, for context. Each round runs the three legs on the
// same operation sequence, in an order that rotates from round to round, and the report
// gives every round and the medians.
//
// The pool is a ScriptedPool with the one node --node (no coordinator): only the library's
// routing, lease and health bookkeeping stand between the threads and memcached. The
// threads share one PoolClient, as an application's do; --library-clients N gives them N.
//
//   build/bin/frontend_bench_throughput --redis redis://127.0.0.1:6379 --node 127.0.0.1:11211
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bench/comparison.h"
#include "bench/fast_rng.h"
#include "bench/frontend_bench_pool.h"
#include "bench/load_runner.h"
#include "bench/memcache_target.h"
#include "bench/run_report.h"
#include "bench/workload.h"
#include "common/options.h"
#include "frontend/pool_client.h"

namespace mcscale::bench {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The pool through the library: each load thread calls PoolClient::Get and Set one at a
// time, as application threads do; load thread i uses client i % clients (one client shared
// by every thread, as in an application, unless --library-clients says otherwise).
// Connections and pipeline depth are the library's own business (it keeps a connection pool
// per node), so the share's are ignored.
class PoolClientTarget : public LoadTarget {
 public:
  explicit PoolClientTarget(std::vector<PoolClient*> clients) : clients_(std::move(clients)) {}
  std::string Name() const override { return "PoolClient"; }

  Status RunThread(const ThreadShare& share, OpSource* ops, LoadStats* stats) override {
    PoolClient* client = clients_[static_cast<size_t>(share.thread_index) % clients_.size()];
    Op op;
    std::string key, value;
    while (ops->Next(&op)) {
      key.assign(op.key());
      int64_t start = NowNs();
      if (stats->start_ns == 0) stats->start_ns = start;
      if (op.kind == OpKind::kGet) {
        bool hit = client->Get(key).has_value();
        ++stats->gets;
        ++(hit ? stats->hits : stats->misses);
      } else {
        value.assign(op.value);
        Status st = client->Set(key, value);
        if (st.ok()) ++stats->sets;
        else stats->AddError(1, st.ToString());
      }
      stats->end_ns = NowNs();
      stats->latency.Record(stats->end_ns - start);
    }
    return Status::Ok();
  }

 private:
  std::vector<PoolClient*> clients_;
};

struct Leg {
  std::string name;
  LoadTarget* target;
  LoadShape shape;
  std::vector<double> ops_per_s, p50_us, p99_us;
  std::vector<LoadStats> runs;  // per round
};

double Median(std::vector<double> v) { return Comparison::Median(std::move(v)); }

int Main(int argc, char** argv) {
  Options o("frontend_bench_throughput",
            "frontend_bench_throughput --node HOST:PORT [--redis URL] [--threads 2] [--rounds 5]\n"
            "Get/set throughput through the frontend library (PoolClient, one request at a time per\n"
            "thread) against a plain client on the same memcached at pipeline depth 1 with the same\n"
            "threads, and at depth --pipeline for context; alternating rounds, medians at the end.\n"
            "Writes a one-node pool under --prefix in Redis for the run and deletes it afterwards.");
  o.Add("redis", "redis://127.0.0.1:6379", "Redis URL for the scripted pool and the client's lease");
  o.Add("node", "", "the memcached HOST:PORT (required)");
  o.Add("prefix", "fe-bench-throughput-" + std::to_string(getpid()), "Redis key prefix of the scripted pool");
  o.Add("threads", "2", "application threads, and plain-client threads with one connection each");
  o.Add("rounds", "5", "alternating rounds");
  o.Add("duration-s", "3", "seconds per leg per round");
  o.Add("keys", "10000", "keys, uniform; every key is set once before the rounds");
  o.Add("value-size", "100", "bytes per value");
  o.Add("ratio", "9:1", "GETS:SETS");
  o.Add("pipeline", "16", "depth of the plain pipelined context leg (0: no such leg)");
  o.Add("seed", "1", "operation sequence seed");
  o.Add("library-clients", "1", "PoolClients the library leg's threads share (1: one for all, as an application)");
  o.AddFlag("json", "also print one JSON object with every round and the medians");
  o.ParseOrExit(argc, argv);
  auto node = HostPort::Parse(o.Get("node"));
  if (!node.ok()) o.Fail("--node: " + node.status().message());
  int threads = static_cast<int>(o.IntOrExit("threads", 1, 256));
  int rounds = static_cast<int>(o.IntOrExit("rounds", 1, 100));
  double duration_s = o.DoubleOrExit("duration-s", 0.1, 3600);
  int pipeline = static_cast<int>(o.IntOrExit("pipeline", 0, 1024));
  WorkloadSpec spec;
  spec.keys = static_cast<uint64_t>(o.IntOrExit("keys", 1, static_cast<int64_t>(Workload::kMaxKeys)));
  spec.value_size = static_cast<uint32_t>(o.IntOrExit("value-size", 1, 1 << 20));
  auto ratio = Workload::ParseRatio(o.Get("ratio"));
  if (!ratio.ok()) o.Fail("--ratio: " + ratio.status().message());
  spec.ratio = *ratio;
  uint64_t seed = static_cast<uint64_t>(o.IntOrExit("seed", 0, INT64_MAX));
  int library_clients = static_cast<int>(o.IntOrExit("library-clients", 1, 256));
  spdlog::set_level(spdlog::level::warn);

  auto pool = ScriptedPool::Create(o.Get("redis"), o.Get("prefix"), {{"node-1", node->ToString()}});
  if (!pool.ok()) {
    std::fprintf(stderr, "frontend_bench_throughput: %s\n", pool.status().ToString().c_str());
    return 1;
  }
  PoolClientOptions options;
  options.redis_url = o.Get("redis");
  options.prefix = o.Get("prefix");
  options.plan_moves = false;
  options.request_timeout_ms = 1000;
  std::vector<std::unique_ptr<PoolClient>> clients;
  std::vector<PoolClient*> client_ptrs;
  for (int i = 0; i < library_clients; ++i) {
    auto created = PoolClient::Create(options);
    if (!created.ok() || !(*created)->WaitReady(10000)) {
      std::fprintf(stderr, "frontend_bench_throughput: the PoolClient did not become ready\n");
      return 1;
    }
    clients.push_back(std::move(*created));
    client_ptrs.push_back(clients.back().get());
  }
  auto plain = MemcacheTarget::Create(*node);
  if (!plain.ok()) {
    std::fprintf(stderr, "frontend_bench_throughput: %s\n", plain.status().ToString().c_str());
    return 1;
  }
  PoolClientTarget library(client_ptrs);
  Workload workload(spec);

  LoadShape unpipelined{threads, threads, 1, 5000};
  std::vector<Leg> legs = {{"plain depth 1", plain->get(), unpipelined, {}, {}, {}, {}},
                           {"library", &library, unpipelined, {}, {}, {}, {}}};
  if (pipeline > 0) legs.push_back({fmt::format("plain depth {}", pipeline), plain->get(),
                                    LoadShape{threads, threads, pipeline, 5000}, {}, {}, {}, {}});
  std::printf("frontend_bench_throughput: %s, %d threads, %s, %llu keys uniform, %u-byte values, %.1f s per leg, "
              "%d rounds\n",
              node->ToString().c_str(), threads, spec.ratio.ToString().c_str(),
              static_cast<unsigned long long>(spec.keys), spec.value_size, duration_s, rounds);

  auto warm = LoadRunner(plain->get(), &workload, LoadShape{threads, threads, 16, 5000}).Warmup();
  if (!warm.ok()) {
    std::fprintf(stderr, "frontend_bench_throughput: warm-up: %s\n", warm.status().ToString().c_str());
    return 1;
  }
  std::fputs(WarmupText(node->ToString(), *warm).c_str(), stdout);

  nlohmann::json report = {{"node", node->ToString()}, {"threads", threads}, {"ratio", spec.ratio.ToString()},
                           {"keys", spec.keys}, {"value_size", spec.value_size}, {"duration_s", duration_s}};
  Comparison library_vs_plain;
  for (int r = 0; r < rounds; ++r) {
    uint64_t round_seed = FastRng::Derive(seed, static_cast<uint64_t>(r + 1));
    std::string line = fmt::format("round {}:", r + 1);
    nlohmann::json round_json = nlohmann::json::object();
    for (size_t i = 0; i < legs.size(); ++i) {
      Leg& leg = legs[(i + static_cast<size_t>(r)) % legs.size()];  // rotate who runs first
      auto run = LoadRunner(leg.target, &workload, leg.shape).Run(RunLimits{duration_s, 0}, round_seed);
      if (!run.ok()) {
        std::fprintf(stderr, "frontend_bench_throughput: %s: %s\n", leg.name.c_str(), run.status().ToString().c_str());
        return 1;
      }
      leg.ops_per_s.push_back(run->ops_per_s());
      leg.p50_us.push_back(run->latency.Percentile(0.5) / 1e3);
      leg.p99_us.push_back(run->latency.Percentile(0.99) / 1e3);
      line += fmt::format("  {} {:.0f} ops/s p50 {:.0f} us p99 {:.0f} us (errors {}, hit ratio {:.3f}, client cores {:.2f});",
                          leg.name, run->ops_per_s(), leg.p50_us.back(), leg.p99_us.back(), run->errors,
                          run->hit_ratio(), run->client_cores());
      round_json[leg.name] = StatsJson(*run);
      leg.runs.push_back(std::move(*run));
    }
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    report["rounds"].push_back(round_json);
    Comparison::Round round;
    round.a = legs[0].runs.back();
    round.b = legs[1].runs.back();
    library_vs_plain.Add(std::move(round));
  }
  std::printf("medians over %d rounds:\n", rounds);
  for (const Leg& leg : legs) {
    std::printf("  %-16s %8.0f ops/s  p50 %6.0f us  p99 %6.0f us\n", leg.name.c_str(), Median(leg.ops_per_s),
                Median(leg.p50_us), Median(leg.p99_us));
    report["medians"][leg.name] = {{"ops_per_s", Median(leg.ops_per_s)}, {"p50_us", Median(leg.p50_us)},
                                   {"p99_us", Median(leg.p99_us)}};
  }
  std::printf("library / plain depth 1: median ops/s ratio %.3f, median p99 ratio %.3f\n",
              library_vs_plain.MedianOpsRatio(), library_vs_plain.MedianP99Ratio());
  report["library_vs_plain"] = {{"median_ops_ratio", library_vs_plain.MedianOpsRatio()},
                                {"median_p99_ratio", library_vs_plain.MedianP99Ratio()}};
  PoolClientStats s = clients[0]->Stats();
  std::printf("library counters: gets %llu hits %llu writes %llu write failures %llu errors %llu fast-failed %llu\n",
              static_cast<unsigned long long>(s.gets), static_cast<unsigned long long>(s.hits),
              static_cast<unsigned long long>(s.writes), static_cast<unsigned long long>(s.write_failures),
              static_cast<unsigned long long>(s.errors), static_cast<unsigned long long>(s.fast_failed));
  if (o.GetFlag("json")) std::printf("%s\n", report.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace mcscale::bench

int main(int argc, char** argv) { return mcscale::bench::Main(argc, argv); }
