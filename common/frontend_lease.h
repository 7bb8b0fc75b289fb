// FrontendLease: a frontend's lease in the hash `<prefix>:frontend:<id>` (with a TTL): the
// pool, epoch and migration phase it routes by. A frontend reports a phase only after every
// cache operation it began under an earlier phase has finished, so "every live lease is on
// (E, phase)" means no frontend acts on anything older. LeaseCensus answers that question.
#ifndef MCSCALE_COMMON_FRONTEND_LEASE_H_
#define MCSCALE_COMMON_FRONTEND_LEASE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale {

// A frontend's routing phase within an epoch, in the order it passes through them.
enum class RoutePhase { kPrepare = 1, kCommit = 2, kStable = 3 };
std::string RoutePhaseName(RoutePhase p);
Result<RoutePhase> ParseRoutePhase(const std::string& name);

struct FrontendLease {
  std::string id;
  std::string pool_id;
  int64_t epoch = 0;
  RoutePhase phase = RoutePhase::kStable;
  int64_t renewed_ms = 0;

  HashFields ToHash() const;
  static Result<FrontendLease> FromHash(const HashFields& h);
  // True when this lease is at (epoch, phase) or past it.
  bool AtLeast(int64_t e, RoutePhase p) const {
    return epoch > e || (epoch == e && static_cast<int>(phase) >= static_cast<int>(p));
  }
};

class LeaseCensus {
 public:
  // Every live lease (present in Redis: its TTL has not run out) of pool `pool_id`.
  // Leases that do not decode are reported as lagging (never ignored).
  static Result<std::vector<FrontendLease>> Live(RedisClient* redis, const RedisKeys& keys);
  // True when every live lease of `pool_id` is at (epoch, phase) or past it; `lagging`
  // (when given) gets the ids that are not.
  static Result<bool> AllAtLeast(RedisClient* redis, const RedisKeys& keys, const std::string& pool_id,
                                 int64_t epoch, RoutePhase phase, std::vector<std::string>* lagging = nullptr);
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_FRONTEND_LEASE_H_
