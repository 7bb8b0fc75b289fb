// RedisClient: synchronous Redis commands on hiredis with a connect and a per-command
// timeout. It connects lazily, AUTHs and SELECTs as the address says, and after any I/O
// error drops the connection so the next call reconnects (a Redis restart costs one failed
// call, not a dead client). Redis error replies are returned as Status::Protocol with
// Redis's message.
//
// Thread-safe: calls are serialized by an internal mutex. For concurrency, use one client
// per thread.
#ifndef MCSCALE_COMMON_REDIS_CLIENT_H_
#define MCSCALE_COMMON_REDIS_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

struct redisContext;

namespace mcscale {

// "redis://[[username]:password@]host[:port][/db]" (port default 6379, db default 0; user
// and password may be %-encoded; "[v6]" hosts in brackets).
struct RedisAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string username;  // Redis 6 ACL user; empty: AUTH with the password alone
  std::string password;
  int db = 0;

  // The error names what is wrong with the URL.
  static Result<RedisAddress> Parse(const std::string& url);
  // The URL without the password (safe to log).
  std::string ToString() const;
};

// A decoded reply. Status replies ("OK") come back as kString.
struct RedisValue {
  enum class Type { kNil, kString, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;
  int64_t integer = 0;
  std::vector<RedisValue> elements;

  bool is_nil() const { return type == Type::kNil; }
};

// One stream entry: id and field/value pairs in order.
struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  // The value of `name`, or nullopt.
  std::optional<std::string> Get(const std::string& name) const;
};

class RedisClient {
 public:
  // Default: 2000 ms for connecting and for each reply. XRead waits its BLOCK time on top;
  // a blocking command sent through Command must block for less than the timeout.
  explicit RedisClient(RedisAddress address, int64_t timeout_ms = 2000);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  const RedisAddress& address() const { return address_; }

  // Runs one command given as its arguments (binary safe).
  Result<RedisValue> Command(const std::vector<std::string>& args);
  // Sends all commands, then reads all replies: one round trip. A Redis error reply for one
  // command is a Status in that slot; an I/O error fails the whole call.
  Result<std::vector<Result<RedisValue>>> Pipeline(const std::vector<std::vector<std::string>>& commands);

  // Conveniences over Command.
  Status Ping();
  Result<std::optional<std::string>> Get(const std::string& key);
  Result<std::map<std::string, std::string>> HGetAll(const std::string& key);
  Status HSet(const std::string& key, const std::map<std::string, std::string>& fields);
  // XADD key [MAXLEN ~ max_len] * fields...; returns the new id. max_len 0: no trimming.
  Result<std::string> XAdd(const std::string& key, const std::vector<std::pair<std::string, std::string>>& fields,
                           int64_t max_len = 0);
  // XRANGE key start end [COUNT count] (count 0: all).
  Result<std::vector<StreamEntry>> XRange(const std::string& key, const std::string& start,
                                          const std::string& end, int64_t count = 0);
  // XREAD [COUNT count] [BLOCK block_ms] STREAMS key after_id; block_ms < 0: no BLOCK.
  // Returns no entries when the block timed out.
  Result<std::vector<StreamEntry>> XRead(const std::string& key, const std::string& after_id,
                                         int64_t count, int64_t block_ms);
  Result<int64_t> Publish(const std::string& channel, const std::string& message);
  // SCAN the whole keyspace for keys matching `pattern`.
  Result<std::vector<std::string>> Scan(const std::string& pattern);

  // Parses the entries of an XRANGE/XREAD stream reply array (for callers using Command).
  static Result<std::vector<StreamEntry>> ParseEntries(const RedisValue& array);

 private:
  Status EnsureConnected();
  void Disconnect();
  // Command with mu_ held; waits up to reply_timeout_ms for the reply.
  Result<RedisValue> CommandLocked(const std::vector<std::string>& args, int64_t reply_timeout_ms);

  RedisAddress address_;
  int64_t timeout_ms_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_REDIS_CLIENT_H_
