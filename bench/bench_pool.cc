#include "bench/bench_pool.h"

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/event_log.h"

namespace mcscale::bench {

namespace {

std::vector<std::string> JsonArgv(const nlohmann::json& j) {
  std::vector<std::string> argv;
  if (!j.is_array()) return argv;
  for (const auto& a : j)
    if (a.is_string()) argv.push_back(a.get<std::string>());
  return argv;
}

// True when `pid` still runs the command line the provider recorded for it (so a pid the
// kernel gave to something else since is never signalled).
bool StillRuns(int pid, const std::vector<std::string>& argv) {
  auto now = ProcessCommandLine(pid);
  return now.has_value() && !argv.empty() && *now == argv;
}

}  // namespace

Result<std::unique_ptr<BenchPool>> BenchPool::Start(const BenchPoolOptions& options) {
  std::unique_ptr<BenchPool> pool(new BenchPool(options));
  auto redis = LocalServer::StartRedis(options.dir);
  if (!redis.ok()) return redis.status();
  pool->redis_server_ = std::move(*redis);
  auto address = RedisAddress::Parse(pool->redis_url());
  if (!address.ok()) return address.status();
  pool->redis_ = std::make_unique<RedisClient>(*address, 5000);

  pool->http_port_ = FreeLoopbackPort();
  // Node ports of its own, away from other pools on the machine (the provider also skips
  // ports that are taken).
  int base = 30000 + (pool->http_port_ % 250) * 100;
  nlohmann::json config = {{"mode", "manual"},
                           {"min_nodes", options.initial_nodes},
                           {"max_nodes", options.max_nodes},
                           {"node_capacity_mb", options.node_capacity_mb},
                           {"bucket_s", 5}};
  std::vector<std::string> argv = {options.bin_dir + "/mcscale-coordinator",
                                   "--redis", pool->redis_url(),
                                   "--prefix", options.prefix,
                                   "--http", "127.0.0.1:" + std::to_string(pool->http_port_),
                                   "--agent-interval-ms", std::to_string(options.agent_interval_ms),
                                   "--agent-binary", options.bin_dir + "/mcscale-agent",
                                   "--port-range", std::to_string(base) + "-" + std::to_string(base + 99),
                                   "--state-dir", options.dir + "/nodes",
                                   "--config", config.dump(),
                                   "--tick-ms", "50",
                                   "--log-level", "info"};
  if (!options.live_migration) argv.push_back("--no-migration");
  uint16_t http = pool->http_port_;
  auto coordinator = LocalServer::Start("mcscale-coordinator", argv, options.dir + "/coordinator.log",
                                        [http] { return HttpCall(http, "GET", "/healthz", "", 1000).status == 200; },
                                        60000);
  if (!coordinator.ok()) return coordinator.status();
  pool->coordinator_ = std::move(*coordinator);
  Status st = pool->WaitStable(options.initial_nodes, 60000);
  if (!st.ok())
    return Status::Io("the pool did not start with " + std::to_string(options.initial_nodes) + " nodes: " +
                      st.message());
  return pool;
}

BenchPool::~BenchPool() { Retire(); }

std::string BenchPool::redis_url() const {
  return "redis://127.0.0.1:" + std::to_string(redis_server_ ? redis_server_->port() : 0);
}

Result<PoolState> BenchPool::Pool() {
  auto hash = redis_->HGetAll(keys_.pool());
  if (!hash.ok()) return hash.status();
  if (hash->empty()) return Status::NotFound(keys_.pool() + " does not exist yet");
  return PoolState::FromHash(*hash);
}

Status BenchPool::Resize(int nodes) {
  auto r = HttpCall(http_port_, "POST", "/api/pool/resize", "{\"size\":" + std::to_string(nodes) + "}");
  if (r.status == 200) return Status::Ok();
  if (r.status == 0) return Status::Io("the coordinator's API did not answer");
  return Status::Invalid("resize to " + std::to_string(nodes) + " refused (" + std::to_string(r.status) + "): " + r.body);
}

Status BenchPool::WaitStable(int nodes, int64_t timeout_ms) {
  bool ok = WaitFor(
      [&] {
        auto p = Pool();
        return p.ok() && p->state == PoolPhase::kStable && static_cast<int>(p->regions.Nodes().size()) == nodes;
      },
      timeout_ms, 20);
  if (ok) return Status::Ok();
  if (Interrupted()) return Status::Io("interrupted");
  if (coordinator_ && !coordinator_->Running())
    return Status::Io("the coordinator exited; end of its log:\n" + coordinator_->LogTail());
  return Status::Timeout("the pool was not stable at " + std::to_string(nodes) + " nodes after " +
                         std::to_string(timeout_ms / 1000) + " s");
}

Result<std::vector<PoolEvent>> BenchPool::History() {
  EventLog log(redis_.get(), keys_);
  std::vector<PoolEvent> all;
  std::string after = "0-0";
  while (true) {
    auto batch = log.ReadAfter(after, 1000);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) return all;
    after = batch->back().seq;
    all.insert(all.end(), batch->begin(), batch->end());
  }
}

Result<NodeAddresses> BenchPool::Nodes() {
  auto p = Pool();
  if (!p.ok()) return p.status();
  NodeAddresses serving;
  for (const auto& id : p->regions.Nodes()) serving[id] = p->nodes.at(id);
  return serving;
}

std::map<int, std::vector<std::string>> BenchPool::ProviderProcesses() {
  std::map<int, std::vector<std::string>> out;
  if (!redis_) return out;
  auto all = redis_->HGetAll(keys_.provider());
  if (!all.ok()) return out;
  for (const auto& [id, text] : *all) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) continue;
    if (j.contains("pid") && j["pid"].is_number_integer()) out[j["pid"].get<int>()] = JsonArgv(j.value("cmdline", nlohmann::json()));
    if (j.contains("agent_pid") && j["agent_pid"].is_number_integer())
      out[j["agent_pid"].get<int>()] = JsonArgv(j.value("agent_cmdline", nlohmann::json()));
  }
  return out;
}

Status BenchPool::Retire() {
  if (retired_) return Status::Ok();
  retired_ = true;
  Status result = Status::Ok();
  if (coordinator_) {
    for (auto& [pid, argv] : ProviderProcesses()) seen_[pid] = argv;
    if (coordinator_->Running()) {
      auto r = HttpCall(http_port_, "POST", "/api/pool/retire", "", 30000);
      if (r.status != 200) result = Status::Io("retiring the pool: " + std::to_string(r.status) + " " + r.body);
      // Not WaitFor: it gives up at once when interrupted, and this must finish anyway.
      for (int i = 0; i < 600 && coordinator_->Running(); ++i) usleep(50 * 1000);
    }
    coordinator_->Stop(5000);
  }
  // Whatever the retirement left (a coordinator that died first, a Ctrl-C mid-way).
  int leftovers = 0;
  for (const auto& [pid, argv] : seen_) {
    if (!StillRuns(pid, argv)) continue;
    ++leftovers;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 60 && StillRuns(pid, argv); ++i) usleep(50 * 1000);
    if (StillRuns(pid, argv)) ::kill(pid, SIGKILL);
  }
  if (leftovers > 0 && result.ok())
    result = Status::Io(std::to_string(leftovers) + " node or agent process(es) were still running after the "
                        "retirement and were stopped");
  redis_.reset();
  if (redis_server_) redis_server_->Stop();
  return result;
}

}  // namespace mcscale::bench
