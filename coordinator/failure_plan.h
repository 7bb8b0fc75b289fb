// FailurePlan: the maps of the epoch that takes a failed node out of the pool. The failed
// node's regions go to the survivors by the same minimal-movement rule (RegionMap::
// Rebalance); nothing is copied from it. During a migration the plan starts from the
// current map: a region still moving between two live nodes keeps moving (its old owner
// stays its previous owner), a region that was moving to the failed node moves to its new
// owner instead, and a region whose old owner failed no longer moves (its keys are lost).
// Pure.
#ifndef MCSCALE_COORDINATOR_FAILURE_PLAN_H_
#define MCSCALE_COORDINATOR_FAILURE_PLAN_H_

#include <optional>
#include <set>
#include <vector>

#include "common/region_map.h"
#include "common/status.h"

namespace mcscale {

struct FailurePlan {
  RegionMap map;                      // the new epoch's owners
  std::optional<RegionMap> previous;  // set when some region still has to move

  // `current` is the map in force, `previous` the map before it while migrating (nullopt
  // when stable), `done` the regions the movers finished. REQUIRES: `survivors` excludes
  // `failed` and is not empty.
  static Result<FailurePlan> Make(const RegionMap& current, const std::optional<RegionMap>& previous,
                                  const std::set<int>& done, const NodeId& failed,
                                  const std::vector<NodeId>& survivors);
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_FAILURE_PLAN_H_
