#include "coordinator/scaling_policy.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace mcscale {

int ScalingPolicy::Grown(int n, double ratio) { return static_cast<int>(std::ceil(n * ratio - 1e-9)); }

int ScalingPolicy::Shrunk(int n, double ratio) { return static_cast<int>(std::floor(n * ratio + 1e-9)); }

int ScalingPolicy::Ceiling(const PoolConfig& c) { return std::min(c.max_nodes, c.regions); }

Decision ScalingPolicy::Decide(const PolicyInput& in, PolicyMemory* memory) {
  const PoolConfig& c = in.config;
  Decision d;
  d.from = d.to = in.nodes;
  auto resize = [&](int to, std::string reason) {
    d.resize = to != in.nodes;
    d.to = to;
    d.reason = std::move(reason);
    memory->low_since_ms.reset();
    return d;
  };
  auto none = [&](std::string reason) {
    d.reason = std::move(reason);
    return d;
  };

  if (c.mode == PoolConfig::Mode::kManual) {
    memory->low_since_ms.reset();
    return none("manual mode: only the operator resizes");
  }
  if (in.migrating) return none("a migration is running");
  int ceiling = Ceiling(c);
  if (in.nodes < c.min_nodes)
    return resize(c.min_nodes, fmt::format("{} nodes is below min_nodes {}: {} -> {} nodes", in.nodes,
                                           c.min_nodes, in.nodes, c.min_nodes));
  if (in.nodes > ceiling)
    return resize(ceiling, fmt::format("{} nodes is above max_nodes {}: {} -> {} nodes", in.nodes, ceiling,
                                       in.nodes, ceiling));
  int64_t cooldown_ms = static_cast<int64_t>(c.interval_s) * 1000;
  if (in.stable_since_ms > 0 && in.now_ms - in.stable_since_ms < cooldown_ms)
    return none(fmt::format("cooling down: the last change ended {:.1f} s ago (< interval {} s)",
                            (in.now_ms - in.stable_since_ms) / 1000.0, c.interval_s));
  if (in.window.gets < static_cast<uint64_t>(c.min_requests)) {
    memory->low_since_ms.reset();
    return none(fmt::format("{} gets over the last {} s is below min_requests {}: no decision",
                            in.window.gets, c.window_s, c.min_requests));
  }
  double rate = in.window.miss_rate();
  if (rate > c.max_miss_rate) {
    int to = std::min(Grown(in.nodes, c.expand_ratio), ceiling);
    if (to == in.nodes) {
      memory->low_since_ms.reset();
      return none(fmt::format("miss rate {:.2f} > max {:.2f} over the last {} s, but already at max_nodes {}",
                              rate, c.max_miss_rate, c.window_s, ceiling));
    }
    return resize(to, fmt::format("miss rate {:.2f} > max {:.2f} over the last {} s: {} -> {} nodes", rate,
                                  c.max_miss_rate, c.window_s, in.nodes, to));
  }
  if (rate < c.min_miss_rate) {
    int to = std::max(Shrunk(in.nodes, c.shrink_ratio), c.min_nodes);
    if (to == in.nodes) {
      memory->low_since_ms.reset();
      return none(fmt::format("miss rate {:.2f} < min {:.2f} over the last {} s, but already at min_nodes {}",
                              rate, c.min_miss_rate, c.window_s, c.min_nodes));
    }
    if (!memory->low_since_ms) memory->low_since_ms = in.now_ms;
    int64_t held_ms = in.now_ms - *memory->low_since_ms;
    int64_t need_ms = static_cast<int64_t>(c.scale_down_stabilization_s) * 1000;
    if (held_ms < need_ms)
      return none(fmt::format("miss rate {:.2f} < min {:.2f} for {:.0f} s; shrinking after {} s of it", rate,
                              c.min_miss_rate, held_ms / 1000.0, c.scale_down_stabilization_s));
    return resize(to, fmt::format("miss rate {:.2f} < min {:.2f} over the last {} s (held {:.0f} s): {} -> {} nodes",
                                  rate, c.min_miss_rate, c.window_s, held_ms / 1000.0, in.nodes, to));
  }
  memory->low_since_ms.reset();
  return none(fmt::format("miss rate {:.2f} within {:.2f}..{:.2f} over the last {} s: {} nodes", rate,
                          c.min_miss_rate, c.max_miss_rate, c.window_s, in.nodes));
}

}  // namespace mcscale
