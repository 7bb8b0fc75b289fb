#include "common/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

namespace mcscale {

Result<Subprocess> Subprocess::Spawn(const std::vector<std::string>& argv, const SpawnOptions& opts) {
  if (argv.empty()) return Status::Invalid("empty command line");
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return Status::Io(std::string("pipe: ") + strerror(errno));
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return Status::Io(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) {
    close(pipefd[0]);
    if (opts.new_session) setsid();
    if (!opts.log_path.empty()) {
      int fd = open(opts.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      int devnull = open("/dev/null", O_RDONLY);
      if (devnull >= 0) {
        dup2(devnull, 0);
        close(devnull);
      }
    }
    for (const auto& e : opts.env) putenv(const_cast<char*>(e.c_str()));
    // Undo signal masks the parent may have set for its own threads.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    execvp(cargv[0], cargv.data());
    int err = errno;
    ssize_t w = write(pipefd[1], &err, sizeof err);
    (void)w;
    _exit(127);
  }
  close(pipefd[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(pipefd[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(pipefd[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    waitpid(pid, nullptr, 0);
    return Status::Io("cannot run '" + argv[0] + "': " + strerror(child_errno));
  }
  Subprocess p;
  p.pid_ = pid;
  p.session_leader_ = opts.new_session;
  p.reaped_ = false;
  return p;
}

Status Subprocess::Kill(int sig) {
  if (pid_ <= 0 || reaped_) return Status::NotFound("process not running");
  pid_t target = session_leader_ ? -pid_ : pid_;
  if (::kill(target, sig) != 0 && ::kill(pid_, sig) != 0)
    return Status::Io(std::string("kill: ") + strerror(errno));
  return Status::Ok();
}

Result<int> Subprocess::Wait(int64_t timeout_ms) {
  if (pid_ <= 0) return Status::NotFound("no process");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (r < 0) {
      reaped_ = true;
      return Status::NotFound("process " + std::to_string(pid_) + " is not our child");
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::Timeout("process " + std::to_string(pid_) + " still running");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void Subprocess::Stop(int64_t grace_ms) {
  if (reaped_) return;
  Kill(SIGTERM);
  if (Wait(grace_ms).ok()) return;
  Kill(SIGKILL);
  Wait(10000);
}

bool Subprocess::Running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

std::optional<std::vector<std::string>> ProcessCommandLine(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) return std::nullopt;  // zombie or kernel thread
  std::vector<std::string> argv;
  std::string cur;
  for (char c : data) {
    if (c == '\0') {
      argv.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) argv.push_back(cur);
  return argv;
}

}  // namespace mcscale
