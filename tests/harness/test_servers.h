// The integration-test harness: real redis-server and memcached processes on free loopback
// ports in a temporary folder, waited for until they answer, stopped when the object goes
// away (also when the test failed). Servers can be stopped, restarted on the same port,
// paused and resumed, to test reconnection and failure handling. Any other binary of the
// project runs as a TestProcess whose log is printed when the test failed.
//
// Not thread-safe: a test owns its servers.
#ifndef MCSCALE_TESTS_HARNESS_TEST_SERVERS_H_
#define MCSCALE_TESTS_HARNESS_TEST_SERVERS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/subprocess.h"

namespace mcscale::testing {

// A loopback TCP port that was free a moment ago.
uint16_t FreePort();
// Polls `pred` every poll_ms until it holds or timeout_ms passed; returns its last value.
bool WaitUntil(const std::function<bool()>& pred, int64_t timeout_ms, int64_t poll_ms = 20);
// Path of a binary built by this project (build/bin/NAME).
std::string BinPath(const std::string& name);
// Sends `request` to 127.0.0.1:port and returns what arrives until `until` is seen (or
// timeout/close). Empty on connect failure. For readiness checks and raw protocol tests.
std::string RawExchange(uint16_t port, const std::string& request, const std::string& until,
                        int64_t timeout_ms = 2000);

// A temporary folder removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A child process whose output goes to a log file; Stop()ped on destruction, and its log
// tail printed when the current test has failed.
class TestProcess {
 public:
  TestProcess(std::string name, std::vector<std::string> argv, std::string log_path,
              bool new_session = false);
  ~TestProcess();
  TestProcess(const TestProcess&) = delete;
  TestProcess& operator=(const TestProcess&) = delete;

  // REQUIRES: not running. Fails the test when the binary cannot start.
  bool Start();
  void Stop(int64_t grace_ms = 3000);
  void Signal(int sig);
  bool Running();
  pid_t pid() const { return proc_.pid(); }
  std::string ReadLog() const;
  const std::string& log_path() const { return log_path_; }

 private:
  std::string name_;
  std::vector<std::string> argv_;
  std::string log_path_;
  bool new_session_;
  Subprocess proc_;
  bool started_ = false;
};

class RedisServer {
 public:
  // Starts redis-server with appendonly yes in its own folder; fails the test if it does
  // not answer PING within 20 s.
  RedisServer();
  ~RedisServer();
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // Stops the server (SHUTDOWN semantics: the append-only file stays).
  void Stop();
  // Starts it again on the same port with the same data folder.
  void Start();
  void Restart() { Stop(); Start(); }
  bool Running() { return proc_ && proc_->Running(); }

 private:
  TempDir dir_;
  uint16_t port_;
  std::unique_ptr<TestProcess> proc_;
};

class MemcachedServer {
 public:
  // Starts memcached -m memory_mb on a free port (-u nobody when root), waits for it.
  explicit MemcachedServer(int memory_mb = 64, std::vector<std::string> extra_args = {});
  ~MemcachedServer();
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Stop();
  void Start();
  void Restart() { Stop(); Start(); }
  // SIGSTOP / SIGCONT: the port accepts connections but nothing answers.
  void Pause();
  void Resume();
  bool Running() { return proc_ && proc_->Running(); }
  pid_t pid() const { return proc_ ? proc_->pid() : -1; }

 private:
  TempDir dir_;
  int memory_mb_;
  std::vector<std::string> extra_args_;
  uint16_t port_;
  std::unique_ptr<TestProcess> proc_;
};

}  // namespace mcscale::testing

namespace mcscale::testing {

struct HttpResult {
  int status = 0;  // 0 when the request failed
  std::string body;
};
// One HTTP/1.0 request to 127.0.0.1:port; reads the reply until the server closes.
HttpResult Http(uint16_t port, const std::string& method, const std::string& path,
                const std::string& body = "", const std::string& extra_headers = "",
                int64_t timeout_ms = 20000);

}  // namespace mcscale::testing

namespace mcscale::testing {
// The state letter of /proc/PID/stat ('R', 'S', 'T' stopped, 'Z' zombie), or '?' when gone.
char ProcessState(int pid);
}  // namespace mcscale::testing

namespace mcscale::testing {
struct ShellRun {
  int status = -1;  // exit status; -1 when it could not run or did not exit
  std::string out;  // what it wrote to stdout (redirect stderr in the line to see it too)
};
// Runs one shell command line (for a built binary: BinPath quoted) and collects its stdout.
ShellRun RunShell(const std::string& line);
}  // namespace mcscale::testing

namespace mcscale::testing {
struct CommandRun {
  int status = -1;     // exit status; 124 or 137 when it overran its time (below)
  std::string out;     // what it wrote to stdout
  std::string err;     // what it wrote to stderr
  double seconds = 0;  // how long it ran
};
// Runs argv (argv[0] a path, e.g. BinPath(NAME)) through RunShell, collecting stdout and
// stderr apart. A run that has not ended after timeout_ms gets SIGINT, so it can clean up,
// and SIGKILL grace_ms later (at once when grace_ms is 0); the test then fails, naming the
// command. Only the command is signalled, not what it started; its stdout is read to the
// end, so a child it leaves running with that stdout still open keeps this waiting.
CommandRun RunCommand(const std::vector<std::string>& argv, int64_t timeout_ms, int64_t grace_ms = 0);
}  // namespace mcscale::testing

#endif  // MCSCALE_TESTS_HARNESS_TEST_SERVERS_H_
