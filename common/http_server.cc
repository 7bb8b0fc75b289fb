#include "common/http_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

namespace mcscale {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string PeerName(const sockaddr* addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

timeval Seconds(int s) { return timeval{s, 0}; }
timeval Millis(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

}  // namespace

// The thread that accepts connections and deals them out to the loops.
struct HttpServer::Acceptor {
  event_base* base = nullptr;
  evconnlistener* listener = nullptr;
  event* stop_event = nullptr;
  // Re-enables accepting (after an accept() error, or once a connection closed below the
  // cap); accepting stays off while max_connections are open.
  event* resume_accept = nullptr;
  HttpServer* server = nullptr;
  std::thread thread;
};

struct HttpServer::Loop {
  HttpServer* server = nullptr;
  event_base* base = nullptr;
  event* stop_event = nullptr;
  event* adopt_event = nullptr;  // activated by the acceptor when it queued connections here
  std::mutex mu;
  std::vector<std::pair<int, std::string>> pending;  // accepted sockets and their peers
  std::atomic<int> load{0};  // connections pending or open here (the acceptor picks the lowest)
  std::atomic<bool> in_handler{false};  // the loop's thread is running the handler
  std::set<Connection*> connections;
  std::thread thread;
};

struct HttpServer::Connection {
  enum class State {
    kHead,     // reading a request's head
    kBody,     // head read, waiting for its Content-Length bytes
    kWriting,  // a reply is being sent; reading paused
    kLinger,   // the last reply is sent and writing shut: dropping input until EOF
  };
  Loop* loop = nullptr;
  bufferevent* bev = nullptr;
  std::string peer;
  State state = State::kHead;
  HttpRequestHead head;
  size_t head_bytes = 0;
  size_t scanned = 0;  // bytes of the coming head already searched for its end
  std::optional<SteadyClock::time_point> head_started;  // first byte of the coming request
  bool close_after_write = false;
  SteadyClock::time_point linger_until;
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {
  options_.threads = std::max(1, options_.threads);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::OnAccept(evconnlistener* listener, int fd, sockaddr* addr, int, void* arg) {
  auto* server = static_cast<HttpServer*>(arg);
  if (++server->open_ >= server->options_.max_connections) {
    // More wait in the kernel's listen backlog until a connection closes.
    evconnlistener_disable(listener);
    spdlog::warn("http: {} connections open, the limit; new connections wait until one closes",
                 server->options_.max_connections);
  }
  // A loop inside a handler (which may block on a disk or a remote call) is the last
  // choice; among the others, the one with the fewest connections.
  auto rank = [](const Loop& l) { return std::make_pair(l.in_handler.load(), l.load.load()); };
  Loop* target = server->loops_.front().get();
  for (auto& loop : server->loops_)
    if (rank(*loop) < rank(*target)) target = loop.get();
  ++target->load;
  {
    std::lock_guard<std::mutex> lock(target->mu);
    target->pending.emplace_back(fd, PeerName(addr));
  }
  event_active(target->adopt_event, EV_READ, 0);
}

void HttpServer::OnAdopt(int, short, void* arg) {
  auto* loop = static_cast<Loop*>(arg);
  std::vector<std::pair<int, std::string>> adopted;
  {
    std::lock_guard<std::mutex> lock(loop->mu);
    adopted.swap(loop->pending);
  }
  for (auto& [fd, peer] : adopted) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Connection;
    c->loop = loop;
    c->peer = std::move(peer);
    c->bev = bufferevent_socket_new(loop->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == nullptr) {
      ::close(fd);
      --loop->load;
      --loop->server->open_;
      delete c;
      continue;
    }
    loop->connections.insert(c);
    bufferevent_setcb(c->bev, &HttpServer::OnRead, &HttpServer::OnWrite, &HttpServer::OnEvent, c);
    timeval timeout = Seconds(loop->server->options_.timeout_s);
    bufferevent_set_timeouts(c->bev, &timeout, &timeout);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
  }
}

void HttpServer::OnRead(bufferevent* bev, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  if (c->state == Connection::State::kLinger) {
    evbuffer* in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
    if (SteadyClock::now() >= c->linger_until) Close(c);
    return;
  }
  c->loop->server->Serve(c);
}

void HttpServer::OnWrite(bufferevent*, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  if (c->state != Connection::State::kWriting) return;  // e.g. "100 Continue" went out
  if (c->close_after_write) {
    c->loop->server->StartLinger(c);
  } else {
    c->state = Connection::State::kHead;
    bufferevent_enable(c->bev, EV_READ);
    c->loop->server->Serve(c);  // a pipelined request may be waiting
  }
}

void HttpServer::OnEvent(bufferevent* bev, short what, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  HttpServer* server = c->loop->server;
  using State = Connection::State;
  if (what & BEV_EVENT_ERROR) {
    Close(c);
  } else if (what & BEV_EVENT_EOF) {
    // Reading is off while a reply is written, so a client that shuts its side after its
    // request is seen to have done so only once the reply is out.
    if (c->state == State::kBody || (c->state == State::kHead && evbuffer_get_length(bufferevent_get_input(bev)) > 0))
      spdlog::debug("http: {} closed in the middle of a request", c->peer);
    Close(c);
  } else if (what & BEV_EVENT_TIMEOUT) {
    bool partial = c->state == State::kBody ||
                   (c->state == State::kHead && evbuffer_get_length(bufferevent_get_input(bev)) > 0);
    if ((what & BEV_EVENT_READING) && partial) {
      spdlog::info("http: {} sent part of a request and then nothing for {} s: 408", c->peer,
                   server->options_.timeout_s);
      server->Respond(c, HttpResponse::Error(408, "request: nothing received for " +
                                                      std::to_string(server->options_.timeout_s) +
                                                      " s in the middle of a request"),
                      false, true);
    } else {
      Close(c);  // idle keep-alive, a stalled write, or the end of a linger
    }
  }
}

void HttpServer::Serve(Connection* c) {
  using State = Connection::State;
  evbuffer* in = bufferevent_get_input(c->bev);
  while (c->state == State::kHead || c->state == State::kBody) {
    size_t available = evbuffer_get_length(in);
    if (c->state == State::kHead) {
      if (available == 0) return;
      if (!c->head_started) c->head_started = SteadyClock::now();
      if (SteadyClock::now() - *c->head_started > std::chrono::seconds(options_.timeout_s)) {
        spdlog::info("http: {} took over {} s to send a request head: 408", c->peer, options_.timeout_s);
        Respond(c, HttpResponse::Error(408, "request: the head did not arrive within " +
                                                std::to_string(options_.timeout_s) + " s"),
                false, true);
        return;
      }
      // Empty lines between requests are allowed and skipped.
      while (available > 0) {
        char first;
        evbuffer_copyout(in, &first, 1);
        if (first != '\r' && first != '\n') break;
        evbuffer_drain(in, 1);
        --available;
      }
      if (available == 0) return;
      // Parse only once the head's end (an empty line: "\n\n" or "\n\r\n") is in, and
      // search only what is new: a head sent a few bytes at a time costs linear time.
      if (available <= options_.max_head_bytes) {
        evbuffer_ptr from;
        evbuffer_ptr_set(in, &from, c->scanned > 2 ? c->scanned - 2 : 0, EVBUFFER_PTR_SET);
        evbuffer_ptr lf_lf = evbuffer_search(in, "\n\n", 2, &from);
        evbuffer_ptr lf_crlf = evbuffer_search(in, "\n\r\n", 3, &from);
        c->scanned = available;
        if (lf_lf.pos < 0 && lf_crlf.pos < 0) return;
      }
      size_t look = std::min(available, options_.max_head_bytes + 1);
      const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ssize_t>(look)));
      HttpHeadParse parse = HttpRequestHead::Parse(std::string_view(data, look), options_.max_head_bytes);
      if (parse.outcome == HttpHeadParse::Outcome::kIncomplete) return;
      if (parse.outcome == HttpHeadParse::Outcome::kRefused) {
        spdlog::info("http: refused a request from {}: {} {}", c->peer, parse.status, parse.error);
        Respond(c, HttpResponse::Error(parse.status, parse.error), false, true);
        return;
      }
      c->head = std::move(parse.head);
      c->head_bytes = parse.head_bytes;
      c->scanned = 0;
      c->head_started.reset();
      if (c->head.content_length > options_.max_body_bytes) {
        std::string message = "request body: " + std::to_string(c->head.content_length) +
                              " bytes, over the limit of " + std::to_string(options_.max_body_bytes) + " bytes";
        if (!options_.body_limit_note.empty()) message += "; " + options_.body_limit_note;
        spdlog::info("http: refused {} {} from {}: 413 {}", c->head.method, c->head.path, c->peer, message);
        Respond(c, HttpResponse::Error(413, message), false, true);
        return;
      }
      c->state = State::kBody;
      if (c->head.expect_continue && c->head.content_length > 0 &&
          available < c->head_bytes + static_cast<size_t>(c->head.content_length)) {
        static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        bufferevent_write(c->bev, kContinue, sizeof kContinue - 1);
      }
    }
    size_t need = c->head_bytes + static_cast<size_t>(c->head.content_length);
    if (available < need) return;
    const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ssize_t>(need)));
    std::string_view body(data + c->head_bytes, static_cast<size_t>(c->head.content_length));
    HttpResponse response;
    c->loop->in_handler = true;
    try {
      response = handler_(c->head, body);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {} failed: {}", c->head.method, c->head.path, e.what());
      response = HttpResponse::Error(500, std::string("internal error: ") + e.what());
    }
    c->loop->in_handler = false;
    evbuffer_drain(in, need);
    Respond(c, std::move(response), c->head.method == "HEAD", !c->head.keep_alive);
  }
}

void HttpServer::Respond(Connection* c, HttpResponse response, bool head_only, bool close) {
  // HTTP/1.0 closes by default: a 1.0 client that asked to keep the connection is told it is.
  std::string_view connection = close ? "close" : c->head.minor_version == 0 ? "keep-alive" : "";
  std::string head = response.Head(connection);
  evbuffer* out = bufferevent_get_output(c->bev);
  evbuffer_add(out, head.data(), head.size());
  if (!head_only && !HttpResponse::Bodiless(response.status) && !response.body.empty()) {
    // Large bodies go out without a copy: the buffer refers to the string until it is sent.
    auto* body = new std::string(std::move(response.body));
    evbuffer_add_reference(out, body->data(), body->size(),
                           [](const void*, size_t, void* s) { delete static_cast<std::string*>(s); }, body);
  }
  c->close_after_write = close;
  c->state = Connection::State::kWriting;
  bufferevent_disable(c->bev, EV_READ);  // the next request waits until this reply is out
}

void HttpServer::StartLinger(Connection* c) {
  // Only our side closes: the client reads the reply; what it still sends is dropped. A
  // close() now, with its unread body in our buffer, would reset the connection and could
  // destroy the reply before the client read it.
  ::shutdown(bufferevent_getfd(c->bev), SHUT_WR);
  c->state = Connection::State::kLinger;
  c->linger_until = SteadyClock::now() + std::chrono::milliseconds(10 * options_.linger_ms);
  evbuffer* in = bufferevent_get_input(c->bev);
  evbuffer_drain(in, evbuffer_get_length(in));
  timeval linger = Millis(options_.linger_ms);
  bufferevent_set_timeouts(c->bev, &linger, nullptr);
  bufferevent_enable(c->bev, EV_READ);
}

void HttpServer::Close(Connection* c) {
  c->loop->connections.erase(c);
  --c->loop->load;
  HttpServer* server = c->loop->server;
  // From the cap to below it: the acceptor may accept again (it checks, in its own thread).
  if (server->open_.fetch_sub(1) == server->options_.max_connections && server->acceptor_)
    event_active(server->acceptor_->resume_accept, EV_TIMEOUT, 0);
  bufferevent_free(c->bev);
  delete c;
}

Status HttpServer::Start(const HostPort& address) {
  static bool threads_ready = (evthread_use_pthreads() == 0);
  (void)threads_ready;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(address.port);
  if (int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0 || found == nullptr)
    return Status::Io("cannot resolve " + address.ToString() + ": " + gai_strerror(rc));
  for (int i = 0; i < options_.threads; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->server = this;
    loop->base = event_base_new();
    loop->adopt_event = event_new(loop->base, -1, 0, &HttpServer::OnAdopt, loop.get());
    loops_.push_back(std::move(loop));
  }
  acceptor_ = std::make_unique<Acceptor>();
  acceptor_->base = event_base_new();
  acceptor_->listener = evconnlistener_new_bind(acceptor_->base, &HttpServer::OnAccept, this,
                                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
                                                128, found->ai_addr, static_cast<int>(found->ai_addrlen));
  freeaddrinfo(found);
  if (acceptor_->listener == nullptr) {
    Stop();
    return Status::Io("cannot listen on " + address.ToString() + " (address in use or not local)");
  }
  // Out of descriptors, accept() fails at once again and again: pause accepting for 100 ms.
  acceptor_->server = this;
  acceptor_->resume_accept = event_new(acceptor_->base, -1, 0, [](evutil_socket_t, short, void* a) {
    auto* acceptor = static_cast<Acceptor*>(a);
    if (acceptor->server->open_ < acceptor->server->options_.max_connections) evconnlistener_enable(acceptor->listener);
  }, acceptor_.get());
  evconnlistener_set_error_cb(acceptor_->listener, [](evconnlistener* listener, void* a) {
    spdlog::warn("http: accept failed: {}; pausing accepts for 100 ms",
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    evconnlistener_disable(listener);
    timeval pause = Millis(100);
    event_add(static_cast<Acceptor*>(a)->resume_accept, &pause);
  });
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(evconnlistener_get_fd(acceptor_->listener), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  // Each base is kept alive with no connections by a far timer; Stop() activates it to break
  // the loop.
  auto add_stop_event = [](event_base* base) {
    event* stop = event_new(base, -1, EV_PERSIST, [](evutil_socket_t, short, void* b) {
      event_base_loopbreak(static_cast<event_base*>(b));
    }, base);
    timeval forever = Seconds(3600 * 24 * 365);
    event_add(stop, &forever);
    return stop;
  };
  for (auto& loop : loops_) {
    loop->stop_event = add_stop_event(loop->base);
    loop->thread = std::thread([b = loop->base] { event_base_dispatch(b); });
  }
  acceptor_->stop_event = add_stop_event(acceptor_->base);
  acceptor_->thread = std::thread([b = acceptor_->base] { event_base_dispatch(b); });
  return Status::Ok();
}

void HttpServer::Stop() {
  // The acceptor's thread first, so no connection is handed to a loop that has stopped; its
  // events are freed last, as closing connections may still activate them.
  if (acceptor_ && acceptor_->thread.joinable()) {
    event_active(acceptor_->stop_event, EV_TIMEOUT, 0);
    acceptor_->thread.join();
  }
  for (auto& loop : loops_)
    if (loop->thread.joinable()) event_active(loop->stop_event, EV_TIMEOUT, 0);
  for (auto& loop : loops_)
    if (loop->thread.joinable()) loop->thread.join();
  for (auto& loop : loops_) {
    while (!loop->connections.empty()) Close(*loop->connections.begin());
    for (auto& pending : loop->pending) ::close(pending.first);
    open_ -= static_cast<int>(loop->pending.size());
    loop->pending.clear();
    if (loop->adopt_event) event_free(loop->adopt_event);
    if (loop->stop_event) event_free(loop->stop_event);
    event_base_free(loop->base);
  }
  loops_.clear();
  if (acceptor_) {
    if (acceptor_->listener) evconnlistener_free(acceptor_->listener);
    if (acceptor_->resume_accept) event_free(acceptor_->resume_accept);
    if (acceptor_->stop_event) event_free(acceptor_->stop_event);
    event_base_free(acceptor_->base);
    acceptor_.reset();
  }
}

}  // namespace mcscale
