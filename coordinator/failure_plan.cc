#include "coordinator/failure_plan.h"

namespace mcscale {

Result<FailurePlan> FailurePlan::Make(const RegionMap& current, const std::optional<RegionMap>& previous,
                                      const std::set<int>& done, const NodeId& failed,
                                      const std::vector<NodeId>& survivors) {
  auto map = RegionMap::Rebalance(current, survivors);
  if (!map.ok()) return map.status();
  FailurePlan plan;
  plan.map = *map;
  if (!previous || previous->region_count() != current.region_count()) return plan;
  std::vector<NodeId> owners = plan.map.owners();
  bool moving = false;
  for (int r = 0; r < current.region_count(); ++r) {
    const NodeId& old_owner = previous->owner(r);
    bool continues = old_owner != current.owner(r) && old_owner != failed && !done.count(r) &&
                     old_owner != plan.map.owner(r);
    if (continues) {
      owners[static_cast<size_t>(r)] = old_owner;
      moving = true;
    }
  }
  if (moving) {
    auto prev = RegionMap::FromJson(nlohmann::json(owners));
    if (!prev.ok()) return prev.status();
    plan.previous = *prev;
  }
  return plan;
}

}  // namespace mcscale
