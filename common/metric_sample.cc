#include "common/metric_sample.h"

#include <set>

#include "common/host_port.h"
#include "common/json_fields.h"

namespace mcscale {
namespace {

// The counters, once: memcached's stats names are also the sample's field names.
const std::pair<const char*, uint64_t NodeCounters::*> kCounters[] = {
    {"get_hits", &NodeCounters::get_hits},
    {"get_misses", &NodeCounters::get_misses},
    {"cmd_get", &NodeCounters::cmd_get},
    {"cmd_set", &NodeCounters::cmd_set},
    {"curr_items", &NodeCounters::curr_items},
    {"bytes", &NodeCounters::bytes},
    {"limit_maxbytes", &NodeCounters::limit_maxbytes},
    {"evictions", &NodeCounters::evictions},
    {"curr_connections", &NodeCounters::curr_connections},
    {"uptime", &NodeCounters::uptime},
};

// Reads every counter through `lookup` (nullptr when absent); `what` starts the message.
template <typename Lookup>
Result<NodeCounters> ReadCounters(const std::string& what, Lookup lookup) {
  NodeCounters c;
  for (const auto& [name, member] : kCounters) {
    const std::string* text = lookup(name);
    if (text == nullptr) return Status::Invalid(what + ": missing counter '" + name + "'");
    auto v = ParseDecimalUint(*text);
    if (!v) return Status::Invalid(what + ": counter '" + name + "' is not a non-negative integer: '" + *text + "'");
    c.*member = *v;
  }
  return c;
}

}  // namespace

Result<NodeCounters> NodeCounters::FromStats(const std::map<std::string, std::string>& stats) {
  return ReadCounters("stats", [&stats](const char* name) -> const std::string* {
    auto it = stats.find(name);
    return it == stats.end() ? nullptr : &it->second;
  });
}

bool NodeCounters::operator==(const NodeCounters& o) const {
  for (const auto& [name, member] : kCounters)
    if (this->*member != o.*member) return false;
  return true;
}

std::vector<std::pair<std::string, std::string>> MetricSample::ToFields() const {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"node", node}, {"address", address}, {"ts", std::to_string(ts)}, {"up", up ? "1" : "0"}};
  if (up)
    for (const auto& [name, member] : kCounters) fields.emplace_back(name, std::to_string(counters.*member));
  return fields;
}

Result<MetricSample> MetricSample::FromFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::map<std::string, std::string> by_name;
  for (const auto& [name, value] : fields)
    if (!by_name.emplace(name, value).second) return Status::Invalid("metric sample: duplicate field '" + name + "'");
  auto get = [&by_name](const std::string& name) -> const std::string* {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &it->second;
  };
  auto missing = [](const std::string& name) { return Status::Invalid("metric sample: missing field '" + name + "'"); };

  MetricSample s;
  const std::string* node = get("node");
  if (node == nullptr) return missing("node");
  if (node->empty()) return Status::Invalid("metric sample: node: must not be empty");
  s.node = *node;

  const std::string* address = get("address");
  if (address == nullptr) return missing("address");
  if (auto parsed = HostPort::Parse(*address); !parsed.ok())
    return Status::Invalid("metric sample: address: " + parsed.status().message());
  s.address = *address;

  const std::string* ts = get("ts");
  if (ts == nullptr) return missing("ts");
  auto ts_value = ParseDecimalInt(*ts);
  if (!ts_value) return Status::Invalid("metric sample: ts: expected a decimal integer, got '" + *ts + "'");
  s.ts = *ts_value;

  const std::string* up = get("up");
  if (up == nullptr) return missing("up");
  if (*up != "1" && *up != "0") return Status::Invalid("metric sample: up: expected 1 or 0, got '" + *up + "'");
  s.up = *up == "1";

  if (s.up) {
    auto counters = ReadCounters("metric sample", [&get](const char* name) { return get(name); });
    if (!counters.ok()) return counters.status();
    s.counters = *counters;
  }
  return s;
}

}  // namespace mcscale
