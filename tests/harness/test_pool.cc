#include "tests/harness/test_pool.h"

#include <signal.h>

#include <gtest/gtest.h>

#include "common/subprocess.h"

namespace mcscale::testing {

TestPool::TestPool(TestPoolOptions options)
    : options_(std::move(options)), keys_(options_.prefix), http_port_(FreePort()) {
  auto address = RedisAddress::Parse(redis_.url());
  client_ = std::make_unique<RedisClient>(*address, 5000);
  // A port range of its own per pool, so pools of parallel tests do not meet.
  int base = 22000 + static_cast<int>(http_port_ % 400) * 100;
  argv_ = {BinPath("mcscale-coordinator"),
           "--redis", redis_.url(),
           "--prefix", options_.prefix,
           "--http", "127.0.0.1:" + std::to_string(http_port_),
           "--agent-interval-ms", std::to_string(options_.agent_interval_ms),
           "--port-range", std::to_string(base) + "-" + std::to_string(base + 99),
           "--state-dir", state_dir_.path(),
           "--config", options_.config.dump(),
           "--tick-ms", "50",
           "--log-level", "debug"};
  argv_.insert(argv_.end(), options_.extra_args.begin(), options_.extra_args.end());
  StartCoordinator();
}

TestPool::~TestPool() {
  if (!retired_) {
    bool clean = Retire();
    EXPECT_TRUE(clean) << "nodes or agents were left running after the pool was retired";
  }
}

bool TestPool::StartCoordinator() {
  ++starts_;
  coordinator_ = std::make_unique<TestProcess>(
      "mcscale-coordinator", argv_, state_dir_.path() + "/coordinator." + std::to_string(starts_) + ".log");
  if (!coordinator_->Start()) return false;
  bool up = WaitUntil([&] { return Api("GET", "/healthz").status == 200; }, 60000, 50);
  EXPECT_TRUE(up) << "coordinator did not answer /healthz";
  return up;
}

void TestPool::KillCoordinator(int sig) {
  for (int pid : ProviderPids()) seen_pids_.insert(pid);
  coordinator_->Signal(sig);
  coordinator_->Stop(10000);
}

std::optional<PoolState> TestPool::Pool() {
  auto hash = client_->HGetAll(keys_.pool());
  if (!hash.ok() || hash->empty()) return std::nullopt;
  auto state = PoolState::FromHash(*hash);
  if (!state.ok()) return std::nullopt;
  return *state;
}

bool TestPool::WaitForSize(int n, int64_t timeout_ms) {
  return WaitUntil(
      [&] {
        auto p = Pool();
        return p && p->state == PoolPhase::kStable && static_cast<int>(p->regions.Nodes().size()) == n;
      },
      timeout_ms, 50);
}

std::set<int> TestPool::ProviderPids() {
  std::set<int> pids;
  auto all = client_->HGetAll(keys_.provider());
  if (!all.ok()) return pids;
  for (const auto& [id, text] : *all) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) continue;
    if (j.contains("pid")) pids.insert(j["pid"].get<int>());
    if (j.contains("agent_pid")) pids.insert(j["agent_pid"].get<int>());
  }
  return pids;
}

HttpResult TestPool::Api(const std::string& method, const std::string& path, const std::string& body) {
  return Http(http_port_, method, path, body);
}

nlohmann::json TestPool::ApiJson(const std::string& method, const std::string& path, const std::string& body) {
  HttpResult r = Api(method, path, body);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

bool TestPool::Retire() {
  retired_ = true;
  for (int pid : ProviderPids()) seen_pids_.insert(pid);
  if (!coordinator_->Running()) StartCoordinator();
  for (int pid : ProviderPids()) seen_pids_.insert(pid);
  HttpResult r = Api("POST", "/api/pool/retire");
  EXPECT_EQ(r.status, 200) << r.body;
  bool exited = WaitUntil([&] { return !coordinator_->Running(); }, 60000, 50);
  EXPECT_TRUE(exited) << "coordinator did not exit after retiring the pool";
  return WaitUntil(
      [&] {
        for (int pid : seen_pids_)
          if (ProcessCommandLine(pid).has_value()) return false;
        return true;
      },
      20000, 50);
}

}  // namespace mcscale::testing
