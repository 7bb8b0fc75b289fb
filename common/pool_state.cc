#include "common/pool_state.h"

#include <random>

#include "common/host_port.h"
#include "common/json_fields.h"

namespace mcscale {

nlohmann::json NodeAddressesToJson(const NodeAddresses& nodes) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [id, address] : nodes) j[id] = address;
  return j;
}

Result<NodeAddresses> NodeAddressesFromJson(const nlohmann::json& j) {
  if (!j.is_object())
    return Status::Invalid(std::string("expected an object of node id -> address, got ") + j.type_name());
  NodeAddresses nodes;
  for (const auto& [id, address] : j.items()) {
    if (id.empty()) return Status::Invalid("empty node id");
    if (!address.is_string())
      return Status::Invalid("node '" + id + "': expected an address string, got " + address.type_name());
    auto parsed = HostPort::Parse(address.get<std::string>());
    if (!parsed.ok()) return Status::Invalid("node '" + id + "': " + parsed.status().message());
    nodes[id] = address.get<std::string>();
  }
  return nodes;
}

std::string PoolPhaseName(PoolPhase p) { return p == PoolPhase::kMigrating ? "migrating" : "stable"; }

HashFields PoolState::ToHash() const {
  HashFields h;
  h["pool_id"] = pool_id;
  h["epoch"] = std::to_string(epoch);
  h["nodes"] = NodeAddressesToJson(nodes).dump();
  h["regions"] = regions.ToJson().dump();
  // Written as "" rather than left out, so an HSET of these fields clears an old value.
  h["previous_regions"] = previous_regions ? previous_regions->ToJson().dump() : "";
  h["state"] = PoolPhaseName(state);
  h["updated_ms"] = std::to_string(updated_ms);
  return h;
}

// The hash holds the same fields as the JSON form, as text: turn each into its JSON value
// and let FromJson do all the validation.
Result<PoolState> PoolState::FromHash(const HashFields& h) {
  nlohmann::json j = nlohmann::json::object();
  for (const char* name : {"pool_id", "state"}) {
    auto it = h.find(name);
    if (it != h.end()) j[name] = it->second;
  }
  for (const char* name : {"epoch", "updated_ms"}) {
    auto it = h.find(name);
    if (it == h.end()) continue;
    auto v = ParseDecimalInt(it->second);
    if (!v) return Status::Invalid(std::string(name) + ": expected a decimal integer, got '" + it->second + "'");
    j[name] = *v;
  }
  for (const char* name : {"nodes", "regions", "previous_regions"}) {
    auto it = h.find(name);
    if (it == h.end() || (it->second.empty() && std::string(name) == "previous_regions")) continue;
    auto v = ParseJsonText(it->second);
    if (!v.ok()) return Status::Invalid(std::string(name) + ": " + v.status().message());
    j[name] = std::move(*v);
  }
  return FromJson(j);
}

nlohmann::json PoolState::ToJson() const {
  nlohmann::json j = {
      {"pool_id", pool_id},
      {"epoch", epoch},
      {"nodes", NodeAddressesToJson(nodes)},
      {"regions", regions.ToJson()},
      {"state", PoolPhaseName(state)},
      {"updated_ms", updated_ms},
  };
  j["previous_regions"] = previous_regions ? previous_regions->ToJson() : nlohmann::json(nullptr);
  return j;
}

Result<PoolState> PoolState::FromJson(const nlohmann::json& j) {
  JsonFields f(j, "");
  if (Status st = f.CheckObject(); !st.ok()) return st;
  PoolState s;

  auto pool_id = f.String("pool_id");
  if (!pool_id.ok()) return pool_id.status();
  if (pool_id->empty()) return f.Error("pool_id", "must not be empty");
  s.pool_id = *pool_id;

  auto epoch = f.Int("epoch");
  if (!epoch.ok()) return epoch.status();
  if (*epoch < 0) return f.Error("epoch", "must not be negative");
  s.epoch = *epoch;

  auto nodes = f.Field("nodes");
  if (!nodes.ok()) return nodes.status();
  auto addresses = NodeAddressesFromJson(**nodes);
  if (!addresses.ok()) return f.Nested("nodes", addresses.status());
  s.nodes = std::move(*addresses);

  auto regions = f.Field("regions");
  if (!regions.ok()) return regions.status();
  auto map = RegionMap::FromJson(**regions);
  if (!map.ok()) return f.Nested("regions", map.status());
  s.regions = std::move(*map);
  for (const NodeId& node : s.regions.Nodes())
    if (!s.nodes.count(node)) return f.Error("regions", "node '" + node + "' has no address in nodes");

  auto state = f.String("state");
  if (!state.ok()) return state.status();
  if (*state == "stable") {
    s.state = PoolPhase::kStable;
  } else if (*state == "migrating") {
    s.state = PoolPhase::kMigrating;
  } else {
    return f.Error("state", "expected 'stable' or 'migrating', got '" + *state + "'");
  }

  if (f.Has("previous_regions") && !j["previous_regions"].is_null()) {
    auto previous = RegionMap::FromJson(j["previous_regions"]);
    if (!previous.ok()) return f.Nested("previous_regions", previous.status());
    if (previous->region_count() != s.regions.region_count())
      return f.Error("previous_regions", std::to_string(previous->region_count()) + " regions but regions has " +
                                             std::to_string(s.regions.region_count()));
    s.previous_regions = std::move(*previous);
  }
  if (s.state == PoolPhase::kMigrating && !s.previous_regions)
    return f.Error("previous_regions", "required while the pool is migrating");

  if (f.Has("updated_ms")) {
    auto updated = f.Int("updated_ms");
    if (!updated.ok()) return updated.status();
    s.updated_ms = *updated;
  }
  return s;
}

std::string PoolState::NewPoolId() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string id;
  id.reserve(32);
  while (id.size() < 32) {
    uint32_t bits = rd();
    for (int i = 0; i < 8; ++i, bits >>= 4) id += kHex[bits & 0xf];
  }
  return id;
}

}  // namespace mcscale
