// PoolEvent: one event on `<prefix>:events` (pub/sub) and `<prefix>:history` (stream), as a
// JSON object with type, seq, pool_id, epoch, ts (ms) plus the fields of its type:
//   pool.resized      reason, old_nodes, new_nodes (objects id -> address),
//                     old_regions, new_regions (arrays region -> node id)
//   pool.node_failed  reason, node (the failed id), old_nodes, new_nodes, old_regions, new_regions
//   migration.commit  (no more)
//   migration.done    reason (optional)
//   config.changed    config (object, the new PoolConfig), reason (optional)
//   cache.cleared     reason (optional)
//   data.cleared      reason (optional)
// `seq` is the event's stream id in `<prefix>:history` ("1700000000000-0"); it is empty
// before the event is appended. Readers drop duplicates by seq.
#ifndef MCSCALE_COMMON_POOL_EVENT_H_
#define MCSCALE_COMMON_POOL_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/pool_state.h"
#include "common/region_map.h"
#include "common/status.h"

namespace mcscale {

enum class EventType {
  kPoolResized,
  kNodeFailed,
  kMigrationCommit,
  kMigrationDone,
  kConfigChanged,
  kCacheCleared,
  kDataCleared,
};
// "pool.resized", ...
std::string EventTypeName(EventType t);
std::optional<EventType> ParseEventType(const std::string& name);

struct PoolEvent {
  EventType type = EventType::kPoolResized;
  std::string seq;
  std::string pool_id;
  int64_t epoch = 0;
  int64_t ts = 0;
  std::string reason;
  // pool.resized and pool.node_failed:
  NodeAddresses old_nodes;
  NodeAddresses new_nodes;
  RegionMap old_regions;
  RegionMap new_regions;
  std::string node;             // pool.node_failed
  nlohmann::json config;        // config.changed

  nlohmann::json ToJson() const;
  std::string Encode() const { return ToJson().dump(); }
  // Fails, naming the problem, on malformed JSON, a missing field, a wrong type or an unknown
  // event type. Never throws.
  static Result<PoolEvent> Decode(const std::string& text);
  static Result<PoolEvent> FromJson(const nlohmann::json& j);
};

// Compares two history stream ids ("ms-seq"): <0, 0, >0. Malformed ids compare as "0-0".
int CompareSeq(const std::string& a, const std::string& b);

}  // namespace mcscale

#endif  // MCSCALE_COMMON_POOL_EVENT_H_
