#include "common/pool_event.h"

#include <array>
#include <utility>

#include "common/json_fields.h"

namespace mcscale {
namespace {

constexpr std::array<std::pair<EventType, const char*>, 7> kEventNames = {{
    {EventType::kPoolResized, "pool.resized"},
    {EventType::kNodeFailed, "pool.node_failed"},
    {EventType::kMigrationCommit, "migration.commit"},
    {EventType::kMigrationDone, "migration.done"},
    {EventType::kConfigChanged, "config.changed"},
    {EventType::kCacheCleared, "cache.cleared"},
    {EventType::kDataCleared, "data.cleared"},
}};

bool ChangesMembership(EventType t) { return t == EventType::kPoolResized || t == EventType::kNodeFailed; }

// Reads one node list and its region map (old_* or new_*) and checks that every node the
// map names has an address. `allow_empty_map`: the old map of the event that creates a pool.
Status ReadMembership(const JsonFields& f, const std::string& nodes_field, const std::string& regions_field,
                      bool allow_empty_map, NodeAddresses* nodes, RegionMap* regions) {
  auto nodes_json = f.Field(nodes_field);
  if (!nodes_json.ok()) return nodes_json.status();
  auto addresses = NodeAddressesFromJson(**nodes_json);
  if (!addresses.ok()) return f.Nested(nodes_field, addresses.status());
  *nodes = std::move(*addresses);

  auto regions_json = f.Field(regions_field);
  if (!regions_json.ok()) return regions_json.status();
  if (allow_empty_map && (*regions_json)->is_array() && (*regions_json)->empty()) {
    *regions = RegionMap();
    return Status::Ok();
  }
  auto map = RegionMap::FromJson(**regions_json);
  if (!map.ok()) return f.Nested(regions_field, map.status());
  *regions = std::move(*map);
  for (const NodeId& node : regions->Nodes())
    if (!nodes->count(node)) return f.Error(regions_field, "node '" + node + "' is missing from " + nodes_field);
  return Status::Ok();
}

}  // namespace

std::string EventTypeName(EventType t) {
  for (const auto& [type, name] : kEventNames)
    if (type == t) return name;
  return "unknown";
}

std::optional<EventType> ParseEventType(const std::string& name) {
  for (const auto& [type, type_name] : kEventNames)
    if (name == type_name) return type;
  return std::nullopt;
}

nlohmann::json PoolEvent::ToJson() const {
  nlohmann::json j = {
      {"type", EventTypeName(type)}, {"seq", seq}, {"pool_id", pool_id}, {"epoch", epoch}, {"ts", ts},
  };
  if (ChangesMembership(type) || !reason.empty()) j["reason"] = reason;
  if (ChangesMembership(type)) {
    j["old_nodes"] = NodeAddressesToJson(old_nodes);
    j["new_nodes"] = NodeAddressesToJson(new_nodes);
    j["old_regions"] = old_regions.ToJson();
    j["new_regions"] = new_regions.ToJson();
  }
  if (type == EventType::kNodeFailed) j["node"] = node;
  if (type == EventType::kConfigChanged) j["config"] = config.is_object() ? config : nlohmann::json::object();
  return j;
}

Result<PoolEvent> PoolEvent::Decode(const std::string& text) {
  auto j = ParseJsonText(text);
  if (!j.ok()) return j.status();
  return FromJson(*j);
}

Result<PoolEvent> PoolEvent::FromJson(const nlohmann::json& j) {
  JsonFields top(j, "event");
  if (Status st = top.CheckObject(); !st.ok()) return st;
  auto type_name = top.String("type");
  if (!type_name.ok()) return type_name.status();
  auto type = ParseEventType(*type_name);
  if (!type) return Status::Invalid("unknown event type '" + *type_name + "'");

  // From here on every message names the event type.
  JsonFields f(j, *type_name);
  PoolEvent e;
  e.type = *type;

  // seq is empty until the event is appended to the history; a history entry may omit it.
  auto seq = f.OptionalString("seq", "");
  if (!seq.ok()) return seq.status();
  e.seq = *seq;

  auto pool_id = f.String("pool_id");
  if (!pool_id.ok()) return pool_id.status();
  if (pool_id->empty()) return f.Error("pool_id", "must not be empty");
  e.pool_id = *pool_id;

  auto epoch = f.Int("epoch");
  if (!epoch.ok()) return epoch.status();
  if (*epoch < 0) return f.Error("epoch", "must not be negative");
  e.epoch = *epoch;

  auto ts = f.Int("ts");
  if (!ts.ok()) return ts.status();
  e.ts = *ts;

  auto reason = ChangesMembership(e.type) ? f.String("reason") : f.OptionalString("reason", "");
  if (!reason.ok()) return reason.status();
  e.reason = *reason;

  if (ChangesMembership(e.type)) {
    if (Status st = ReadMembership(f, "old_nodes", "old_regions", /*allow_empty_map=*/true, &e.old_nodes,
                                   &e.old_regions);
        !st.ok())
      return st;
    if (Status st = ReadMembership(f, "new_nodes", "new_regions", /*allow_empty_map=*/false, &e.new_nodes,
                                   &e.new_regions);
        !st.ok())
      return st;
    if (!e.old_regions.empty() && e.old_regions.region_count() != e.new_regions.region_count())
      return f.Error("new_regions", std::to_string(e.new_regions.region_count()) + " regions but old_regions has " +
                                        std::to_string(e.old_regions.region_count()));
  }
  if (e.type == EventType::kNodeFailed) {
    auto node = f.String("node");
    if (!node.ok()) return node.status();
    if (node->empty()) return f.Error("node", "must not be empty");
    e.node = *node;
  }
  if (e.type == EventType::kConfigChanged) {
    auto config = f.Field("config");
    if (!config.ok()) return config.status();
    if (!(*config)->is_object()) return f.Error("config", std::string("expected object, got ") + (*config)->type_name());
    e.config = **config;
  }
  return e;
}

namespace {

// "ms-seq" (or a bare "ms", seq 0) as a pair; nullopt when malformed.
std::optional<std::pair<uint64_t, uint64_t>> ParseSeq(const std::string& id) {
  auto dash = id.find('-');
  auto ms = ParseDecimalUint(id.substr(0, dash));
  if (!ms) return std::nullopt;
  if (dash == std::string::npos) return std::make_pair(*ms, uint64_t{0});
  auto seq = ParseDecimalUint(id.substr(dash + 1));
  if (!seq) return std::nullopt;
  return std::make_pair(*ms, *seq);
}

}  // namespace

int CompareSeq(const std::string& a, const std::string& b) {
  auto pa = ParseSeq(a).value_or(std::make_pair(uint64_t{0}, uint64_t{0}));
  auto pb = ParseSeq(b).value_or(std::make_pair(uint64_t{0}, uint64_t{0}));
  if (pa < pb) return -1;
  if (pb < pa) return 1;
  return 0;
}

}  // namespace mcscale
