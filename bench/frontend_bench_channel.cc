// frontend_bench_channel: gets per second from --threads threads against one memcached, the
// ways the frontend library's node layer can be used, in alternating rounds:
//   raw:       a MemcacheClient per thread (no NodeChannel);
//   own:       a NodeChannel per thread (its connections then never serve another thread);
//   shared:    one NodeChannel for every thread, as one PoolClient has per node;
//   alternate: (diagnostic, only when named in --modes) two MemcacheClients per thread,
//              opened back to back so that memcached -t 2 serves them from different
//              workers, used in turn: no connection ever changes threads, but a thread's
//              successive requests go to different server threads.
// It isolates what frontend_bench_throughput shows for one PoolClient shared by threads.
//
//   build/bin/frontend_bench_channel --node 127.0.0.1:11211 [--threads 2] [--rounds 5] [--modes raw,shared]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
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

enum class Mode { kRaw, kOwn, kShared, kAlternate };
const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kRaw: return "raw";
    case Mode::kOwn: return "own";
    case Mode::kShared: return "shared";
    case Mode::kAlternate: return "alternate";
  }
  return "?";
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Total gets per second of `threads` threads doing gets of their own key for `seconds`.
double Run(Mode mode, const HostPort& node, int threads, double seconds) {
  auto shared = std::make_shared<NodeChannel>("node-1", node, NodeChannelOptions{}, Clock::Real());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> gets{0};
  std::vector<std::thread> pool;
  std::mutex connect_mu;
  auto key_of = [](int t) { return "channel-bench:" + std::to_string(t); };
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      MemcacheClient raw(node, 1000);
      MemcacheClient other(node, 1000);
      if (mode == Mode::kAlternate) {
        // Both connections opened back to back, one thread at a time: memcached deals new
        // connections to its workers in turn, so with two workers they reach different ones.
        std::lock_guard<std::mutex> l(connect_mu);
        (void)raw.Get(key_of(t));
        (void)other.Get(key_of(t));
      }
      auto own = std::make_shared<NodeChannel>("node-1", node, NodeChannelOptions{}, Clock::Real());
      std::string key = key_of(t);
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        switch (mode) {
          case Mode::kRaw: (void)raw.Get(key); break;
          case Mode::kOwn: (void)own->Get(key); break;
          case Mode::kShared: (void)shared->Get(key); break;
          case Mode::kAlternate: (void)((n & 1) ? other : raw).Get(key); break;
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
  o.Add("modes", "raw,own,shared", "the ways to run, comma-separated (e.g. only 'shared' under perf)");
  o.ParseOrExit(argc, argv);
  auto node = HostPort::Parse(o.Get("node"));
  if (!node.ok()) o.Fail("--node: " + node.status().message());
  int threads = static_cast<int>(o.IntOrExit("threads", 1, 256));
  int rounds = static_cast<int>(o.IntOrExit("rounds", 1, 100));
  double seconds = o.DoubleOrExit("duration-s", 0.1, 3600);
  spdlog::set_level(spdlog::level::warn);

  std::vector<Mode> modes;
  for (const std::string& name : SplitList(o.Get("modes"))) {
    bool known = false;
    for (Mode m : {Mode::kRaw, Mode::kOwn, Mode::kShared, Mode::kAlternate}) {
      if (name == ModeName(m)) {
        modes.push_back(m);
        known = true;
      }
    }
    if (!known) o.Fail("--modes: unknown way '" + name + "' (raw, own, shared or alternate)");
  }
  if (modes.empty()) o.Fail("--modes: name at least one of raw, own, shared");
  const size_t n = modes.size();
  std::vector<std::vector<double>> results(n);
  for (int r = 0; r < rounds; ++r) {
    std::printf("round %d:", r + 1);
    for (size_t i = 0; i < n; ++i) {
      size_t m = (i + static_cast<size_t>(r)) % n;
      double rate = Run(modes[m], *node, threads, seconds);
      results[m].push_back(rate);
      std::printf("  %s %.0f gets/s", ModeName(modes[m]), rate);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  std::printf("medians over %d rounds, %d threads:", rounds, threads);
  for (size_t m = 0; m < n; ++m) std::printf("  %s %.0f gets/s", ModeName(modes[m]), Comparison::Median(results[m]));
  std::printf("\n");
  return 0;
}

}  // namespace
}  // namespace mcscale::bench

int main(int argc, char** argv) { return mcscale::bench::Main(argc, argv); }
