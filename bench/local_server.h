// LocalServer: a process a benchmark starts on loopback for the length of a run
// (redis-server, memcached, mcscale-agent, mcscale-coordinator): its output goes to a log
// file, Start waits until it answers, and the destructor stops it (SIGTERM, then SIGKILL
// after a grace period), so a failed or interrupted run leaves nothing behind. Beside it, the
// small pieces every benchmark that starts servers needs: free ports, a scratch folder,
// one-shot HTTP, waiting with a deadline, and SIGINT/SIGTERM turned into a flag.
//
// Not thread-safe: one owner per server.
#ifndef MCSCALE_BENCH_LOCAL_SERVER_H_
#define MCSCALE_BENCH_LOCAL_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/subprocess.h"

namespace mcscale::bench {

// SIGINT and SIGTERM set a flag (Interrupted()) instead of killing the process, so a run
// can stop what it started. Call once, early in main.
void CatchInterrupts();
bool Interrupted();

// A loopback TCP port that was free a moment ago (0 when none could be bound).
uint16_t FreeLoopbackPort();
// Polls `pred` every poll_ms until it holds (true), timeout_ms passed or the run is
// interrupted (false).
bool WaitFor(const std::function<bool()>& pred, int64_t timeout_ms, int64_t poll_ms = 20);
// The folder of the running binary, where the project's other binaries are built.
std::string SelfDir();

struct HttpReplyText {
  int status = 0;  // 0 when the request failed (no connection, timeout)
  std::string body;
};
// One HTTP/1.0 request to 127.0.0.1:port (JSON body when given); reads until the server
// closes the connection or timeout_ms passes.
HttpReplyText HttpCall(uint16_t port, const std::string& method, const std::string& path,
                       const std::string& body = "", int64_t timeout_ms = 20000);

// A temporary folder, removed with everything in it on destruction unless kept.
class ScratchDir {
 public:
  // Creates /tmp/<stem>-XXXXXX (or under $TMPDIR).
  static Result<std::unique_ptr<ScratchDir>> Create(const std::string& stem);
  ~ScratchDir();
  const std::string& path() const { return path_; }
  void Keep() { keep_ = true; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool keep_ = false;
};

class LocalServer {
 public:
  // Starts argv with stdout and stderr appended to log_path and waits up to timeout_ms for
  // `ready` to hold (when given). Fails, naming the server and quoting the end of its log,
  // when it cannot start, exits or does not become ready.
  static Result<std::unique_ptr<LocalServer>> Start(std::string name, const std::vector<std::string>& argv,
                                                    std::string log_path,
                                                    const std::function<bool()>& ready = nullptr,
                                                    int64_t timeout_ms = 20000);
  // redis-server on a free port with appendonly yes, its files in `dir`.
  static Result<std::unique_ptr<LocalServer>> StartRedis(const std::string& dir);
  // memcached -m memory_mb on a free port (-u nobody when run as root).
  static Result<std::unique_ptr<LocalServer>> StartMemcached(const std::string& dir, int memory_mb,
                                                             const std::string& name = "memcached");
  ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  const std::string& name() const { return name_; }
  pid_t pid() const { return proc_.pid(); }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  bool Running() { return proc_.Running(); }
  // SIGTERM, then SIGKILL after grace_ms. Safe to call twice.
  void Stop(int64_t grace_ms = 10000);
  // The last `max_bytes` of the log.
  std::string LogTail(size_t max_bytes = 2000) const;

 private:
  LocalServer(std::string name, std::string log_path) : name_(std::move(name)), log_path_(std::move(log_path)) {}
  std::string name_;
  std::string log_path_;
  uint16_t port_ = 0;
  Subprocess proc_;
};

// Sends `request` to 127.0.0.1:port and returns what arrives until `until` is seen, the
// server closes, or timeout_ms passes ("" when it cannot connect). For readiness checks.
std::string LoopbackExchange(uint16_t port, const std::string& request, const std::string& until,
                             int64_t timeout_ms = 1000);

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_LOCAL_SERVER_H_
