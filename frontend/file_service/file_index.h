// FileIndex: the file service's key -> file index in SQLite (`<data_dir>/index.sqlite`), in
// WAL mode so readers never wait for a writer, every write in a BEGIN IMMEDIATE
// transaction with a busy timeout, so several frontends (processes) can share one data
// directory. Every row carries a version from a counter in the same database: each upload
// gets a new, larger one.
//
// Thread-safe: one connection, serialized by a mutex (statements take microseconds).
#ifndef MCSCALE_FRONTEND_FILE_SERVICE_FILE_INDEX_H_
#define MCSCALE_FRONTEND_FILE_SERVICE_FILE_INDEX_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

struct sqlite3;

namespace mcscale {

struct FileRecord {
  std::string key;
  std::string file;          // FileStore name
  int64_t size = 0;
  std::string content_type;
  std::string digest;        // SHA-256 (hex) of content type, "\n" and the bytes
  int64_t uploaded_ms = 0;   // wall clock, ms since the epoch
  int64_t version = 0;       // set by Put()
};

struct FileList {
  std::vector<FileRecord> records;  // ordered by key
  int64_t total = 0;                // rows in the index
};

class FileIndex {
 public:
  // Opens (creating when missing) the database at `path`. Fails (Io) when SQLite cannot
  // open it or set WAL mode.
  static Result<std::unique_ptr<FileIndex>> Open(const std::string& path, int busy_timeout_ms = 10000);
  ~FileIndex();
  FileIndex(const FileIndex&) = delete;
  FileIndex& operator=(const FileIndex&) = delete;

  // Inserts `record` or replaces the row of its key, atomically; sets record->version to
  // the next version. Returns the row it replaced, nullopt when the key was new. On
  // failure (Busy past the timeout, Io) nothing changed.
  Result<std::optional<FileRecord>> Put(FileRecord* record);
  // The row of `key`, or nullopt.
  Result<std::optional<FileRecord>> Get(const std::string& key);
  // Rows [offset, offset + limit) by key, and the total count.
  Result<FileList> List(int64_t offset, int64_t limit);
  // Deletes, in one transaction, every row or, with `uploaded_until_ms`, the rows uploaded at
  // or before that time, and returns them (their files are the caller's to delete, after
  // this succeeded).
  Result<std::vector<FileRecord>> Clear(std::optional<int64_t> uploaded_until_ms = std::nullopt);
  Result<int64_t> Count();

 private:
  explicit FileIndex(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Status Error(const std::string& what);

  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_FILE_SERVICE_FILE_INDEX_H_
