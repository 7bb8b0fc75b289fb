#include "bench/minimum_moves.h"

#include <algorithm>
#include <cstdint>

namespace mcscale {

size_t MinimumMoves(const RegionMap& old_map, const std::vector<NodeId>& nodes) {
  int r = old_map.region_count();
  int n = static_cast<int>(nodes.size());
  auto counts = old_map.Counts();
  int q = r / n, extra = r % n;
  size_t best_kept = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) != extra) continue;
    size_t kept = 0;
    for (int i = 0; i < n; ++i) {
      int target = q + static_cast<int>((mask >> i) & 1);
      auto it = counts.find(nodes[static_cast<size_t>(i)]);
      int have = it == counts.end() ? 0 : it->second;
      kept += static_cast<size_t>(std::min(have, target));
    }
    best_kept = std::max(best_kept, kept);
  }
  return static_cast<size_t>(r) - best_kept;
}

}  // namespace mcscale
