// MetricSample: one entry of the stream `<prefix>:metrics`, written by an agent every
// interval: node id, address, ts (ms), up (1 when the node answered) and the node's
// cumulative counters, all as decimal text fields. When up is 0 the counters are absent.
#ifndef MCSCALE_COMMON_METRIC_SAMPLE_H_
#define MCSCALE_COMMON_METRIC_SAMPLE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mcscale {

struct NodeCounters {
  uint64_t get_hits = 0;
  uint64_t get_misses = 0;
  uint64_t cmd_get = 0;
  uint64_t cmd_set = 0;
  uint64_t curr_items = 0;
  uint64_t bytes = 0;
  uint64_t limit_maxbytes = 0;
  uint64_t evictions = 0;
  uint64_t curr_connections = 0;
  uint64_t uptime = 0;

  // Reads the counters from a memcached `stats` reply (name -> value); a missing or
  // non-numeric counter is an error naming it.
  static Result<NodeCounters> FromStats(const std::map<std::string, std::string>& stats);
  bool operator==(const NodeCounters& o) const;
};

struct MetricSample {
  std::string node;     // node id
  std::string address;  // HOST:PORT
  int64_t ts = 0;       // ms since the epoch
  bool up = false;
  NodeCounters counters;  // meaningful only when up

  // Field/value pairs for XADD, in a stable order.
  std::vector<std::pair<std::string, std::string>> ToFields() const;
  // Validates every field; the error names the missing or malformed one.
  static Result<MetricSample> FromFields(const std::vector<std::pair<std::string, std::string>>& fields);
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_METRIC_SAMPLE_H_
