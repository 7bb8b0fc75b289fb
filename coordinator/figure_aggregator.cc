#include "coordinator/figure_aggregator.h"

namespace mcscale {

namespace {

// A counter that went down restarted from zero: its whole value is new.
uint64_t CounterDelta(uint64_t now, uint64_t before) { return now >= before ? now - before : now; }

}  // namespace

uint64_t PoolFigure::items() const {
  uint64_t sum = 0;
  for (const auto& [_, n] : nodes) sum += n.up ? n.items : 0;
  return sum;
}

uint64_t PoolFigure::bytes() const {
  uint64_t sum = 0;
  for (const auto& [_, n] : nodes) sum += n.up ? n.bytes : 0;
  return sum;
}

uint64_t PoolFigure::capacity() const {
  uint64_t sum = 0;
  for (const auto& [_, n] : nodes) sum += n.up ? n.capacity : 0;
  return sum;
}

double PoolFigure::requests_per_minute() const {
  return static_cast<double>(gets + sets) * 60.0 / static_cast<double>(bucket_s > 0 ? bucket_s : 60);
}

nlohmann::json PoolFigure::ToJson() const {
  nlohmann::json per_node = nlohmann::json::object();
  for (const auto& [id, n] : nodes)
    per_node[id] = {{"up", n.up}, {"items", n.items}, {"bytes", n.bytes}, {"capacity", n.capacity}};
  return {{"t", t},
          {"bucket_s", bucket_s},
          {"node_count", node_count},
          {"gets", gets},
          {"hits", hits},
          {"misses", misses},
          {"sets", sets},
          {"evictions", evictions},
          {"items", items()},
          {"bytes", bytes()},
          {"capacity", capacity()},
          {"miss_rate", miss_rate()},
          {"hit_rate", hit_rate()},
          {"requests_per_minute", requests_per_minute()},
          {"nodes", per_node}};
}

Result<PoolFigure> PoolFigure::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::Invalid("figure: expected an object");
  PoolFigure f;
  auto read_int = [&](const char* name, auto* out) -> bool {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return false;
    *out = it->get<std::remove_pointer_t<decltype(out)>>();
    return true;
  };
  if (!read_int("t", &f.t) || !read_int("bucket_s", &f.bucket_s) || !read_int("node_count", &f.node_count) ||
      !read_int("gets", &f.gets) || !read_int("hits", &f.hits) || !read_int("misses", &f.misses) ||
      !read_int("sets", &f.sets) || !read_int("evictions", &f.evictions))
    return Status::Invalid("figure: missing or non-integer counter");
  auto nodes = j.find("nodes");
  if (nodes != j.end() && nodes->is_object()) {
    for (const auto& [id, n] : nodes->items()) {
      if (!n.is_object()) continue;
      NodeLevel level;
      level.up = n.value("up", false);
      level.items = n.value("items", uint64_t{0});
      level.bytes = n.value("bytes", uint64_t{0});
      level.capacity = n.value("capacity", uint64_t{0});
      f.nodes[id] = level;
    }
  }
  return f;
}

FigureAggregator::FigureAggregator(int bucket_s, int64_t keep_deltas_ms)
    : bucket_s_(bucket_s), keep_deltas_ms_(keep_deltas_ms) {}

PoolFigure& FigureAggregator::BucketFor(int64_t ts) {
  int64_t width = static_cast<int64_t>(bucket_s_) * 1000;
  int64_t t = ts - ((ts % width) + width) % width;
  auto [it, inserted] = buckets_.try_emplace(t);
  if (inserted) {
    it->second.t = t;
    it->second.bucket_s = bucket_s_;
    while (buckets_.size() > 8) buckets_.erase(buckets_.begin());
  }
  dirty_.insert(t);
  return buckets_[t];
}

std::optional<SampleDelta> FigureAggregator::Add(const MetricSample& sample, int pool_size) {
  PoolFigure& bucket = BucketFor(sample.ts);
  bucket.node_count = pool_size;
  PoolFigure::NodeLevel& level = bucket.nodes[sample.node];
  level.up = sample.up;
  if (!sample.up) return std::nullopt;
  const NodeCounters& c = sample.counters;
  level.items = c.curr_items;
  level.bytes = c.bytes;
  level.capacity = c.limit_maxbytes;

  auto prev = last_.find(sample.node);
  if (prev == last_.end()) {
    last_[sample.node] = c;
    return std::nullopt;
  }
  const NodeCounters& p = prev->second;
  // A node whose uptime went down restarted: every counter starts over.
  bool restarted = c.uptime < p.uptime;
  auto delta = [&](uint64_t now, uint64_t before) { return restarted ? now : CounterDelta(now, before); };
  SampleDelta d;
  d.node = sample.node;
  d.ts = sample.ts;
  d.up = true;
  d.gets = delta(c.cmd_get, p.cmd_get);
  d.hits = delta(c.get_hits, p.get_hits);
  d.misses = delta(c.get_misses, p.get_misses);
  d.sets = delta(c.cmd_set, p.cmd_set);
  d.evictions = delta(c.evictions, p.evictions);
  d.items = c.curr_items;
  d.bytes = c.bytes;
  d.capacity = c.limit_maxbytes;
  prev->second = c;

  bucket.gets += d.gets;
  bucket.hits += d.hits;
  bucket.misses += d.misses;
  bucket.sets += d.sets;
  bucket.evictions += d.evictions;

  deltas_.push_back(d);
  while (!deltas_.empty() && deltas_.front().ts < sample.ts - keep_deltas_ms_) deltas_.pop_front();
  return d;
}

void FigureAggregator::Restore(const PoolFigure& figure) { buckets_[figure.t] = figure; }

std::vector<PoolFigure> FigureAggregator::TakeDirty() {
  std::vector<PoolFigure> out;
  for (int64_t t : dirty_) {
    auto it = buckets_.find(t);
    if (it != buckets_.end()) out.push_back(it->second);
  }
  dirty_.clear();
  return out;
}

WindowStats FigureAggregator::Window(int64_t now_ms, int64_t window_ms, const std::set<std::string>& nodes) const {
  WindowStats w;
  for (const auto& d : deltas_) {
    if (d.ts <= now_ms - window_ms || d.ts > now_ms) continue;
    if (!nodes.empty() && nodes.count(d.node) == 0) continue;
    w.gets += d.gets;
    w.misses += d.misses;
    ++w.samples;
  }
  return w;
}

}  // namespace mcscale
