#include "frontend/file_service/coordinator_link.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

namespace mcscale {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool WaitFd(int fd, short events, int64_t deadline_ms) {
  while (true) {
    int64_t left = deadline_ms - NowMs();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
}

}  // namespace

Result<CoordinatorLink> CoordinatorLink::Parse(const std::string& url, std::string admin_token, int64_t timeout_ms) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos)
    return Status::Invalid("coordinator: only http:// URLs are supported, got '" + url + "'");
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) return Status::Invalid("coordinator: expected http://HOST:PORT, got '" + url + "'");
  auto address = HostPort::Parse(rest);
  if (!address.ok()) return Status::Invalid("coordinator: " + address.status().message());
  return CoordinatorLink(*address, std::move(admin_token), timeout_ms);
}

Status CoordinatorLink::Post(const std::string& path) const {
  int64_t deadline = NowMs() + timeout_ms_;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(address_.port);
  if (::getaddrinfo(address_.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr)
    return Status::Io("coordinator " + ToString() + ": cannot resolve the host");
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return Status::Io("coordinator: no socket");
  }
  int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  auto fail = [&](const std::string& what) {
    ::close(fd);
    return Status::Io("coordinator " + ToString() + ": " + what);
  };
  if (rc != 0 && errno != EINPROGRESS) return fail(std::string("cannot connect: ") + std::strerror(errno));
  if (!WaitFd(fd, POLLOUT, deadline)) return fail("connect timed out");
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return fail(std::string("cannot connect: ") + std::strerror(err));

  std::string request = "POST " + path + " HTTP/1.0\r\nHost: " + address_.ToString() +
                        "\r\nContent-Length: 0\r\nConnection: close\r\n";
  if (!admin_token_.empty()) request += "Authorization: Bearer " + admin_token_ + "\r\n";
  request += "\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    if (!WaitFd(fd, POLLOUT, deadline)) return fail("send timed out");
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return fail("send failed");
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[4096];
  while (true) {
    if (!WaitFd(fd, POLLIN, deadline)) return fail("no answer in time");
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return fail("receive failed");
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
    if (reply.size() > (1 << 20)) break;
  }
  ::close(fd);
  // "HTTP/1.1 200 OK\r\n..."
  size_t sp = reply.find(' ');
  int code = sp == std::string::npos ? 0 : std::atoi(reply.c_str() + sp + 1);
  if (code >= 200 && code < 300) return Status::Ok();
  std::string message = "HTTP " + std::to_string(code);
  size_t body = reply.find("\r\n\r\n");
  if (body != std::string::npos) {
    auto j = nlohmann::json::parse(reply.substr(body + 4), nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) message += ": " + j["error"].get<std::string>();
  }
  return Status::Io("coordinator " + ToString() + path + " answered " + message);
}

}  // namespace mcscale
