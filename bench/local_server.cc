#include "bench/local_server.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

namespace mcscale::bench {

namespace {

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted = true; }

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void CatchInterrupts() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool Interrupted() { return g_interrupted.load(); }

uint16_t FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool WaitFor(const std::function<bool()>& pred, int64_t timeout_ms, int64_t poll_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (!Interrupted()) {
    if (pred()) return true;
    if (NowMs() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return false;
}

std::string SelfDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return std::filesystem::path(buf).parent_path().string();
}

std::string LoopbackExchange(uint16_t port, const std::string& request, const std::string& until,
                             int64_t timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  for (size_t off = 0; off < request.size();) {
    ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string out;
  int64_t deadline = NowMs() + timeout_ms;
  char buf[65536];
  while (until.empty() || out.find(until) == std::string::npos) {
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

HttpReplyText HttpCall(uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                       int64_t timeout_ms) {
  std::string req = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  std::string raw = LoopbackExchange(port, req, "", timeout_ms);  // until the server closes
  HttpReplyText r;
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return r;
  r.status = std::atoi(raw.c_str() + 9);
  auto split = raw.find("\r\n\r\n");
  if (split != std::string::npos) r.body = raw.substr(split + 4);
  return r;
}

Result<std::unique_ptr<ScratchDir>> ScratchDir::Create(const std::string& stem) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (stem + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return Status::Io("cannot create a folder like " + tmpl);
  return std::unique_ptr<ScratchDir>(new ScratchDir(buf.data()));
}

ScratchDir::~ScratchDir() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Result<std::unique_ptr<LocalServer>> LocalServer::Start(std::string name, const std::vector<std::string>& argv,
                                                        std::string log_path, const std::function<bool()>& ready,
                                                        int64_t timeout_ms) {
  std::unique_ptr<LocalServer> server(new LocalServer(std::move(name), std::move(log_path)));
  SpawnOptions opts;
  opts.log_path = server->log_path_;
  // A session of its own: a Ctrl-C at the terminal reaches only the benchmark, which then
  // stops its servers in order (the pool retired through its coordinator, then Redis).
  opts.new_session = true;
  auto proc = Subprocess::Spawn(argv, opts);
  if (!proc.ok()) return Status::Io(server->name_ + ": " + proc.status().message());
  server->proc_ = std::move(proc.value());
  if (ready) {
    bool up = WaitFor([&] { return ready() || !server->proc_.Running(); }, timeout_ms, 20);
    if (!up || !server->proc_.Running() || !ready()) {
      std::string why = Interrupted() ? "interrupted while waiting for it"
                        : server->proc_.Running() ? "did not answer within " + std::to_string(timeout_ms / 1000) + " s"
                                                  : "exited";
      return Status::Io(server->name_ + " " + why + "; end of " + server->log_path_ + ":\n" + server->LogTail());
    }
  }
  return server;
}

Result<std::unique_ptr<LocalServer>> LocalServer::StartRedis(const std::string& dir) {
  uint16_t port = FreeLoopbackPort();
  std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                                   "--dir", dir, "--appendonly", "yes", "--save", "", "--daemonize", "no"};
  auto r = Start("redis-server", argv, dir + "/redis.log",
                 [&] { return LoopbackExchange(port, "PING\r\n", "\r\n", 500).find("PONG") != std::string::npos; });
  if (r.ok()) (*r)->port_ = port;
  return r;
}

Result<std::unique_ptr<LocalServer>> LocalServer::StartMemcached(const std::string& dir, int memory_mb,
                                                                 const std::string& name) {
  uint16_t port = FreeLoopbackPort();
  std::vector<std::string> argv = {"memcached", "-l", "127.0.0.1", "-p", std::to_string(port),
                                   "-U", "0", "-m", std::to_string(memory_mb), "-c", "4096"};
  if (geteuid() == 0) argv.insert(argv.end(), {"-u", "nobody"});
  auto r = Start(name, argv, dir + "/" + name + ".log", [&] {
    return LoopbackExchange(port, "version\r\n", "\r\n", 500).rfind("VERSION", 0) == 0;
  });
  if (r.ok()) (*r)->port_ = port;
  return r;
}

LocalServer::~LocalServer() { Stop(); }

void LocalServer::Stop(int64_t grace_ms) {
  if (proc_.Running()) proc_.Stop(grace_ms);
}

std::string LocalServer::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_);
  std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return log.size() > max_bytes ? "..." + log.substr(log.size() - max_bytes) : log;
}

}  // namespace mcscale::bench
