// FileStore: the file service's bytes on disk, under `<data_dir>/files/`, each upload in a
// file of its own whose name derives from a hash (never from the user's key, so no key can
// reach outside the data directory) plus a random suffix (so two uploads never share a
// file, and replacing or deleting one never touches another's).
//
// A write is crash-safe: the bytes go to `<data_dir>/tmp/`, are fsync'ed, renamed into
// place and the directory is fsync'ed, so a name returned by Write() always holds the whole
// file. A crash leaves at most a temp file, which SweepTemp() removes later.
//
// Thread-safe: every method may be called from any thread and from several processes
// sharing the data directory.
#ifndef MCSCALE_FRONTEND_FILE_SERVICE_FILE_STORE_H_
#define MCSCALE_FRONTEND_FILE_SERVICE_FILE_STORE_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mcscale {

// Lower-case hex SHA-256 of the concatenated pieces.
std::string Sha256Hex(std::initializer_list<std::string_view> pieces);

class FileStore {
 public:
  // Creates `<data_dir>/files` and `<data_dir>/tmp` when missing; fails (Io) when it cannot.
  static Result<std::unique_ptr<FileStore>> Open(const std::string& data_dir);

  // Stores `bytes` durably and returns the new file's name ("ab/<digest>-<random>", relative
  // to the files folder). REQUIRES: `digest` is 64 lower-case hex characters. On failure
  // nothing is left behind.
  Result<std::string> Write(std::string_view bytes, const std::string& digest) const;
  // The whole file. NotFound when it does not exist (e.g. replaced meanwhile), Invalid when
  // `name` is not a name Write() makes, Io otherwise.
  Result<std::string> Read(const std::string& name) const;
  // Deletes the file; ok when it is gone, also when it never existed.
  Status Remove(const std::string& name) const;
  // Removes temp files older than `age_s` (left by a crash mid-upload); returns how many.
  int SweepTemp(int64_t age_s) const;

  const std::string& data_dir() const { return data_dir_; }

 private:
  explicit FileStore(std::string data_dir);
  // The absolute path of a name Write() makes; empty for anything else.
  std::string PathOf(const std::string& name) const;

  std::string data_dir_;
  std::string files_dir_;
  std::string tmp_dir_;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_FILE_SERVICE_FILE_STORE_H_
