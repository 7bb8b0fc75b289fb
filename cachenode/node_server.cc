#include "cachenode/node_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include <event2/event.h>
#include <event2/listener.h>
#include <spdlog/spdlog.h>

#include "cachenode/command_handler.h"
#include "cachenode/protocol_session.h"

namespace mcscale {
namespace {

constexpr size_t kInitialReadBuffer = 16 * 1024;
constexpr size_t kOutputPauseBytes = 4u << 20;  // stop reading while this much waits

}  // namespace

struct NodeServer::Worker {
  NodeContext* ctx = nullptr;
  const ProtocolParser* parser = nullptr;
  event_base* base = nullptr;
  int notify[2] = {-1, -1};
  event* notify_ev = nullptr;
  std::unique_ptr<CommandHandler> handler;
  std::thread thread;
};

namespace {

struct Connection {
  NodeServer::Worker* worker;
  int fd;
  event* rev = nullptr;
  event* wev = nullptr;
  ProtocolSession session;
  std::string rbuf;
  size_t rpos = 0;
  size_t rend = 0;
  std::string wbuf;
  size_t wpos = 0;
  bool close_after_write = false;
  bool reading = true;

  Connection(NodeServer::Worker* w, int f) : worker(w), fd(f), session(w->parser, w->handler.get()) {
    rbuf.resize(kInitialReadBuffer);
  }
};

void CloseConnection(Connection* c) {
  if (c->rev) event_free(c->rev);
  if (c->wev) event_free(c->wev);
  close(c->fd);
  c->worker->ctx->curr_connections().fetch_sub(1, std::memory_order_relaxed);
  delete c;
}

// Runs the complete requests in the read buffer; grows the buffer for a big store.
void ProcessInput(Connection* c) {
  if (c->close_after_write) return;
  bool close = false;
  size_t n = c->session.Process(c->rbuf.data() + c->rpos, c->rend - c->rpos, &c->wbuf, &close, kOutputPauseBytes);
  c->rpos += n;
  if (c->rpos == c->rend) c->rpos = c->rend = 0;
  if (close) c->close_after_write = true;
  size_t need = c->session.bytes_needed();
  if (need > c->rbuf.size() - c->rpos) {
    // A store's data block does not fit: make room for the whole request.
    if (c->rpos > 0) {
      std::memmove(&c->rbuf[0], c->rbuf.data() + c->rpos, c->rend - c->rpos);
      c->rend -= c->rpos;
      c->rpos = 0;
    }
    if (need > c->rbuf.size()) c->rbuf.resize(need);
  }
}

// Writes pending output. Returns false when the connection was closed.
bool Flush(Connection* c) {
  while (c->wpos < c->wbuf.size()) {
    ssize_t n = write(c->fd, c->wbuf.data() + c->wpos, c->wbuf.size() - c->wpos);
    if (n > 0) {
      Bump(c->worker->handler->stats().bytes_written, static_cast<uint64_t>(n));
      c->wpos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    CloseConnection(c);
    return false;
  }
  if (c->wpos == c->wbuf.size()) {
    c->wbuf.clear();
    c->wpos = 0;
    if (c->wbuf.capacity() > (1u << 20)) c->wbuf.shrink_to_fit();
    event_del(c->wev);
    if (c->close_after_write) {
      CloseConnection(c);
      return false;
    }
    if (!c->reading) {
      c->reading = true;
      event_add(c->rev, nullptr);
    }
    return true;
  }
  event_add(c->wev, nullptr);
  if (c->wbuf.size() - c->wpos > kOutputPauseBytes && c->reading) {
    c->reading = false;
    event_del(c->rev);
  }
  return true;
}

// Runs buffered requests and writes their replies, again while a write drained everything
// and complete requests are still waiting (they were held back by the output limit).
// Returns false when the connection was closed.
bool Pump(Connection* c) {
  for (;;) {
    size_t before = c->rend - c->rpos;
    ProcessInput(c);
    bool progressed = c->rend - c->rpos != before;
    if (!Flush(c)) return false;
    if (!(progressed && c->wbuf.empty() && c->rend > c->rpos)) return true;
  }
}

void OnWritable(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  if (!Flush(c)) return;
  if (c->rend > c->rpos && c->wbuf.empty()) Pump(c);
}

void OnReadable(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  for (int round = 0; round < 4; ++round) {
    if (c->rend == c->rbuf.size()) {
      if (c->rpos > 0) {
        std::memmove(&c->rbuf[0], c->rbuf.data() + c->rpos, c->rend - c->rpos);
        c->rend -= c->rpos;
        c->rpos = 0;
      } else {
        c->rbuf.resize(c->rbuf.size() * 2);
      }
    }
    ssize_t n = read(c->fd, &c->rbuf[c->rend], c->rbuf.size() - c->rend);
    if (n == 0) {
      CloseConnection(c);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      CloseConnection(c);
      return;
    }
    Bump(c->worker->handler->stats().bytes_read, static_cast<uint64_t>(n));
    bool filled = c->rend + static_cast<size_t>(n) == c->rbuf.size();
    c->rend += static_cast<size_t>(n);
    if (!filled) break;
    ProcessInput(c);
    if (c->close_after_write || c->wbuf.size() > kOutputPauseBytes) break;
  }
  if (!Pump(c)) return;
  // Give back a buffer grown for one big value once it is empty.
  if (c->rend == 0 && c->rbuf.size() > 4 * kInitialReadBuffer) {
    c->rbuf.resize(kInitialReadBuffer);
    c->rbuf.shrink_to_fit();
  }
}

void OnNotify(evutil_socket_t fd, short, void* arg) {
  auto* w = static_cast<NodeServer::Worker*>(arg);
  int conn_fd;
  ssize_t n = read(fd, &conn_fd, sizeof(conn_fd));
  if (n != sizeof(conn_fd)) return;
  if (conn_fd < 0) {
    event_base_loopbreak(w->base);
    return;
  }
  auto* c = new Connection(w, conn_fd);
  c->rev = event_new(w->base, conn_fd, EV_READ | EV_PERSIST, OnReadable, c);
  c->wev = event_new(w->base, conn_fd, EV_WRITE | EV_PERSIST, OnWritable, c);
  event_add(c->rev, nullptr);
}

}  // namespace

NodeServer::NodeServer(NodeContext* context) : ctx_(context), parser_(context->settings().item_size_max) {}

NodeServer::~NodeServer() {
  StopWorkers();
  for (auto& w : workers_) {
    if (w->notify_ev) event_free(w->notify_ev);
    if (w->base) event_base_free(w->base);
    if (w->notify[0] >= 0) close(w->notify[0]);
    if (w->notify[1] >= 0) close(w->notify[1]);
  }
  if (sigterm_) event_free(sigterm_);
  if (sigint_) event_free(sigint_);
  if (listener_) evconnlistener_free(listener_);
  if (base_) event_base_free(base_);
}

Status NodeServer::Start() {
  const NodeSettings& s = ctx_->settings();
  signal(SIGPIPE, SIG_IGN);
  base_ = event_base_new();
  if (base_ == nullptr) return Status::Io("event_base_new failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s.port));
  if (inet_pton(AF_INET, s.interface.c_str(), &addr.sin_addr) != 1) {
    return Status::Invalid("-l: '" + s.interface + "' is not an IPv4 address");
  }
  listener_ = evconnlistener_new_bind(base_, OnAccept, this, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, 1024,
                                      reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (listener_ == nullptr) {
    return Status::Io("cannot listen on " + s.interface + ":" + std::to_string(s.port) + ": " + std::strerror(errno));
  }
  sockaddr_in bound{};
  socklen_t len = sizeof(bound);
  getsockname(evconnlistener_get_fd(listener_), reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.sin_port);
  ctx_->set_port(port_);
  sigterm_ = evsignal_new(base_, SIGTERM, OnSignal, this);
  sigint_ = evsignal_new(base_, SIGINT, OnSignal, this);
  event_add(sigterm_, nullptr);
  event_add(sigint_, nullptr);

  for (int i = 0; i < s.threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->ctx = ctx_;
    w->parser = &parser_;
    w->base = event_base_new();
    if (w->base == nullptr || pipe(w->notify) != 0) return Status::Io("cannot create worker event loop");
    fcntl(w->notify[0], F_SETFL, O_NONBLOCK);
    w->handler = std::make_unique<CommandHandler>(ctx_);
    w->notify_ev = event_new(w->base, w->notify[0], EV_READ | EV_PERSIST, OnNotify, w.get());
    event_add(w->notify_ev, nullptr);
    Worker* raw = w.get();
    w->thread = std::thread([raw] { event_base_dispatch(raw->base); });
    workers_.push_back(std::move(w));
  }
  return Status::Ok();
}

void NodeServer::Run() {
  event_base_dispatch(base_);
  StopWorkers();
}

void NodeServer::StopWorkers() {
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    int stop = -1;
    if (write(w->notify[1], &stop, sizeof(stop)) != sizeof(stop)) spdlog::warn("cannot stop a worker");
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void NodeServer::Stop() {
  if (base_) event_base_loopexit(base_, nullptr);
}

void NodeServer::OnSignal(int sig, short, void* arg) {
  spdlog::info("signal {}: shutting down", sig);
  static_cast<NodeServer*>(arg)->Stop();
}

void NodeServer::OnAccept(evconnlistener*, int fd, ::sockaddr*, int, void* arg) {
  auto* self = static_cast<NodeServer*>(arg);
  NodeContext* ctx = self->ctx_;
  if (ctx->curr_connections().load() >= static_cast<uint64_t>(ctx->settings().max_connections)) {
    static const char kTooMany[] = "ERROR Too many open connections\r\n";
    if (write(fd, kTooMany, sizeof(kTooMany) - 1) < 0) {
      // The client is gone already; nothing to tell it.
    }
    close(fd);
    ctx->rejected_connections().fetch_add(1);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ctx->curr_connections().fetch_add(1);
  ctx->total_connections().fetch_add(1);
  Worker* w = self->workers_[self->next_worker_++ % self->workers_.size()].get();
  if (write(w->notify[1], &fd, sizeof(fd)) != sizeof(fd)) {
    close(fd);
    ctx->curr_connections().fetch_sub(1);
  }
}

}  // namespace mcscale
