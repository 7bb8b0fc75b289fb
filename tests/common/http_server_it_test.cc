// HttpServer over real loopback sockets: keep-alive and pipelining, and every refusal the
// server makes on its own (413, 400, 411, 431, 408, 500) answered in JSON.
#include "common/http_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcscale {
namespace {

using Clock = std::chrono::steady_clock;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> fields;  // names lower-cased
  std::string body;
  std::string Error() const {
    auto j = nlohmann::json::parse(body, nullptr, false);
    return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
  }
};

// A plain blocking client that reads replies one at a time.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // The next reply, or nullopt when the connection ends or nothing comes within the time.
  std::optional<Reply> Read(int timeout_ms = 20000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!Fill(deadline)) return std::nullopt;
    Reply r;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    if (head.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    r.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.fields[name] = line.substr(colon + 2);
      pos = next;
    }
    size_t length = r.fields.count("content-length") ? std::stoul(r.fields["content-length"]) : 0;
    if (head_only_) length = 0;
    while (buffer_.size() < length)
      if (!Fill(deadline)) return std::nullopt;
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }
  void ExpectHeadOnly(bool head_only) { head_only_ = head_only; }

  // True when the server closes the connection (a read returns 0 or a reset) in time.
  bool ClosedByServer(int timeout_ms = 20000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Fill(deadline)) {
    }
    return closed_;
  }

 private:
  bool Fill(Clock::time_point deadline) {
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        return false;
      }
      buffer_.append(buf, static_cast<size_t>(n));
      return true;
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  bool head_only_ = false;
  std::string buffer_;
};

// Echoes what it was asked, as JSON; counts its calls.
class EchoServer {
 public:
  explicit EchoServer(HttpServerOptions options = {}) : server_(options, [this](const HttpRequestHead& h, std::string_view body) {
    ++calls;
    if (h.path == "/throw") throw std::runtime_error("boom");
    HttpResponse r;
    if (h.path == "/block") {
      std::unique_lock<std::mutex> lock(mu_);
      blocked_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
    if (h.path == "/nocontent") r.status = 204;  // with a body the server must not send
    r.body = nlohmann::json{{"method", h.method}, {"path", h.path}, {"query", h.query}, {"body", std::string(body)}}.dump();
    r.headers.emplace_back("X-Test", "yes");
    return r;
  }) {
    Status st = server_.Start(HostPort{"127.0.0.1", 0});
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  ~EchoServer() { Release(); }
  uint16_t port() const { return server_.port(); }
  HttpServer& server() { return server_; }
  std::atomic<int> calls{0};

  // /block requests wait in the handler until Release().
  bool WaitBlocked(int timeout_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return blocked_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool blocked_ = false;
  bool released_ = false;
  HttpServer server_;  // last: stopped (its threads joined) before the members above go
};

std::string Get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

std::string Post(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "\r\n" + body;
}

void ExpectJsonError(const std::optional<Reply>& r, int status, const std::string& message_part) {
  ASSERT_TRUE(r.has_value()) << "no reply";
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->fields.at("content-type"), "application/json");
  EXPECT_NE(r->Error().find(message_part), std::string::npos) << r->body;
  EXPECT_EQ(r->fields.count("connection") ? r->fields.at("connection") : "", "close");
}

TEST(HttpServer, KeepAliveAndPipelinedRequestsAreAnsweredInOrder) {
  EchoServer s;
  Client c(s.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/one?x=1")));
  auto first = c.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->fields["x-test"], "yes");
  auto j = nlohmann::json::parse(first->body);
  EXPECT_EQ(j["path"], "/one");
  EXPECT_EQ(j["query"], "x=1");
  // Three requests in one write, the middle one with a body.
  ASSERT_TRUE(c.Send(Get("/two") + Post("/three", "payload") + Get("/four")));
  for (const char* path : {"/two", "/three", "/four"}) {
    auto r = c.Read();
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(nlohmann::json::parse(r->body)["path"], path);
  }
  EXPECT_EQ(s.calls, 4);
}

TEST(HttpServer, BodyTrickledInPiecesIsDeliveredWhole) {
  EchoServer s;
  Client c(s.port());
  std::string request = Post("/p", std::string(300000, 'z'));
  for (size_t i = 0; i < request.size(); i += 7001) ASSERT_TRUE(c.Send(request.substr(i, 7001)));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["body"].get<std::string>().size(), 300000u);
}

TEST(HttpServer, BodyOverTheLimitGets413JsonBeforeContinueAndUnread) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  o.body_limit_note = "files are limited to 1000 bytes";
  EchoServer s(o);
  Client c(s.port());
  ASSERT_TRUE(c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\n"));
  auto r = c.Read();
  ExpectJsonError(r, 413, "request body: 10000000 bytes, over the limit of 1000 bytes; files are limited to 1000 bytes");
  EXPECT_TRUE(c.ClosedByServer());
  EXPECT_EQ(s.calls, 0);
  // At the limit is fine.
  Client ok(s.port());
  ASSERT_TRUE(ok.Send(Post("/upload", std::string(1000, 'a'))));
  auto fine = ok.Read();
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

TEST(HttpServer, ClientStillSendingAnOversizedBodyReadsThe413InsteadOfAReset) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  EchoServer s(o);
  Client c(s.port());
  const size_t body = 8 << 20;
  ASSERT_TRUE(c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n"));
  // The body goes out from another thread, as a client that does not wait for a reply would.
  std::atomic<size_t> sent{0};
  std::thread writer([&] {
    std::string chunk(64 << 10, 'b');
    while (sent < body) {
      ssize_t n = ::send(c.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  });
  auto r = c.Read();
  writer.join();
  ExpectJsonError(r, 413, "over the limit of 1000 bytes");
  // A server that closed at once would reset the connection under the client's sends (a
  // real client then reports the reset, not the 413).
  EXPECT_EQ(sent.load(), body) << "the server reset the connection while the client was still sending";
  EXPECT_EQ(s.calls, 0);
}

TEST(HttpServer, ExpectContinueWithinTheLimitGetsContinueThenTheReply) {
  EchoServer s;
  Client c(s.port());
  ASSERT_TRUE(c.Send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto cont = c.Read();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.Send("hello"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["body"], "hello");
}

TEST(HttpServer, MalformedRequestsGetJsonErrorsNamingTheProblem) {
  HttpServerOptions o;
  o.max_head_bytes = 4096;
  EchoServer s(o);
  struct Case {
    std::string request;
    int status;
    std::string message;
  };
  std::vector<Case> cases = {
      {"NONSENSE\r\n\r\n", 400, "request line: expected 'METHOD TARGET HTTP/1.1'"},
      {"GET / HTTP/3.0\r\n\r\n", 505, "version 'HTTP/3.0' is not supported"},
      {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400, "has no ':'"},
      {"POST / HTTP/1.1\r\nContent-Length: many\r\n\r\n", 400, "Content-Length: 'many'"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411, "send Content-Length"},
      {"GET / HTTP/1.1\r\nCookie: " + std::string(8000, 'c') + "\r\n\r\n", 431, "longer than 4096 bytes"},
      {"GET /" + std::string(8000, 'p') + " HTTP/1.1\r\n\r\n", 414, "request line: longer than 4096 bytes"},
  };
  for (const Case& k : cases) {
    Client c(s.port());
    ASSERT_TRUE(c.Send(k.request));
    SCOPED_TRACE(k.request.substr(0, 40));
    ExpectJsonError(c.Read(), k.status, k.message);
    EXPECT_TRUE(c.ClosedByServer());
  }
  EXPECT_EQ(s.calls, 0);
}

TEST(HttpServer, StalledRequestGets408AndIdleConnectionsAreClosed) {
  HttpServerOptions o;
  o.timeout_s = 1;
  EchoServer s(o);
  Client stalled(s.port());
  ASSERT_TRUE(stalled.Send("POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"));
  ExpectJsonError(stalled.Read(), 408, "nothing received for 1 s");
  Client idle(s.port());
  ASSERT_TRUE(idle.Send(Get("/a")));
  ASSERT_TRUE(idle.Read());
  EXPECT_TRUE(idle.ClosedByServer()) << "an idle keep-alive connection is closed after the timeout";
}

TEST(HttpServer, HeadGetsTheFieldsWithoutTheBody) {
  EchoServer s;
  Client c(s.port());
  ASSERT_TRUE(c.Send("HEAD /h HTTP/1.1\r\n\r\n"));
  c.ExpectHeadOnly(true);
  auto head = c.Read();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  size_t length = std::stoul(head->fields["content-length"]);
  EXPECT_GT(length, 0u) << "the length the GET body would have";
  c.ExpectHeadOnly(false);
  // No body bytes were sent: the next reply starts right where the head ended.
  ASSERT_TRUE(c.Send(Get("/after")));
  auto next = c.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(nlohmann::json::parse(next->body)["path"], "/after");
}

TEST(HttpServer, Http10AndConnectionCloseEndTheConnection) {
  EchoServer s;
  for (const std::string& request : {std::string("GET /a HTTP/1.0\r\n\r\n"), Get("/b", "Connection: close\r\n")}) {
    Client c(s.port());
    ASSERT_TRUE(c.Send(request));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->fields["connection"], "close");
    EXPECT_TRUE(c.ClosedByServer());
  }
  // A client that shuts its side after the request still gets the whole reply.
  Client half(s.port());
  ASSERT_TRUE(half.Send(Post("/c", std::string(200000, 'h'), "Connection: close\r\n")));
  ::shutdown(half.fd(), SHUT_WR);
  auto r = half.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["body"].get<std::string>().size(), 200000u);
}

TEST(HttpServer, HandlerFailureGets500Json) {
  EchoServer s;
  Client c(s.port());
  ASSERT_TRUE(c.Send(Get("/throw")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->Error(), "internal error: boom");
  // The connection stays usable.
  ASSERT_TRUE(c.Send(Get("/fine")));
  auto next = c.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST(HttpServer, SeveralLoopsServeManyClientsAtOnce) {
  HttpServerOptions o;
  o.threads = 3;
  EchoServer s(o);
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      Client c(s.port());
      for (int i = 0; i < 50; ++i) {
        std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        if (!c.Send(Post(path, std::string(static_cast<size_t>(i * 100), 'q')))) return;
        auto r = c.Read();
        if (!r) return;
        auto j = nlohmann::json::parse(r->body);
        if (r->status == 200 && j["path"] == path && j["body"].get<std::string>().size() == static_cast<size_t>(i * 100))
          ++good;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good, 400);
}

TEST(HttpServer, HeadTrickledSlowerThanTheTimeoutGets408EvenThoughBytesKeepComing) {
  HttpServerOptions o;
  o.timeout_s = 2;
  EchoServer s(o);
  Client c(s.port());
  // One byte every 50 ms keeps the idle timer (2 s) from firing; the head's own deadline does.
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    std::string head = "GET /" + std::string(1000, 'x');
    for (size_t i = 0; i < head.size() && !stop; ++i) {
      if (!c.Send(head.substr(i, 1))) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the client's pace, not a wait for the server
    }
  });
  auto r = c.Read(30000);
  stop = true;
  trickle.join();
  ExpectJsonError(r, 408, "did not arrive within 2 s");
}

TEST(HttpServer, NoContentReplyNeverCarriesABody) {
  EchoServer s;
  Client c(s.port());
  ASSERT_TRUE(c.Send(Get("/nocontent") + Get("/next")));
  auto none = c.Read();
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 204);
  EXPECT_EQ(none->fields.count("content-length"), 0u);
  auto next = c.Read();
  ASSERT_TRUE(next) << "the body of the 204 would have been read as the start of this reply";
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(nlohmann::json::parse(next->body)["path"], "/next");
}

TEST(HttpServer, HandlerBlockedOnOneLoopDoesNotHoldUpNewConnections) {
  HttpServerOptions o;
  o.threads = 2;
  EchoServer s(o);
  Client blocked(s.port());
  ASSERT_TRUE(blocked.Send(Get("/block")));
  ASSERT_TRUE(s.WaitBlocked(20000));
  // Accepting is not the blocked loop's job, and the new connection goes to the idle loop.
  for (int i = 0; i < 3; ++i) {
    Client other(s.port());
    ASSERT_TRUE(other.Send(Get("/fast")));
    auto r = other.Read(20000);
    ASSERT_TRUE(r) << "connection " << i << " waited for the blocked handler";
    EXPECT_EQ(r->status, 200);
  }
  s.Release();
  auto late = blocked.Read();
  ASSERT_TRUE(late);
  EXPECT_EQ(nlohmann::json::parse(late->body)["path"], "/block");
}

TEST(HttpServer, Http10KeepAliveIsAnsweredAsKeepAlive) {
  EchoServer s;
  Client c(s.port());
  for (const char* path : {"/a", "/b"}) {
    ASSERT_TRUE(c.Send(std::string("GET ") + path + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->fields["connection"], "keep-alive");
    EXPECT_EQ(nlohmann::json::parse(r->body)["path"], path);
  }
  // An HTTP/1.0 client asking for 100-continue is not sent a 1xx (1.0 knows none).
  Client old(s.port());
  ASSERT_TRUE(old.Send("POST /p HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok"));
  auto r = old.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, ConnectionsOverTheCapWaitUntilOneCloses) {
  HttpServerOptions o;
  o.max_connections = 2;
  o.threads = 2;
  EchoServer s(o);
  auto first = std::make_unique<Client>(s.port());
  Client second(s.port());
  for (Client* c : {first.get(), &second}) {
    ASSERT_TRUE(c->Send(Get("/open")));
    ASSERT_TRUE(c->Read());
  }
  // The third connects (the kernel's backlog) but is not served while two are open.
  Client third(s.port());
  ASSERT_TRUE(third.connected());
  ASSERT_TRUE(third.Send(Get("/third")));
  EXPECT_FALSE(third.Read(500)) << "served over the cap";
  EXPECT_EQ(s.calls, 2);
  first.reset();  // one closes: the third gets its turn
  auto r = third.Read(20000);
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["path"], "/third");
}

TEST(HttpServer, ListeningSocketIsNotInheritedByChildProcesses) {
  HttpServerOptions o;
  o.threads = 3;
  EchoServer s(o);
  int listening = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    int accepting = 0;
    socklen_t alen = sizeof accepting;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sin_family != AF_INET) continue;
    if (ntohs(addr.sin_port) != s.port()) continue;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) != 0 || !accepting) continue;
    ++listening;
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC) << "listening descriptor " << fd << " lacks FD_CLOEXEC";
  }
  EXPECT_GE(listening, 1);
}

TEST(HttpServer, TakenAddressFailsToStartAndStopClosesOpenConnections) {
  EchoServer s;
  HttpServer second({}, [](const HttpRequestHead&, std::string_view) { return HttpResponse{}; });
  Status st = second.Start(HostPort{"127.0.0.1", s.port()});
  EXPECT_EQ(st.code(), Status::Code::kIo);
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(s.port())), std::string::npos) << st.message();
  Client open(s.port());
  ASSERT_TRUE(open.Send("GET /partial HTTP/1.1\r\n"));
  s.server().Stop();
  EXPECT_TRUE(open.ClosedByServer());
}

}  // namespace
}  // namespace mcscale
