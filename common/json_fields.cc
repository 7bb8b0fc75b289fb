#include "common/json_fields.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace mcscale {

Result<nlohmann::json> ParseJsonText(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    std::string shown = text.size() > 60 ? text.substr(0, 60) + "..." : text;
    return Status::Invalid("malformed JSON: '" + shown + "'");
  }
  return j;
}

std::optional<int64_t> ParseDecimalInt(const std::string& text) {
  if (text.empty() || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9'))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<uint64_t> ParseDecimalUint(const std::string& text) {
  if (text.empty() || !(text[0] >= '0' && text[0] <= '9')) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return static_cast<uint64_t>(v);
}

std::optional<double> ParseDecimalDouble(const std::string& text) {
  if (text.empty() || !(text[0] == '-' || text[0] == '.' || (text[0] >= '0' && text[0] <= '9')))
    return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

JsonFields::JsonFields(const nlohmann::json& object, std::string context)
    : object_(object), context_(std::move(context)) {}

Status JsonFields::Error(const std::string& field, const std::string& reason) const {
  std::string msg = context_.empty() ? "" : context_ + ": ";
  if (!field.empty()) msg += field + ": ";
  return Status::Invalid(msg + reason);
}

Status JsonFields::Nested(const std::string& field, const Status& inner) const {
  return Error(field, inner.message());
}

Status JsonFields::CheckObject() const {
  if (object_.is_object()) return Status::Ok();
  return Error("", std::string("expected a JSON object, got ") + object_.type_name());
}

bool JsonFields::Has(const std::string& name) const { return object_.is_object() && object_.contains(name); }

Result<const nlohmann::json*> JsonFields::Field(const std::string& name) const {
  if (!object_.is_object()) return CheckObject();
  auto it = object_.find(name);
  if (it == object_.end()) return Error("", "missing field '" + name + "'");
  return &*it;
}

Result<std::string> JsonFields::String(const std::string& name) const {
  auto field = Field(name);
  if (!field.ok()) return field.status();
  if (!(*field)->is_string()) return Error(name, std::string("expected string, got ") + (*field)->type_name());
  return (*field)->get<std::string>();
}

Result<std::string> JsonFields::OptionalString(const std::string& name, const std::string& fallback) const {
  if (!Has(name)) return fallback;
  return String(name);
}

Result<int64_t> JsonFields::Int(const std::string& name) const {
  auto field = Field(name);
  if (!field.ok()) return field.status();
  const nlohmann::json& v = **field;
  if (!v.is_number_integer()) return Error(name, std::string("expected integer, got ") + v.type_name());
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return Error(name, "integer out of range");
  return v.get<int64_t>();
}

}  // namespace mcscale
