// frontend_bench_channel: gets per second from --threads threads against one memcached, the
// three ways the frontend library's node layer can be used, in alternating rounds:
//   raw:     a MemcacheClient per thread (no NodeChannel);
//   own:     a NodeChannel per thread (its connection pool then never hands a connection to
//            another thread);
//   shared:  one NodeChannel for every thread, as one PoolClient has per node.
// It isolates what frontend_bench_throughput shows for one PoolClient shared by threads.
//
//   build/bin/frontend_bench_channel --node 127.0.0.1:11211 [--threads 2] [--rounds 5]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/comparison.h"
#include "common/memcache_client.h"
#include "common/options.h"
#include "frontend/node_channel.h"

namespace mcscale::bench {
namespace {

enum class Mode { kRaw, kOwn, kShared };
const char* ModeName(Mode m) { return m == Mode::kRaw ? "raw" : m == Mode::kOwn ? "own" : "shared"; }

// Total gets per second of `threads` threads doing gets of their own key for `seconds`.
double Run(Mode mode, const HostPort& node, int threads, double seconds) {
  auto shared = std::make_shared<NodeChannel>("node-1", node, NodeChannelOptions{}, Clock::Real());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> gets{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      MemcacheClient raw(node, 1000);
      auto own = std::make_shared<NodeChannel>("node-1", node, NodeChannelOptions{}, Clock::Real());
      std::string key = "channel-bench:" + std::to_string(t);
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        switch (mode) {
          case Mode::kRaw: (void)raw.Get(key); break;
          case Mode::kOwn: (void)own->Get(key); break;
          case Mode::kShared: (void)shared->Get(key); break;
        }
        ++n;
      }
      gets += n;
    });
  }
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(gets.load()) / elapsed;
}

int Main(int argc, char** argv) {
  Options o("frontend_bench_channel",
            "frontend_bench_channel --node HOST:PORT [--threads 2] [--rounds 5] [--duration-s 2]\n"
            "Gets per second through a MemcacheClient per thread, a NodeChannel per thread and one\n"
            "NodeChannel shared by all threads, in alternating rounds; medians at the end.");
  o.Add("node", "", "the memcached HOST:PORT (required)");
  o.Add("threads", "2", "threads");
  o.Add("rounds", "5", "rounds (the order of the three rotates)");
  o.Add("duration-s", "2", "seconds per way per round");
  o.ParseOrExit(argc, argv);
  auto node = HostPort::Parse(o.Get("node"));
  if (!node.ok()) o.Fail("--node: " + node.status().message());
  int threads = static_cast<int>(o.IntOrExit("threads", 1, 256));
  int rounds = static_cast<int>(o.IntOrExit("rounds", 1, 100));
  double seconds = o.DoubleOrExit("duration-s", 0.1, 3600);
  spdlog::set_level(spdlog::level::warn);

  const Mode modes[] = {Mode::kRaw, Mode::kOwn, Mode::kShared};
  std::vector<double> results[3];
  for (int r = 0; r < rounds; ++r) {
    std::printf("round %d:", r + 1);
    for (int i = 0; i < 3; ++i) {
      int m = (i + r) % 3;
      double rate = Run(modes[m], *node, threads, seconds);
      results[m].push_back(rate);
      std::printf("  %s %.0f gets/s", ModeName(modes[m]), rate);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  std::printf("medians over %d rounds, %d threads:", rounds, threads);
  for (int m = 0; m < 3; ++m) std::printf("  %s %.0f gets/s", ModeName(modes[m]), Comparison::Median(results[m]));
  std::printf("\n");
  return 0;
}

}  // namespace
}  // namespace mcscale::bench

int main(int argc, char** argv) { return mcscale::bench::Main(argc, argv); }
