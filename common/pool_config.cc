#include "common/pool_config.h"

#include <fmt/format.h>

#include <limits>
#include <type_traits>
#include <variant>

#include "common/json_fields.h"
#include "common/region_map.h"

namespace mcscale {
namespace {

using Member = std::variant<int PoolConfig::*, double PoolConfig::*, std::string PoolConfig::*,
                            PoolConfig::Mode PoolConfig::*>;

struct FieldSpec {
  const char* name;
  Member member;
};

// Every field, once: the hash, the JSON form and patches all read this table.
const FieldSpec kFields[] = {
    {"mode", &PoolConfig::mode},
    {"max_miss_rate", &PoolConfig::max_miss_rate},
    {"min_miss_rate", &PoolConfig::min_miss_rate},
    {"expand_ratio", &PoolConfig::expand_ratio},
    {"shrink_ratio", &PoolConfig::shrink_ratio},
    {"min_nodes", &PoolConfig::min_nodes},
    {"max_nodes", &PoolConfig::max_nodes},
    {"regions", &PoolConfig::regions},
    {"interval_s", &PoolConfig::interval_s},
    {"window_s", &PoolConfig::window_s},
    {"bucket_s", &PoolConfig::bucket_s},
    {"min_requests", &PoolConfig::min_requests},
    {"scale_down_stabilization_s", &PoolConfig::scale_down_stabilization_s},
    {"failure_timeout_s", &PoolConfig::failure_timeout_s},
    {"node_capacity_mb", &PoolConfig::node_capacity_mb},
    {"node_policy", &PoolConfig::node_policy},
};

const FieldSpec* FindField(const std::string& name) {
  for (const auto& spec : kFields)
    if (name == spec.name) return &spec;
  return nullptr;
}

std::optional<PoolConfig::Mode> ParseMode(const std::string& text) {
  if (text == "auto") return PoolConfig::Mode::kAuto;
  if (text == "manual") return PoolConfig::Mode::kManual;
  return std::nullopt;
}

std::string Text(const PoolConfig& c, const FieldSpec& spec) {
  return std::visit(
      [&c](auto member) -> std::string {
        using T = std::decay_t<decltype(c.*member)>;
        if constexpr (std::is_same_v<T, int>) return std::to_string(c.*member);
        else if constexpr (std::is_same_v<T, double>) return fmt::format("{}", c.*member);
        else if constexpr (std::is_same_v<T, std::string>) return c.*member;
        else return PoolConfig::ModeName(c.*member);
      },
      spec.member);
}

nlohmann::json JsonValue(const PoolConfig& c, const FieldSpec& spec) {
  return std::visit(
      [&c](auto member) -> nlohmann::json {
        using T = std::decay_t<decltype(c.*member)>;
        if constexpr (std::is_same_v<T, PoolConfig::Mode>) return PoolConfig::ModeName(c.*member);
        else return c.*member;
      },
      spec.member);
}

// Sets the field from hash text; returns the reason it is malformed, or "".
std::string SetFromText(PoolConfig* c, const FieldSpec& spec, const std::string& text) {
  return std::visit(
      [c, &text](auto member) -> std::string {
        using T = std::decay_t<decltype(c->*member)>;
        if constexpr (std::is_same_v<T, int>) {
          auto v = ParseDecimalInt(text);
          if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
            return "expected an integer, got '" + text + "'";
          c->*member = static_cast<int>(*v);
        } else if constexpr (std::is_same_v<T, double>) {
          auto v = ParseDecimalDouble(text);
          if (!v) return "expected a number, got '" + text + "'";
          c->*member = *v;
        } else if constexpr (std::is_same_v<T, std::string>) {
          c->*member = text;
        } else {
          auto mode = ParseMode(text);
          if (!mode) return "expected auto or manual, got '" + text + "'";
          c->*member = *mode;
        }
        return "";
      },
      spec.member);
}

// Sets the field from a JSON value; returns the reason it does not fit, or "".
std::string SetFromJson(PoolConfig* c, const FieldSpec& spec, const nlohmann::json& v) {
  return std::visit(
      [c, &v](auto member) -> std::string {
        using T = std::decay_t<decltype(c->*member)>;
        if constexpr (std::is_same_v<T, int>) {
          if (!v.is_number_integer()) return std::string("expected integer, got ") + v.type_name();
          if (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int>::max())
                                     : (v.get<int64_t>() < std::numeric_limits<int>::min() ||
                                        v.get<int64_t>() > std::numeric_limits<int>::max()))
            return "integer out of range";
          c->*member = v.get<int>();
        } else if constexpr (std::is_same_v<T, double>) {
          if (!v.is_number()) return std::string("expected number, got ") + v.type_name();
          c->*member = v.get<double>();
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!v.is_string()) return std::string("expected string, got ") + v.type_name();
          c->*member = v.get<std::string>();
        } else {
          if (!v.is_string()) return std::string("expected string, got ") + v.type_name();
          auto mode = ParseMode(v.get<std::string>());
          if (!mode) return "expected auto or manual, got '" + v.get<std::string>() + "'";
          c->*member = *mode;
        }
        return "";
      },
      spec.member);
}

Result<PoolConfig> Finish(PoolConfig config, const std::vector<FieldError>& found, std::vector<FieldError>* errors) {
  if (errors != nullptr) *errors = found;
  if (found.empty()) return config;
  return Status::Invalid(JoinFieldErrors(found));
}

}  // namespace

std::string PoolConfig::ModeName(Mode m) { return m == Mode::kManual ? "manual" : "auto"; }

std::vector<FieldError> PoolConfig::Validate() const {
  std::vector<FieldError> errors;
  auto add = [&errors](const std::string& field, const std::string& message) {
    errors.push_back(FieldError{field, message});
  };
  // Written as !(ok) so that NaN fails too.
  if (!(max_miss_rate > 0 && max_miss_rate <= 1)) add("max_miss_rate", "must be above 0 and at most 1");
  if (!(min_miss_rate >= 0 && min_miss_rate < 1)) {
    add("min_miss_rate", "must be at least 0 and below 1");
  } else if (!(min_miss_rate < max_miss_rate)) {
    add("min_miss_rate", fmt::format("must be below max_miss_rate ({})", max_miss_rate));
  }
  if (!(expand_ratio > 1)) add("expand_ratio", "must be above 1");
  if (!(shrink_ratio > 0 && shrink_ratio < 1)) add("shrink_ratio", "must be above 0 and below 1");
  const bool regions_ok = RegionMap::ValidRegionCount(regions);
  if (!regions_ok)
    add("regions", fmt::format("must be a power of two in {}..{}", RegionMap::kMinRegions, RegionMap::kMaxRegions));
  if (min_nodes < 1) add("min_nodes", "must be at least 1");
  if (max_nodes < min_nodes) {
    add("max_nodes", fmt::format("must be at least min_nodes ({})", min_nodes));
  } else if (regions_ok && max_nodes > regions) {
    add("max_nodes", fmt::format("must be at most regions ({})", regions));
  }
  const std::pair<const char*, int> at_least_one[] = {
      {"interval_s", interval_s}, {"window_s", window_s}, {"bucket_s", bucket_s},
      {"scale_down_stabilization_s", scale_down_stabilization_s}, {"failure_timeout_s", failure_timeout_s},
  };
  for (const auto& [field, value] : at_least_one)
    if (value < 1) add(field, "must be at least 1");
  if (min_requests < 0) add("min_requests", "must be at least 0");
  if (node_capacity_mb < 8) add("node_capacity_mb", "must be at least 8 (memcached refuses less)");
  if (node_policy != "lru" && node_policy != "random") add("node_policy", "must be lru or random");
  return errors;
}

HashFields PoolConfig::ToHash() const {
  HashFields h;
  for (const auto& spec : kFields) h[spec.name] = Text(*this, spec);
  return h;
}

Result<PoolConfig> PoolConfig::FromHash(const HashFields& h, std::vector<FieldError>* errors) {
  PoolConfig config;
  std::vector<FieldError> found;
  for (const auto& spec : kFields) {
    auto it = h.find(spec.name);
    if (it == h.end()) continue;
    std::string reason = SetFromText(&config, spec, it->second);
    if (!reason.empty()) found.push_back(FieldError{spec.name, reason});
  }
  return Finish(std::move(config), found, errors);
}

nlohmann::json PoolConfig::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& spec : kFields) j[spec.name] = JsonValue(*this, spec);
  return j;
}

Result<PoolConfig> PoolConfig::Patched(const nlohmann::json& patch, std::vector<FieldError>* errors) const {
  PoolConfig config = *this;
  std::vector<FieldError> found;
  if (!patch.is_object()) {
    found.push_back(FieldError{"config", std::string("expected a JSON object, got ") + patch.type_name()});
    return Finish(std::move(config), found, errors);
  }
  for (const auto& [name, value] : patch.items()) {
    const FieldSpec* spec = FindField(name);
    if (spec == nullptr) {
      found.push_back(FieldError{name, "unknown field"});
      continue;
    }
    std::string reason = SetFromJson(&config, *spec, value);
    if (!reason.empty()) found.push_back(FieldError{name, reason});
  }
  if (found.empty()) found = config.Validate();
  return Finish(std::move(config), found, errors);
}

std::string JoinFieldErrors(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.field + ": " + e.message;
  }
  return out;
}

nlohmann::json FieldErrorsToJson(const std::vector<FieldError>& errors) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : errors) j.push_back({{"field", e.field}, {"message", e.message}});
  return j;
}

}  // namespace mcscale
