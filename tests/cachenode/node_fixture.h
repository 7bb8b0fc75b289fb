// Test helpers for mcscale-node: start the binary on a free port and wait until it answers,
// and a raw protocol connection that reads replies up to a known terminator (never by
// sleeping), for byte-exact comparisons with stock memcached.
#ifndef MCSCALE_TESTS_CACHENODE_NODE_FIXTURE_H_
#define MCSCALE_TESTS_CACHENODE_NODE_FIXTURE_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/harness/test_servers.h"

namespace mcscale::testing {

// mcscale-node on a free loopback port, stopped when the object goes away.
class NodeProcess {
 public:
  explicit NodeProcess(std::vector<std::string> extra_args = {}, int memory_mb = 64, int threads = 2)
      : port_(FreePort()) {
    std::vector<std::string> argv = {BinPath("mcscale-node"), "-l", "127.0.0.1", "-p", std::to_string(port_),
                                     "-m", std::to_string(memory_mb), "-t", std::to_string(threads)};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    proc_ = std::make_unique<TestProcess>("mcscale-node", argv, dir_.path() + "/node.log");
    if (!proc_->Start()) return;
    bool up = WaitUntil([&] { return RawExchange(port_, "version\r\n", "\r\n", 500).rfind("VERSION", 0) == 0; },
                        20000);
    if (!up) ADD_FAILURE() << "mcscale-node on port " << port_ << " did not answer";
  }
  uint16_t port() const { return port_; }
  TestProcess& process() { return *proc_; }

 private:
  TempDir dir_;
  uint16_t port_;
  std::unique_ptr<TestProcess> proc_;
};

// One blocking TCP connection with deadline-bounded reads.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
    int one = 1;
    if (fd_ >= 0) setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  bool Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads until the buffered input ends with `suffix` (or the peer closes, or timeout).
  // Returns everything read; `closed` tells whether the peer closed.
  std::string ReadUntil(const std::string& suffix, int64_t timeout_ms = 10000, bool* closed = nullptr) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    if (closed) *closed = false;
    while (out.size() < suffix.size() || out.compare(out.size() - suffix.size(), suffix.size(), suffix) != 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (closed) *closed = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  // Reads until the peer closes (or timeout); true when it closed.
  bool WaitClosed(std::string* got, int64_t timeout_ms = 10000) {
    bool closed = false;
    *got = ReadUntil(std::string(1 << 20, '\x7f'), timeout_ms, &closed);
    return closed;
  }

 private:
  int fd_ = -1;
};

}  // namespace mcscale::testing

#endif  // MCSCALE_TESTS_CACHENODE_NODE_FIXTURE_H_
