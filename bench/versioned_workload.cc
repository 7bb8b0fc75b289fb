#include "bench/versioned_workload.h"

#include <chrono>
#include <cmath>
#include <random>
#include <thread>

namespace mcscale {

namespace {

std::string KeyName(uint32_t i) { return "k" + std::to_string(i); }

// Zipf(0.99) sampler by inverse CDF over precomputed weights.
class KeyChooser {
 public:
  KeyChooser(uint32_t n, bool zipf) : n_(n), zipf_(zipf) {
    if (!zipf) return;
    cdf_.resize(n);
    double sum = 0;
    for (uint32_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / std::pow(i + 1.0, 0.99));
    for (auto& c : cdf_) c /= sum;
  }
  uint32_t Pick(std::mt19937_64& rng) const {
    if (!zipf_) return static_cast<uint32_t>(rng() % n_);
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<uint32_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()) % n_;
  }

 private:
  uint32_t n_;
  bool zipf_;
  std::vector<double> cdf_;
};

}  // namespace

VersionedWorkload::VersionedWorkload(PoolClient* client, WorkloadOptions options)
    : client_(client), options_(options), logs_(static_cast<size_t>(options.threads) + 1),
      seconds_(new SecondCounters[kMaxSeconds]) {}

uint64_t VersionedWorkload::Load() {
  std::atomic<uint64_t> failed{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<OpRecord>> logs(static_cast<size_t>(options_.threads));
  // The loader writes under writer ids past every workload writer.
  uint32_t loader_base = static_cast<uint32_t>(options_.processes * options_.threads) + 1 +
                         static_cast<uint32_t>(options_.process_index * options_.threads);
  for (int t = 0; t < options_.threads; ++t) {
    threads.emplace_back([&, t] {
      uint32_t writer = options_.writer_offset + loader_base + static_cast<uint32_t>(t) + 1000;
      uint64_t seq = 0;
      for (uint32_t i = static_cast<uint32_t>(t); i < options_.keys; i += static_cast<uint32_t>(options_.threads)) {
        OpRecord r;
        r.kind = OpRecord::kWrite;
        r.key = i;
        r.version = MakeVersion(writer, ++seq);
        r.begin_ns = MonoNs();
        r.ack = client_->Set(KeyName(i), VersionedValue(r.version, options_.value_size)).ok();
        r.end_ns = MonoNs();
        if (!r.ack) ++failed;
        logs[static_cast<size_t>(t)].push_back(r);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& l : logs) logs_.back().insert(logs_.back().end(), l.begin(), l.end());
  return failed.load();
}

void VersionedWorkload::Run(const std::function<void(const Second&)>& on_second) {
  int64_t start = MonoNs();
  std::vector<std::thread> threads;
  for (int t = 0; t < options_.threads; ++t)
    threads.emplace_back([&, t] { Thread(t, &logs_[static_cast<size_t>(t)], start); });
  int64_t reported = 0;
  auto report = [&](int64_t upto) {
    for (; on_second && reported < upto && reported < static_cast<int64_t>(kMaxSeconds); ++reported) {
      const SecondCounters& c = seconds_[static_cast<size_t>(reported)];
      on_second(Second{reported, c.gets.load(), c.hits.load(), c.sets.load(), c.deletes.load(),
                       c.write_failures.load()});
    }
  };
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    report((MonoNs() - start) / 1'000'000'000);
  }
  for (auto& th : threads) th.join();
}

void VersionedWorkload::Thread(int t, std::vector<OpRecord>* log, int64_t start_ns) {
  std::mt19937_64 rng(options_.seed * 1000003 + static_cast<uint64_t>(options_.process_index) * 101 +
                      static_cast<uint64_t>(t));
  KeyChooser chooser(options_.keys, options_.zipf);
  uint32_t writers = static_cast<uint32_t>(options_.processes * options_.threads);
  uint32_t slot = WriterSlot(t);
  uint32_t half = options_.keys / 2;
  uint32_t writer = WriterId(t);
  uint64_t seq = 0;
  double per_thread_rate = options_.rate / options_.threads;
  int64_t interval_ns = per_thread_rate > 0 ? static_cast<int64_t>(1e9 / per_thread_rate) : 0;
  int64_t next = MonoNs();
  std::uniform_real_distribution<double> unit(0, 1);
  log->reserve(1 << 16);
  while (!stop_) {
    if (interval_ns > 0) {
      next += interval_ns;
      int64_t wait = next - MonoNs();
      if (wait > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
      else if (wait < -1'000'000'000) next = MonoNs();  // fell far behind: do not burst
    }
    size_t sec = std::min(static_cast<size_t>((MonoNs() - start_ns) / 1'000'000'000), kMaxSeconds - 1);
    SecondCounters& now = seconds_[sec];
    double u = unit(rng);
    OpRecord r;
    if (u < options_.get_share) {
      r.kind = OpRecord::kRead;
      r.key = chooser.Pick(rng);
      r.begin_ns = MonoNs();
      auto item = client_->Get(KeyName(r.key));
      r.end_ns = MonoNs();
      r.ack = 1;
      r.version = item ? VersionOf(item->value) : kNoVersion;
      ++now.gets;
      if (item) ++now.hits;
    } else {
      // Half the writes go to this thread's own single-writer keys, half to shared keys.
      bool own = (rng() & 1) != 0 && half > writers;
      if (own) {
        uint32_t k = static_cast<uint32_t>(rng() % (half / writers)) * writers + slot;
        r.key = k < half ? k : slot;
      } else {
        r.key = half + static_cast<uint32_t>(rng() % (options_.keys - half));
      }
      r.begin_ns = MonoNs();
      if (u < options_.get_share + options_.set_share) {
        r.kind = OpRecord::kWrite;
        r.version = MakeVersion(writer, ++seq);
        r.ack = client_->Set(KeyName(r.key), VersionedValue(r.version, options_.value_size)).ok();
        ++now.sets;
      } else {
        r.kind = OpRecord::kDelete;
        r.ack = client_->Delete(KeyName(r.key)).ok();
        ++now.deletes;
      }
      r.end_ns = MonoNs();
      if (!r.ack) ++now.write_failures;
    }
    log->push_back(r);
  }
}

std::vector<OpRecord> VersionedWorkload::Records() const {
  std::vector<OpRecord> all;
  for (const auto& l : logs_) all.insert(all.end(), l.begin(), l.end());
  return all;
}

}  // namespace mcscale
