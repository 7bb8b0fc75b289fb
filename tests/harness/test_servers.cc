#include "tests/harness/test_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace mcscale::testing {

namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

uint16_t FreePort() {
  // Ports from the kernel's ephemeral range, checked free; a random start keeps parallel
  // test binaries from racing for the same one.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    ADD_FAILURE() << "cannot bind a free port";
    return 0;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool WaitUntil(const std::function<bool()>& pred, int64_t timeout_ms, int64_t poll_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (true) {
    if (pred()) return true;
    if (NowMs() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
}

std::string BinPath(const std::string& name) { return std::string(MCSCALE_BIN_DIR) + "/" + name; }

std::string RawExchange(uint16_t port, const std::string& request, const std::string& until,
                        int64_t timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string out;
  int64_t deadline = NowMs() + timeout_ms;
  char buf[65536];
  while (out.find(until) == std::string::npos) {
    int64_t left = deadline - NowMs();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mcscale-test-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestProcess::TestProcess(std::string name, std::vector<std::string> argv, std::string log_path,
                         bool new_session)
    : name_(std::move(name)), argv_(std::move(argv)), log_path_(std::move(log_path)),
      new_session_(new_session) {}

TestProcess::~TestProcess() {
  if (started_ && ::testing::Test::HasFailure()) {
    std::string log = ReadLog();
    if (log.size() > 6000) log = "...\n" + log.substr(log.size() - 6000);
    std::cerr << "----- log of " << name_ << " (" << log_path_ << ") -----\n"
              << log << "\n----- end of " << name_ << " -----\n";
  }
  Stop();
}

bool TestProcess::Start() {
  SpawnOptions opts;
  opts.new_session = new_session_;
  opts.log_path = log_path_;
  auto r = Subprocess::Spawn(argv_, opts);
  if (!r.ok()) {
    ADD_FAILURE() << name_ << ": " << r.status().ToString();
    return false;
  }
  proc_ = std::move(r.value());
  started_ = true;
  return true;
}

void TestProcess::Stop(int64_t grace_ms) {
  if (proc_.Running()) proc_.Stop(grace_ms);
}

void TestProcess::Signal(int sig) { proc_.Kill(sig); }

bool TestProcess::Running() { return proc_.Running(); }

std::string TestProcess::ReadLog() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RedisServer::RedisServer() : port_(FreePort()) { Start(); }

RedisServer::~RedisServer() { Stop(); }

void RedisServer::Start() {
  std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port_),
                                   "--bind", "127.0.0.1", "--dir", dir_.path(),
                                   "--appendonly", "yes", "--save", "",
                                   "--daemonize", "no", "--protected-mode", "yes"};
  proc_ = std::make_unique<TestProcess>("redis-server", argv, dir_.path() + "/redis.log");
  if (!proc_->Start()) return;
  bool up = WaitUntil([&] { return RawExchange(port_, "PING\r\n", "\r\n", 500).find("PONG") != std::string::npos; },
                      20000, 20);
  if (!up) ADD_FAILURE() << "redis-server on port " << port_ << " did not answer PING";
}

void RedisServer::Stop() {
  if (!proc_) return;
  proc_->Stop(10000);  // SIGTERM: redis fsyncs the AOF and exits
  proc_.reset();
}

MemcachedServer::MemcachedServer(int memory_mb, std::vector<std::string> extra_args)
    : memory_mb_(memory_mb), extra_args_(std::move(extra_args)), port_(FreePort()) {
  Start();
}

MemcachedServer::~MemcachedServer() { Stop(); }

void MemcachedServer::Start() {
  std::vector<std::string> argv = {"memcached", "-l", "127.0.0.1", "-p", std::to_string(port_),
                                   "-U", "0", "-m", std::to_string(memory_mb_)};
  if (geteuid() == 0) {
    argv.push_back("-u");
    argv.push_back("nobody");
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  proc_ = std::make_unique<TestProcess>("memcached", argv, dir_.path() + "/memcached.log");
  if (!proc_->Start()) return;
  bool up = WaitUntil([&] { return RawExchange(port_, "version\r\n", "\r\n", 500).rfind("VERSION", 0) == 0; },
                      20000, 20);
  if (!up) ADD_FAILURE() << "memcached on port " << port_ << " did not answer";
}

void MemcachedServer::Stop() {
  if (!proc_) return;
  proc_->Signal(SIGCONT);
  proc_->Stop(5000);
  proc_.reset();
}

char ProcessState(int pid);

void MemcachedServer::Pause() {
  if (!proc_) return;
  proc_->Signal(SIGSTOP);
  // kill() returns before the threads stop: wait until they have.
  if (!WaitUntil([&] { return ProcessState(proc_->pid()) == 'T'; }, 10000, 1))
    ADD_FAILURE() << "memcached did not stop on SIGSTOP";
}

void MemcachedServer::Resume() {
  if (proc_) proc_->Signal(SIGCONT);
}

}  // namespace mcscale::testing

namespace mcscale::testing {

HttpResult Http(uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                const std::string& extra_headers, int64_t timeout_ms) {
  std::string req = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  // The sentinel never appears: read until the server closes the connection.
  std::string raw = RawExchange(port, req, "\x01\x02never\x03", timeout_ms);
  HttpResult r;
  if (raw.rfind("HTTP/1.", 0) != 0) return r;
  r.status = std::atoi(raw.c_str() + 9);
  auto split = raw.find("\r\n\r\n");
  if (split != std::string::npos) r.body = raw.substr(split + 4);
  return r;
}

}  // namespace mcscale::testing

namespace mcscale::testing {
char ProcessState(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return '?';
  return stat[close + 2];
}
}  // namespace mcscale::testing

namespace mcscale::testing {
ShellRun RunShell(const std::string& line) {
  ShellRun run;
  FILE* pipe = popen(line.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);
  int wait_status = pclose(pipe);
  run.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  return run;
}
}  // namespace mcscale::testing

namespace mcscale::testing {
namespace {
// `text` as one word of sh: in single quotes, each ' written as '\''.
std::string ShellWord(const std::string& text) {
  std::string word = "'";
  for (char c : text) word += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return word + "'";
}
std::string Seconds(int64_t ms) { return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + "s"; }
}  // namespace

CommandRun RunCommand(const std::vector<std::string>& argv, int64_t timeout_ms, int64_t grace_ms) {
  TempDir dir;
  std::string err_path = dir.path() + "/stderr";
  // coreutils timeout; --foreground signals only the command, never its children.
  std::string line = "timeout --foreground " +
                     (grace_ms > 0 ? "--signal=INT --kill-after=" + Seconds(grace_ms) : std::string("--signal=KILL")) +
                     " " + Seconds(timeout_ms);
  for (const auto& arg : argv) line += " " + ShellWord(arg);
  line += " 2>" + ShellWord(err_path);
  auto start = std::chrono::steady_clock::now();
  ShellRun shell = RunShell(line);
  CommandRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.status = shell.status;
  run.out = std::move(shell.out);
  std::ifstream in(err_path);
  std::stringstream ss;
  ss << in.rdbuf();
  run.err = ss.str();
  if ((run.status == 124 || run.status == 137) && run.seconds * 1000 >= static_cast<double>(timeout_ms))
    ADD_FAILURE() << (argv.empty() ? std::string("(nothing)") : argv[0]) << " did not finish within "
                  << timeout_ms / 1000.0 << " s";
  return run;
}
}  // namespace mcscale::testing
