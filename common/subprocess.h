// Subprocess: a child process started from an argv, optionally in a session of its own (so
// it outlives its parent), with stdout and stderr appended to a log file. Used by the local
// node provider and by the test harness.
//
// Not thread-safe; one owner. The destructor does not kill the child (a provider's nodes
// must outlive it); call Kill() and Wait() to stop it.
#ifndef MCSCALE_COMMON_SUBPROCESS_H_
#define MCSCALE_COMMON_SUBPROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mcscale {

struct SpawnOptions {
  // Start the child in a new session and process group (setsid). Default: false.
  bool new_session = false;
  // Append stdout and stderr here; empty means inherit the parent's. Default: empty.
  std::string log_path;
  // Extra NAME=VALUE environment entries. Default: none.
  std::vector<std::string> env;
};

class Subprocess {
 public:
  Subprocess() = default;
  // Starts argv[0] (looked up in PATH). Fails when fork or exec fails (exec failure is
  // detected through a close-on-exec pipe, so a missing binary is an error here).
  static Result<Subprocess> Spawn(const std::vector<std::string>& argv, const SpawnOptions& opts = {});

  pid_t pid() const { return pid_; }
  // Sends `signal` to the child (to its whole group when it leads a session).
  Status Kill(int signal);
  // Waits up to timeout_ms for the child to exit; returns its wait status, or Timeout.
  Result<int> Wait(int64_t timeout_ms);
  // SIGTERM, wait up to grace_ms, then SIGKILL and reap.
  void Stop(int64_t grace_ms = 3000);
  // True while the child has not been reaped.
  bool Running();

 private:
  pid_t pid_ = -1;
  bool session_leader_ = false;
  bool reaped_ = true;
};

// True when a process with this pid exists (any owner).
bool ProcessAlive(pid_t pid);
// The command line of a live process as its argv, read from /proc; nullopt when gone.
std::optional<std::vector<std::string>> ProcessCommandLine(pid_t pid);

}  // namespace mcscale

#endif  // MCSCALE_COMMON_SUBPROCESS_H_
