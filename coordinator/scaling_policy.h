// ScalingPolicy: the resize decision as a pure function of (config, the window's figures,
// the pool, the clock), with a reason an operator can read. The only state it carries from
// one evaluation to the next is when the miss rate first went low (for the scale-down
// stabilization), held by the caller in PolicyMemory.
#ifndef MCSCALE_COORDINATOR_SCALING_POLICY_H_
#define MCSCALE_COORDINATOR_SCALING_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "common/pool_config.h"
#include "coordinator/figure_aggregator.h"

namespace mcscale {

struct PolicyInput {
  PoolConfig config;
  WindowStats window;
  int nodes = 0;                 // current pool size
  bool migrating = false;
  int64_t stable_since_ms = 0;   // when the last change finished (0: never)
  int64_t now_ms = 0;
};

struct PolicyMemory {
  std::optional<int64_t> low_since_ms;  // first evaluation that saw the miss rate below min
};

struct Decision {
  bool resize = false;
  int from = 0;
  int to = 0;
  std::string reason;  // why, also when nothing changes
};

class ScalingPolicy {
 public:
  // Decides for one evaluation and updates `memory`.
  static Decision Decide(const PolicyInput& in, PolicyMemory* memory);
  // ceil(n * ratio) and floor(n * ratio), tolerant of floating-point noise.
  static int Grown(int n, double ratio);
  static int Shrunk(int n, double ratio);
  // The largest pool the config allows: min(max_nodes, regions).
  static int Ceiling(const PoolConfig& c);
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_SCALING_POLICY_H_
