#include "frontend/file_service/file_index.h"

#include <sqlite3.h>

namespace mcscale {

namespace {

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, const std::string& s) { sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT); }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  int Step() { return sqlite3_step(stmt_); }
  std::string Text(int col) {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};



FileRecord RowOf(Statement& s) {
  FileRecord r;
  r.key = s.Text(0);
  r.file = s.Text(1);
  r.size = s.Int(2);
  r.content_type = s.Text(3);
  r.digest = s.Text(4);
  r.uploaded_ms = s.Int(5);
  r.version = s.Int(6);
  return r;
}

}  // namespace

Result<std::unique_ptr<FileIndex>> FileIndex::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::Io("cannot open index " + path + ": " + msg);
  }
  std::unique_ptr<FileIndex> index(new FileIndex(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // WAL: readers do not wait for the writer and a crash never leaves half a transaction;
  // synchronous=FULL: a commit the service acknowledged survives a power cut, so the old
  // file it deletes after the commit can never be named by the index again.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                          "CREATE TABLE IF NOT EXISTS files (key TEXT PRIMARY KEY, file TEXT NOT NULL, "
                          "size INTEGER NOT NULL, content_type TEXT NOT NULL, digest TEXT NOT NULL, "
                          "uploaded_ms INTEGER NOT NULL, version INTEGER NOT NULL)",
                          "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"}) {
    Status st = index->Exec(sql);
    if (!st.ok()) return Status::Io("index " + path + ": " + st.message());
  }
  Statement mode(db, "PRAGMA journal_mode");
  if (!mode.ok() || mode.Step() != SQLITE_ROW || mode.Text(0) != "wal")
    return Status::Io("index " + path + ": cannot switch to WAL mode");
  return index;
}

FileIndex::~FileIndex() { sqlite3_close(db_); }

Status FileIndex::Error(const std::string& what) {
  int code = sqlite3_errcode(db_);
  std::string msg = what + ": " + sqlite3_errmsg(db_);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return Status::Busy(msg);
  return Status::Io(msg);
}

Status FileIndex::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : "unknown error";
  sqlite3_free(err);
  int code = sqlite3_errcode(db_);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return Status::Busy(msg);
  return Status::Io(msg);
}

Result<std::optional<FileRecord>> FileIndex::Put(FileRecord* record) {
  std::lock_guard<std::mutex> lock(mu_);
  // IMMEDIATE takes the write lock up front (waiting out the busy timeout), so the read of
  // the old row and the write of the new one see no other writer in between.
  Status st = Exec("BEGIN IMMEDIATE");
  if (!st.ok()) return st;
  auto rollback = [&](Status failure) -> Result<std::optional<FileRecord>> {
    Exec("ROLLBACK");
    return failure;
  };
  std::optional<FileRecord> old;
  {
    Statement get(db_, "SELECT key, file, size, content_type, digest, uploaded_ms, version FROM files WHERE key = ?");
    if (!get.ok()) return rollback(Error("select"));
    get.Bind(1, record->key);
    int rc = get.Step();
    if (rc == SQLITE_ROW) old = RowOf(get);
    else if (rc != SQLITE_DONE) return rollback(Error("select"));
  }
  {
    Statement next(db_, "INSERT INTO counters (name, value) VALUES ('version', 1) "
                        "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value");
    if (!next.ok() || next.Step() != SQLITE_ROW) return rollback(Error("version counter"));
    record->version = next.Int(0);
  }
  {
    Statement put(db_, "INSERT OR REPLACE INTO files (key, file, size, content_type, digest, uploaded_ms, version) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!put.ok()) return rollback(Error("insert"));
    put.Bind(1, record->key);
    put.Bind(2, record->file);
    put.Bind(3, record->size);
    put.Bind(4, record->content_type);
    put.Bind(5, record->digest);
    put.Bind(6, record->uploaded_ms);
    put.Bind(7, record->version);
    if (put.Step() != SQLITE_DONE) return rollback(Error("insert"));
  }
  st = Exec("COMMIT");
  if (!st.ok()) return rollback(st);
  return old;
}

Result<std::optional<FileRecord>> FileIndex::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement get(db_, "SELECT key, file, size, content_type, digest, uploaded_ms, version FROM files WHERE key = ?");
  if (!get.ok()) return Error("select");
  get.Bind(1, key);
  int rc = get.Step();
  if (rc == SQLITE_ROW) return std::optional<FileRecord>(RowOf(get));
  if (rc == SQLITE_DONE) return std::optional<FileRecord>();
  return Error("select");
}

Result<FileList> FileIndex::List(int64_t offset, int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  FileList out;
  // One read transaction, so the page and the total agree.
  Status st = Exec("BEGIN");
  if (!st.ok()) return st;
  {
    Statement count(db_, "SELECT COUNT(*) FROM files");
    if (!count.ok() || count.Step() != SQLITE_ROW) {
      Exec("ROLLBACK");
      return Error("count");
    }
    out.total = count.Int(0);
    Statement page(db_, "SELECT key, file, size, content_type, digest, uploaded_ms, version FROM files "
                        "ORDER BY key LIMIT ? OFFSET ?");
    if (!page.ok()) {
      Exec("ROLLBACK");
      return Error("select");
    }
    page.Bind(1, limit);
    page.Bind(2, offset);
    int rc;
    while ((rc = page.Step()) == SQLITE_ROW) out.records.push_back(RowOf(page));
    if (rc != SQLITE_DONE) {
      Exec("ROLLBACK");
      return Error("select");
    }
  }
  Exec("COMMIT");
  return out;
}

Result<std::vector<FileRecord>> FileIndex::Clear(std::optional<int64_t> uploaded_until_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Status st = Exec("BEGIN IMMEDIATE");
  if (!st.ok()) return st;
  std::vector<FileRecord> rows;
  {
    Statement del(db_, uploaded_until_ms
                           ? "DELETE FROM files WHERE uploaded_ms <= ? "
                             "RETURNING key, file, size, content_type, digest, uploaded_ms, version"
                           : "DELETE FROM files RETURNING key, file, size, content_type, digest, uploaded_ms, version");
    if (uploaded_until_ms) del.Bind(1, *uploaded_until_ms);
    if (!del.ok()) {
      Exec("ROLLBACK");
      return Error("delete");
    }
    int rc;
    while ((rc = del.Step()) == SQLITE_ROW) rows.push_back(RowOf(del));
    if (rc != SQLITE_DONE) {
      Exec("ROLLBACK");
      return Error("delete");
    }
  }
  st = Exec("COMMIT");
  if (!st.ok()) {
    Exec("ROLLBACK");
    return st;
  }
  return rows;
}

Result<int64_t> FileIndex::Count() {
  std::lock_guard<std::mutex> lock(mu_);
  Statement count(db_, "SELECT COUNT(*) FROM files");
  if (!count.ok() || count.Step() != SQLITE_ROW) return Error("count");
  return count.Int(0);
}

}  // namespace mcscale
