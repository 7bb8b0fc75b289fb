#include "common/redis_client.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

namespace mcscale {

namespace {

constexpr uint16_t kDefaultPort = 6379;

// ---- URL parsing ----

std::optional<std::string> PercentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      return std::nullopt;
    out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

// The URL with its password replaced by "***", for error messages.
std::string RedactUrl(const std::string& url) {
  auto sep = url.find("://");
  if (sep == std::string::npos) return url;
  auto at = url.rfind('@');
  if (at == std::string::npos || at < sep) return url;
  auto colon = url.find(':', sep + 3);
  if (colon == std::string::npos || colon > at) return url.substr(0, sep + 3) + "***" + url.substr(at);
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

std::string Endpoint(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

// ---- hiredis plumbing ----

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// The argv/argvlen arrays hiredis wants, pointing into `args` (binary safe).
class ArgvView {
 public:
  explicit ArgvView(const std::vector<std::string>& args) {
    argv_.reserve(args.size());
    lens_.reserve(args.size());
    for (const auto& a : args) {
      argv_.push_back(a.data());
      lens_.push_back(a.size());
    }
  }
  int argc() const { return static_cast<int>(argv_.size()); }
  const char** argv() { return argv_.data(); }
  const size_t* lens() const { return lens_.data(); }

 private:
  std::vector<const char*> argv_;
  std::vector<size_t> lens_;
};

// hiredis writes with write(2), so writing to a Redis that has just closed the connection
// raises SIGPIPE, which kills a process that did not ignore it. This blocks SIGPIPE on the
// calling thread for one exchange and swallows one raised meanwhile: a Redis restart must
// be an error value, not the death of the process.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeGuard() {
    int saved_errno = errno;
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
        }
      }
    }
    if (blocked_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    errno = saved_errno;
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
  bool blocked_ = false;
};

timeval ToTimeval(int64_t ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

// The Status for a failed hiredis call on `c`: a socket timeout becomes Timeout, anything
// else Io, both naming the server and what was being done.
Status ContextError(const redisContext* c, const RedisAddress& a, const std::string& doing, int64_t timeout_ms) {
  std::string where = "redis " + Endpoint(a.host, a.port);
  if (c->err == REDIS_ERR_IO) {
    // SO_RCVTIMEO/SO_SNDTIMEO expire as EAGAIN; hiredis's connect poll as ETIMEDOUT.
    const char* msg = c->errstr;
    if (std::strcmp(msg, std::strerror(EAGAIN)) == 0 || std::strcmp(msg, std::strerror(ETIMEDOUT)) == 0 ||
        std::strcmp(msg, std::strerror(EINPROGRESS)) == 0)
      return Status::Timeout(where + ": no answer within " + std::to_string(timeout_ms) + " ms (" + doing + ")");
  }
  return Status::Io(where + ": " + doing + ": " + c->errstr);
}

Result<RedisValue> ToValue(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_NIL:
      return v;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::kString;
      v.str.assign(r->str, r->len);
      return v;
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::kInteger;
      v.integer = r->integer;
      return v;
    case REDIS_REPLY_ERROR:
      // Also inside an array (EXEC): RedisValue has no error type, so the whole reply fails
      // rather than hide an error among values.
      return Status::Protocol(std::string(r->str, r->len));
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::kArray;
      v.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        auto e = ToValue(r->element[i]);
        if (!e.ok()) return e.status();
        v.elements.push_back(std::move(e.value()));
      }
      return v;
    default:
      return Status::Protocol("unexpected reply type " + std::to_string(r->type));
  }
}

Status Unexpected(const std::string& command, const std::string& what) {
  return Status::Protocol(command + ": unexpected reply (" + what + ")");
}

}  // namespace

// ---- RedisAddress ----

Result<RedisAddress> RedisAddress::Parse(const std::string& url) {
  const std::string shown = RedactUrl(url);
  auto bad = [&](const std::string& why) { return Status::Invalid("redis URL '" + shown + "': " + why); };

  auto sep = url.find("://");
  if (sep == std::string::npos) return bad("missing scheme (expected redis://HOST:PORT)");
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (scheme == "rediss") return bad("scheme 'rediss' (TLS) is not supported (expected redis://)");
  if (scheme != "redis") return bad("bad scheme '" + scheme + "' (expected redis://)");

  RedisAddress a;
  std::string rest = url.substr(sep + 3);
  auto at = rest.rfind('@');
  if (at != std::string::npos) {
    std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string::npos)
      return bad("credentials without ':' (expected redis://:PASSWORD@HOST or redis://USER:PASSWORD@HOST)");
    auto user = PercentDecode(userinfo.substr(0, colon));
    if (!user) return bad("bad %-escape in username");
    auto password = PercentDecode(userinfo.substr(colon + 1));
    if (!password) return bad("bad %-escape in password");
    if (!user->empty() && password->empty()) return bad("username '" + *user + "' without a password");
    a.username = *user;
    a.password = *password;
  }
  if (rest.find_first_of("?#") != std::string::npos) return bad("query or fragment ('?', '#') is not supported");

  std::string path;
  bool has_path = false;
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    has_path = true;
  }

  std::string port_text;
  bool has_port = false;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return bad("bad host '" + rest + "' (no closing ']')");
    a.host = rest.substr(1, close - 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("bad host '" + rest + "' (expected [IPV6]:PORT)");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    auto colon = rest.find(':');
    if (colon != std::string::npos && rest.find(':', colon + 1) != std::string::npos)
      return bad("bad host '" + rest + "' (write an IPv6 address in brackets: [::1]:6379)");
    a.host = rest.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = rest.substr(colon + 1);
      has_port = true;
    }
  }
  if (a.host.empty()) return bad("missing host");

  a.port = kDefaultPort;
  if (has_port) {
    long port = AllDigits(port_text) && port_text.size() <= 5 ? std::stol(port_text) : -1;
    if (port < 1 || port > 65535) return bad("bad port '" + port_text + "' (expected 1..65535)");
    a.port = static_cast<uint16_t>(port);
  }

  a.db = 0;
  if (has_path && !path.empty()) {
    if (!AllDigits(path) || path.size() > 9) return bad("bad db '" + path + "' (expected a number, 0 or more)");
    a.db = std::stoi(path);
  }
  return a;
}

std::string RedisAddress::ToString() const {
  std::string s = "redis://";
  if (!username.empty()) s += username + "@";
  s += Endpoint(host, port);
  if (db != 0) s += "/" + std::to_string(db);
  return s;
}

std::optional<std::string> StreamEntry::Get(const std::string& name) const {
  for (const auto& [k, v] : fields)
    if (k == name) return v;
  return std::nullopt;
}

// ---- RedisClient ----

RedisClient::RedisClient(RedisAddress address, int64_t timeout_ms)
    : address_(std::move(address)), timeout_ms_(std::max<int64_t>(timeout_ms, 1)) {}

RedisClient::~RedisClient() { Disconnect(); }

void RedisClient::Disconnect() {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

Status RedisClient::EnsureConnected() {
  if (ctx_ != nullptr) return Status::Ok();
  const timeval tv = ToTimeval(timeout_ms_);
  redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
  if (c == nullptr) return Status::Io("redis " + Endpoint(address_.host, address_.port) + ": out of memory");
  if (c->err != 0) {
    Status st = ContextError(c, address_, "connect", timeout_ms_);
    redisFree(c);
    return st;
  }
  if (redisSetTimeout(c, tv) != REDIS_OK) {
    Status st = ContextError(c, address_, "set socket timeout", timeout_ms_);
    redisFree(c);
    return st;
  }
  ctx_ = c;

  std::vector<std::vector<std::string>> setup;
  if (!address_.password.empty()) {
    if (address_.username.empty())
      setup.push_back({"AUTH", address_.password});
    else
      setup.push_back({"AUTH", address_.username, address_.password});
  }
  if (address_.db != 0) setup.push_back({"SELECT", std::to_string(address_.db)});
  SigpipeGuard guard;
  for (const auto& args : setup) {
    ArgvView argv(args);
    ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(ctx_, argv.argc(), argv.argv(), argv.lens())));
    if (!reply) {
      Status st = ContextError(ctx_, address_, args[0], timeout_ms_);
      Disconnect();
      return st;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string why(reply->str, reply->len);
      Disconnect();
      // A wrong password or db is a configuration error, not a passing failure.
      return Status::Invalid("redis " + Endpoint(address_.host, address_.port) + ": " + args[0] +
                             " failed: " + why);
    }
  }
  return Status::Ok();
}

Result<RedisValue> RedisClient::CommandLocked(const std::vector<std::string>& args, int64_t reply_timeout_ms) {
  if (args.empty()) return Status::Invalid("empty Redis command");
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  SigpipeGuard guard;
  const bool extended = reply_timeout_ms != timeout_ms_;
  if (extended && redisSetTimeout(ctx_, ToTimeval(reply_timeout_ms)) != REDIS_OK) {
    st = ContextError(ctx_, address_, "set socket timeout", reply_timeout_ms);
    Disconnect();
    return st;
  }
  ArgvView argv(args);
  ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(ctx_, argv.argc(), argv.argv(), argv.lens())));
  if (!reply) {
    // Timeout or I/O error: the stream position is unknown, so the connection goes.
    st = ContextError(ctx_, address_, args[0], reply_timeout_ms);
    Disconnect();
    return st;
  }
  if (extended && redisSetTimeout(ctx_, ToTimeval(timeout_ms_)) != REDIS_OK) Disconnect();
  return ToValue(reply.get());
}

Result<RedisValue> RedisClient::Command(const std::vector<std::string>& args) {
  std::lock_guard<std::mutex> lock(mu_);
  return CommandLocked(args, timeout_ms_);
}

Result<std::vector<Result<RedisValue>>> RedisClient::Pipeline(const std::vector<std::vector<std::string>>& commands) {
  std::vector<Result<RedisValue>> out;
  if (commands.empty()) return out;
  for (const auto& args : commands)
    if (args.empty()) return Status::Invalid("empty Redis command in pipeline");
  std::lock_guard<std::mutex> lock(mu_);
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  SigpipeGuard guard;
  for (const auto& args : commands) {
    ArgvView argv(args);
    if (redisAppendCommandArgv(ctx_, argv.argc(), argv.argv(), argv.lens()) != REDIS_OK) {
      st = ContextError(ctx_, address_, "pipeline", timeout_ms_);
      Disconnect();
      return st;
    }
  }
  out.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK) {
      st = ContextError(ctx_, address_, "pipeline " + commands[i][0], timeout_ms_);
      Disconnect();
      return st;
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    out.push_back(ToValue(reply.get()));
  }
  return out;
}

Status RedisClient::Ping() {
  auto r = Command({"PING"});
  if (!r.ok()) return r.status();
  if (r->type != RedisValue::Type::kString || r->str != "PONG") return Unexpected("PING", r->str);
  return Status::Ok();
}

Result<std::optional<std::string>> RedisClient::Get(const std::string& key) {
  auto r = Command({"GET", key});
  if (!r.ok()) return r.status();
  if (r->is_nil()) return std::optional<std::string>();
  if (r->type != RedisValue::Type::kString) return Unexpected("GET", "not a string");
  return std::optional<std::string>(std::move(r->str));
}

Result<std::map<std::string, std::string>> RedisClient::HGetAll(const std::string& key) {
  auto r = Command({"HGETALL", key});
  if (!r.ok()) return r.status();
  if (r->type != RedisValue::Type::kArray || r->elements.size() % 2 != 0)
    return Unexpected("HGETALL", "not an array of pairs");
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    if (r->elements[i].type != RedisValue::Type::kString || r->elements[i + 1].type != RedisValue::Type::kString)
      return Unexpected("HGETALL", "field or value not a string");
    out[r->elements[i].str] = r->elements[i + 1].str;
  }
  return out;
}

Status RedisClient::HSet(const std::string& key, const std::map<std::string, std::string>& fields) {
  if (fields.empty()) return Status::Ok();
  std::vector<std::string> args = {"HSET", key};
  args.reserve(2 + 2 * fields.size());
  for (const auto& [f, v] : fields) {
    args.push_back(f);
    args.push_back(v);
  }
  auto r = Command(args);
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::string> RedisClient::XAdd(const std::string& key,
                                      const std::vector<std::pair<std::string, std::string>>& fields,
                                      int64_t max_len) {
  std::vector<std::string> args = {"XADD", key};
  if (max_len > 0) {
    args.insert(args.end(), {"MAXLEN", "~", std::to_string(max_len)});
  }
  args.push_back("*");
  for (const auto& [f, v] : fields) {
    args.push_back(f);
    args.push_back(v);
  }
  auto r = Command(args);
  if (!r.ok()) return r.status();
  if (r->type != RedisValue::Type::kString) return Unexpected("XADD", "no id");
  return std::move(r->str);
}

Result<std::vector<StreamEntry>> RedisClient::XRange(const std::string& key, const std::string& start,
                                                     const std::string& end, int64_t count) {
  std::vector<std::string> args = {"XRANGE", key, start, end};
  if (count > 0) args.insert(args.end(), {"COUNT", std::to_string(count)});
  auto r = Command(args);
  if (!r.ok()) return r.status();
  return ParseEntries(r.value());
}

Result<std::vector<StreamEntry>> RedisClient::XRead(const std::string& key, const std::string& after_id,
                                                    int64_t count, int64_t block_ms) {
  std::vector<std::string> args = {"XREAD"};
  if (count > 0) args.insert(args.end(), {"COUNT", std::to_string(count)});
  if (block_ms >= 0) args.insert(args.end(), {"BLOCK", std::to_string(block_ms)});
  args.insert(args.end(), {"STREAMS", key, after_id});
  Result<RedisValue> r = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    // The reply may take the BLOCK time plus the usual timeout (BLOCK 0, Redis's "forever",
    // still ends at the timeout: a silent server must not hang the caller).
    return CommandLocked(args, timeout_ms_ + std::max<int64_t>(block_ms, 0));
  }();
  if (!r.ok()) return r.status();
  if (r->is_nil()) return std::vector<StreamEntry>();
  // [[key, [entries...]]]
  if (r->type != RedisValue::Type::kArray) return Unexpected("XREAD", "not an array");
  for (const auto& stream : r->elements) {
    if (stream.type != RedisValue::Type::kArray || stream.elements.size() != 2)
      return Unexpected("XREAD", "stream not a [key, entries] pair");
    if (stream.elements[0].str == key) return ParseEntries(stream.elements[1]);
  }
  return std::vector<StreamEntry>();
}

Result<int64_t> RedisClient::Publish(const std::string& channel, const std::string& message) {
  auto r = Command({"PUBLISH", channel, message});
  if (!r.ok()) return r.status();
  if (r->type != RedisValue::Type::kInteger) return Unexpected("PUBLISH", "not an integer");
  return r->integer;
}

Result<std::vector<std::string>> RedisClient::Scan(const std::string& pattern) {
  // SCAN may return a key more than once; the set keeps each once.
  std::set<std::string> keys;
  std::string cursor = "0";
  do {
    auto r = Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!r.ok()) return r.status();
    if (r->type != RedisValue::Type::kArray || r->elements.size() != 2 ||
        r->elements[0].type != RedisValue::Type::kString || r->elements[1].type != RedisValue::Type::kArray)
      return Unexpected("SCAN", "not a [cursor, keys] pair");
    cursor = r->elements[0].str;
    for (const auto& k : r->elements[1].elements) {
      if (k.type != RedisValue::Type::kString) return Unexpected("SCAN", "key not a string");
      keys.insert(k.str);
    }
  } while (cursor != "0");
  return std::vector<std::string>(keys.begin(), keys.end());
}

Result<std::vector<StreamEntry>> RedisClient::ParseEntries(const RedisValue& array) {
  std::vector<StreamEntry> out;
  if (array.is_nil()) return out;
  if (array.type != RedisValue::Type::kArray) return Unexpected("stream read", "entries not an array");
  out.reserve(array.elements.size());
  for (const auto& e : array.elements) {
    if (e.type != RedisValue::Type::kArray || e.elements.size() != 2 ||
        e.elements[0].type != RedisValue::Type::kString)
      return Unexpected("stream read", "entry not an [id, fields] pair");
    StreamEntry entry;
    entry.id = e.elements[0].str;
    const RedisValue& fields = e.elements[1];
    // A nil field list is an entry deleted while pending (XREADGROUP, XCLAIM).
    if (!fields.is_nil()) {
      if (fields.type != RedisValue::Type::kArray || fields.elements.size() % 2 != 0)
        return Unexpected("stream read", "fields of " + entry.id + " not field/value pairs");
      for (size_t i = 0; i + 1 < fields.elements.size(); i += 2)
        entry.fields.emplace_back(fields.elements[i].str, fields.elements[i + 1].str);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace mcscale
