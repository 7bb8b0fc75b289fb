#include "cachenode/protocol_parser.h"

#include <cctype>
#include <climits>
#include <cstring>
#include <string>

namespace mcscale {
namespace {

constexpr size_t kMetaMaxTokens = 20;   // memcached MFLAG_MAX_OPT_LENGTH
constexpr size_t kMaxOpaqueLength = 32;  // memcached MFLAG_MAX_OPAQUE_LENGTH

const char kBadFormat[] = "CLIENT_ERROR bad command line format";

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// strtoull/strtol's grammar on a token: blanks, sign, digits. Returns false when no digit
// or when the value overflows 64 bits; *end is the index after the digits.
bool ScanNumber(std::string_view s, uint64_t* magnitude, bool* negative, size_t* end) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  *negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    *negative = s[i] == '-';
    ++i;
  }
  uint64_t v = 0;
  size_t digits = 0;
  bool overflow = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) overflow = true;
    v = v * 10 + d;
  }
  if (digits == 0 || overflow) return false;
  // memcached accepts the number when the next character is a blank or the end.
  if (i < s.size() && !IsSpace(s[i])) return false;
  *magnitude = v;
  *end = i;
  return true;
}

}  // namespace

bool ParseProtocolU64(std::string_view token, uint64_t* out) {
  uint64_t v;
  bool neg;
  size_t end;
  if (!ScanNumber(token, &v, &neg, &end)) return false;
  if (neg) {
    v = 0 - v;
    if (static_cast<int64_t>(v) < 0) return false;  // a '-' that looks negative
  }
  *out = v;
  return true;
}

bool ParseProtocolU32(std::string_view token, uint32_t* out) {
  uint64_t v;
  if (!ParseProtocolU64(token, &v)) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool ParseProtocolI32(std::string_view token, int32_t* out) {
  uint64_t v;
  bool neg;
  size_t end;
  if (!ScanNumber(token, &v, &neg, &end)) return false;
  // strtol range check (64-bit long), then memcached truncates to int32.
  if (!neg && v > static_cast<uint64_t>(INT64_MAX)) return false;
  if (neg && v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
  int64_t l = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  *out = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(l)));
  return true;
}

namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

size_t Base64Decode(std::string_view in, char* out, size_t out_cap) {
  if (in.empty() || in.size() % 4 != 0) return 0;
  size_t n = 0;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + static_cast<size_t>(j)];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else {
        if (pad > 0) return 0;
        v[j] = Base64Value(c);
        if (v[j] < 0) return 0;
      }
    }
    uint32_t triple = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                      (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    int bytes = 3 - pad;
    for (int j = 0; j < bytes; ++j) {
      if (n >= out_cap) return 0;
      out[n++] = static_cast<char>((triple >> (16 - 8 * j)) & 0xFF);
    }
  }
  return n;
}

void Base64Append(std::string_view in, std::string* out) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t t = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out->push_back(kAlphabet[(t >> 18) & 63]);
    out->push_back(kAlphabet[(t >> 12) & 63]);
    out->push_back(kAlphabet[(t >> 6) & 63]);
    out->push_back(kAlphabet[t & 63]);
  }
  size_t left = in.size() - i;
  if (left > 0) {
    uint32_t t = static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << 16;
    if (left == 2) t |= static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1])) << 8;
    out->push_back(kAlphabet[(t >> 18) & 63]);
    out->push_back(kAlphabet[(t >> 12) & 63]);
    out->push_back(left == 2 ? kAlphabet[(t >> 6) & 63] : '=');
    out->push_back('=');
  }
}

namespace {

// memcached's tokenize_command: split on ' ' into at most kMaxTokens - 1 tokens; the
// terminal token (counted in ntokens) is the unparsed rest.
void Tokenize(std::string_view line, Request* req) {
  size_t n = 0;
  size_t i = 0;
  const size_t len = line.size();
  size_t start = 0;
  bool stopped = false;
  for (i = 0; i < len; ++i) {
    if (line[i] == ' ') {
      if (start != i) {
        req->tokens[n++] = line.substr(start, i - start);
        if (n == kMaxTokens - 1) {
          start = i + 1;
          stopped = true;
          break;
        }
      }
      start = i + 1;
    }
  }
  if (stopped) {
    req->rest = start < len ? line.substr(start) : std::string_view();
  } else {
    if (start < len) req->tokens[n++] = line.substr(start);
    req->rest = std::string_view();
  }
  req->ntokens = n + 1;
}

bool Is(std::string_view token, const char* word) { return token == word; }

// set_noreply_maybe: the last real token is "noreply".
bool NoreplyMaybe(const Request& req) {
  if (req.ntokens < 2) return false;
  return req.tokens[req.ntokens - 2] == "noreply";
}

void Fail(Request* req, const char* reply) {
  req->command = Command::kNone;
  req->error = reply;
}

// Parses the meta flags from tokens[first..ntokens-2] like memcached's _meta_flag_preparse.
// Returns null on success, else the error reply.
const char* ParseMetaFlags(Request* req, size_t first) {
  bool seen[128] = {false};
  const char* error = nullptr;
  MetaFlags& f = req->meta;
  for (size_t i = first; i + 1 < req->ntokens; ++i) {
    std::string_view t = req->tokens[i];
    unsigned char o = static_cast<unsigned char>(t[0]);
    if (o >= 127 || seen[o]) return "CLIENT_ERROR duplicate flag";
    seen[o] = true;
    std::string_view arg = t.substr(1);
    f.seen |= MetaFlags::Bit(static_cast<char>(o));
    switch (o) {
      case 'b': {
        size_t n = Base64Decode(req->key, req->key_buf, sizeof(req->key_buf));
        if (n == 0) error = "CLIENT_ERROR error decoding key";
        req->key = std::string_view(req->key_buf, n);
        break;
      }
      case 'N':
        if (!ParseProtocolI32(arg, &f.vivify_ttl)) error = "CLIENT_ERROR bad token in command line format";
        break;
      case 'T':
        if (!ParseProtocolI32(arg, &f.ttl)) error = "CLIENT_ERROR bad token in command line format";
        break;
      case 'R':
        if (!ParseProtocolI32(arg, &f.recache_ttl)) error = "CLIENT_ERROR bad token in command line format";
        break;
      case 'F':
        if (!ParseProtocolU32(arg, &f.client_flags)) error = error ? error : kBadFormat;
        break;
      case 'C':
        if (!ParseProtocolU64(arg, &f.compare_cas)) error = "CLIENT_ERROR bad token in command line format";
        break;
      case 'M':
        if (t.size() != 2) error = "CLIENT_ERROR incorrect length for M token";
        else f.mode = t[1];
        break;
      case 'J':
        if (!ParseProtocolU64(arg, &f.initial)) error = "CLIENT_ERROR invalid numeric initial value";
        break;
      case 'D':
        if (!ParseProtocolU64(arg, &f.delta)) error = "CLIENT_ERROR invalid numeric delta value";
        break;
      case 'O': case 'P': case 'L': case 'k': case 's': case 't': case 'c': case 'f':
      case 'v': case 'h': case 'u': case 'q': case 'l': case 'I':
        break;
      default:
        return "CLIENT_ERROR invalid flag";
    }
  }
  return error;
}

// An opaque (O) token longer than memcached allows.
bool OpaqueTooLong(const Request& req, size_t first) {
  for (size_t i = first; i + 1 < req.ntokens; ++i) {
    if (req.tokens[i][0] == 'O' && req.tokens[i].size() > kMaxOpaqueLength) return true;
  }
  return false;
}

}  // namespace

void ProtocolParser::ParseStore(const char* input, size_t len, size_t line_bytes, Command cmd, Request* req,
                                Status* status, size_t* consumed) const {
  *status = Status::kRequest;
  *consumed = line_bytes;
  const bool is_cas = cmd == Command::kCas;
  if (req->ntokens != (is_cas ? 7u : 6u) && req->ntokens != (is_cas ? 8u : 7u)) return Fail(req, "ERROR");
  req->noreply = NoreplyMaybe(*req);
  req->key = req->tokens[1];
  if (req->key.size() > kMaxKeyLength) return Fail(req, kBadFormat);
  int32_t vlen;
  if (!ParseProtocolU32(req->tokens[2], &req->flags) || !ParseProtocolI32(req->tokens[3], &req->exptime) ||
      !ParseProtocolI32(req->tokens[4], &vlen)) {
    return Fail(req, kBadFormat);
  }
  if (is_cas && !ParseProtocolU64(req->tokens[5], &req->number)) return Fail(req, kBadFormat);
  if (vlen < 0 || vlen > INT_MAX - 2) return Fail(req, kBadFormat);
  const size_t data_len = static_cast<size_t>(vlen);
  req->command = cmd;
  if (48 + 8 + req->key.size() + 1 + data_len + 2 + (req->flags != 0 ? 4 : 0) > item_size_max_) {
    req->too_large = true;
    req->swallow = data_len + 2;
    return;
  }
  size_t need = line_bytes + data_len + 2;
  if (len < need) {
    *status = Status::kNeedMore;
    *consumed = need;
    return;
  }
  *consumed = need;
  if (input[line_bytes + data_len] != '\r' || input[line_bytes + data_len + 1] != '\n') {
    return Fail(req, "CLIENT_ERROR bad data chunk");
  }
  req->data = std::string_view(input + line_bytes, data_len);
}

void ProtocolParser::ParseMetaSet(const char* input, size_t len, size_t line_bytes, Request* req, Status* status,
                                  size_t* consumed) const {
  *status = Status::kRequest;
  *consumed = line_bytes;
  if (req->ntokens < 3) return Fail(req, "ERROR");
  req->key = req->tokens[1];
  if (req->key.size() > kMaxKeyLength || req->ntokens == 3) return Fail(req, kBadFormat);
  if (req->ntokens > kMetaMaxTokens) return Fail(req, "CLIENT_ERROR options flags too long");
  int32_t vlen;
  if (!ParseProtocolI32(req->tokens[2], &vlen) || vlen < 0 || vlen > INT_MAX - 2) return Fail(req, kBadFormat);
  const size_t data_len = static_cast<size_t>(vlen);
  // From here on an error swallows the data block.
  const char* error = ParseMetaFlags(req, 3);
  if (error == nullptr && OpaqueTooLong(*req, 3)) error = "CLIENT_ERROR opaque token too long";
  if (error == nullptr) {
    char m = req->meta.mode;
    if (m != 0 && m != 'E' && m != 'A' && m != 'P' && m != 'R' && m != 'S') {
      error = "CLIENT_ERROR invalid mode for ms M token";
    }
  }
  if (error != nullptr) {
    Fail(req, error);
    req->swallow = data_len + 2;
    return;
  }
  req->command = Command::kMetaSet;
  req->noreply = req->meta.Has('q');
  req->flags = req->meta.client_flags;
  if (48 + 8 + req->key.size() + 1 + data_len + 2 + (req->flags != 0 ? 4 : 0) > item_size_max_) {
    req->too_large = true;
    req->swallow = data_len + 2;
    return;
  }
  size_t need = line_bytes + data_len + 2;
  if (len < need) {
    *status = Status::kNeedMore;
    *consumed = need;
    return;
  }
  *consumed = need;
  if (input[line_bytes + data_len] != '\r' || input[line_bytes + data_len + 1] != '\n') {
    req->noreply = false;
    return Fail(req, "CLIENT_ERROR bad data chunk");
  }
  req->data = std::string_view(input + line_bytes, data_len);
}

ProtocolParser::Status ProtocolParser::Parse(const char* input, size_t len, Request* req, size_t* consumed) const {
  *consumed = 0;
  const char* nl = static_cast<const char*>(std::memchr(input, '\n', len));
  if (nl == nullptr) {
    if (len > kMaxLineWithoutNewline) {
      // Only a large multi-get may have a line this long (memcached's rule).
      size_t i = 0;
      while (i < len && input[i] == ' ') ++i;
      std::string_view head(input + i, len - i);
      if (i > 100 || (head.substr(0, 4) != "get " && head.substr(0, 5) != "gets ")) return Status::kClose;
      if (len > kMaxGetLine) return Status::kClose;
    }
    return Status::kNeedMore;
  }
  const size_t line_bytes = static_cast<size_t>(nl - input) + 1;
  size_t content = line_bytes - 1;
  if (content > 1 && input[content - 1] == '\r') --content;
  std::string_view line(input, content);
  if (const void* nul = std::memchr(line.data(), '\0', line.size())) {
    line = line.substr(0, static_cast<size_t>(static_cast<const char*>(nul) - line.data()));
  }

  req->command = Command::kNone;
  req->error = nullptr;
  req->swallow = 0;
  req->noreply = false;
  req->too_large = false;
  req->key = req->keys = req->data = std::string_view();
  req->flags = 0;
  req->exptime = 0;
  req->number = 0;
  req->meta = MetaFlags();
  Tokenize(line, req);

  *consumed = line_bytes;
  const size_t nt = req->ntokens;
  if (nt < 2 || req->tokens[0].size() < 2) {
    Fail(req, "ERROR");
    return Status::kRequest;
  }
  std::string_view cmd = req->tokens[0];
  const char first = cmd[0];

  if (first == 'm' && cmd.size() == 2) {
    switch (cmd[1]) {
      case 'n':
        req->command = Command::kMetaNoop;
        return Status::kRequest;
      case 's': {
        Status st;
        ParseMetaSet(input, len, line_bytes, req, &st, consumed);
        return st;
      }
      case 'e':
        if (nt < 3 || req->tokens[1].size() > kMaxKeyLength) {
          Fail(req, kBadFormat);
          return Status::kRequest;
        }
        req->key = req->tokens[1];
        if (nt >= 4 && req->tokens[2] == "b") {
          size_t n = Base64Decode(req->key, req->key_buf, sizeof(req->key_buf));
          if (n == 0) {
            Fail(req, kBadFormat);
            return Status::kRequest;
          }
          req->key = std::string_view(req->key_buf, n);
        }
        req->command = Command::kMetaDebug;
        return Status::kRequest;
      case 'g':
      case 'd':
      case 'a': {
        if (nt < 3) {
          Fail(req, "ERROR");
          return Status::kRequest;
        }
        req->key = req->tokens[1];
        if (req->key.size() > kMaxKeyLength) {
          Fail(req, kBadFormat);
          return Status::kRequest;
        }
        if (nt > kMetaMaxTokens) {
          Fail(req, cmd[1] == 'g' ? "CLIENT_ERROR options flags are too long" : "CLIENT_ERROR options flags too long");
          return Status::kRequest;
        }
        const char* error = ParseMetaFlags(req, 2);
        if (error != nullptr) {
          Fail(req, cmd[1] == 'g' ? error : "CLIENT_ERROR invalid or duplicate flag");
          return Status::kRequest;
        }
        if (OpaqueTooLong(*req, 2)) {
          Fail(req, "CLIENT_ERROR opaque token too long");
          return Status::kRequest;
        }
        if (cmd[1] == 'a') {
          char m = req->meta.mode;
          if (m != 0 && m != 'I' && m != '+' && m != 'D' && m != '-') {
            Fail(req, "CLIENT_ERROR invalid mode for ma M token");
            return Status::kRequest;
          }
        }
        req->noreply = req->meta.Has('q');
        req->command = cmd[1] == 'g' ? Command::kMetaGet : cmd[1] == 'd' ? Command::kMetaDelete
                                                                         : Command::kMetaArithmetic;
        return Status::kRequest;
      }
      default:
        Fail(req, "ERROR");
        return Status::kRequest;
    }
  }

  Status status = Status::kRequest;
  if (first == 'g') {
    if (nt < 3) {
      Fail(req, "ERROR");
      return status;
    }
    Command c;
    if (Is(cmd, "get")) c = Command::kGet;
    else if (Is(cmd, "gets")) c = Command::kGets;
    else if (Is(cmd, "gat")) c = Command::kGat;
    else if (Is(cmd, "gats")) c = Command::kGats;
    else {
      Fail(req, "ERROR");
      return status;
    }
    size_t key_start = 1;
    if (c == Command::kGat || c == Command::kGats) {
      if (!ParseProtocolI32(req->tokens[1], &req->exptime)) {
        Fail(req, "CLIENT_ERROR invalid exptime argument");
        return status;
      }
      key_start = 2;
    }
    // The keys run from the key token to the end of the line.
    const char* begin = key_start + 1 < nt ? req->tokens[key_start].data()
                                          : (req->rest.data() ? req->rest.data() : line.data() + line.size());
    req->keys = std::string_view(begin, static_cast<size_t>(line.data() + line.size() - begin));
    size_t i = 0;
    const std::string_view keys = req->keys;
    while (i < keys.size()) {
      while (i < keys.size() && keys[i] == ' ') ++i;
      size_t j = i;
      while (j < keys.size() && keys[j] != ' ') ++j;
      if (j - i > kMaxKeyLength) {
        Fail(req, kBadFormat);
        return status;
      }
      i = j;
    }
    req->command = c;
    return status;
  }

  if (Is(cmd, "set") || Is(cmd, "add") || Is(cmd, "append") || Is(cmd, "cas") || Is(cmd, "replace") ||
      Is(cmd, "prepend")) {
    Command c = Is(cmd, "set") ? Command::kSet : Is(cmd, "add") ? Command::kAdd : Is(cmd, "append") ? Command::kAppend
              : Is(cmd, "cas") ? Command::kCas : Is(cmd, "replace") ? Command::kReplace : Command::kPrepend;
    ParseStore(input, len, line_bytes, c, req, &status, consumed);
    return status;
  }
  if (Is(cmd, "incr") || Is(cmd, "decr")) {
    if (nt != 4 && nt != 5) return Fail(req, "ERROR"), status;
    req->noreply = NoreplyMaybe(*req);
    req->key = req->tokens[1];
    if (req->key.size() > kMaxKeyLength) return Fail(req, kBadFormat), status;
    if (!ParseProtocolU64(req->tokens[2], &req->number)) {
      return Fail(req, "CLIENT_ERROR invalid numeric delta argument"), status;
    }
    req->command = Is(cmd, "incr") ? Command::kIncr : Command::kDecr;
    return status;
  }
  if (Is(cmd, "delete")) {
    if (nt < 3 || nt > 5) return Fail(req, "ERROR"), status;
    if (nt > 3) {
      bool hold_is_zero = req->tokens[2] == "0";
      req->noreply = NoreplyMaybe(*req);
      bool valid = (nt == 4 && (hold_is_zero || req->noreply)) || (nt == 5 && hold_is_zero && req->noreply);
      if (!valid) return Fail(req, "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"), status;
    }
    req->key = req->tokens[1];
    if (req->key.size() > kMaxKeyLength) return Fail(req, kBadFormat), status;
    req->command = Command::kDelete;
    return status;
  }
  if (Is(cmd, "touch")) {
    if (nt != 4 && nt != 5) return Fail(req, "ERROR"), status;
    req->noreply = NoreplyMaybe(*req);
    req->key = req->tokens[1];
    if (req->key.size() > kMaxKeyLength) return Fail(req, kBadFormat), status;
    if (!ParseProtocolI32(req->tokens[2], &req->exptime)) {
      return Fail(req, "CLIENT_ERROR invalid exptime argument"), status;
    }
    req->command = Command::kTouch;
    return status;
  }
  if (Is(cmd, "stats")) {
    req->command = Command::kStats;
    return status;
  }
  if (Is(cmd, "flush_all")) {
    if (nt < 2 || nt > 4) return Fail(req, "ERROR"), status;
    req->noreply = NoreplyMaybe(*req);
    if (nt != (req->noreply ? 3u : 2u)) {
      if (!ParseProtocolI32(req->tokens[1], &req->exptime)) {
        return Fail(req, "CLIENT_ERROR invalid exptime argument"), status;
      }
    }
    req->command = Command::kFlushAll;
    return status;
  }
  if (Is(cmd, "version")) {
    req->command = Command::kVersion;
    return status;
  }
  if (Is(cmd, "quit")) {
    req->command = Command::kQuit;
    return status;
  }
  if (Is(cmd, "verbosity")) {
    if (nt != 3 && nt != 4) return Fail(req, "ERROR"), status;
    req->noreply = NoreplyMaybe(*req);
    uint32_t level;
    if (!ParseProtocolU32(req->tokens[1], &level)) return Fail(req, kBadFormat), status;
    req->number = level;
    req->command = Command::kVerbosity;
    return status;
  }
  if (Is(cmd, "cache_memlimit")) {
    if (nt != 3 && nt != 4) return Fail(req, "ERROR"), status;
    req->noreply = NoreplyMaybe(*req);
    uint32_t mb;
    if (!ParseProtocolU32(req->tokens[1], &mb)) return Fail(req, "ERROR"), status;
    if (mb < 8) return Fail(req, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m"), status;
    if (mb > 1000000000) return Fail(req, "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes"), status;
    req->number = mb;
    req->command = Command::kCacheMemlimit;
    return status;
  }
  if (Is(cmd, "eviction_policy")) {
    if (nt != 3 && nt != 4) return Fail(req, "ERROR"), status;
    req->noreply = NoreplyMaybe(*req);
    req->key = req->tokens[1];
    req->command = Command::kEvictionPolicy;
    return status;
  }
  if (Is(cmd, "lru_crawler")) {
    if (nt == 4 && req->tokens[1] == "metadump") {
      req->key = req->tokens[2];
      req->command = Command::kLruCrawlerMetadump;
    } else if ((nt == 4 && (req->tokens[1] == "crawl" || req->tokens[1] == "tocrawl" || req->tokens[1] == "sleep")) ||
               (nt == 3 && (req->tokens[1] == "enable" || req->tokens[1] == "disable"))) {
      req->command = Command::kLruCrawlerOk;
    } else {
      Fail(req, "ERROR");
    }
    return status;
  }
  if (Is(cmd, "shutdown")) return Fail(req, "ERROR: shutdown not enabled"), status;
  if (req->tokens[nt - 2].substr(0, 5) == "HTTP/") return Status::kClose;
  Fail(req, "ERROR");
  return status;
}

}  // namespace mcscale
