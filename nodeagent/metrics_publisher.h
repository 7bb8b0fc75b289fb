// MetricsPublisher: the agent's sampling step. Each Tick() reads the node's `stats` once,
// turns it into a MetricSample (up=0 when the node did not answer) and appends it to
// `<prefix>:metrics` with XADD MAXLEN ~ StreamMaxLen(interval). A node that is down never
// stops it; when Redis does not take the entry the entry is dropped and counted, Redis is
// retried with back-off (RedisOutage), and the outage is logged once when it starts and
// once when it ends, with the number of entries dropped.
//
// Not thread-safe: runs on the agent's loop thread, which also owns the node client it is
// given. Does not own the clients or the clock.
#ifndef MCSCALE_NODEAGENT_METRICS_PUBLISHER_H_
#define MCSCALE_NODEAGENT_METRICS_PUBLISHER_H_

#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"
#include "common/memcache_client.h"
#include "common/metric_sample.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"
#include "nodeagent/node_health.h"
#include "nodeagent/redis_outage.h"

namespace mcscale {

class MetricsPublisher {
 public:
  // The stream is trimmed to about one hour of entries for the largest pool: 16 nodes
  // (the default region count, so the most nodes a default pool can have), each writing
  // one entry per interval: (3600 s / interval) * 16.
  static constexpr int64_t kPoolNodesBound = 16;
  static int64_t StreamMaxLen(int64_t interval_ms);

  // Builds the sample from a `stats` reply; a failed or malformed reply gives up=0 (and,
  // for a malformed one, `*error` names the bad counter).
  static MetricSample SampleFromStats(const std::string& node_id, const std::string& address,
                                      int64_t ts_ms, const Result<std::map<std::string, std::string>>& stats,
                                      std::string* error);

  struct TickResult {
    MetricSample sample;
    NodeHealth::Change node_change = NodeHealth::Change::kNone;
    bool published = false;  // Redis took the entry
  };

  MetricsPublisher(std::string node_id, MemcacheClient* node, RedisClient* redis, const RedisKeys& keys,
                   int64_t interval_ms, Clock* clock);

  // Samples the node and appends the entry (or drops it, see the class comment).
  TickResult Tick();

  bool node_up() const { return health_.up(); }
  // False during a Redis outage (after a failed write, until one succeeds).
  bool redis_up() const { return !outage_.down(); }
  int64_t published() const { return published_; }

 private:
  bool Publish(const MetricSample& sample);

  std::string node_id_;
  std::string address_;
  MemcacheClient* node_;
  RedisClient* redis_;
  std::string stream_;
  int64_t max_len_;
  Clock* clock_;
  NodeHealth health_;
  RedisOutage outage_;
  int64_t published_ = 0;
  std::string last_node_error_;
};

}  // namespace mcscale

#endif  // MCSCALE_NODEAGENT_METRICS_PUBLISHER_H_
