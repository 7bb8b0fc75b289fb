#include "frontend/file_service/multipart_parser.h"

#include <utility>

namespace mcscale {

namespace {

constexpr std::string_view kCrlf = "\r\n";

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 7230 token characters.
bool IsTokenChar(char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A header value of the form `first *( ";" name "=" ( token / quoted-string ) )`:
// Content-Type and Content-Disposition share it. Parameter names are lower-cased.
struct HeaderValue {
  std::string first;
  std::vector<std::pair<std::string, std::string>> params;

  const std::string* Param(std::string_view name) const {
    for (const auto& [k, v] : params)
      if (k == name) return &v;
    return nullptr;
  }
};

Result<HeaderValue> ParseHeaderValue(std::string_view text, std::string_view what) {
  HeaderValue out;
  size_t pos = text.find(';');
  out.first = std::string(Trim(text.substr(0, pos)));
  while (pos != std::string_view::npos && pos < text.size()) {
    ++pos;  // past ';'
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos == text.size()) break;  // a trailing ';'
    size_t name_start = pos;
    while (pos < text.size() && IsTokenChar(text[pos])) ++pos;
    std::string name(text.substr(name_start, pos - name_start));
    if (name.empty() || pos == text.size() || text[pos] != '=')
      return Status::Invalid(std::string(what) + ": malformed parameter");
    for (char& c : name) c = Lower(c);
    ++pos;  // past '='
    std::string value;
    if (pos < text.size() && text[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < text.size()) {
        char c = text[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && pos < text.size()) c = text[pos++];
        value.push_back(c);
      }
      if (!closed) return Status::Invalid(std::string(what) + ": unterminated quoted string in parameter " + name);
    } else {
      size_t value_start = pos;
      while (pos < text.size() && IsTokenChar(text[pos])) ++pos;
      value = std::string(text.substr(value_start, pos - value_start));
    }
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos < text.size() && text[pos] != ';')
      return Status::Invalid(std::string(what) + ": malformed parameter " + name);
    out.params.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space (not last).
bool IsBoundaryChar(char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

}  // namespace

MultipartParser::MultipartParser(std::string boundary, MultipartLimits limits)
    : delimiter_("\r\n--" + std::move(boundary)), limits_(limits) {}

Result<std::string> MultipartParser::BoundaryOf(std::string_view content_type) {
  auto value = ParseHeaderValue(content_type, "Content-Type");
  if (!value.ok()) return value.status();
  if (!EqualsNoCase(value->first, "multipart/form-data"))
    return Status::Invalid("Content-Type: expected multipart/form-data, got '" +
                           std::string(content_type.substr(0, 100)) + "'");
  const std::string* boundary = value->Param("boundary");
  if (boundary == nullptr || boundary->empty()) return Status::Invalid("Content-Type: no boundary parameter");
  if (boundary->size() > 70) return Status::Invalid("Content-Type: boundary longer than 70 characters");
  for (char c : *boundary)
    if (!IsBoundaryChar(c)) return Status::Invalid("Content-Type: boundary has a character RFC 2046 does not allow");
  if (boundary->back() == ' ') return Status::Invalid("Content-Type: boundary ends with a space");
  return *boundary;
}

Status MultipartParser::ParseHeaders(std::string_view block, MultipartPart* part) const {
  bool disposition = false;
  while (!block.empty()) {
    size_t end = block.find(kCrlf);
    std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + kCrlf.size());
    if (line.front() == ' ' || line.front() == '\t') return Status::Invalid("body: folded part header lines are not allowed");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Status::Invalid("body: malformed part header line");
    std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!IsTokenChar(c)) return Status::Invalid("body: malformed part header name");
    std::string_view value = Trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return Status::Invalid("body: control character in a part header");
    if (EqualsNoCase(name, "Content-Disposition")) {
      if (disposition) return Status::Invalid("body: a part has two Content-Disposition headers");
      disposition = true;
      auto v = ParseHeaderValue(value, "Content-Disposition");
      if (!v.ok()) return Status::Invalid("body: " + v.status().message());
      if (!EqualsNoCase(v->first, "form-data"))
        return Status::Invalid("body: a part's Content-Disposition is not form-data");
      const std::string* field = v->Param("name");
      if (field == nullptr || field->empty()) return Status::Invalid("body: a part has no field name");
      part->name = *field;
      if (const std::string* filename = v->Param("filename")) {
        part->has_filename = true;
        part->filename = *filename;
      }
    } else if (EqualsNoCase(name, "Content-Type")) {
      part->content_type = std::string(value);
    }
  }
  if (!disposition) return Status::Invalid("body: a part has no Content-Disposition header");
  return Status::Ok();
}

Result<std::vector<MultipartPart>> MultipartParser::Parse(std::string_view body) const {
  const std::string_view delimiter(delimiter_);
  const std::string_view dash_boundary = delimiter.substr(kCrlf.size());  // "--" boundary
  size_t pos;
  if (body.substr(0, dash_boundary.size()) == dash_boundary) {
    pos = dash_boundary.size();
  } else {
    size_t first = body.find(delimiter);  // after a preamble
    if (first == std::string_view::npos) return Status::Invalid("body: not multipart (no opening boundary)");
    pos = first + delimiter.size();
  }
  std::vector<MultipartPart> parts;
  while (true) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter; the epilogue is ignored
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, kCrlf.size()) != kCrlf) return Status::Invalid("body: malformed boundary line");
    pos += kCrlf.size();
    if (parts.size() == limits_.max_parts)
      return Status::Invalid("body: more than " + std::to_string(limits_.max_parts) + " parts");

    std::string_view block;
    if (body.substr(pos, kCrlf.size()) == kCrlf) {
      pos += kCrlf.size();  // no headers at all (ParseHeaders rejects it below)
    } else {
      size_t end = body.find("\r\n\r\n", pos);
      bool too_long = (end == std::string_view::npos ? body.size() : end) - pos > limits_.max_header_bytes;
      if (too_long)
        return Status::Invalid("body: a part's headers are longer than " +
                               std::to_string(limits_.max_header_bytes) + " bytes");
      if (end == std::string_view::npos) return Status::Invalid("body: a part's headers are not terminated");
      block = body.substr(pos, end - pos);
      pos = end + 4;
    }
    MultipartPart part;
    Status st = ParseHeaders(block, &part);
    if (!st.ok()) return st;
    size_t next = body.find(delimiter, pos);
    if (next == std::string_view::npos)
      return Status::Invalid("body: part '" + part.name.substr(0, 100) + "' is not closed by a boundary");
    part.data = body.substr(pos, next - pos);
    parts.push_back(std::move(part));
    pos = next + delimiter.size();
  }
}

}  // namespace mcscale
