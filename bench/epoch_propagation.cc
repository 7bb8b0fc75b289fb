// epoch_propagation: how soon after a resize is published every subscribed frontend routes
// by the new epoch. --clients PoolClients (in this process, each with its own Redis
// connections and threads) follow a ScriptedPool; for each of --resizes resizes (growing
// and shrinking by one node in turn) one thread per client waits in
// PoolClient::WaitForEpoch(E) while the pool publishes pool.resized E the way the
// coordinator does. Measured from the moment before the publish (where the coordinator
// takes the event's ts) to:
//   - seen:     the client's on_event callback for pool.resized E (it got the message, read
//               history after its last seq, and applied the event);
//   - routing:  WaitForEpoch(E) returned (the new routing generation is in place and the
//               lease valid), which is what an application can observe. WaitForEpoch
//               is woken by the switch (it polled every 5 ms until the library signalled
//               it); with --probe-us N one thread instead asks every client
//               WaitForEpoch(E, timeout 0) every N us, which times the switch itself.
// Between resizes the migration is committed and finished and every client waits to be
// stable, then a pause of --gap-ms (randomized 50-100%) so publishes do not line up with
// the clients' timers. The first resize warms up (connections, first history reads) and is
// not counted.
//
//   build/bin/epoch_propagation --redis redis://127.0.0.1:6379 --clients 20 --resizes 20
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bench/frontend_bench_pool.h"
#include "common/options.h"
#include "frontend/pool_client.h"

namespace mcscale::bench {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One subscribed frontend and when it saw each pool.resized.
struct Frontend {
  std::unique_ptr<PoolClient> client;
  std::mutex mu;
  std::map<int64_t, int64_t> resized_seen_ns;  // epoch -> monotonic ns of on_event
};

// The q-quantile (nearest rank) of `v` in ms; 0 when empty.
double QuantileMs(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return static_cast<double>(v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)]) / 1e6;
}

nlohmann::json Summary(const char* what, const std::vector<int64_t>& ns, int64_t bound_ns) {
  size_t within = static_cast<size_t>(std::count_if(ns.begin(), ns.end(), [&](int64_t x) { return x <= bound_ns; }));
  std::printf("  %-8s p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %6.2f ms  within %.0f ms: %zu/%zu\n", what,
              QuantileMs(ns, 0.5), QuantileMs(ns, 0.9), QuantileMs(ns, 0.99), QuantileMs(ns, 1.0),
              static_cast<double>(bound_ns) / 1e6, within, ns.size());
  return {{"p50_ms", QuantileMs(ns, 0.5)}, {"p90_ms", QuantileMs(ns, 0.9)}, {"p99_ms", QuantileMs(ns, 0.99)},
          {"max_ms", QuantileMs(ns, 1.0)}, {"samples", ns.size()}, {"within_bound", within}};
}

int Main(int argc, char** argv) {
  Options o("epoch_propagation",
            "epoch_propagation [--redis URL] [--clients 20] [--resizes 20]\n"
            "Publishes resizes of a scripted pool and measures, per subscribed PoolClient, the time\n"
            "from the publish to its WaitForEpoch returning (and to its event callback). Writes the\n"
            "pool under --prefix in Redis for the run and deletes it afterwards.");
  o.Add("redis", "redis://127.0.0.1:6379", "Redis URL");
  o.Add("prefix", "fe-bench-epochs-" + std::to_string(getpid()), "Redis key prefix of the scripted pool");
  o.Add("clients", "20", "subscribed PoolClients");
  o.Add("resizes", "20", "resizes published (each is one sample per client)");
  o.Add("gap-ms", "200", "pause between resizes (randomized between half and all of it)");
  o.Add("bound-ms", "10", "the target: how many samples are within this");
  o.Add("timeout-ms", "5000", "give up on a client that has not followed within this");
  o.Add("probe-us", "0",
        "0: one thread per client blocks in WaitForEpoch (woken by the switch); N: one thread asks "
        "every client WaitForEpoch(E, timeout 0) every N us instead, to time the switch itself");
  o.AddFlag("json", "also print one JSON object with the figures and every sample");
  o.ParseOrExit(argc, argv);
  int clients = static_cast<int>(o.IntOrExit("clients", 1, 1000));
  int resizes = static_cast<int>(o.IntOrExit("resizes", 1, 10000));
  int64_t gap_ms = o.IntOrExit("gap-ms", 0, 600000);
  int64_t bound_ns = o.IntOrExit("bound-ms", 1, 600000) * 1000000;
  int64_t timeout_ms = o.IntOrExit("timeout-ms", 1, 600000);
  int64_t probe_us = o.IntOrExit("probe-us", 0, 1000000);
  spdlog::set_level(spdlog::level::warn);

  // Node addresses are never dialed: nothing here gets or sets.
  NodeAddresses two = {{"node-1", "127.0.0.1:21001"}, {"node-2", "127.0.0.1:21002"}};
  NodeAddresses three = two;
  three["node-3"] = "127.0.0.1:21003";
  auto created = ScriptedPool::Create(o.Get("redis"), o.Get("prefix"), two);
  if (!created.ok()) {
    std::fprintf(stderr, "epoch_propagation: %s\n", created.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<ScriptedPool> pool = std::move(*created);

  std::vector<std::unique_ptr<Frontend>> frontends;
  for (int i = 0; i < clients; ++i) {
    auto f = std::make_unique<Frontend>();
    PoolClientOptions options;
    options.redis_url = o.Get("redis");
    options.prefix = o.Get("prefix");
    options.id = "epoch-bench-" + std::to_string(i);
    options.plan_moves = false;
    Frontend* raw = f.get();
    options.on_event = [raw](const PoolEvent& ev) {
      if (ev.type != EventType::kPoolResized) return;
      int64_t now = NowNs();
      std::lock_guard<std::mutex> l(raw->mu);
      raw->resized_seen_ns.emplace(ev.epoch, now);
    };
    auto c = PoolClient::Create(options);
    if (!c.ok()) {
      std::fprintf(stderr, "epoch_propagation: %s\n", c.status().ToString().c_str());
      return 1;
    }
    f->client = std::move(*c);
    frontends.push_back(std::move(f));
  }
  for (auto& f : frontends) {
    if (!f->client->WaitReady(timeout_ms)) {
      std::fprintf(stderr, "epoch_propagation: a client did not become ready\n");
      return 1;
    }
  }
  std::printf("epoch_propagation: %d clients, %d resizes, Redis %s\n", clients, resizes, o.Get("redis").c_str());

  std::vector<int64_t> seen_ns, routing_ns, slowest_ns;
  nlohmann::json samples = nlohmann::json::array();
  std::mt19937 rng(12345);
  int failures = 0;
  for (int r = -1; r < resizes; ++r) {  // r == -1: the warm-up
    int64_t epoch = pool->state().epoch + 1;
    std::vector<int64_t> done(static_cast<size_t>(clients), 0);
    std::atomic<int> waiting{0};
    std::vector<std::thread> waiters;
    if (probe_us == 0) {
      // As an application waits: one thread per client, blocked in WaitForEpoch.
      for (int i = 0; i < clients; ++i) {
        waiters.emplace_back([&, i] {
          ++waiting;
          if (frontends[static_cast<size_t>(i)]->client->WaitForEpoch(epoch, false, timeout_ms))
            done[static_cast<size_t>(i)] = NowNs();
        });
      }
    } else {
      // One thread asks every client in turn, WaitForEpoch with no wait, every probe_us.
      waiters.emplace_back([&] {
        waiting = clients;
        int64_t give_up = NowNs() + timeout_ms * 1000000;
        for (int left = clients; left > 0 && NowNs() < give_up;) {
          for (int i = 0; i < clients; ++i) {
            if (done[static_cast<size_t>(i)] == 0 && frontends[static_cast<size_t>(i)]->client->WaitForEpoch(epoch, false, 0)) {
              done[static_cast<size_t>(i)] = NowNs();
              --left;
            }
          }
          std::this_thread::sleep_for(std::chrono::microseconds(probe_us));
        }
      });
    }
    while (waiting.load() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // every waiter is in its wait
    int64_t published = 0;
    Status st = pool->Resize(pool->state().regions.Nodes().size() == 2 ? three : two, &published);
    if (!st.ok()) {
      std::fprintf(stderr, "epoch_propagation: resize: %s\n", st.ToString().c_str());
      return 1;
    }
    for (auto& t : waiters) t.join();
    int64_t slowest = 0;
    nlohmann::json round = {{"epoch", epoch}, {"seen_us", nlohmann::json::array()}, {"routing_us", nlohmann::json::array()}};
    for (int i = 0; i < clients; ++i) {
      Frontend& f = *frontends[static_cast<size_t>(i)];
      if (done[static_cast<size_t>(i)] == 0) {
        ++failures;
        continue;
      }
      int64_t routing = done[static_cast<size_t>(i)] - published;
      slowest = std::max(slowest, routing);
      round["routing_us"].push_back(routing / 1000);
      std::lock_guard<std::mutex> l(f.mu);
      auto it = f.resized_seen_ns.find(epoch);
      if (it != f.resized_seen_ns.end()) round["seen_us"].push_back((it->second - published) / 1000);
      if (r < 0) continue;
      routing_ns.push_back(routing);
      if (it != f.resized_seen_ns.end()) seen_ns.push_back(it->second - published);
    }
    if (r >= 0) {
      slowest_ns.push_back(slowest);
      samples.push_back(round);
    }
    std::printf("resize %2d -> epoch %lld: slowest client on it after %.2f ms%s\n", r + 1,
                static_cast<long long>(epoch), static_cast<double>(slowest) / 1e6, r < 0 ? " (warm-up)" : "");
    std::fflush(stdout);

    // Let the migration end so the next resize may start, with every client stable again.
    st = pool->Commit();
    if (st.ok()) st = pool->Finish();
    if (!st.ok()) {
      std::fprintf(stderr, "epoch_propagation: ending the migration: %s\n", st.ToString().c_str());
      return 1;
    }
    for (auto& f : frontends) {
      if (!f->client->WaitForEpoch(epoch, true, timeout_ms)) ++failures;
    }
    if (gap_ms > 0) {
      std::uniform_int_distribution<int64_t> pause(gap_ms / 2, gap_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
    }
  }

  std::printf("from the publish of pool.resized, over %d clients x %d resizes:\n", clients, resizes);
  nlohmann::json report = {{"clients", clients}, {"resizes", resizes}, {"failures", failures}};
  report["seen"] = Summary("seen", seen_ns, bound_ns);
  report["routing"] = Summary("routing", routing_ns, bound_ns);
  report["slowest_per_resize"] = Summary("slowest", slowest_ns, bound_ns);
  if (failures) std::printf("  %d client(s) did not follow within %lld ms\n", failures, static_cast<long long>(timeout_ms));
  if (o.GetFlag("json")) {
    report["samples"] = samples;
    std::printf("%s\n", report.dump().c_str());
  }
  frontends.clear();  // leases go before the pool's keys do
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace mcscale::bench

int main(int argc, char** argv) { return mcscale::bench::Main(argc, argv); }
