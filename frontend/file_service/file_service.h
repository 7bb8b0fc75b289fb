// FileService: the mcscale-frontend application: files stored under keys, on disk
// (FileStore) with a key -> file index in SQLite (FileIndex), and the cache pool in front
// (PoolClient). It turns one HTTP request into one reply; FileServiceHttp does the sockets.
//
//   POST   /api/upload          multipart form: key, file  -> stores, then invalidates
//   GET    /api/key/{key}       the file, from the cache or from disk (then cached)
//   GET    /api/list_keys       ?offset=0&limit=100: keys with size, type, upload time
//   DELETE /api/clear/cache     clears the pool (through the coordinator when known)
//   DELETE /api/clear/data      deletes every file and row, then clears the cache
//   GET    /healthz, /metrics   liveness; Prometheus text
//   GET    /                    the upload / look-up page
// Every error is {"error": "..."} naming the field and the reason; a rejected upload stores
// nothing.
//
// The cache never serves a replaced file: see the comment on GetFile() in the .cc.
//
// Thread-safe: Handle() is called from several HTTP threads at once; OnEvent() from the
// pool client's control thread.
#ifndef MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_H_
#define MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"
#include "frontend/file_service/coordinator_link.h"
#include "frontend/file_service/file_index.h"
#include "frontend/file_service/file_store.h"
#include "frontend/pool_client.h"

namespace mcscale {

struct FileServiceOptions {
  std::string data_dir;                       // REQUIRES: not empty.
  int64_t max_upload_bytes = 16 << 20;        // Default: 16 MiB per file.
  // Values (content type + bytes) up to this size are cached; larger files are always read
  // from disk. Default: 1,000,000, under memcached's default 1 MB item limit (-I).
  int64_t cache_item_max_bytes = 1000000;
  int64_t cache_ttl_s = 0;                    // Default: 0 (kept until evicted).
  std::string cache_key_prefix = "file:";     // Default: "file:".
  // The pool client's options; nullopt runs without a cache (every read from disk).
  std::optional<PoolClientOptions> pool;
  std::string coordinator_url;                // Default: none; clears then go key by key.
  std::string coordinator_token;              // Default: none.
};

struct ServiceRequest {
  std::string method;        // "GET", "POST", ...
  std::string path;          // as received, %-encoded
  std::string query;         // without '?'
  std::string content_type;  // the Content-Type header
  std::string_view body;     // owned by the caller for the duration of Handle()
};

struct ServiceReply {
  int code = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

class FileService {
 public:
  // Opens the data directory (creating it), the index and, when options.pool is set, the
  // pool client (which connects in the background). Fails on a data directory or index
  // that cannot be opened, a bad coordinator URL or bad pool options.
  static Result<std::unique_ptr<FileService>> Open(FileServiceOptions options);
  ~FileService();
  FileService(const FileService&) = delete;
  FileService& operator=(const FileService&) = delete;

  ServiceReply Handle(const ServiceRequest& request);

  // What an upload form may carry besides the file (the key, the parts' headers and
  // boundaries): a request body over max_upload_bytes plus this is refused unread.
  static constexpr int64_t kFormOverheadBytes = 64 << 10;

  // Ok for a usable key: 1..250 bytes of UTF-8 without control characters or whitespace.
  // Otherwise Invalid("key: ...") saying why.
  static Status CheckKey(std::string_view key);

  // The pool client (nullptr when running without a cache).
  PoolClient* pool() { return pool_.get(); }
  const FileServiceOptions& options() const { return options_; }

 private:
  explicit FileService(FileServiceOptions options);

  ServiceReply Upload(const ServiceRequest& request);
  ServiceReply GetFile(const std::string& key);
  ServiceReply ListKeys(const std::string& query);
  ServiceReply ClearCache();
  ServiceReply ClearData();
  ServiceReply Health();
  ServiceReply Metrics();

  std::string CacheKey(const FileRecord& record) const { return options_.cache_key_prefix + record.digest; }
  bool Cacheable(const FileRecord& record) const;
  // Deletes every row (or those uploaded at or before `uploaded_until_ms`) and its file;
  // returns the rows deleted.
  Result<std::vector<FileRecord>> ClearLocalData(std::optional<int64_t> uploaded_until_ms = std::nullopt);
  // Deletes the cache entries of `records` through the pool client; returns how many failed.
  size_t ForgetCached(const std::vector<FileRecord>& records);
  void OnEvent(const PoolEvent& event);
  void RunMaintenance();

  FileServiceOptions options_;
  std::unique_ptr<FileStore> store_;
  std::unique_ptr<FileIndex> index_;
  std::optional<CoordinatorLink> coordinator_;
  std::unique_ptr<PoolClient> pool_;

  // data.cleared events are handled here, off the pool client's control thread.
  std::mutex mu_;
  std::condition_variable wake_;
  std::optional<int64_t> clear_until_ms_;  // a data.cleared event's time, to act on
  bool stopping_ = false;
  std::thread maintenance_;

  struct Counters {
    std::atomic<uint64_t> uploads{0}, upload_bytes{0}, upload_rejected{0};
    std::atomic<uint64_t> cache_hits{0}, cache_misses{0}, cache_bypass{0};
    std::atomic<uint64_t> cache_fills{0}, cache_fill_failures{0}, cache_deletes_failed{0};
    std::atomic<uint64_t> bytes_served{0}, files_served{0}, files_deleted{0};
    std::atomic<uint64_t> events_cache_cleared{0}, events_data_cleared{0};
  } counters_;
  std::mutex requests_mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (route, code) -> count
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_H_
