// BenchPool: a whole pool for one benchmark run, started from nothing and gone afterwards: a
// redis-server of its own (appendonly yes, in a scratch folder) and an mcscale-coordinator
// with the local provider in manual mode, created at `initial_nodes` memcached nodes (each
// with an mcscale-agent). Resizes go through the manager API like an operator's. The
// destructor retires the pool (POST /api/pool/retire), waits for the coordinator to exit,
// stops any node or agent the provider recorded that is still running, then stops Redis.
//
// Not thread-safe: one owner. The Redis client it hands out is thread-safe.
#ifndef MCSCALE_BENCH_BENCH_POOL_H_
#define MCSCALE_BENCH_BENCH_POOL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/local_server.h"
#include "common/pool_event.h"
#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale::bench {

struct BenchPoolOptions {
  std::string dir;                // REQUIRES: an existing folder for Redis, logs and node state.
  std::string bin_dir;            // where mcscale-coordinator and mcscale-agent are
  int initial_nodes = 3;          // Default: 3.
  int max_nodes = 8;              // Default: 8.
  int node_capacity_mb = 256;     // Default: 256 per node.
  int agent_interval_ms = 500;    // Default: 500.
  bool live_migration = true;     // Default: true; false runs the coordinator with --no-migration.
  std::string prefix = "mcscale";
};

class BenchPool {
 public:
  // Starts Redis and the coordinator and waits until the pool is stable at
  // options.initial_nodes nodes. On failure everything started is stopped again.
  static Result<std::unique_ptr<BenchPool>> Start(const BenchPoolOptions& options);
  ~BenchPool();
  BenchPool(const BenchPool&) = delete;
  BenchPool& operator=(const BenchPool&) = delete;

  std::string redis_url() const;
  RedisClient& redis() { return *redis_; }
  const RedisKeys& keys() const { return keys_; }

  Result<PoolState> Pool();
  // POST /api/pool/resize {"size": n}; the API's message on a refusal.
  Status Resize(int nodes);
  // Waits until the pool is stable with `nodes` serving nodes; Timeout otherwise.
  Status WaitStable(int nodes, int64_t timeout_ms);
  // Every event of the pool's history, oldest first.
  Result<std::vector<PoolEvent>> History();
  // The node id -> address of every node the pool serves.
  Result<NodeAddresses> Nodes();
  // Retires the pool and stops everything; safe to call twice. Returns what went wrong
  // (the processes are stopped regardless).
  Status Retire();

 private:
  explicit BenchPool(BenchPoolOptions options) : options_(std::move(options)), keys_(options_.prefix) {}
  // Pids (node and agent) in the provider hash, with their recorded command lines.
  std::map<int, std::vector<std::string>> ProviderProcesses();

  BenchPoolOptions options_;
  RedisKeys keys_;
  std::unique_ptr<LocalServer> redis_server_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<LocalServer> coordinator_;
  uint16_t http_port_ = 0;
  std::map<int, std::vector<std::string>> seen_;  // provider processes seen so far
  bool retired_ = false;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_BENCH_POOL_H_
