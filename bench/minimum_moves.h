// MinimumMoves: the fewest regions a resize can move, the yardstick the resize benchmark and
// the live migration test hold RegionMap::Rebalance's plans to. Computed by brute force over
// which nodes take the extra regions, so it is independent of Rebalance.
//
// A pure function; thread-safe.
#ifndef MCSCALE_BENCH_MINIMUM_MOVES_H_
#define MCSCALE_BENCH_MINIMUM_MOVES_H_

#include <cstddef>
#include <vector>

#include "common/region_map.h"

namespace mcscale {

// The fewest regions any balanced map for `nodes` (every node floor(R/n) or ceil(R/n)
// regions) can move from `old_map`. REQUIRES: 1 <= nodes.size() <= 20.
size_t MinimumMoves(const RegionMap& old_map, const std::vector<NodeId>& nodes);

}  // namespace mcscale

#endif  // MCSCALE_BENCH_MINIMUM_MOVES_H_
