#include "bench/reply_parser.h"

namespace mcscale::bench {
namespace {

constexpr size_t kMaxLine = 2048;  // longest first line we wait for before calling it garbage

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// The position of the '\n' ending the line that starts at `pos`, or npos.
size_t LineEnd(std::string_view buf, size_t pos) { return buf.find('\n', pos); }

std::string_view Trim(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// "VALUE <key> <flags> <bytes> [<cas>]" -> bytes; false when malformed.
bool ValueBytes(std::string_view line, uint64_t* bytes) {
  int field = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (start == i) break;
    if (field == 3) {
      uint64_t v = 0;
      for (size_t j = start; j < i; ++j) {
        char c = line[j];
        if (c < '0' || c > '9' || v > (1ULL << 40)) return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      *bytes = v;
      return true;
    }
    ++field;
  }
  return false;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += (c >= ' ' && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

ReplyParser::Outcome ReplyParser::Parse(std::string_view buf, Reply* reply, size_t* consumed,
                                        std::string* error) {
  size_t end = LineEnd(buf, 0);
  if (end == std::string_view::npos) {
    if (buf.size() > kMaxLine) {
      *error = "reply line longer than " + std::to_string(kMaxLine) + " bytes: '" + Printable(buf) + "'";
      return Outcome::kInvalid;
    }
    return Outcome::kNeedMore;
  }
  std::string_view line = Trim(buf.substr(0, end));
  reply->line = line;
  reply->values = 0;
  size_t pos = end + 1;

  struct Simple {
    std::string_view text;
    Kind kind;
    bool prefix;
  };
  static constexpr Simple kSimple[] = {
      {"STORED", Kind::kStored, false},          {"END", Kind::kValues, false},
      {"NOT_STORED", Kind::kNotStored, false},   {"EXISTS", Kind::kExists, false},
      {"NOT_FOUND", Kind::kNotFound, false},     {"ERROR", Kind::kError, true},
      {"CLIENT_ERROR", Kind::kClientError, true}, {"SERVER_ERROR", Kind::kServerError, true},
  };
  for (const Simple& s : kSimple) {
    if (s.prefix ? StartsWith(line, s.text) : line == s.text) {
      reply->kind = s.kind;
      *consumed = pos;
      return Outcome::kReply;
    }
  }
  if (!StartsWith(line, "VALUE ")) {
    *error = "unexpected reply '" + Printable(line) + "'";
    return Outcome::kInvalid;
  }

  // VALUE blocks until END.
  reply->kind = Kind::kValues;
  uint32_t values = 0;
  while (true) {
    uint64_t bytes = 0;
    if (!ValueBytes(line, &bytes)) {
      *error = "malformed VALUE line '" + Printable(line) + "'";
      return Outcome::kInvalid;
    }
    if (buf.size() < pos + bytes + 2) return Outcome::kNeedMore;
    if (buf[pos + bytes] != '\r' || buf[pos + bytes + 1] != '\n') {
      *error = "value of " + std::to_string(bytes) + " bytes not followed by CRLF";
      return Outcome::kInvalid;
    }
    pos += bytes + 2;
    ++values;
    end = LineEnd(buf, pos);
    if (end == std::string_view::npos) return Outcome::kNeedMore;
    line = Trim(buf.substr(pos, end - pos));
    pos = end + 1;
    if (line == "END") break;
    if (!StartsWith(line, "VALUE ")) {
      *error = "expected VALUE or END, got '" + Printable(line) + "'";
      return Outcome::kInvalid;
    }
  }
  reply->values = values;
  *consumed = pos;
  return Outcome::kReply;
}

}  // namespace mcscale::bench
