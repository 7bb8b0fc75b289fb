#include "bench/memcache_target.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "bench/reply_parser.h"

namespace mcscale::bench {
namespace {

constexpr int64_t kRetryNs = 100'000'000;  // between attempts to reopen a lost connection
constexpr int64_t kTickNs = 10'000'000;    // timeouts and reconnects are checked this often
constexpr int kEpollWaitMs = 10;
constexpr size_t kReadChunk = 64 * 1024;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string ErrnoText(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the text
}

// Bytes received and not yet parsed, in one contiguous block so a reply can be parsed in
// place. Grows only when a single reply is larger than what it holds.
class ReadBuffer {
 public:
  ReadBuffer() : data_(2 * kReadChunk) {}
  std::string_view Unparsed() const { return {data_.data() + begin_, end_ - begin_}; }
  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Where to receive into; at least kReadChunk bytes of room.
  char* Tail(size_t* room) {
    if (data_.size() - end_ < kReadChunk) {
      size_t used = end_ - begin_;
      std::memmove(data_.data(), data_.data() + begin_, used);
      begin_ = 0;
      end_ = used;
      if (data_.size() - end_ < kReadChunk) data_.resize(std::max(2 * data_.size(), used + kReadChunk));
    }
    *room = data_.size() - end_;
    return data_.data() + end_;
  }
  void Commit(size_t n) { end_ += n; }
  void Clear() { begin_ = end_ = 0; }

 private:
  std::vector<char> data_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

struct Pending {
  OpKind kind;
  int64_t sent_ns;
};

struct Connection {
  int fd = -1;
  ReadBuffer in;
  std::string out;
  size_t out_pos = 0;
  bool want_write = false;  // EPOLLOUT registered
  std::vector<Pending> ring;  // in-flight requests, oldest at head
  size_t head = 0;
  size_t count = 0;
  int64_t down_since_ns = 0;
  int64_t retry_at_ns = 0;
  bool retired = false;  // lost and not to be reopened
};

void AppendRequest(const Op& op, std::string* out) {
  if (op.kind == OpKind::kGet) {
    out->append("get ", 4).append(op.key()).append("\r\n", 2);
    return;
  }
  char len[24];
  auto res = std::to_chars(len, len + sizeof len, op.value.size());
  out->append("set ", 4).append(op.key()).append(" 0 0 ", 5);
  out->append(len, static_cast<size_t>(res.ptr - len)).append("\r\n", 2);
  out->append(op.value).append("\r\n", 2);
}

// One load thread's event loop over its connections.
class ThreadLoop {
 public:
  ThreadLoop(std::string name, const sockaddr_storage& addr, socklen_t addr_len,
             const ThreadShare& share, OpSource* ops, LoadStats* stats)
      : name_(std::move(name)), addr_(addr), addr_len_(addr_len), share_(share), ops_(ops),
        stats_(stats), timeout_ns_(share.timeout_ms * 1'000'000) {}
  ~ThreadLoop() {
    for (auto& c : conns_)
      if (c.fd >= 0) close(c.fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  Status Run();

 private:
  Status Open(Connection* c);
  void Lose(Connection* c, const std::string& why, int64_t now);
  void OnReadable(Connection* c);
  // Counts one reply to a request of `kind`; false when the reply cannot answer it.
  bool Account(OpKind kind, const ReplyParser::Reply& reply);
  void Refill(Connection* c, int64_t now);
  void Flush(Connection* c);
  void Tick(int64_t now);
  bool Finished() const {
    return inflight_ == 0 && (source_done_ || live_ == 0 || ops_->Exhausted());
  }
  void Error(uint64_t n, std::string_view what, std::string_view detail = {}) {
    if (stats_->first_error.empty()) stats_->first_error = name_ + ": " + std::string(what) + std::string(detail);
    stats_->errors += n;
  }

  std::string name_;
  sockaddr_storage addr_;
  socklen_t addr_len_;
  ThreadShare share_;
  OpSource* ops_;
  LoadStats* stats_;
  int64_t timeout_ns_;
  int epoll_fd_ = -1;
  std::vector<Connection> conns_;
  size_t inflight_ = 0;  // over all connections
  size_t live_ = 0;      // connections not retired
  bool source_done_ = false;
  Op op_;
};

Status ThreadLoop::Run() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Status::Io("epoll_create1: " + ErrnoText(errno));
  conns_.resize(static_cast<size_t>(share_.connections));
  for (auto& c : conns_) {
    c.ring.resize(static_cast<size_t>(share_.pipeline));
    Status st = Open(&c);
    if (!st.ok()) return st;
  }
  live_ = conns_.size();
  int64_t now = NowNs();
  for (auto& c : conns_) {
    Refill(&c, now);
    Flush(&c);
  }
  int64_t next_tick = now + kTickNs;
  epoll_event events[64];
  while (!Finished()) {
    int n = epoll_wait(epoll_fd_, events, 64, kEpollWaitMs);
    if (n < 0 && errno != EINTR) return Status::Io("epoll_wait: " + ErrnoText(errno));
    for (int i = 0; i < n; ++i) {
      Connection* c = &conns_[events[i].data.u32];
      if (c->fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) OnReadable(c);
      if (c->fd >= 0 && (events[i].events & EPOLLOUT)) Flush(c);
    }
    now = NowNs();
    if (now >= next_tick) {
      Tick(now);
      next_tick = now + kTickNs;
    }
  }
  return Status::Ok();
}

Status ThreadLoop::Open(Connection* c) {
  int fd = socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Io("socket: " + ErrnoText(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) != 0) {
    if (errno != EINPROGRESS) {
      int err = errno;
      close(fd);
      return Status::Io("cannot connect to " + name_ + ": " + ErrnoText(err));
    }
    int64_t wait_ms = std::min<int64_t>(share_.timeout_ms, 2000);
    pollfd p{fd, POLLOUT, 0};
    int r = poll(&p, 1, static_cast<int>(wait_ms));
    int err = 0;
    socklen_t len = sizeof err;
    if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      close(fd);
      if (r == 0)
        return Status::Timeout("cannot connect to " + name_ + ": no answer within " +
                               std::to_string(wait_ms) + " ms");
      return Status::Io("cannot connect to " + name_ + ": " + ErrnoText(err ? err : errno));
    }
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = static_cast<uint32_t>(c - conns_.data());
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    close(fd);
    return Status::Io("epoll_ctl: " + ErrnoText(err));
  }
  c->fd = fd;
  return Status::Ok();
}

void ThreadLoop::Lose(Connection* c, const std::string& why, int64_t now) {
  Error(c->count, why);
  inflight_ -= c->count;
  c->count = 0;
  c->head = 0;
  close(c->fd);  // also leaves the epoll set
  c->fd = -1;
  c->in.Clear();
  c->out.clear();
  c->out_pos = 0;
  c->want_write = false;
  c->down_since_ns = now;
  c->retry_at_ns = now + kRetryNs;
}

void ThreadLoop::OnReadable(Connection* c) {
  size_t room = 0;
  char* tail = c->in.Tail(&room);
  ssize_t n = recv(c->fd, tail, room, 0);
  int64_t now = NowNs();
  if (n == 0) return Lose(c, "connection closed by the server", now);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    return Lose(c, "recv: " + ErrnoText(errno), now);
  }
  c->in.Commit(static_cast<size_t>(n));
  ReplyParser::Reply reply;
  size_t used = 0;
  std::string error;
  while (true) {
    auto outcome = ReplyParser::Parse(c->in.Unparsed(), &reply, &used, &error);
    if (outcome == ReplyParser::Outcome::kNeedMore) break;
    if (outcome == ReplyParser::Outcome::kInvalid) return Lose(c, "protocol error: " + error, now);
    if (c->count == 0) return Lose(c, "reply '" + std::string(reply.line) + "' to no request", now);
    Pending p = c->ring[c->head];
    c->head = (c->head + 1) % c->ring.size();
    --c->count;
    --inflight_;
    stats_->latency.Record(now - p.sent_ns);
    if (!Account(p.kind, reply)) {
      std::string why = "reply '" + std::string(reply.line) + "' to a " +
                        (p.kind == OpKind::kGet ? "get" : "set");
      Error(1, why);
      return Lose(c, why, now);
    }
    c->in.Consume(used);
  }
  stats_->end_ns = now;
  Refill(c, now);
  Flush(c);
}

bool ThreadLoop::Account(OpKind kind, const ReplyParser::Reply& reply) {
  using Kind = ReplyParser::Kind;
  if (kind == OpKind::kGet && reply.kind == Kind::kValues) {
    ++stats_->gets;
    ++(reply.values > 0 ? stats_->hits : stats_->misses);
    return true;
  }
  if (kind == OpKind::kSet && reply.kind == Kind::kStored) {
    ++stats_->sets;
    return true;
  }
  bool set_refused = kind == OpKind::kSet && (reply.kind == Kind::kNotStored ||
                                              reply.kind == Kind::kExists || reply.kind == Kind::kNotFound);
  if (set_refused || ReplyParser::IsError(reply.kind)) {
    Error(1, kind == OpKind::kGet ? "get answered " : "set answered ", reply.line);
    return true;
  }
  return false;
}

void ThreadLoop::Refill(Connection* c, int64_t now) {
  while (c->count < c->ring.size() && !source_done_) {
    if (!ops_->Next(&op_)) {
      source_done_ = true;
      break;
    }
    AppendRequest(op_, &c->out);
    c->ring[(c->head + c->count) % c->ring.size()] = Pending{op_.kind, now};
    ++c->count;
    ++inflight_;
    if (stats_->start_ns == 0) stats_->start_ns = now;
  }
}

void ThreadLoop::Flush(Connection* c) {
  while (c->out_pos < c->out.size()) {
    ssize_t n = send(c->fd, c->out.data() + c->out_pos, c->out.size() - c->out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!c->want_write) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u32 = static_cast<uint32_t>(c - conns_.data());
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_write = true;
      }
      return;
    }
    return Lose(c, "send: " + ErrnoText(errno), NowNs());
  }
  c->out.clear();
  c->out_pos = 0;
  if (c->want_write) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(c - conns_.data());
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_write = false;
  }
}

void ThreadLoop::Tick(int64_t now) {
  for (auto& c : conns_) {
    if (c.fd >= 0) {
      if (c.count > 0 && now - c.ring[c.head].sent_ns > timeout_ns_)
        Lose(&c, "no reply within " + std::to_string(share_.timeout_ms) + " ms", now);
      continue;
    }
    if (c.retired) continue;
    if (source_done_ || ops_->Exhausted()) {
      c.retired = true;
      --live_;
      continue;
    }
    if (now < c.retry_at_ns) continue;
    Status st = Open(&c);
    if (st.ok()) {
      Refill(&c, now);
      Flush(&c);
    } else if (now - c.down_since_ns > timeout_ns_) {
      Error(0, "gave up reopening a connection: ", st.message());
      c.retired = true;
      --live_;
    } else {
      c.retry_at_ns = now + kRetryNs;
    }
  }
}

}  // namespace

Result<std::unique_ptr<MemcacheTarget>> MemcacheTarget::Create(const HostPort& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &found);
  if (rc != 0 || found == nullptr)
    return Status::Invalid("cannot resolve host '" + address.host + "': " + gai_strerror(rc));
  sockaddr_storage addr{};
  std::memcpy(&addr, found->ai_addr, found->ai_addrlen);
  socklen_t len = found->ai_addrlen;
  freeaddrinfo(found);
  return std::unique_ptr<MemcacheTarget>(new MemcacheTarget(address, addr, len));
}

Status MemcacheTarget::RunThread(const ThreadShare& share, OpSource* ops, LoadStats* stats) {
  ThreadLoop loop(Name(), addr_, addr_len_, share, ops, stats);
  return loop.Run();
}

}  // namespace mcscale::bench
