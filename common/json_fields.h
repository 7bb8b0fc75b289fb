// JsonFields: typed reads of one JSON object's fields for the decoders of the Redis
// contract's schemas (pool state, events, config), plus the strict number parsing their
// hash and stream fields share. Never throws; every error names the field and
// the reason: "missing field 'new_regions'", "epoch: expected integer, got string", each
// behind the reader's context when it has one ("pool.resized: missing field ...").
//
// Holds a reference to the object: it must outlive the reader. Not thread-safe to share.
#ifndef MCSCALE_COMMON_JSON_FIELDS_H_
#define MCSCALE_COMMON_JSON_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace mcscale {

// Parses `text` without exceptions; malformed text is Invalid("malformed JSON: ...").
Result<nlohmann::json> ParseJsonText(const std::string& text);

// The decimal text of hash and stream fields: the whole text must be the number (no blanks,
// no trailing characters, in range, finite); nullopt otherwise.
std::optional<int64_t> ParseDecimalInt(const std::string& text);
std::optional<uint64_t> ParseDecimalUint(const std::string& text);
std::optional<double> ParseDecimalDouble(const std::string& text);

class JsonFields {
 public:
  // `context` prefixes every message ("" for none).
  JsonFields(const nlohmann::json& object, std::string context);

  // Ok when the value is an object, else "expected a JSON object, got array".
  Status CheckObject() const;
  bool Has(const std::string& name) const;
  // The field's value; an error when it is missing.
  Result<const nlohmann::json*> Field(const std::string& name) const;
  Result<std::string> String(const std::string& name) const;
  // A missing field reads as `fallback`; a present one must be a string.
  Result<std::string> OptionalString(const std::string& name, const std::string& fallback) const;
  Result<int64_t> Int(const std::string& name) const;

  // "<context>: <field>: <reason>" (or without the parts that are empty).
  Status Error(const std::string& field, const std::string& reason) const;
  // A Status from a nested decoder, put behind this reader's context and the field name.
  Status Nested(const std::string& field, const Status& inner) const;

 private:
  const nlohmann::json& object_;
  std::string context_;
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_JSON_FIELDS_H_
