#include "frontend/file_service/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace mcscale {

namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  return Status::Io(Errno("cannot create", path));
}

Status SyncDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Io(Errno("cannot open", path));
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::Io(Errno("cannot fsync", path));
}

constexpr size_t kDigestLen = 64;
constexpr size_t kSuffixLen = 16;

}  // namespace

std::string Sha256Hex(std::initializer_list<std::string_view> pieces) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (std::string_view p : pieces) EVP_DigestUpdate(ctx, p.data(), p.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  return Hex(digest, len);
}

FileStore::FileStore(std::string data_dir)
    : data_dir_(std::move(data_dir)), files_dir_(data_dir_ + "/files"), tmp_dir_(data_dir_ + "/tmp") {}

Result<std::unique_ptr<FileStore>> FileStore::Open(const std::string& data_dir) {
  if (data_dir.empty()) return Status::Invalid("data dir: empty path");
  std::unique_ptr<FileStore> store(new FileStore(data_dir));
  for (const std::string& dir : {store->data_dir_, store->files_dir_, store->tmp_dir_}) {
    Status st = MakeDir(dir);
    if (!st.ok()) return st;
  }
  return store;
}

std::string FileStore::PathOf(const std::string& name) const {
  // "ab/<64 hex>-<16 hex>": checked so that a tampered index cannot name another path.
  if (name.size() != 3 + kDigestLen + 1 + kSuffixLen || name[2] != '/' || name[3 + kDigestLen] != '-') return "";
  std::string_view v(name);
  if (!IsLowerHex(v.substr(0, 2)) || !IsLowerHex(v.substr(3, kDigestLen)) ||
      !IsLowerHex(v.substr(4 + kDigestLen)) || v.substr(0, 2) != v.substr(3, 2))
    return "";
  return files_dir_ + "/" + name;
}

Result<std::string> FileStore::Write(std::string_view bytes, const std::string& digest) const {
  unsigned char random[kSuffixLen / 2];
  if (RAND_bytes(random, sizeof(random)) != 1) return Status::Io("no random bytes for a file name");
  std::string name = digest.substr(0, 2) + "/" + digest + "-" + Hex(random, sizeof(random));
  std::string path = PathOf(name);
  if (path.empty()) return Status::Invalid("digest: expected 64 lower-case hex characters");

  std::string tmp = tmp_dir_ + "/" + digest + "-" + Hex(random, sizeof(random)) + ".part";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Io(Errno("cannot create", tmp));
  auto fail = [&](const std::string& message) -> Result<std::string> {
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::Io(message);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(Errno("cannot write", tmp));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail(Errno("cannot fsync", tmp));
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::Io(Errno("cannot close", tmp));
  }
  std::string fan_dir = files_dir_ + "/" + digest.substr(0, 2);
  Status st = MakeDir(fan_dir);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Status::Io(Errno("cannot rename into", path));
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  // The rename is durable once the folder holding the new name is synced.
  st = SyncDir(fan_dir);
  if (!st.ok()) {
    ::unlink(path.c_str());
    return st;
  }
  return name;
}

Result<std::string> FileStore::Read(const std::string& name) const {
  std::string path = PathOf(name);
  if (path.empty()) return Status::Invalid("not a stored file name: '" + name.substr(0, 100) + "'");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no file " + name);
    return Status::Io(Errno("cannot open", path));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::Io(Errno("cannot stat", path));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Status::Io(Errno("cannot read", path));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

Status FileStore::Remove(const std::string& name) const {
  std::string path = PathOf(name);
  if (path.empty()) return Status::Invalid("not a stored file name: '" + name.substr(0, 100) + "'");
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return Status::Ok();
  return Status::Io(Errno("cannot delete", path));
}

int FileStore::SweepTemp(int64_t age_s) const {
  DIR* dir = ::opendir(tmp_dir_.c_str());
  if (dir == nullptr) return 0;
  int removed = 0;
  time_t now = ::time(nullptr);
  while (dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n.size() < 5 || n.substr(n.size() - 5) != ".part") continue;
    std::string path = tmp_dir_ + "/" + n;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && now - st.st_mtime >= age_s && ::unlink(path.c_str()) == 0) ++removed;
  }
  ::closedir(dir);
  return removed;
}

}  // namespace mcscale
