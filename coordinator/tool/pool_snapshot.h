// PoolSnapshot: what `mcscale status` shows, read straight from Redis so it works with no
// coordinator running: the pool hash, the config, whether each node's agent is registered
// (`<prefix>:agent:<id>` exists) and each node's newest sample among the last entries of
// `<prefix>:metrics`.
//
// Value type; Read() makes one round trip per key group and never writes.
#ifndef MCSCALE_COORDINATOR_TOOL_POOL_SNAPSHOT_H_
#define MCSCALE_COORDINATOR_TOOL_POOL_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/metric_sample.h"
#include "common/pool_config.h"
#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale {

struct NodeStatus {
  NodeId id;
  std::string address;
  int regions = 0;       // regions held in the current map
  bool draining = false;  // still in `nodes` while its regions move away
  bool agent_alive = false;
  std::optional<MetricSample> sample;  // newest one found; nullopt when none was
};

struct PoolSnapshot {
  // How many of the newest metric entries are searched for each node's latest sample.
  static constexpr int64_t kMetricsScan = 200;

  std::string prefix;
  bool exists = false;  // false: `<prefix>:pool` is absent (no pool yet, or retired)
  PoolState pool;
  std::optional<PoolConfig> config;  // nullopt when absent or undecodable
  std::vector<NodeStatus> nodes;     // by id

  // Reads everything. Fails when Redis cannot be reached or the pool hash does not decode
  // (the message names the field); an absent pool is a snapshot with exists == false.
  static Result<PoolSnapshot> Read(RedisClient* redis, const RedisKeys& keys);

  // Machine-readable: pool_id, epoch, state, size, nodes[] (id, address, regions, draining,
  // agent_alive, up, items, bytes, capacity, sampled_ms; null where no sample was found).
  nlohmann::ordered_json ToJson() const;
  // A header line and a table, one row per node; `now_ms` dates the samples ("1.2 s ago").
  std::string ToText(int64_t now_ms) const;
  // Nodes serving the current map (draining ones not counted).
  int Size() const;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_TOOL_POOL_SNAPSHOT_H_
