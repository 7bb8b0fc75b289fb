// PoolState: the pool as stored in the hash `<prefix>:pool` (DESIGN.md, the Redis contract).
// Fields: pool_id, epoch (decimal, +1 on every change), nodes (JSON object id -> "HOST:PORT"),
// regions (JSON array region -> node id), previous_regions (JSON array while migrating,
// absent or "" otherwise), state ("stable" | "migrating"), updated_ms.
//
// Value type. Decoding validates everything and never throws.
#ifndef MCSCALE_COMMON_POOL_STATE_H_
#define MCSCALE_COMMON_POOL_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/region_map.h"
#include "common/status.h"

namespace mcscale {

using HashFields = std::map<std::string, std::string>;
using NodeAddresses = std::map<NodeId, std::string>;  // node id -> "HOST:PORT"

// JSON object id -> "HOST:PORT". Decoding checks every id is non-empty and every address
// parses as HostPort; the error names the node.
nlohmann::json NodeAddressesToJson(const NodeAddresses& nodes);
Result<NodeAddresses> NodeAddressesFromJson(const nlohmann::json& j);

enum class PoolPhase { kStable, kMigrating };
std::string PoolPhaseName(PoolPhase p);

struct PoolState {
  std::string pool_id;
  int64_t epoch = 0;
  NodeAddresses nodes;
  RegionMap regions;
  std::optional<RegionMap> previous_regions;
  PoolPhase state = PoolPhase::kStable;
  int64_t updated_ms = 0;

  HashFields ToHash() const;
  // Fails with a message naming the missing or malformed field. Also checks that every
  // node in `regions` has an address in `nodes`.
  static Result<PoolState> FromHash(const HashFields& h);
  nlohmann::json ToJson() const;
  static Result<PoolState> FromJson(const nlohmann::json& j);
  // A fresh random pool id (32 hex chars).
  static std::string NewPoolId();
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_POOL_STATE_H_
