// HttpServer: a small HTTP/1.1 server on libevent bufferevents, for services whose every
// reply, errors included, must be JSON. evhttp (libevent 2.1) answers requests it refuses
// (a body over its cap, a malformed head) with HTML pages of its own and has no hook to
// change that; here the server's own refusals go through HttpResponse::Error too.
//
// One thread accepts connections and hands each to a worker loop (one thread each): one not
// running a handler, with the fewest connections. So a handler blocked on a disk or a remote
// call holds up only the connections already on its loop, and new connections go elsewhere. The loops' callbacks only move
// bytes and change connection state: HttpRequestHead::Parse reads the head (once its end has
// arrived), and a request whose head and body (Content-Length) have arrived goes to the
// handler, in the loop's thread. Keep-alive (HTTP/1.1, and 1.0 with "Connection:
// keep-alive") and pipelined requests are answered in order.
//
// A body longer than `max_body_bytes` is refused with 413 as soon as its head arrives
// (before "100 Continue", if the client asked for it), without reading the body into
// memory; the connection is then closed gracefully: the server stops writing, reads and
// drops what the client still sends until it has been quiet for `linger_ms` (ten times that
// at most), then closes, so the client sees the reply instead of a reset.
//
// Thread-safe: Start() and Stop() from one thread; the handler is called from the loops'
// threads at once and must be thread-safe itself; it must outlive Stop().
#ifndef MCSCALE_COMMON_HTTP_SERVER_H_
#define MCSCALE_COMMON_HTTP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/host_port.h"
#include "common/http_request_head.h"
#include "common/http_response.h"
#include "common/status.h"

struct bufferevent;
struct evconnlistener;
struct sockaddr;

namespace mcscale {

struct HttpServerOptions {
  int threads = 1;                        // Default: 1 loop.
  size_t max_head_bytes = 64 << 10;       // Default: 64 KiB of request line and fields.
  int64_t max_body_bytes = 1 << 20;       // Default: 1 MiB.
  // Appended to the 413 message, to tell the client which limit it hit and where it is
  // set ("files are limited to 16 MiB (--max-upload-mb)"). Default: none.
  std::string body_limit_note;
  // A connection with a request under way that sends nothing for this long, or whose
  // request head has not all arrived this long after its first byte, gets 408; an idle
  // keep-alive connection is closed. Also bounds a stalled write. Default: 60 s.
  int timeout_s = 60;
  int linger_ms = 2000;                   // Default: 2 s; see the class comment.
  // Open connections at most; more wait in the listen backlog until one closes (each may
  // buffer a request of up to max_body_bytes). Default: 1024.
  int max_connections = 1024;
};

class HttpServer {
 public:
  // Called with a complete request: its head and its body (valid for the call only).
  using Handler = std::function<HttpResponse(const HttpRequestHead& head, std::string_view body)>;

  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();  // Stop()s.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `address` (port 0: any free port) and starts the loops. Fails (Io) when the
  // address cannot be resolved or bound, or is taken.
  Status Start(const HostPort& address);
  // Stops the loops and closes every connection; requests under way get no reply.
  void Stop();
  // The bound port (after Start()).
  uint16_t port() const { return port_; }

 private:
  struct Loop;
  struct Acceptor;
  struct Connection;

  static void OnAccept(evconnlistener* listener, int fd, sockaddr* addr, int len, void* server);
  static void OnAdopt(int, short, void* loop);
  static void OnRead(bufferevent* bev, void* conn);
  static void OnWrite(bufferevent* bev, void* conn);
  static void OnEvent(bufferevent* bev, short what, void* conn);
  // Handles every complete request in the connection's input, in order.
  void Serve(Connection* c);
  // Queues `response`; with `close`, the connection closes (gracefully) once it is sent.
  void Respond(Connection* c, HttpResponse response, bool head_only, bool close);
  void StartLinger(Connection* c);
  static void Close(Connection* c);

  HttpServerOptions options_;
  Handler handler_;
  uint16_t port_ = 0;
  std::atomic<int> open_{0};  // connections accepted and not closed, over all loops
  std::unique_ptr<Acceptor> acceptor_;
  std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_HTTP_SERVER_H_
