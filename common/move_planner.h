// MovePlanner: issues an epoch's move batches, once. One entry per moving region goes to
// the stream `<prefix>:moves:<source node>` (fields: epoch, region, regions (R), from, to,
// to_address), and `<prefix>:migration:<epoch>` records planned_by, planned_ms,
// regions_total (and regions_done 0). The check-and-issue is one Lua script, so two
// planners (frontends, or a frontend and the coordinator) never issue an epoch twice and a
// crash never leaves an epoch half-issued.
//
// Progress fields the movers add to `<prefix>:migration:<epoch>`: regions_done,
// keys_moved, bytes_moved, keys_skipped, and per region r<R>.found / r<R>.moved / r<R>.done,
// or r<R>.stopped for a region a mover left because the migration was cancelled.
#ifndef MCSCALE_COMMON_MOVE_PLANNER_H_
#define MCSCALE_COMMON_MOVE_PLANNER_H_

#include <cstdint>
#include <string>

#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/region_map.h"
#include "common/status.h"

namespace mcscale {

// The migration hash's field the coordinator sets (to the time, ms) when it cancels the
// epoch's migration at the drain timeout: movers stop and mark their regions stopped.
inline constexpr const char* kMigrationCancelField = "cancel_ms";

// The flag bit of a tombstone: frontends write one (an empty value) where a key was deleted
// or overwritten on its new owner during a migration, and the mover never copies over it.
// Applications may not set this bit.
inline constexpr uint32_t kTombstoneFlag = 0x80000000u;

// One entry of a moves stream.
struct MoveOrder {
  int64_t epoch = 0;
  int region = 0;
  int regions = 0;  // region count of the map
  NodeId from;
  NodeId to;
  std::string to_address;

  std::vector<std::pair<std::string, std::string>> ToFields() const;
  static Result<MoveOrder> FromFields(const std::vector<std::pair<std::string, std::string>>& fields);
};

class MovePlanner {
 public:
  // Issues the moves from `old_map` to `new_map` for `epoch`. Returns true when this call
  // issued them, false when they had already been issued (by anyone).
  static Result<bool> Issue(RedisClient* redis, const RedisKeys& keys, int64_t epoch, const RegionMap& old_map,
                            const RegionMap& new_map, const NodeAddresses& nodes, const std::string& planner,
                            int64_t now_ms);
  // True once regions_done >= regions_total for `epoch` (false when not planned yet).
  static Result<bool> Done(RedisClient* redis, const RedisKeys& keys, int64_t epoch);
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_MOVE_PLANNER_H_
