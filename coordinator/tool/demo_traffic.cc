#include "coordinator/tool/demo_traffic.h"

#include <cstring>
#include <ctime>
#include <iomanip>
#include <random>
#include <sstream>

namespace mcscale {

namespace {

// Cold keys live a few minutes, so a long demo does not fill the nodes with them only.
constexpr int64_t kColdTtlS = 300;

std::string RandomHex(int chars) {
  std::random_device rd;
  std::ostringstream out;
  for (int i = 0; i < chars; ++i) out << std::hex << (rd() & 0xf);
  return out.str();
}

}  // namespace

DemoTraffic::DemoTraffic(RedisClient* redis, RedisKeys keys, DemoTrafficOptions options, Clock* clock,
                         LineFn print)
    : redis_(redis), keys_(std::move(keys)), options_(options), clock_(clock), print_(std::move(print)),
      run_id_(RandomHex(8)), value_(static_cast<size_t>(options.value_bytes), 'v') {}

const char* DemoTraffic::PhaseAt(int64_t elapsed_ms, int phase_s) {
  return (elapsed_ms / (static_cast<int64_t>(phase_s) * 1000)) % 2 == 0 ? "cold" : "warm";
}

std::string DemoTraffic::Timestamp() const {
  std::time_t secs = static_cast<std::time_t>(clock_->NowMs() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return when;
}

void DemoTraffic::ReadPool() {
  auto hash = redis_->HGetAll(keys_.pool());
  if (!hash.ok()) {
    pool_error_ = "Redis: " + hash.status().message();
    return;  // keep routing by the pool last read
  }
  if (hash->empty()) {
    pool_.reset();
    pool_error_ = "no pool in " + keys_.pool() + " yet";
    return;
  }
  auto pool = PoolState::FromHash(*hash);
  if (!pool.ok()) {
    pool_error_ = keys_.pool() + " does not decode: " + pool.status().message();
    return;
  }
  pool_ = std::move(*pool);
  pool_error_.clear();
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (pool_->nodes.count(it->first)) ++it;
    else it = clients_.erase(it);
  }
}

void DemoTraffic::ReadThrough(const std::string& key, Window* window) {
  ++window->gets;
  const NodeId& owner = pool_->regions.OwnerOfKey(key);
  auto node = pool_->nodes.find(owner);
  auto address = node == pool_->nodes.end() ? Result<HostPort>(Status::NotFound(owner)) : HostPort::Parse(node->second);
  if (!address.ok()) {
    ++window->errors;
    return;
  }
  auto& client = clients_[owner];
  if (!client || !(client->address() == *address))
    client = std::make_unique<MemcacheClient>(*address, options_.node_timeout_ms);
  auto got = client->Get(key);
  if (!got.ok()) {
    ++window->errors;
    return;
  }
  if (got->has_value()) return;
  ++window->misses;
  // Cache-aside: what the application read from its store goes into the cache.
  bool cold = key.rfind("cold-", 0) == 0;
  if (!client->Set(key, value_, 0, cold ? kColdTtlS : 0).ok()) ++window->errors;
}

void DemoTraffic::Report(const char* phase, Window* window, int64_t now_ms) {
  double secs = std::max<int64_t>(now_ms - window->start_ms, 1) / 1000.0;
  std::ostringstream line;
  line << Timestamp() << " traffic " << phase << ": " << std::fixed << std::setprecision(0)
       << static_cast<double>(window->gets) / secs << " gets/s, miss rate ";
  if (window->gets > window->errors)
    line << std::setprecision(2)
         << static_cast<double>(window->misses) / static_cast<double>(window->gets - window->errors);
  else
    line << "-";
  line << ", " << window->errors << " errors; ";
  if (pool_) {
    line << "pool " << pool_->regions.Nodes().size() << " nodes, epoch " << pool_->epoch << " ("
         << PoolPhaseName(pool_->state) << ")";
  } else {
    line << "no pool";
  }
  if (!pool_error_.empty()) line << " [" << pool_error_ << "]";
  print_(line.str());
  *window = Window();
  window->start_ms = now_ms;
}

void DemoTraffic::Run(const std::atomic<bool>* stop) {
  const int64_t start = clock_->MonoMs();
  const int64_t report_ms = static_cast<int64_t>(options_.report_s) * 1000;
  int64_t next_pool_read = start;
  int64_t next_report = start + report_ms;
  int64_t done = 0;  // gets issued (or forgiven) so far, for pacing
  const char* phase = "";
  Window window;
  window.start_ms = start;

  while (!stop->load()) {
    int64_t now = clock_->MonoMs();
    int64_t elapsed = now - start;
    if (options_.duration_s > 0 && elapsed >= static_cast<int64_t>(options_.duration_s) * 1000) break;
    if (now >= next_pool_read) {
      ReadPool();
      next_pool_read = now + options_.pool_read_ms;
    }
    const char* p = PhaseAt(elapsed, options_.phase_s);
    if (std::strcmp(p, phase) != 0) {
      phase = p;
      bool cold = std::strcmp(phase, "cold") == 0;
      std::ostringstream line;
      line << Timestamp() << " traffic phase " << phase << " for " << options_.phase_s << " s: "
           << (cold ? "keys never read before, every get misses: the pool should grow"
                    : "cache-aside over " + std::to_string(options_.hot_keys) +
                          " hot keys, almost every get hits: the pool should shrink");
      print_(line.str());
      window = Window();
      window.start_ms = now;
      next_report = now + report_ms;
    }
    if (now >= next_report) {
      Report(phase, &window, now);
      next_report = now + report_ms;
    }

    // Paced: by now `rate * elapsed` gets should have been issued; never more than one
    // second behind (a stall is not made up with a burst).
    int64_t target = static_cast<int64_t>(options_.rate) * elapsed / 1000;
    if (target - done > options_.rate) done = target - options_.rate;
    if (!pool_ || pool_->regions.empty()) {
      done = target;
      clock_->SleepMs(20);
      continue;
    }
    bool cold = std::strcmp(phase, "cold") == 0;
    for (int batch = 0; done < target && batch < 100; ++batch, ++done) {
      std::string key = cold ? "cold-" + run_id_ + "-" + std::to_string(cold_n_++)
                             : "hot-" + std::to_string(hot_n_++ % static_cast<uint64_t>(options_.hot_keys));
      ReadThrough(key, &window);
    }
    if (done >= target) clock_->SleepMs(1);
  }
  if (window.gets > 0) Report(phase, &window, clock_->MonoMs());
}

}  // namespace mcscale
