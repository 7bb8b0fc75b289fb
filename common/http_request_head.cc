#include "common/http_request_head.h"

#include <algorithm>

namespace mcscale {

namespace {

using Outcome = HttpHeadParse::Outcome;

// RFC 9110 tchar: the characters of a method or a field name.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsTokenChar(c); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Printable text for a message: at most 40 bytes, controls and non-ASCII as \xNN.
std::string Quote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 40; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 40) out += "...";
  return out + "'";
}

HttpHeadParse Refuse(int status, std::string error) {
  HttpHeadParse r;
  r.outcome = Outcome::kRefused;
  r.status = status;
  r.error = std::move(error);
  return r;
}

// "HTTP/1.1" -> minor version; -1 when malformed, -2 for a well-formed other version.
int ParseVersion(std::string_view v) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
      v[7] > '9')
    return -1;
  if (v[5] != '1' || v[7] > '1') return -2;
  return v[7] - '0';
}

// Splits "a, b ,c" into lower-cased trimmed tokens.
std::vector<std::string> ListTokens(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma));
    if (!item.empty()) out.push_back(Lower(item));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// The request line: METHOD SP target SP HTTP/1.x.
std::string ParseRequestLine(std::string_view line, HttpRequestHead* head, int* status) {
  *status = 400;
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return "request line: expected 'METHOD TARGET HTTP/1.1', got " + Quote(line);
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return "request line: method " + Quote(method) + " is not a token";
  int minor = ParseVersion(version);
  if (minor == -1) return "request line: version " + Quote(version) + " is not HTTP/1.0 or HTTP/1.1";
  if (minor == -2) {
    *status = 505;
    return "request line: version " + Quote(version) + " is not supported (HTTP/1.0 and HTTP/1.1 are)";
  }
  if (target.empty()) return "request line: empty target";
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return "request line: target " + Quote(target) + " has a control character";
  std::string_view origin = target;
  // Absolute form (to a proxy): keep the path of http://authority/path.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() >= scheme.size() && Lower(origin.substr(0, scheme.size())) == scheme) {
      size_t slash = origin.find_first_of("/?", scheme.size());
      origin = slash == std::string_view::npos ? std::string_view("/") : origin.substr(slash);
      break;
    }
  }
  if (origin != "*" && origin.front() != '/' && origin.front() != '?')
    return "request line: target " + Quote(target) + " does not start with '/'";
  size_t question = origin.find('?');
  head->method = std::string(method);
  head->target = std::string(target);
  head->path = std::string(origin.substr(0, question));
  if (head->path.empty()) head->path = "/";
  head->query = question == std::string_view::npos ? "" : std::string(origin.substr(question + 1));
  head->minor_version = minor;
  return "";
}

// Checks the fields and fills in the body length, keep-alive and expectation.
HttpHeadParse Interpret(HttpHeadParse r) {
  HttpRequestHead& h = r.head;
  bool has_length = false, close = false, keep_alive = false;
  for (const auto& [name, value] : h.fields) {
    if (name == "content-length") {
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return Refuse(400, "Content-Length: " + Quote(value) + " is not a byte count");
      int64_t n = std::stoll(value);
      if (has_length && n != h.content_length)
        return Refuse(400, "Content-Length: sent twice with different values");
      has_length = true;
      h.content_length = n;
    } else if (name == "transfer-encoding") {
      std::vector<std::string> codings = ListTokens(value);
      if (codings.empty() || codings.back() != "chunked")
        return Refuse(501, "Transfer-Encoding: " + Quote(value) + " is not supported; send Content-Length");
      if (h.Find("content-length") != nullptr)
        return Refuse(400, "Transfer-Encoding: sent with Content-Length; send only Content-Length");
      return Refuse(411, "Transfer-Encoding: chunked bodies are not accepted; send Content-Length");
    } else if (name == "connection") {
      for (const std::string& token : ListTokens(value)) {
        close = close || token == "close";
        keep_alive = keep_alive || token == "keep-alive";
      }
    } else if (name == "expect" && h.minor_version >= 1) {  // HTTP/1.0 ignores Expect
      if (Lower(value) != "100-continue")
        return Refuse(417, "Expect: " + Quote(value) + " is not supported (only 100-continue is)");
      h.expect_continue = true;
    }
  }
  h.keep_alive = !close && (h.minor_version >= 1 || keep_alive);
  return r;
}

}  // namespace

const std::string* HttpRequestHead::Find(std::string_view lower_name) const {
  for (const auto& [name, value] : fields)
    if (name == lower_name) return &value;
  return nullptr;
}

HttpHeadParse HttpRequestHead::Parse(std::string_view data, size_t max_head_bytes) {
  HttpHeadParse r;
  size_t pos = 0;
  // Empty lines before the request line are skipped (and do not count against the limit).
  while (pos < data.size() && (data[pos] == '\r' || data[pos] == '\n')) ++pos;
  const size_t start = pos;
  bool in_request_line = true;
  while (true) {
    size_t eol = data.find('\n', pos);
    size_t limit_end = (eol == std::string_view::npos ? data.size() : eol + 1) - start;
    if (limit_end > max_head_bytes) {
      if (in_request_line)
        return Refuse(414, "request line: longer than " + std::to_string(max_head_bytes) + " bytes");
      return Refuse(431, "header fields: longer than " + std::to_string(max_head_bytes) + " bytes in all");
    }
    if (eol == std::string_view::npos) return r;  // kIncomplete
    std::string_view line = data.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol + 1;
    if (in_request_line) {
      int status = 400;
      std::string error = ParseRequestLine(line, &r.head, &status);
      if (!error.empty()) return Refuse(status, error);
      in_request_line = false;
      continue;
    }
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t')
      return Refuse(400, "header fields: a line starts with whitespace (obsolete line folding)");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return Refuse(400, "header fields: " + Quote(line) + " has no ':'");
    std::string_view name = line.substr(0, colon);
    if (!IsToken(name)) return Refuse(400, "header fields: name " + Quote(name) + " is not a token");
    std::string_view value = Trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return Refuse(400, std::string(name) + ": value has a control character");
    r.head.fields.emplace_back(Lower(name), std::string(value));
  }
  r.outcome = Outcome::kComplete;
  r.head_bytes = pos;
  return Interpret(std::move(r));
}

}  // namespace mcscale
