#include "common/memcache_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "common/clock.h"

namespace mcscale {

namespace {

constexpr size_t kMaxKeysPerGet = 100;
constexpr size_t kMaxKeyLength = 250;
// A reply line longer than this means the stream is out of step (metadump lines, the
// longest legitimate ones, stay under 1 KB).
constexpr size_t kMaxLineLength = 64 * 1024;
// memcached's largest configurable item (-I) is 1 GB; a longer data block is a desync.
constexpr uint64_t kMaxValueLength = 1ull << 30;
constexpr size_t kRecvChunk = 64 * 1024;
constexpr int64_t kBusyRetryMs = 100;

int64_t MonoMs() { return Clock::Real()->MonoMs(); }

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

// A key or reply as it can be shown in a message: control bytes escaped, long ones cut.
std::string Printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

Status InvalidKey(const std::string& key) {
  return Status::Invalid("invalid cache key '" + Printable(key) + "' (" + std::to_string(key.size()) +
                         " bytes; must be 1..250 bytes without spaces or control characters)");
}

// Meta flags and command lines go on the wire as they are: no CR, LF or other control bytes.
bool ValidTokens(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool ParseInt64(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

bool ParseUint64(const std::string& s, uint64_t* out) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Error replies every command may get instead of its own.
bool IsErrorReply(const std::string& line) {
  return line == "ERROR" || StartsWith(line, "ERROR ") || StartsWith(line, "CLIENT_ERROR") ||
         StartsWith(line, "SERVER_ERROR");
}

// The answers to `lru_crawler metadump` that mean "another dump is running, try again".
bool IsCrawlerBusy(const std::string& line) {
  return StartsWith(line, "BUSY") || line == "ERROR an unknown error happened";
}

}  // namespace

bool ValidCacheKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxKeyLength) return false;
  for (unsigned char c : key)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

std::string UrlDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Result<MetadumpEntry> ParseMetadumpLine(const std::string& line) {
  MetadumpEntry e;
  bool have_key = false;
  for (const std::string& tok : SplitSpaces(line)) {
    size_t eq = tok.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::Protocol("metadump field '" + Printable(tok) + "' is not NAME=VALUE in '" + Printable(line) + "'");
    std::string name = tok.substr(0, eq);
    std::string value = tok.substr(eq + 1);
    bool ok = true;
    if (name == "key") {
      e.key = UrlDecode(value);
      have_key = !e.key.empty();
    } else if (name == "exp") {
      ok = ParseInt64(value, &e.exp);
    } else if (name == "la") {
      ok = ParseInt64(value, &e.la);
    } else if (name == "cas") {
      ok = ParseUint64(value, &e.cas);
    } else if (name == "fetch") {
      ok = value == "yes" || value == "no";
      e.fetched = value == "yes";
    } else if (name == "cls") {
      int64_t v = 0;
      ok = ParseInt64(value, &v) && v >= 0 && v < 1024;
      e.cls = static_cast<int>(v);
    } else if (name == "size") {
      ok = ParseInt64(value, &e.size) && e.size >= 0;
    }
    if (!ok)
      return Status::Protocol("metadump field '" + name + "' has a malformed value '" + Printable(value) +
                              "' in '" + Printable(line) + "'");
  }
  if (!have_key) return Status::Protocol("metadump line without a key: '" + Printable(line) + "'");
  return e;
}

Result<MetaReply> ParseMetaReplyLine(const std::string& line, size_t* value_len) {
  *value_len = 0;
  if (IsErrorReply(line)) return Status::Protocol("error reply '" + Printable(line) + "'");
  std::vector<std::string> toks = SplitSpaces(line);
  if (toks.empty() || toks[0].size() != 2)
    return Status::Protocol("malformed meta reply '" + Printable(line) + "'");
  MetaReply reply;
  reply.code = toks[0];
  static const char* const kCodes[] = {"VA", "HD", "EN", "NS", "EX", "NF", "MN"};
  bool known = false;
  for (const char* code : kCodes) known = known || reply.code == code;
  if (!known) return Status::Protocol("unknown meta reply code in '" + Printable(line) + "'");
  size_t first_flag = 1;
  if (reply.code == "VA") {
    uint64_t len = 0;
    if (toks.size() < 2 || !ParseUint64(toks[1], &len) || len > kMaxValueLength)
      return Status::Protocol("meta reply VA without a valid length: '" + Printable(line) + "'");
    *value_len = static_cast<size_t>(len);
    first_flag = 2;
  }
  for (size_t i = first_flag; i < toks.size(); ++i) reply.flags[toks[i][0]] = toks[i].substr(1);
  return reply;
}

MemcacheClient::MemcacheClient(HostPort address, int64_t timeout_ms)
    : address_(std::move(address)), timeout_ms_(timeout_ms) {}

MemcacheClient::~MemcacheClient() { Close(); }

MemcacheClient::MemcacheClient(MemcacheClient&& other) noexcept
    : address_(std::move(other.address_)),
      timeout_ms_(other.timeout_ms_),
      fd_(std::exchange(other.fd_, -1)),
      rbuf_(std::move(other.rbuf_)),
      rpos_(std::exchange(other.rpos_, 0)),
      deadline_ms_(other.deadline_ms_) {
  other.rbuf_.clear();
}

void MemcacheClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  rbuf_.clear();
  rpos_ = 0;
}

Status MemcacheClient::Fail(Status st) {
  Close();
  return st;
}

void MemcacheClient::StartCall() { deadline_ms_ = MonoMs() + timeout_ms_; }

Status MemcacheClient::TimeoutStatus(const char* what) const {
  return Status::Timeout(std::string(what) + " " + address_.ToString() + " within " +
                         std::to_string(timeout_ms_) + " ms");
}

Status MemcacheClient::EnsureConnected() {
  if (fd_ >= 0) {
    // An idle connection with something to read was closed by the server (restart, idle
    // timeout) or is out of step: start over rather than send into it.
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    if (rpos_ == rbuf_.size() && ::poll(&p, 1, 0) == 0) return Status::Ok();
    Close();
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(address_.port);
  int gai = ::getaddrinfo(address_.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0)
    return Status::Io("cannot resolve " + address_.ToString() + ": " + gai_strerror(gai));
  Status last = Status::Io("no address for " + address_.ToString());
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last = Status::Io("socket: " + std::string(strerror(errno)));
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      while (true) {
        int64_t left = deadline_ms_ - MonoMs();
        if (left <= 0) {
          rc = -1;
          errno = ETIMEDOUT;
          break;
        }
        pollfd p{fd, POLLOUT, 0};
        int n = ::poll(&p, 1, static_cast<int>(left));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;  // re-checks the deadline
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
        break;
      }
    }
    if (rc != 0) {
      int err = errno;
      ::close(fd);
      if (err == ETIMEDOUT) {
        ::freeaddrinfo(res);
        return TimeoutStatus("could not connect to");
      }
      last = Status::Io("connect to " + address_.ToString() + ": " + strerror(err));
      continue;
    }
    // Blocking from here on; every send and recv is MSG_DONTWAIT after a poll, so the
    // deadline bounds each call.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
    rbuf_.clear();
    rpos_ = 0;
    ::freeaddrinfo(res);
    return Status::Ok();
  }
  ::freeaddrinfo(res);
  return last;
}

Status MemcacheClient::ReceiveAvailable() {
  if (rpos_ == rbuf_.size()) {
    rbuf_.clear();
    rpos_ = 0;
  } else if (rpos_ > kRecvChunk && rpos_ * 2 > rbuf_.size()) {
    rbuf_.erase(0, rpos_);
    rpos_ = 0;
  }
  while (true) {
    size_t old = rbuf_.size();
    rbuf_.resize(old + kRecvChunk);
    ssize_t n = ::recv(fd_, &rbuf_[old], kRecvChunk, MSG_DONTWAIT);
    rbuf_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n > 0) return Status::Ok();
    if (n == 0) return Fail(Status::Io("connection closed by " + address_.ToString()));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
    return Fail(Status::Io("recv from " + address_.ToString() + ": " + strerror(errno)));
  }
}

Status MemcacheClient::Fill() {
  size_t before = rbuf_.size() - rpos_;
  while (true) {
    int64_t left = deadline_ms_ - MonoMs();
    if (left <= 0) return Fail(TimeoutStatus("no reply from"));
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno != EINTR)
      return Fail(Status::Io("poll on " + address_.ToString() + ": " + strerror(errno)));
    if (n <= 0) continue;
    Status st = ReceiveAvailable();
    if (!st.ok()) return st;
    if (rbuf_.size() - rpos_ > before) return Status::Ok();
  }
}

Status MemcacheClient::WriteAll(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return Fail(Status::Io("send to " + address_.ToString() + ": " + strerror(errno)));
    // The socket buffer is full. Read the replies that are already coming back meanwhile,
    // or a long pipeline would fill both directions and neither side could go on.
    int64_t left = deadline_ms_ - MonoMs();
    if (left <= 0) return Fail(TimeoutStatus("could not send to"));
    pollfd p{fd_, POLLOUT | POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR)
      return Fail(Status::Io("poll on " + address_.ToString() + ": " + strerror(errno)));
    if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
      Status st = ReceiveAvailable();
      if (!st.ok()) return st;
    }
  }
  return Status::Ok();
}

Result<std::string> MemcacheClient::ReadLine() {
  size_t scanned = 0;  // relative to rpos_, which Fill may move
  while (true) {
    size_t nl = rbuf_.find('\n', rpos_ + scanned);
    if (nl != std::string::npos) {
      size_t end = nl;
      if (end > rpos_ && rbuf_[end - 1] == '\r') --end;
      std::string line = rbuf_.substr(rpos_, end - rpos_);
      rpos_ = nl + 1;
      return line;
    }
    scanned = rbuf_.size() - rpos_;
    if (scanned > kMaxLineLength)
      return Fail(Status::Protocol("reply line from " + address_.ToString() + " longer than " +
                                   std::to_string(kMaxLineLength) + " bytes"));
    Status st = Fill();
    if (!st.ok()) return st;
  }
}

Result<std::string> MemcacheClient::ReadData(size_t n) {
  while (rbuf_.size() - rpos_ < n + 2) {
    Status st = Fill();
    if (!st.ok()) return st;
  }
  if (rbuf_[rpos_ + n] != '\r' || rbuf_[rpos_ + n + 1] != '\n')
    return Fail(Status::Protocol("data block from " + address_.ToString() + " not followed by CRLF"));
  std::string data = rbuf_.substr(rpos_, n);
  rpos_ += n + 2;
  return data;
}

// Reads `VALUE key flags bytes cas` blocks until END.
Status MemcacheClient::ReadValues(std::map<std::string, CacheItem>* out) {
  while (true) {
    auto line = ReadLine();
    if (!line.ok()) return line.status();
    if (*line == "END") return Status::Ok();
    std::vector<std::string> toks = SplitSpaces(*line);
    uint64_t flags = 0;
    uint64_t len = 0;
    uint64_t cas = 0;
    if (toks.size() < 4 || toks.size() > 5 || toks[0] != "VALUE" || !ParseUint64(toks[2], &flags) ||
        flags > UINT32_MAX || !ParseUint64(toks[3], &len) || len > kMaxValueLength ||
        (toks.size() == 5 && !ParseUint64(toks[4], &cas)))
      return Fail(Status::Protocol("unexpected reply '" + Printable(*line) + "' from " + address_.ToString() +
                                   " to get"));
    auto data = ReadData(static_cast<size_t>(len));
    if (!data.ok()) return data.status();
    CacheItem& item = (*out)[toks[1]];
    item.value = std::move(*data);
    item.flags = static_cast<uint32_t>(flags);
    item.cas = cas;
  }
}

Result<std::optional<CacheItem>> MemcacheClient::Get(const std::string& key) {
  auto hits = MultiGet({key});
  if (!hits.ok()) return hits.status();
  auto it = hits->find(key);
  if (it == hits->end()) return std::optional<CacheItem>();
  return std::optional<CacheItem>(std::move(it->second));
}

Result<std::map<std::string, CacheItem>> MemcacheClient::MultiGet(const std::vector<std::string>& keys) {
  for (const auto& key : keys)
    if (!ValidCacheKey(key)) return InvalidKey(key);
  std::map<std::string, CacheItem> hits;
  if (keys.empty()) return hits;
  StartCall();
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  std::string req;
  size_t batches = 0;
  for (size_t i = 0; i < keys.size(); i += kMaxKeysPerGet) {
    req += "gets";
    for (size_t j = i; j < keys.size() && j < i + kMaxKeysPerGet; ++j) {
      req += ' ';
      req += keys[j];
    }
    req += "\r\n";
    ++batches;
  }
  st = WriteAll(req);
  if (!st.ok()) return st;
  for (size_t b = 0; b < batches; ++b) {
    st = ReadValues(&hits);
    if (!st.ok()) return st;
  }
  return hits;
}

Result<bool> MemcacheClient::Store(const char* verb, const std::string& key, const std::string& value,
                                   uint32_t flags, int64_t ttl) {
  if (!ValidCacheKey(key)) return InvalidKey(key);
  StartCall();
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  std::string req = std::string(verb) + " " + key + " " + std::to_string(flags) + " " + std::to_string(ttl) +
                    " " + std::to_string(value.size()) + "\r\n";
  req += value;
  req += "\r\n";
  st = WriteAll(req);
  if (!st.ok()) return st;
  auto line = ReadLine();
  if (!line.ok()) return line.status();
  if (*line == "STORED") return true;
  if (*line == "NOT_STORED") return false;
  return Fail(Status::Protocol("unexpected reply '" + Printable(*line) + "' from " + address_.ToString() +
                               " to " + verb));
}

Status MemcacheClient::Set(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl) {
  auto r = Store("set", key, value, flags, ttl);
  if (!r.ok()) return r.status();
  if (!*r) return Status::Protocol("set of '" + Printable(key) + "' on " + address_.ToString() + " was not stored");
  return Status::Ok();
}

Result<bool> MemcacheClient::Add(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl) {
  return Store("add", key, value, flags, ttl);
}

Result<bool> MemcacheClient::Delete(const std::string& key) {
  auto r = DeleteMany({key});
  if (!r.ok()) return r.status();
  return static_cast<bool>((*r)[0]);
}

Result<std::vector<bool>> MemcacheClient::AddMany(const std::vector<StoreRequest>& requests) {
  for (const auto& r : requests)
    if (!ValidCacheKey(r.key)) return InvalidKey(r.key);
  std::vector<bool> stored;
  if (requests.empty()) return stored;
  StartCall();
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  std::string req;
  for (const auto& r : requests) {
    req += "add " + r.key + " " + std::to_string(r.flags) + " " + std::to_string(r.ttl) + " " +
           std::to_string(r.value.size()) + "\r\n";
    req += r.value;
    req += "\r\n";
  }
  st = WriteAll(req);
  if (!st.ok()) return st;
  stored.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    auto line = ReadLine();
    if (!line.ok()) return line.status();
    if (*line == "STORED") {
      stored.push_back(true);
    } else if (*line == "NOT_STORED") {
      stored.push_back(false);
    } else {
      return Fail(Status::Protocol("unexpected reply '" + Printable(*line) + "' from " + address_.ToString() +
                                   " to add of '" + Printable(requests[i].key) + "'"));
    }
  }
  return stored;
}

Result<std::vector<bool>> MemcacheClient::DeleteMany(const std::vector<std::string>& keys) {
  for (const auto& key : keys)
    if (!ValidCacheKey(key)) return InvalidKey(key);
  std::vector<bool> deleted;
  if (keys.empty()) return deleted;
  StartCall();
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  std::string req;
  for (const auto& key : keys) req += "delete " + key + "\r\n";
  st = WriteAll(req);
  if (!st.ok()) return st;
  deleted.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto line = ReadLine();
    if (!line.ok()) return line.status();
    if (*line == "DELETED") {
      deleted.push_back(true);
    } else if (*line == "NOT_FOUND") {
      deleted.push_back(false);
    } else {
      return Fail(Status::Protocol("unexpected reply '" + Printable(*line) + "' from " + address_.ToString() +
                                   " to delete of '" + Printable(keys[i]) + "'"));
    }
  }
  return deleted;
}

Status MemcacheClient::FlushAll() {
  auto line = Command("flush_all");
  if (!line.ok()) return line.status();
  if (*line != "OK")
    return Fail(Status::Protocol("unexpected reply '" + Printable(*line) + "' from " + address_.ToString() +
                                 " to flush_all"));
  return Status::Ok();
}

Result<MetaReply> MemcacheClient::ReadMetaReply() {
  auto line = ReadLine();
  if (!line.ok()) return line.status();
  size_t len = 0;
  auto reply = ParseMetaReplyLine(*line, &len);
  if (!reply.ok())
    return Fail(Status::Protocol(reply.status().message() + " from " + address_.ToString()));
  if (reply->code == "VA") {
    auto data = ReadData(len);
    if (!data.ok()) return data.status();
    reply->value = std::move(*data);
  }
  return reply;
}

Result<std::vector<MetaReply>> MemcacheClient::MetaBatch(const std::vector<MetaRequest>& requests) {
  for (const auto& r : requests) {
    if (!ValidCacheKey(r.key)) return InvalidKey(r.key);
    if (!ValidTokens(r.flags))
      return Status::Invalid("meta flags '" + Printable(r.flags) + "' hold control characters");
    for (const std::string& tok : SplitSpaces(r.flags))
      if (tok[0] == 'q')
        return Status::Invalid("meta flag 'q' (no reply) is not supported: replies could not be matched");
  }
  std::vector<MetaReply> replies;
  if (requests.empty()) return replies;
  StartCall();
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  std::string req;
  for (const auto& r : requests) {
    switch (r.verb) {
      case MetaRequest::Verb::kGet: req += "mg " + r.key; break;
      case MetaRequest::Verb::kSet: req += "ms " + r.key + " " + std::to_string(r.value.size()); break;
      case MetaRequest::Verb::kDelete: req += "md " + r.key; break;
    }
    if (!r.flags.empty()) req += " " + r.flags;
    req += "\r\n";
    if (r.verb == MetaRequest::Verb::kSet) {
      req += r.value;
      req += "\r\n";
    }
  }
  st = WriteAll(req);
  if (!st.ok()) return st;
  replies.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    auto reply = ReadMetaReply();
    if (!reply.ok()) return reply.status();
    replies.push_back(std::move(*reply));
  }
  return replies;
}

namespace {

Result<MetaReply> OneReply(Result<std::vector<MetaReply>> r) {
  if (!r.ok()) return r.status();
  return std::move((*r)[0]);
}

}  // namespace

Result<MetaReply> MemcacheClient::MetaGet(const std::string& key, const std::string& flags) {
  return OneReply(MetaBatch({MetaRequest{MetaRequest::Verb::kGet, key, flags, ""}}));
}

Result<MetaReply> MemcacheClient::MetaSet(const std::string& key, const std::string& value,
                                          const std::string& flags) {
  return OneReply(MetaBatch({MetaRequest{MetaRequest::Verb::kSet, key, flags, value}}));
}

Result<MetaReply> MemcacheClient::MetaDelete(const std::string& key, const std::string& flags) {
  return OneReply(MetaBatch({MetaRequest{MetaRequest::Verb::kDelete, key, flags, ""}}));
}

Result<std::map<std::string, std::string>> MemcacheClient::Stats(const std::string& group) {
  if (!ValidTokens(group)) return Status::Invalid("stats group '" + Printable(group) + "' holds control characters");
  StartCall();
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  st = WriteAll(group.empty() ? "stats\r\n" : "stats " + group + "\r\n");
  if (!st.ok()) return st;
  std::map<std::string, std::string> stats;
  while (true) {
    auto line = ReadLine();
    if (!line.ok()) return line.status();
    if (*line == "END") return stats;
    if (!StartsWith(*line, "STAT "))
      return Fail(Status::Protocol("unexpected reply '" + Printable(*line) + "' from " + address_.ToString() +
                                   " to stats" + (group.empty() ? "" : " " + group)));
    size_t name_end = line->find(' ', 5);
    if (name_end == std::string::npos) {
      stats[line->substr(5)] = "";
    } else {
      stats[line->substr(5, name_end - 5)] = line->substr(name_end + 1);
    }
  }
}

Result<std::string> MemcacheClient::Command(const std::string& line) {
  if (line.empty() || !ValidTokens(line))
    return Status::Invalid("command line '" + Printable(line) + "' is empty or holds control characters");
  StartCall();
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  st = WriteAll(line + "\r\n");
  if (!st.ok()) return st;
  auto reply = ReadLine();
  if (!reply.ok()) return reply.status();
  // A multi-line reply would leave the rest in the stream: drop the connection.
  if (StartsWith(*reply, "STAT ") || StartsWith(*reply, "VALUE ") || StartsWith(*reply, "key="))
    return Fail(Status::Protocol("'" + Printable(line) + "' has a multi-line reply; Command() reads one line"));
  return reply;
}

Status MemcacheClient::MetadumpHash(const std::function<void(const MetadumpEntry&)>& fn,
                                    int64_t busy_timeout_ms) {
  const int64_t busy_deadline = MonoMs() + busy_timeout_ms;
  while (true) {
    StartCall();
    Status st = EnsureConnected();
    if (!st.ok()) return st;
    st = WriteAll("lru_crawler metadump hash\r\n");
    if (!st.ok()) return st;
    auto line = ReadLine();
    if (!line.ok()) return line.status();
    if (IsCrawlerBusy(*line)) {
      if (MonoMs() + kBusyRetryMs > busy_deadline)
        return Status::Busy("lru_crawler on " + address_.ToString() + " still busy after " +
                            std::to_string(busy_timeout_ms) + " ms: " + Printable(*line));
      Clock::Real()->SleepMs(kBusyRetryMs);
      continue;
    }
    // Some memcached versions announce the dump with OK.
    if (*line == "OK") {
      StartCall();
      line = ReadLine();
      if (!line.ok()) return line.status();
    }
    while (*line != "END") {
      if (!StartsWith(*line, "key="))
        return Fail(Status::Protocol("unexpected reply '" + Printable(*line) + "' from " + address_.ToString() +
                                     " to lru_crawler metadump hash"));
      auto entry = ParseMetadumpLine(*line);
      if (!entry.ok())
        return Fail(Status::Protocol(entry.status().message() + " from " + address_.ToString()));
      fn(*entry);
      StartCall();  // the timeout bounds the wait for each chunk, not the whole dump
      line = ReadLine();
      if (!line.ok()) return line.status();
    }
    return Status::Ok();
  }
}

}  // namespace mcscale
