#include "bench/load_runner.h"

#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace mcscale::bench {
namespace {

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

}  // namespace

template <typename MakeSource>
Result<LoadStats> LoadRunner::RunThreads(MakeSource make_source, double stop_after_s,
                                         RunControl* control) {
  const int threads = shape_.threads;
  std::vector<LoadStats> stats(static_cast<size_t>(threads));
  std::vector<Status> statuses(static_cast<size_t>(threads));
  std::mutex mu;
  std::condition_variable cv;
  int running = threads;
  std::vector<std::thread> pool;
  const double cpu_before = ProcessCpuSeconds();
  for (int i = 0; i < threads; ++i) {
    ThreadShare share;
    share.thread_index = i;
    share.connections = shape_.connections / threads + (i < shape_.connections % threads ? 1 : 0);
    share.pipeline = shape_.pipeline;
    share.timeout_ms = shape_.timeout_ms;
    pool.emplace_back([&, i, share] {
      OpSource source = make_source(i);
      Status st = target_->RunThread(share, &source, &stats[static_cast<size_t>(i)]);
      std::lock_guard<std::mutex> lock(mu);
      statuses[static_cast<size_t>(i)] = st;
      // A thread that could not start ends the run for all.
      if (!st.ok() && control != nullptr) control->stop = true;
      --running;
      cv.notify_all();
    });
  }
  if (stop_after_s > 0 && control != nullptr) {
    std::unique_lock<std::mutex> lock(mu);
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(stop_after_s));
    cv.wait_until(lock, deadline, [&] { return running == 0 || control->stop.load(); });
    control->stop = true;
  }
  for (auto& t : pool) t.join();
  LoadStats total;
  total.client_cpu_s = ProcessCpuSeconds() - cpu_before;
  for (int i = 0; i < threads; ++i) {
    if (!statuses[static_cast<size_t>(i)].ok()) return statuses[static_cast<size_t>(i)];
    total.Merge(stats[static_cast<size_t>(i)]);
  }
  return total;
}

Result<LoadStats> LoadRunner::Warmup() {
  std::atomic<uint64_t> cursor{0};
  return RunThreads([&](int) { return OpSource::Warmup(workload_, &cursor); }, 0, nullptr);
}

Result<LoadStats> LoadRunner::Run(const RunLimits& limits, uint64_t seed) {
  RunControl control;
  if (limits.requests > 0) {
    control.limited = true;
    control.budget = limits.requests;
  }
  return RunThreads(
      [&](int i) { return OpSource::Mixed(workload_, FastRng::Derive(seed, static_cast<uint64_t>(i)), &control); },
      limits.requests > 0 ? 0 : limits.duration_s, &control);
}

}  // namespace mcscale::bench
