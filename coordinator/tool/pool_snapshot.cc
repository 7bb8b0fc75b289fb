#include "coordinator/tool/pool_snapshot.h"

#include <iomanip>
#include <set>
#include <sstream>

namespace mcscale {

namespace {

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::ostringstream out;
  out << std::fixed << std::setprecision(u == 0 ? 0 : 1) << v << " " << units[u];
  return out.str();
}

std::string Ago(int64_t now_ms, int64_t ts) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(now_ms - ts) / 1000.0 << " s ago";
  return out.str();
}

}  // namespace

Result<PoolSnapshot> PoolSnapshot::Read(RedisClient* redis, const RedisKeys& keys) {
  PoolSnapshot snap;
  snap.prefix = keys.prefix();
  auto hash = redis->HGetAll(keys.pool());
  if (!hash.ok()) return hash.status();

  auto config_hash = redis->HGetAll(keys.config());
  if (!config_hash.ok()) return config_hash.status();
  if (!config_hash->empty()) {
    std::vector<FieldError> errors;
    auto config = PoolConfig::FromHash(*config_hash, &errors);
    if (config.ok() && errors.empty()) snap.config = *config;
  }

  if (hash->empty()) return snap;
  auto pool = PoolState::FromHash(*hash);
  if (!pool.ok()) return Status::Invalid(keys.pool() + " does not decode: " + pool.status().message());
  snap.exists = true;
  snap.pool = std::move(*pool);

  // Agent registrations: one EXISTS per node, in one round trip.
  std::vector<std::vector<std::string>> exists;
  for (const auto& [id, _] : snap.pool.nodes) exists.push_back({"EXISTS", keys.agent(id)});
  auto alive = redis->Pipeline(exists);
  if (!alive.ok()) return alive.status();

  // The newest sample of each node among the last kMetricsScan entries.
  std::map<NodeId, MetricSample> latest;
  auto reply = redis->Command({"XREVRANGE", keys.metrics(), "+", "-", "COUNT", std::to_string(kMetricsScan)});
  if (!reply.ok()) return reply.status();
  auto entries = RedisClient::ParseEntries(*reply);
  if (entries.ok()) {
    for (const auto& e : *entries) {
      auto sample = MetricSample::FromFields(e.fields);
      if (sample.ok() && snap.pool.nodes.count(sample->node) && !latest.count(sample->node))
        latest[sample->node] = *sample;
    }
  }

  auto counts = snap.pool.regions.Counts();
  size_t i = 0;
  for (const auto& [id, address] : snap.pool.nodes) {
    NodeStatus n;
    n.id = id;
    n.address = address;
    n.regions = counts.count(id) ? counts[id] : 0;
    n.draining = n.regions == 0;
    const auto& a = (*alive)[i++];
    n.agent_alive = a.ok() && a->integer > 0;
    auto s = latest.find(id);
    if (s != latest.end()) n.sample = s->second;
    snap.nodes.push_back(std::move(n));
  }
  return snap;
}

int PoolSnapshot::Size() const { return static_cast<int>(pool.regions.Nodes().size()); }

nlohmann::ordered_json PoolSnapshot::ToJson() const {
  nlohmann::ordered_json j;
  j["prefix"] = prefix;
  j["exists"] = exists;
  if (config) {
    j["mode"] = PoolConfig::ModeName(config->mode);
    j["min_nodes"] = config->min_nodes;
    j["max_nodes"] = config->max_nodes;
  }
  if (!exists) return j;
  j["pool_id"] = pool.pool_id;
  j["epoch"] = pool.epoch;
  j["state"] = PoolPhaseName(pool.state);
  j["size"] = Size();
  j["regions"] = pool.regions.region_count();
  j["updated_ms"] = pool.updated_ms;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& n : nodes) {
    nlohmann::ordered_json node;
    node["id"] = n.id;
    node["address"] = n.address;
    node["regions"] = n.regions;
    node["draining"] = n.draining;
    node["agent_alive"] = n.agent_alive;
    if (n.sample) {
      node["up"] = n.sample->up;
      node["items"] = n.sample->counters.curr_items;
      node["bytes"] = n.sample->counters.bytes;
      node["capacity"] = n.sample->counters.limit_maxbytes;
      node["sampled_ms"] = n.sample->ts;
    } else {
      node["up"] = nullptr;
      node["items"] = nullptr;
      node["bytes"] = nullptr;
      node["capacity"] = nullptr;
      node["sampled_ms"] = nullptr;
    }
    list.push_back(std::move(node));
  }
  j["nodes"] = std::move(list);
  return j;
}

std::string PoolSnapshot::ToText(int64_t now_ms) const {
  std::ostringstream out;
  if (!exists) {
    out << "no pool in " << prefix << ":pool (none created yet, or retired)\n";
    return out.str();
  }
  out << "pool " << pool.pool_id << " epoch " << pool.epoch << ", " << PoolPhaseName(pool.state) << ", "
      << Size() << " node(s) serving " << pool.regions.region_count() << " regions";
  if (config)
    out << ", mode " << PoolConfig::ModeName(config->mode) << " (" << config->min_nodes << ".."
        << config->max_nodes << " nodes)";
  out << "\n";
  std::vector<std::vector<std::string>> rows = {{"NODE", "ADDRESS", "REGIONS", "AGENT", "UP", "ITEMS", "BYTES", "SAMPLED"}};
  for (const auto& n : nodes) {
    std::vector<std::string> row = {n.id, n.address,
                                    n.draining ? "0 (draining)" : std::to_string(n.regions),
                                    n.agent_alive ? "alive" : "gone"};
    if (n.sample) {
      row.push_back(n.sample->up ? "up" : "down");
      row.push_back(n.sample->up ? std::to_string(n.sample->counters.curr_items) : "-");
      row.push_back(n.sample->up ? HumanBytes(n.sample->counters.bytes) : "-");
      row.push_back(Ago(now_ms, n.sample->ts));
    } else {
      row.insert(row.end(), {"?", "-", "-", "no sample"});
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
  return out.str();
}

}  // namespace mcscale
