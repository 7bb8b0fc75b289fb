#include "frontend/file_service/file_service.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "frontend/file_service/file_page.h"
#include "frontend/file_service/multipart_parser.h"

namespace mcscale {

namespace {

constexpr size_t kMaxKeyBytes = 250;
constexpr int kReadAttempts = 3;

ServiceReply Json(int code, const nlohmann::json& j) {
  ServiceReply r;
  r.code = code;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}
ServiceReply Error(int code, const std::string& message) { return Json(code, {{"error", message}}); }

// Length of the UTF-8 sequence starting at s[i], 0 when it is malformed (overlong forms,
// surrogates and code points past U+10FFFF included).
size_t Utf8Length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;
  if (n == 3) {
    uint32_t cp = ((c & 0x0F) << 12) | ((b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  }
  if (n == 4) {
    uint32_t cp = ((c & 0x07) << 18) | ((b(i + 1) & 0x3F) << 12) | ((b(i + 2) & 0x3F) << 6) | (b(i + 3) & 0x3F);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
  }
  return n;
}

// Decodes %XX escapes of a URL path segment; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int hi = i + 1 < s.size() ? hex(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string QueryParam(const std::string& query, const std::string& name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string part = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = part.find('=');
    if (part.substr(0, eq) == name) return eq == std::string::npos ? "" : part.substr(eq + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return "";
}

Result<int64_t> IntParam(const std::string& query, const std::string& name, int64_t fallback, int64_t min,
                         int64_t max) {
  std::string text = QueryParam(query, name);
  if (text.empty()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || v < min || v > max)
    return Status::Invalid(fmt::format("{}: expected an integer {}..{}, got '{}'", name, min, max, text.substr(0, 40)));
  return static_cast<int64_t>(v);
}

// "type/subtype" with optional parameters, printable ASCII, as a browser or curl sends it.
bool PlausibleContentType(const std::string& t) {
  if (t.empty() || t.size() > 200) return false;
  size_t slash = t.find('/');
  if (slash == 0 || slash == std::string::npos || slash + 1 == t.size()) return false;
  for (char c : t)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string ContentTypeFor(const MultipartPart& part) {
  if (PlausibleContentType(part.content_type)) return part.content_type;
  static const std::map<std::string, std::string> kByExtension = {
      {"png", "image/png"},   {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},      {"gif", "image/gif"},
      {"webp", "image/webp"}, {"svg", "image/svg+xml"},    {"txt", "text/plain"},       {"json", "application/json"},
      {"pdf", "application/pdf"}};
  size_t dot = part.filename.rfind('.');
  if (dot != std::string::npos) {
    std::string ext = part.filename.substr(dot + 1);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = kByExtension.find(ext);
    if (it != kByExtension.end()) return it->second;
  }
  return "application/octet-stream";
}

std::string IsoTime(int64_t ms) {
  time_t s = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

nlohmann::json RecordJson(const FileRecord& r) {
  return {{"key", r.key},         {"size", r.size},       {"content_type", r.content_type},
          {"uploaded_ms", r.uploaded_ms}, {"uploaded", IsoTime(r.uploaded_ms)}, {"version", r.version},
          {"digest", r.digest}};
}

}  // namespace

FileService::FileService(FileServiceOptions options) : options_(std::move(options)) {}

FileService::~FileService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  pool_.reset();  // its control thread may call OnEvent until it stops
}

Result<std::unique_ptr<FileService>> FileService::Open(FileServiceOptions options) {
  if (options.max_upload_bytes < 1) return Status::Invalid("max upload: must be at least 1 byte");
  std::unique_ptr<FileService> service(new FileService(std::move(options)));
  FileServiceOptions& o = service->options_;
  auto store = FileStore::Open(o.data_dir);
  if (!store.ok()) return store.status();
  service->store_ = std::move(*store);
  int swept = service->store_->SweepTemp(3600);
  if (swept > 0) spdlog::info("removed {} temp file(s) left by interrupted uploads", swept);
  auto index = FileIndex::Open(o.data_dir + "/index.sqlite");
  if (!index.ok()) return index.status();
  service->index_ = std::move(*index);
  if (!o.coordinator_url.empty()) {
    auto link = CoordinatorLink::Parse(o.coordinator_url, o.coordinator_token);
    if (!link.ok()) return link.status();
    service->coordinator_ = *link;
  }
  service->maintenance_ = std::thread([s = service.get()] { s->RunMaintenance(); });
  if (o.pool) {
    PoolClientOptions pool_options = *o.pool;
    FileService* self = service.get();
    pool_options.on_event = [self](const PoolEvent& ev) { self->OnEvent(ev); };
    auto pool = PoolClient::Create(pool_options);
    if (!pool.ok()) return pool.status();
    service->pool_ = std::move(*pool);
  }
  return service;
}

Status FileService::CheckKey(std::string_view key) {
  if (key.empty()) return Status::Invalid("key: missing or empty");
  if (key.size() > kMaxKeyBytes)
    return Status::Invalid(fmt::format("key: {} bytes, longer than {}", key.size(), kMaxKeyBytes));
  for (size_t i = 0; i < key.size();) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c < 0x20 || c == 0x7f) return Status::Invalid(fmt::format("key: control character 0x{:02x} at byte {}", c, i));
    if (c == ' ') return Status::Invalid(fmt::format("key: whitespace at byte {}", i));
    size_t n = Utf8Length(key, i);
    if (n == 0) return Status::Invalid(fmt::format("key: not valid UTF-8 at byte {}", i));
    // U+0085 and U+00A0 and the Unicode spaces U+2000..U+200A, U+2028, U+2029, U+202F,
    // U+205F, U+3000: whitespace too.
    std::string_view seq = key.substr(i, n);
    if (seq == "\xC2\x85" || seq == "\xC2\xA0" || seq == "\xE1\x9A\x80" || seq == "\xE2\x80\xA8" ||
        seq == "\xE2\x80\xA9" || seq == "\xE2\x80\xAF" || seq == "\xE2\x81\x9F" || seq == "\xE3\x80\x80" ||
        (n == 3 && seq[0] == '\xE2' && seq[1] == '\x80' && static_cast<unsigned char>(seq[2]) <= 0x8A))
      return Status::Invalid(fmt::format("key: whitespace at byte {}", i));
    i += n;
  }
  return Status::Ok();
}

ServiceReply FileService::Handle(const ServiceRequest& req) {
  std::string route = "other";
  ServiceReply reply;
  const std::string& m = req.method;
  const std::string& p = req.path;
  auto allowed = [&](const char* method) {
    if (m == method) return true;
    reply = Error(405, "method " + m + " not allowed on " + p + " (use " + method + ")");
    return false;
  };
  if (p == "/" || p == "/index.html") {
    route = "page";
    if (allowed("GET")) reply = {200, std::string(FilePage()), "text/html; charset=utf-8", {}};
  } else if (p == "/api/upload") {
    route = "upload";
    if (allowed("POST")) reply = Upload(req);
  } else if (p.rfind("/api/key/", 0) == 0) {
    route = "get";
    if (allowed("GET")) {
      auto key = PercentDecode(std::string_view(p).substr(9));
      if (!key) reply = Error(400, "key: malformed %-escape in the path");
      else if (Status st = CheckKey(*key); !st.ok()) reply = Error(400, st.message());
      else reply = GetFile(*key);
    }
  } else if (p == "/api/key" || p == "/api/key/") {
    route = "get";
    reply = Error(400, "key: missing (GET /api/key/{key})");
  } else if (p == "/api/list_keys") {
    route = "list";
    if (allowed("GET")) reply = ListKeys(req.query);
  } else if (p == "/api/clear/cache") {
    route = "clear_cache";
    if (allowed("DELETE")) reply = ClearCache();
  } else if (p == "/api/clear/data") {
    route = "clear_data";
    if (allowed("DELETE")) reply = ClearData();
  } else if (p == "/healthz") {
    route = "healthz";
    if (allowed("GET")) reply = Health();
  } else if (p == "/metrics") {
    route = "metrics";
    if (allowed("GET")) reply = Metrics();
  } else {
    reply = Error(404, "no such endpoint: " + p.substr(0, 200));
  }
  {
    std::lock_guard<std::mutex> lock(requests_mu_);
    ++requests_[{route, reply.code}];
  }
  return reply;
}

ServiceReply FileService::Upload(const ServiceRequest& req) {
  auto reject = [&](const std::string& message) {
    ++counters_.upload_rejected;
    return Error(400, message);
  };
  // The form around the file is small; a body much larger than the limit is refused before
  // it is parsed.
  const int64_t limit = options_.max_upload_bytes;
  if (static_cast<int64_t>(req.body.size()) > limit + kFormOverheadBytes)
    return reject(fmt::format("file: the request body has {} bytes; files may have at most {} bytes",
                              req.body.size(), limit));
  auto boundary = MultipartParser::BoundaryOf(req.content_type);
  if (!boundary.ok()) return reject(boundary.status().message());
  auto parts = MultipartParser(*boundary).Parse(req.body);
  if (!parts.ok()) return reject(parts.status().message());
  const MultipartPart* key_part = nullptr;
  const MultipartPart* file_part = nullptr;
  for (const MultipartPart& part : *parts) {
    if (part.name == "key") {
      if (key_part) return reject("key: given more than once");
      key_part = &part;
    } else if (part.name == "file") {
      if (file_part) return reject("file: given more than once");
      file_part = &part;
    }
  }
  if (!key_part) return reject("key: missing (a form field named 'key')");
  std::string key(key_part->data);
  if (Status st = CheckKey(key); !st.ok()) return reject(st.message());
  if (!file_part) return reject("file: missing (a form field named 'file')");
  if (file_part->data.empty()) return reject("file: empty (0 bytes)");
  if (static_cast<int64_t>(file_part->data.size()) > limit)
    return reject(fmt::format("file: {} bytes, over the limit of {} bytes", file_part->data.size(), limit));

  FileRecord record;
  record.key = key;
  record.size = static_cast<int64_t>(file_part->data.size());
  record.content_type = ContentTypeFor(*file_part);
  record.digest = Sha256Hex({record.content_type, "\n", file_part->data});
  record.uploaded_ms = Clock::Real()->NowMs();
  // 1. The bytes, durably, under a fresh name: nothing refers to them yet.
  auto name = store_->Write(file_part->data, record.digest);
  if (!name.ok()) {
    spdlog::error("upload of '{}': {}", key, name.status().ToString());
    return Error(500, "storage: " + name.status().message());
  }
  record.file = *name;
  // 2. The commit: readers see the old row or the new one, never a torn file.
  auto old = index_->Put(&record);
  if (!old.ok()) {
    store_->Remove(record.file);
    spdlog::error("upload of '{}': {}", key, old.status().ToString());
    return Error(old.status().code() == Status::Code::kBusy ? 503 : 500, "index: " + old.status().message());
  }
  // 3. After the commit: the old file and its cache entry go. A reader that read the old
  // row just before the commit may still be served the old bytes (its read overlapped the
  // upload); a reader that starts after the commit finds the new row, whose cache key
  // differs, so it can never be served the previous file.
  bool replaced = old->has_value();
  if (replaced) {
    const FileRecord& prev = **old;
    if (Status st = store_->Remove(prev.file); !st.ok()) spdlog::warn("upload of '{}': old file: {}", key, st.ToString());
    if (pool_ && prev.digest != record.digest && Cacheable(prev) && !pool_->Delete(CacheKey(prev)).ok())
      ++counters_.cache_deletes_failed;  // an orphan entry nobody will ask for; LRU drops it
  }
  ++counters_.uploads;
  counters_.upload_bytes += static_cast<uint64_t>(record.size);
  nlohmann::json j = RecordJson(record);
  j["replaced"] = replaced;
  return Json(200, j);
}

bool FileService::Cacheable(const FileRecord& record) const {
  return pool_ != nullptr &&
         static_cast<int64_t>(record.content_type.size()) + 1 + record.size <= options_.cache_item_max_bytes;
}

// Cache-aside with content-addressed entries. The cache key is the row's digest: SHA-256 of
// the content type and the bytes, so the value stored under a key is a pure function of that
// key, and a fill can only ever store the right bytes for it. The index, not the cache,
// says which digest a key has now, and it is read first on every request (a primary-key
// look-up in SQLite, microseconds; the cache saves the file read).
//
// Why not the plain "key -> bytes" entry with delete-on-upload: a reader that read the old
// file, then an upload's commit and Delete, then the reader's Add, leaves the old bytes
// cached under the key for good; an add-mode fill narrows the race but does not close it.
// With the digest in the cache key that interleaving stores the old bytes under the old
// digest, which no reader looks up once the new row is committed. The upload still deletes
// the old digest's entry, to free the memory early.
//
// A row can also change between reading it and reading its file (the upload deletes the old
// file after its commit): the file is then gone and the read starts over from the index.
ServiceReply FileService::GetFile(const std::string& key) {
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    auto row = index_->Get(key);
    if (!row.ok()) return Error(503, "index: " + row.status().message());
    if (!row->has_value()) return Error(404, "key: no file stored under '" + key + "'");
    const FileRecord& rec = **row;
    bool cacheable = Cacheable(rec);
    std::string cache_key = CacheKey(rec);
    std::string source = "disk";
    std::optional<std::string> bytes;
    if (cacheable) {
      auto item = pool_->Get(cache_key);
      // "content type \n bytes"; anything else (a damaged entry) is a miss.
      if (item && item->value.size() == rec.content_type.size() + 1 + static_cast<size_t>(rec.size) &&
          item->value.compare(0, rec.content_type.size(), rec.content_type) == 0 &&
          item->value[rec.content_type.size()] == '\n') {
        item->value.erase(0, rec.content_type.size() + 1);
        bytes = std::move(item->value);
        source = "hit";
        ++counters_.cache_hits;
      } else {
        ++counters_.cache_misses;
        source = "miss";
      }
    } else {
      ++counters_.cache_bypass;
    }
    if (!bytes) {
      auto read = store_->Read(rec.file);
      if (!read.ok()) {
        if (read.status().code() == Status::Code::kNotFound) continue;  // replaced meanwhile
        spdlog::error("read of '{}': {}", key, read.status().ToString());
        return Error(500, "storage: " + read.status().message());
      }
      if (static_cast<int64_t>(read->size()) != rec.size) {
        spdlog::error("read of '{}': file {} has {} bytes, the index says {}", key, rec.file, read->size(), rec.size);
        return Error(500, "storage: the file of key '" + key + "' is damaged");
      }
      if (cacheable) {
        auto added = pool_->Add(cache_key, rec.content_type + "\n" + *read, 0, options_.cache_ttl_s);
        if (added.ok()) ++counters_.cache_fills;
        else ++counters_.cache_fill_failures;
      }
      bytes = std::move(*read);
    }
    ++counters_.files_served;
    counters_.bytes_served += bytes->size();
    ServiceReply reply;
    reply.body = std::move(*bytes);
    reply.content_type = rec.content_type;
    reply.headers = {{"X-Cache", source},
                     {"ETag", "\"" + rec.digest + "\""},
                     {"X-Content-Type-Options", "nosniff"},
                     // Uploaded files are served from this origin: never let one run as a page.
                     {"Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"}};
    return reply;
  }
  return Error(503, "key: '" + key + "' changed while it was read; try again");
}

ServiceReply FileService::ListKeys(const std::string& query) {
  auto offset = IntParam(query, "offset", 0, 0, int64_t{1} << 40);
  if (!offset.ok()) return Error(400, offset.status().message());
  auto limit = IntParam(query, "limit", 100, 1, 1000);
  if (!limit.ok()) return Error(400, limit.status().message());
  auto list = index_->List(*offset, *limit);
  if (!list.ok()) return Error(503, "index: " + list.status().message());
  nlohmann::json keys = nlohmann::json::array();
  for (const FileRecord& r : list->records) keys.push_back(RecordJson(r));
  return Json(200, {{"total", list->total}, {"offset", *offset}, {"limit", *limit}, {"keys", keys}});
}

size_t FileService::ForgetCached(const std::vector<FileRecord>& records) {
  size_t failed = 0;
  for (const FileRecord& r : records)
    if (Cacheable(r) && !pool_->Delete(CacheKey(r)).ok()) ++failed;
  return failed;
}

ServiceReply FileService::ClearCache() {
  if (coordinator_) {
    // The coordinator flushes every node and publishes cache.cleared.
    Status st = coordinator_->Post("/api/cache/clear");
    if (!st.ok()) return Error(502, st.message());
    return Json(200, {{"ok", true}, {"cleared_by", "coordinator"}});
  }
  if (!pool_) return Json(200, {{"ok", true}, {"cleared_by", "nothing (running without a cache)"}});
  // No coordinator to flush the pool: delete this index's entries, page by page.
  size_t deleted = 0, failed = 0;
  for (int64_t offset = 0;; offset += 1000) {
    auto page = index_->List(offset, 1000);
    if (!page.ok()) return Error(503, "index: " + page.status().message());
    failed += ForgetCached(page->records);
    deleted += page->records.size();
    if (page->records.size() < 1000) break;
  }
  if (failed > 0) return Error(503, fmt::format("cache: {} of {} entries could not be deleted", failed, deleted));
  return Json(200, {{"ok", true}, {"cleared_by", "frontend"}, {"entries", deleted}});
}

Result<std::vector<FileRecord>> FileService::ClearLocalData(std::optional<int64_t> uploaded_until_ms) {
  auto rows = index_->Clear(uploaded_until_ms);
  if (!rows.ok()) return rows.status();
  for (const FileRecord& r : *rows)
    if (Status st = store_->Remove(r.file); !st.ok()) spdlog::warn("clear: {}", st.ToString());
  counters_.files_deleted += rows->size();
  return rows;
}

ServiceReply FileService::ClearData() {
  auto rows = ClearLocalData();
  if (!rows.ok()) return Error(503, "index: " + rows.status().message());
  nlohmann::json j = {{"ok", true}, {"files_deleted", rows->size()}};
  if (coordinator_) {
    // data.cleared reaches every frontend (those on other data directories delete theirs),
    // then the coordinator flushes the pool.
    Status st = coordinator_->Post("/api/data/clear");
    if (!st.ok()) return Error(502, fmt::format("deleted {} files, but {}", rows->size(), st.message()));
    j["cache_cleared_by"] = "coordinator";
  } else if (pool_) {
    size_t failed = ForgetCached(*rows);
    if (failed > 0) j["cache_entries_not_deleted"] = failed;
    j["cache_cleared_by"] = "frontend";
  }
  return Json(200, j);
}

void FileService::OnEvent(const PoolEvent& event) {
  if (event.type == EventType::kCacheCleared) {
    // The coordinator flushed the nodes: nothing to do (entries are refilled on demand).
    ++counters_.events_cache_cleared;
    spdlog::info("cache cleared by the manager ({})", event.reason);
  } else if (event.type == EventType::kDataCleared) {
    ++counters_.events_data_cleared;
    // The event clears the data that existed when it was asked for: files uploaded after it
    // (its ts, the coordinator's clock) stay, so an upload right after a clear - also one
    // through another frontend on this data directory, which acts on the same event - is kept.
    spdlog::info("data cleared by the manager ({}): deleting every file uploaded until {}", event.reason, event.ts);
    std::lock_guard<std::mutex> lock(mu_);
    clear_until_ms_ = std::max(clear_until_ms_.value_or(event.ts), event.ts);
    wake_.notify_all();
  }
}

void FileService::RunMaintenance() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || clear_until_ms_.has_value(); });
    if (stopping_) return;
    int64_t until = *clear_until_ms_;
    clear_until_ms_.reset();
    lock.unlock();
    auto rows = ClearLocalData(until);
    if (rows.ok()) spdlog::info("data cleared: {} files deleted", rows->size());
    else spdlog::error("data clear failed: {}", rows.status().ToString());
    lock.lock();
  }
}

ServiceReply FileService::Health() {
  auto count = index_->Count();
  nlohmann::json cache = {{"enabled", pool_ != nullptr}};
  if (pool_) {
    PoolClientStats s = pool_->Stats();
    cache["ready"] = s.lease_valid;
    cache["epoch"] = s.epoch;
    cache["phase"] = s.phase;
    cache["nodes"] = s.nodes.size();
  }
  nlohmann::json j = {{"ok", count.ok()}, {"cache", cache}};
  if (count.ok()) j["files"] = *count;
  else j["error"] = "index: " + count.status().message();
  return Json(count.ok() ? 200 : 503, j);
}

ServiceReply FileService::Metrics() {
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
  };
  auto gauge = [&](const char* name, const char* help, double value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
  };
  out += "# HELP mcscale_files_requests_total HTTP requests by route and status code.\n"
         "# TYPE mcscale_files_requests_total counter\n";
  {
    std::lock_guard<std::mutex> lock(requests_mu_);
    for (const auto& [k, v] : requests_)
      out += fmt::format("mcscale_files_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", k.first, k.second, v);
  }
  counter("mcscale_files_cache_hits_total", "File reads served from the cache.", counters_.cache_hits);
  counter("mcscale_files_cache_misses_total", "File reads the cache did not have (then read from disk).",
          counters_.cache_misses);
  counter("mcscale_files_cache_bypass_total", "File reads not cached (too large, or no cache).", counters_.cache_bypass);
  counter("mcscale_files_cache_fills_total", "Cache fills that succeeded (stored, or already there).",
          counters_.cache_fills);
  counter("mcscale_files_cache_fill_failures_total", "Cache fills that failed (node down, lease lapsed).",
          counters_.cache_fill_failures);
  counter("mcscale_files_cache_delete_failures_total", "Cache deletes of replaced files that failed.",
          counters_.cache_deletes_failed);
  counter("mcscale_files_served_total", "Files served.", counters_.files_served);
  counter("mcscale_files_bytes_served_total", "Bytes of files served.", counters_.bytes_served);
  counter("mcscale_files_uploads_total", "Uploads stored.", counters_.uploads);
  counter("mcscale_files_upload_bytes_total", "Bytes of uploads stored.", counters_.upload_bytes);
  counter("mcscale_files_uploads_rejected_total", "Uploads refused as bad input.", counters_.upload_rejected);
  counter("mcscale_files_deleted_total", "Files deleted by data clears.", counters_.files_deleted);
  out += "# HELP mcscale_files_events_total Pool events acted on.\n# TYPE mcscale_files_events_total counter\n";
  out += fmt::format("mcscale_files_events_total{{type=\"cache.cleared\"}} {}\n", counters_.events_cache_cleared.load());
  out += fmt::format("mcscale_files_events_total{{type=\"data.cleared\"}} {}\n", counters_.events_data_cleared.load());
  if (pool_) {
    PoolClientStats s = pool_->Stats();
    gauge("mcscale_files_cache_ready", "1 while the pool client holds a valid lease.", s.lease_valid ? 1 : 0);
    gauge("mcscale_files_pool_epoch", "The epoch the pool client routes by.", static_cast<double>(s.epoch));
  }
  ServiceReply r;
  r.body = std::move(out);
  r.content_type = "text/plain; version=0.0.4";
  return r;
}

}  // namespace mcscale
