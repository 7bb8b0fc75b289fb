#include "nodeagent/metrics_publisher.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace mcscale {

int64_t MetricsPublisher::StreamMaxLen(int64_t interval_ms) {
  int64_t per_node = (3600 * 1000) / (interval_ms > 0 ? interval_ms : 1);
  if (per_node < 1) per_node = 1;
  return per_node * kPoolNodesBound;
}

MetricSample MetricsPublisher::SampleFromStats(const std::string& node_id, const std::string& address,
                                               int64_t ts_ms,
                                               const Result<std::map<std::string, std::string>>& stats,
                                               std::string* error) {
  MetricSample sample;
  sample.node = node_id;
  sample.address = address;
  sample.ts = ts_ms;
  if (!stats.ok()) {
    if (error) *error = stats.status().ToString();
    return sample;
  }
  auto counters = NodeCounters::FromStats(*stats);
  if (!counters.ok()) {
    if (error) *error = "malformed stats reply: " + counters.status().message();
    return sample;
  }
  sample.up = true;
  sample.counters = *counters;
  return sample;
}

MetricsPublisher::MetricsPublisher(std::string node_id, MemcacheClient* node, RedisClient* redis,
                                   const RedisKeys& keys, int64_t interval_ms, Clock* clock)
    : node_id_(std::move(node_id)), address_(node->address().ToString()), node_(node), redis_(redis),
      stream_(keys.metrics()), max_len_(StreamMaxLen(interval_ms)), clock_(clock), outage_(clock) {}

MetricsPublisher::TickResult MetricsPublisher::Tick() {
  TickResult result;
  std::string error;
  auto stats = node_->Stats();
  result.sample = SampleFromStats(node_id_, address_, clock_->NowMs(), stats, &error);
  result.node_change = health_.Observe(result.sample.up, result.sample.counters.uptime);
  switch (result.node_change) {
    case NodeHealth::Change::kWentDown:
      spdlog::warn("node {} is not answering ({}); publishing up=0 until it is back", address_, error);
      break;
    case NodeHealth::Change::kCameUp:
      spdlog::info("node {} answers (uptime {} s)", address_, result.sample.counters.uptime);
      break;
    case NodeHealth::Change::kRestarted:
      spdlog::info("node {} restarted since the last sample (uptime {} s)", address_,
                   result.sample.counters.uptime);
      break;
    case NodeHealth::Change::kNone:
      break;
  }
  if (result.node_change == NodeHealth::Change::kNone && !result.sample.up && error != last_node_error_)
    spdlog::debug("node {} still not answering, now: {}", address_, error);
  last_node_error_ = error;
  result.published = Publish(result.sample);
  return result;
}

bool MetricsPublisher::Publish(const MetricSample& sample) {
  if (!outage_.ShouldTry()) {
    outage_.Dropped();
    return false;
  }
  auto id = redis_->XAdd(stream_, sample.ToFields(), max_len_);
  if (!id.ok()) {
    outage_.Dropped();
    if (outage_.Failed() == RedisOutage::Change::kWentDown)
      spdlog::warn("Redis {} does not take metric entries ({}); sampling goes on, entries are dropped "
                   "until it is back",
                   redis_->address().ToString(), id.status().ToString());
    else
      spdlog::debug("Redis still unreachable: {}", id.status().ToString());
    return false;
  }
  ++published_;
  if (outage_.Succeeded() == RedisOutage::Change::kCameBack)
    spdlog::info("Redis {} is back after {} ms; {} metric entries were dropped", redis_->address().ToString(),
                 outage_.outage_ms(), outage_.dropped());
  spdlog::trace("published {} up={} as {}", stream_, sample.up ? 1 : 0, *id);
  return true;
}

}  // namespace mcscale
