// FigureAggregator: turns the agents' cumulative node counters into per-sample deltas and
// per-bucket pool figures (bucket_s seconds each, 60 by default), and keeps the raw deltas
// of the recent past for the scaling policy's window.
//
// A counter that goes down means the node restarted: its new value is the delta. A node's
// first sample only sets its baseline. Not thread-safe: the coordinator's loop owns it.
#ifndef MCSCALE_COORDINATOR_FIGURE_AGGREGATOR_H_
#define MCSCALE_COORDINATOR_FIGURE_AGGREGATOR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/metric_sample.h"
#include "common/status.h"

namespace mcscale {

// What one sample adds over the node's previous sample.
struct SampleDelta {
  std::string node;
  int64_t ts = 0;
  bool up = false;
  uint64_t gets = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t sets = 0;
  uint64_t evictions = 0;
  // Levels, not deltas:
  uint64_t items = 0;
  uint64_t bytes = 0;
  uint64_t capacity = 0;
};

// The pool over one bucket [t, t + bucket_s).
struct PoolFigure {
  struct NodeLevel {
    bool up = false;
    uint64_t items = 0;
    uint64_t bytes = 0;
    uint64_t capacity = 0;
  };
  int64_t t = 0;  // bucket start, ms since the epoch
  int bucket_s = 60;
  int node_count = 0;  // pool size when the bucket was last updated
  uint64_t gets = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t sets = 0;
  uint64_t evictions = 0;
  std::map<std::string, NodeLevel> nodes;  // latest level per reporting node

  uint64_t items() const;
  uint64_t bytes() const;
  uint64_t capacity() const;
  double miss_rate() const { return gets ? static_cast<double>(misses) / static_cast<double>(gets) : 0.0; }
  double hit_rate() const { return gets ? static_cast<double>(hits) / static_cast<double>(gets) : 0.0; }
  double requests_per_minute() const;

  // Includes the derived figures (items, bytes, capacity, rates, requests_per_minute).
  nlohmann::json ToJson() const;
  static Result<PoolFigure> FromJson(const nlohmann::json& j);
};

// Totals over the policy window.
struct WindowStats {
  uint64_t gets = 0;
  uint64_t misses = 0;
  int samples = 0;
  double miss_rate() const { return gets ? static_cast<double>(misses) / static_cast<double>(gets) : 0.0; }
};

class FigureAggregator {
 public:
  // Default: keeps raw deltas for 15 minutes (longer than any sensible window).
  explicit FigureAggregator(int bucket_s = 60, int64_t keep_deltas_ms = 15 * 60 * 1000);

  // Adds one sample; returns its delta (nullopt for a node's first sample, which only sets
  // the baseline, and for up=0 samples, which only mark the node down in its bucket).
  std::optional<SampleDelta> Add(const MetricSample& sample, int pool_size);
  // Starts again from a figure read back from Redis (after a coordinator restart).
  void Restore(const PoolFigure& figure);
  // Forgets a node's baseline (it left the pool).
  void ForgetNode(const std::string& node) { last_.erase(node); }
  void set_bucket_s(int bucket_s) { bucket_s_ = bucket_s; }

  // Buckets changed since the last call, then cleared.
  std::vector<PoolFigure> TakeDirty();
  // Gets and misses of deltas with ts in (now_ms - window_ms, now_ms] from `nodes` (all
  // nodes when empty).
  WindowStats Window(int64_t now_ms, int64_t window_ms, const std::set<std::string>& nodes = {}) const;

 private:
  PoolFigure& BucketFor(int64_t ts);

  int bucket_s_;
  int64_t keep_deltas_ms_;
  std::map<std::string, NodeCounters> last_;
  std::map<int64_t, PoolFigure> buckets_;  // the few most recent
  std::set<int64_t> dirty_;
  std::deque<SampleDelta> deltas_;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_FIGURE_AGGREGATOR_H_
