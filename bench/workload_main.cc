// mcscale-workload: one frontend process of the resize tests and benchmarks. Runs the
// versioned mixed workload (VersionedWorkload) through the frontend library until SIGTERM
// (or --duration-s), prints one JSON line per second (gets, hits, sets, deletes, write
// failures), and writes every operation to --log for the ConsistencyChecker.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/versioned_workload.h"
#include "common/logging.h"
#include "common/options.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using namespace mcscale;
  Options o("mcscale-workload",
            "mcscale-workload --redis URL --log FILE [options]\n\n"
            "Runs the versioned mixed workload through the frontend library and logs every\n"
            "operation (for stale-read and lost-key checks).");
  o.Add("redis", "redis://127.0.0.1:6379", "Redis URL of the pool")
      .Add("prefix", "mcscale", "Redis key prefix")
      .Add("keys", "100000", "number of keys k0..kN-1 (first half single-writer, second half shared)")
      .Add("value-size", "1024", "bytes per value")
      .Add("threads", "4", "worker threads")
      .Add("process-index", "0", "this process among --processes")
      .Add("processes", "1", "workload processes sharing the keys")
      .Add("rate", "2000", "operations per second of this process (0: as fast as possible)")
      .Add("get-share", "0.90", "fraction of gets")
      .Add("set-share", "0.09", "fraction of sets (the rest are deletes)")
      .Add("dist", "uniform", "key choice: uniform or zipf")
      .Add("seed", "1", "random seed")
      .Add("writer-offset", "0", "added to every writer id (give each run of a test its own, e.g. run * 10000)")
      .Add("duration-s", "0", "stop after this many seconds (0: at SIGTERM)")
      .Add("log", "", "write the operation log here")
      .Add("request-timeout-ms", "200", "the frontend library's per-request timeout")
      .Add("log-level", "warn", "trace, debug, info, warn or error")
      .AddFlag("load", "write every key once before running")
      .AddFlag("load-only", "write every key once and exit");
  o.ParseOrExit(argc, argv);
  if (Status st = SetupLogging("workload", o.Get("log-level")); !st.ok()) o.Fail(st.message());
  if (o.Get("dist") != "uniform" && o.Get("dist") != "zipf") o.Fail("--dist: expected uniform or zipf");

  WorkloadOptions w;
  w.keys = static_cast<uint32_t>(o.IntOrExit("keys", 2, 100'000'000));
  w.value_size = static_cast<size_t>(o.IntOrExit("value-size", 24, 1 << 20));
  w.threads = static_cast<int>(o.IntOrExit("threads", 1, 256));
  w.processes = static_cast<int>(o.IntOrExit("processes", 1, 64));
  w.process_index = static_cast<int>(o.IntOrExit("process-index", 0, w.processes - 1));
  w.rate = o.DoubleOrExit("rate", 0, 1e7);
  w.get_share = o.DoubleOrExit("get-share", 0, 1);
  w.set_share = o.DoubleOrExit("set-share", 0, 1 - w.get_share);
  w.zipf = o.Get("dist") == "zipf";
  w.seed = static_cast<uint64_t>(o.IntOrExit("seed", 0, INT64_MAX));
  w.writer_offset = static_cast<uint32_t>(o.IntOrExit("writer-offset", 0, 1 << 23));
  int64_t duration_s = o.IntOrExit("duration-s", 0, 7 * 24 * 3600);

  PoolClientOptions pc;
  pc.redis_url = o.Get("redis");
  pc.prefix = o.Get("prefix");
  pc.id = "workload-" + std::to_string(w.process_index) + "-" + std::to_string(getpid());
  pc.request_timeout_ms = o.IntOrExit("request-timeout-ms", 1, 60000);
  auto client = PoolClient::Create(pc);
  if (!client.ok()) o.Fail(client.status().message());
  if (!(*client)->WaitReady(60000)) {
    std::cerr << "mcscale-workload: no pool to route by after 60 s (is the coordinator running?)\n";
    return 1;
  }
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);

  VersionedWorkload workload(client->get(), w);
  uint64_t load_failures = 0;
  if (o.GetFlag("load") || o.GetFlag("load-only")) load_failures = workload.Load();
  std::cout << nlohmann::json{{"loaded", o.GetFlag("load") || o.GetFlag("load-only")},
                              {"load_failures", load_failures}}.dump() << std::endl;
  if (!o.GetFlag("load-only")) {
    std::thread stopper([&] {
      auto start = std::chrono::steady_clock::now();
      while (!g_stop && (duration_s == 0 || std::chrono::steady_clock::now() - start < std::chrono::seconds(duration_s)))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      workload.Stop();
    });
    workload.Run([&](const VersionedWorkload::Second& s) {
      auto stats = (*client)->Stats();
      std::cout << nlohmann::json{{"t", s.t}, {"gets", s.gets}, {"hits", s.hits}, {"sets", s.sets},
                                  {"deletes", s.deletes}, {"write_failures", s.write_failures},
                                  {"epoch", stats.epoch}, {"phase", stats.phase}}.dump() << std::endl;
    });
    stopper.join();
  }
  auto records = workload.Records();
  if (!o.Get("log").empty()) {
    Status st = WriteOpLog(o.Get("log"), records);
    if (!st.ok()) {
      std::cerr << "mcscale-workload: " << st.ToString() << "\n";
      return 1;
    }
  }
  std::cout << nlohmann::json{{"done", true}, {"operations", records.size()}}.dump() << std::endl;
  return 0;
}
