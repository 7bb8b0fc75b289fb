// MemcacheClient: one connection to a memcached-protocol node (stock memcached or
// mcscale-node), text protocol, every call bounded by a timeout that returns
// Status::Timeout instead of hanging. After a timeout or I/O error the connection is closed
// (its stream position is unknown) and the next call reconnects. An idle connection the
// server closed meanwhile (a restart) is noticed before the next call sends anything, so that
// call reconnects instead of failing.
//
// Not thread-safe: one client per thread (or a pool of them).
#ifndef MCSCALE_COMMON_MEMCACHE_CLIENT_H_
#define MCSCALE_COMMON_MEMCACHE_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/host_port.h"
#include "common/status.h"

namespace mcscale {

struct CacheItem {
  std::string value;
  uint32_t flags = 0;
  uint64_t cas = 0;
};

// One store of a pipelined batch.
struct StoreRequest {
  std::string key;
  std::string value;
  uint32_t flags = 0;
  int64_t ttl = 0;  // memcached exptime: 0 none, <= 30 days relative, else absolute
};

// One line of `lru_crawler metadump`: the key (URL-decoded) and its metadata.
struct MetadumpEntry {
  std::string key;
  int64_t exp = -1;   // absolute unix time, -1 for never
  int64_t la = 0;     // last access, unix time
  uint64_t cas = 0;
  bool fetched = false;
  int cls = 0;
  int64_t size = 0;
};

// Reply of a meta command (mg/ms/md): the code ("VA", "HD", "EN", "NS", "EX", "NF", "MN")
// its flags as single-letter -> token, and the value for VA.
struct MetaReply {
  std::string code;
  std::map<char, std::string> flags;
  std::optional<std::string> value;
};

// One meta command of a pipelined MetaBatch. `flags` as for MetaGet/MetaSet/MetaDelete;
// `value` is the data block of a set and ignored otherwise.
struct MetaRequest {
  enum class Verb { kGet, kSet, kDelete };
  Verb verb = Verb::kGet;
  std::string key;
  std::string flags;
  std::string value;
};

class MemcacheClient {
 public:
  // Default: 1000 ms per call (connect included).
  explicit MemcacheClient(HostPort address, int64_t timeout_ms = 1000);
  ~MemcacheClient();
  MemcacheClient(const MemcacheClient&) = delete;
  MemcacheClient& operator=(const MemcacheClient&) = delete;
  MemcacheClient(MemcacheClient&& other) noexcept;

  const HostPort& address() const { return address_; }
  int64_t timeout_ms() const { return timeout_ms_; }
  void set_timeout_ms(int64_t ms) { timeout_ms_ = ms; }
  bool connected() const { return fd_ >= 0; }
  void Close();

  // nullopt on a miss.
  Result<std::optional<CacheItem>> Get(const std::string& key);
  // Pipelined: the keys are sent in `gets k1 k2 ...` commands of up to 100 keys, all written
  // before the replies are read. Returns only the hits (with their cas).
  Result<std::map<std::string, CacheItem>> MultiGet(const std::vector<std::string>& keys);
  Status Set(const std::string& key, const std::string& value, uint32_t flags = 0, int64_t ttl = 0);
  // false when the key already existed (NOT_STORED).
  Result<bool> Add(const std::string& key, const std::string& value, uint32_t flags = 0, int64_t ttl = 0);
  // false when the key did not exist (NOT_FOUND).
  Result<bool> Delete(const std::string& key);
  // Pipelined add of every request: one result per request (true stored, false existed).
  Result<std::vector<bool>> AddMany(const std::vector<StoreRequest>& requests);
  // Pipelined delete of every key: one result per key (true deleted, false not found).
  Result<std::vector<bool>> DeleteMany(const std::vector<std::string>& keys);
  Status FlushAll();

  // Meta commands: `mg KEY FLAGS...`, `ms KEY DATALEN FLAGS...` + value, `md KEY FLAGS...`.
  // `flags` are the space-separated tokens, e.g. "v f t" or "MS T0 F5". Keys are sent as
  // given (no base64).
  Result<MetaReply> MetaGet(const std::string& key, const std::string& flags);
  Result<MetaReply> MetaSet(const std::string& key, const std::string& value, const std::string& flags);
  Result<MetaReply> MetaDelete(const std::string& key, const std::string& flags);
  // Pipelined meta commands: all written in one go, then one reply per request, in order
  // (e.g. the mover's `mg KEY v f t` of a whole batch, then `ms KEY LEN ME F.. T..`). The
  // `q` flag is refused (it suppresses replies, so they could not be matched).
  Result<std::vector<MetaReply>> MetaBatch(const std::vector<MetaRequest>& requests);

  // `stats` or `stats <group>` (e.g. "settings"): name -> value.
  Result<std::map<std::string, std::string>> Stats(const std::string& group = "");
  // Sends one command line (without CRLF) and returns its one-line reply without CRLF,
  // e.g. Command("cache_memlimit 64") -> "OK".
  Result<std::string> Command(const std::string& line);

  // Enumerates every key with `lru_crawler metadump hash`, calling `fn` per entry as the
  // dump streams in. A BUSY answer (another dump running) is retried every 100 ms until
  // `busy_timeout_ms`. The per-read timeout applies between chunks, not to the whole dump.
  // `fn` runs while the dump streams: keep it quick (collect, act later), since a stalled
  // reader stalls memcached's only crawler. Busy, Timeout, Io or Protocol on failure.
  Status MetadumpHash(const std::function<void(const MetadumpEntry&)>& fn, int64_t busy_timeout_ms = 30000);

 private:
  Status EnsureConnected();
  Status WriteAll(const std::string& data);
  // Reads one CRLF-terminated line (without CRLF).
  Result<std::string> ReadLine();
  // Reads exactly n bytes plus the trailing CRLF.
  Result<std::string> ReadData(size_t n);
  Status Fail(Status st);  // closes the connection and returns st
  // Starts a call: its deadline is now + timeout_ms_.
  void StartCall();
  // Receives what is available into rbuf_, waiting until the deadline.
  Status Fill();
  // Receives what is available without waiting (while a long pipeline is being written).
  Status ReceiveAvailable();
  Status ReadValues(std::map<std::string, CacheItem>* out);
  Result<bool> Store(const char* verb, const std::string& key, const std::string& value,
                     uint32_t flags, int64_t ttl);
  Result<MetaReply> ReadMetaReply();
  Status TimeoutStatus(const char* what) const;

  HostPort address_;
  int64_t timeout_ms_;
  int fd_ = -1;
  std::string rbuf_;
  size_t rpos_ = 0;
  int64_t deadline_ms_ = 0;
};

// memcached's key rules: 1..250 bytes, no control characters or whitespace.
bool ValidCacheKey(const std::string& key);
// URL-decodes a metadump key ("a%3Ab" -> "a:b"); a '%' not followed by two hex digits is
// kept as it is.
std::string UrlDecode(const std::string& s);
// Parses one `lru_crawler metadump` line ("key=a%3Ab exp=-1 la=1700000000 cas=5 fetch=no
// cls=1 size=63"), decoding the key. Unknown fields are ignored; a missing or empty key, a
// token without '=' or a known field with a malformed value is a Protocol error.
Result<MetadumpEntry> ParseMetadumpLine(const std::string& line);
// Parses the line of a meta reply ("VA 5 f0 t-1", "HD c12", "EN"). For VA, *value_len
// gets the length of the data block that follows (0 otherwise). A malformed line or an
// error reply (ERROR, CLIENT_ERROR, SERVER_ERROR) is a Protocol error.
Result<MetaReply> ParseMetaReplyLine(const std::string& line, size_t* value_len);

}  // namespace mcscale

#endif  // MCSCALE_COMMON_MEMCACHE_CLIENT_H_
