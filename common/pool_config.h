// PoolConfig: the pool's settings, stored as the hash `<prefix>:config` (one field per
// member, decimal text) and changed through the manager API as a JSON object.
//
// Value type. Validate() lists every bad field; a refused change leaves the old one in force.
#ifndef MCSCALE_COMMON_POOL_CONFIG_H_
#define MCSCALE_COMMON_POOL_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/pool_state.h"
#include "common/status.h"

namespace mcscale {

struct FieldError {
  std::string field;
  std::string message;  // "must be below max_miss_rate (0.5)"
  bool operator==(const FieldError& o) const { return field == o.field && message == o.message; }
};

struct PoolConfig {
  enum class Mode { kAuto, kManual };

  Mode mode = Mode::kAuto;               // Default: auto.
  double max_miss_rate = 0.5;            // Default: 0.5. Grow above this.
  double min_miss_rate = 0.1;            // Default: 0.1. Shrink below this.
  double expand_ratio = 2.0;             // Default: 2.0. n -> ceil(n * expand_ratio).
  double shrink_ratio = 0.5;             // Default: 0.5. n -> floor(n * shrink_ratio).
  int min_nodes = 1;                     // Default: 1.
  int max_nodes = 8;                     // Default: 8.
  int regions = 16;                      // Default: 16. Fixed when the pool is created.
  int interval_s = 60;                   // Default: 60. Seconds between policy checks.
  int window_s = 60;                     // Default: 60. Seconds of samples a check reads.
  int bucket_s = 60;                     // Default: 60. Seconds per pool figure.
  int min_requests = 100;                // Default: 100. Fewer gets in the window: no decision.
  int scale_down_stabilization_s = 60;   // Default: 60. Low miss rate must hold this long.
  int failure_timeout_s = 15;            // Default: 15. Unreachable this long: node failed.
  int node_capacity_mb = 64;             // Default: 64. Every node's memory limit.
  std::string node_policy = "lru";       // Default: lru. lru | random.

  static std::string ModeName(Mode m);
  // Every violated rule, one entry per field; empty when valid.
  std::vector<FieldError> Validate() const;

  HashFields ToHash() const;
  // Reads the fields present (missing ones keep their defaults); a malformed value is a
  // FieldError naming it. Does not Validate().
  static Result<PoolConfig> FromHash(const HashFields& h, std::vector<FieldError>* errors);
  nlohmann::json ToJson() const;
  // Applies the fields present in `patch` to a copy of *this; unknown fields and wrong types
  // are FieldErrors; then Validate()s the result. Returns the new config or fills `errors`.
  Result<PoolConfig> Patched(const nlohmann::json& patch, std::vector<FieldError>* errors) const;
};

// "max_miss_rate: must be ...; min_nodes: ..." for logs and HTTP bodies.
std::string JoinFieldErrors(const std::vector<FieldError>& errors);
nlohmann::json FieldErrorsToJson(const std::vector<FieldError>& errors);

}  // namespace mcscale

#endif  // MCSCALE_COMMON_POOL_CONFIG_H_
