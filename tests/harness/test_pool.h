// TestPool: a whole local pool for integration tests: a real redis-server, an
// mcscale-coordinator with the local provider (memcached nodes and mcscale-agents as child
// processes on free loopback ports), and helpers to read the pool and call the API. On
// destruction it retires the pool through the API and checks that no node or agent it
// started is left running.
//
// Not thread-safe: one test owns it.
#ifndef MCSCALE_TESTS_HARNESS_TEST_POOL_H_
#define MCSCALE_TESTS_HARNESS_TEST_POOL_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "tests/harness/test_servers.h"

namespace mcscale::testing {

struct TestPoolOptions {
  // Config written before the coordinator starts (it reads Redis's config).
  nlohmann::json config = {{"interval_s", 1}, {"window_s", 2}, {"bucket_s", 5},
                           {"min_requests", 50}, {"scale_down_stabilization_s", 1},
                           {"node_capacity_mb", 16}};
  int agent_interval_ms = 200;
  std::string prefix = "mcscale";
  std::vector<std::string> extra_args;
};

class TestPool {
 public:
  explicit TestPool(TestPoolOptions options = {});
  ~TestPool();

  RedisServer& redis() { return redis_; }
  RedisClient& client() { return *client_; }
  const RedisKeys& keys() const { return keys_; }
  uint16_t http_port() const { return http_port_; }
  TestProcess& coordinator() { return *coordinator_; }
  const std::string& state_dir() const { return state_dir_.path(); }

  // Starts the coordinator (again) with the same arguments.
  bool StartCoordinator();
  void KillCoordinator(int sig);
  // Reads `<prefix>:pool`; nullopt when absent or undecodable.
  std::optional<PoolState> Pool();
  // Waits until the pool is stable with `n` serving nodes.
  bool WaitForSize(int n, int64_t timeout_ms);
  // Pids of everything the provider recorded (nodes and agents).
  std::set<int> ProviderPids();
  HttpResult Api(const std::string& method, const std::string& path, const std::string& body = "");
  nlohmann::json ApiJson(const std::string& method, const std::string& path, const std::string& body = "");
  // Retires the pool and waits for the coordinator to exit; true when every recorded
  // process is gone.
  bool Retire();

 private:
  TestPoolOptions options_;
  RedisServer redis_;
  RedisKeys keys_;
  std::unique_ptr<RedisClient> client_;
  TempDir state_dir_;
  uint16_t http_port_;
  std::vector<std::string> argv_;
  std::unique_ptr<TestProcess> coordinator_;
  std::set<int> seen_pids_;
  bool retired_ = false;
  int starts_ = 0;
};

}  // namespace mcscale::testing

#endif  // MCSCALE_TESTS_HARNESS_TEST_POOL_H_
