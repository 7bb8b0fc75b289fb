#include "frontend/node_channel.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace mcscale {

namespace {

// The calling thread's number, in the order threads first asked: the same for every channel.
size_t ThreadNumber() {
  static std::atomic<size_t> next{0};
  thread_local const size_t number = next.fetch_add(1, std::memory_order_relaxed);
  return number;
}

}  // namespace

NodeChannel::NodeChannel(NodeId id, HostPort address, NodeChannelOptions options, Clock* clock)
    : id_(std::move(id)), address_(std::move(address)), options_(options), clock_(clock),
      slots_(options.max_idle > 0 ? std::make_unique<Slot[]>(options.max_idle) : nullptr),
      backoff_ms_(options.backoff_min_ms) {}

NodeChannel::~NodeChannel() {
  for (size_t i = 0; i < options_.max_idle; ++i) delete slots_[i].conn.exchange(nullptr);
}

NodeChannel::Slot* NodeChannel::ThreadSlot() {
  return slots_ ? &slots_[ThreadNumber() % options_.max_idle] : nullptr;
}

std::unique_ptr<MemcacheClient> NodeChannel::Take() {
  if (Slot* slot = ThreadSlot()) {
    if (MemcacheClient* c = slot->conn.exchange(nullptr, std::memory_order_acq_rel))
      return std::unique_ptr<MemcacheClient>(c);
  }
  {
    std::lock_guard<std::mutex> l(pool_mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return std::make_unique<MemcacheClient>(address_, options_.timeout_ms);
}

void NodeChannel::Give(std::unique_ptr<MemcacheClient> c) {
  if (!c->connected()) return;
  if (Slot* slot = ThreadSlot()) {
    MemcacheClient* empty = nullptr;
    if (slot->conn.compare_exchange_strong(empty, c.get(), std::memory_order_acq_rel)) {
      c.release();
      return;
    }
  }
  std::lock_guard<std::mutex> l(pool_mu_);
  if (idle_.size() < options_.max_idle) idle_.push_back(std::move(c));
}

void NodeChannel::Succeeded() {
  if (!troubled_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> l(health_mu_);
  troubled_ = false;
  consecutive_failures_ = 0;
  backoff_ms_ = options_.backoff_min_ms;
  if (marked_down_) {
    marked_down_ = false;
    spdlog::info("node {} ({}) answers again", id_, address_.ToString());
  }
}

void NodeChannel::Failed(const Status& st) {
  ++errors_;
  std::lock_guard<std::mutex> l(health_mu_);
  troubled_ = true;
  ++consecutive_failures_;
  if (consecutive_failures_ >= options_.failure_limit) {
    down_until_ms_ = clock_->MonoMs() + backoff_ms_;
    if (!marked_down_) {
      marked_down_ = true;
      spdlog::warn("node {} ({}) marked down after {} failures ({}); its gets are misses for now", id_,
                   address_.ToString(), consecutive_failures_, st.ToString());
    }
    backoff_ms_ = std::min(backoff_ms_ * 2, options_.backoff_max_ms);
  }
}

void NodeChannel::Remember(const std::string& key) {
  std::lock_guard<std::mutex> l(replay_mu_);
  if (replay_overflow_) return;
  if (replay_.size() >= options_.replay_log_max) {
    replay_overflow_ = true;
    replay_.clear();
  } else {
    replay_.insert(key);
  }
  replay_pending_ = true;
}

bool NodeChannel::down() {
  std::lock_guard<std::mutex> l(health_mu_);
  return marked_down_ && clock_->MonoMs() < down_until_ms_;
}

Status NodeChannel::DrainReplayLocked(MemcacheClient* client) {
  if (replay_overflow_) {
    Status st = client->FlushAll();
    if (!st.ok()) return st;
    spdlog::warn("node {} ({}): more writes failed than the replay log holds; flushed it before serving again",
                 id_, address_.ToString());
  } else if (!replay_.empty()) {
    std::vector<std::string> keys(replay_.begin(), replay_.end());
    auto r = client->DeleteMany(keys);
    if (!r.ok()) return r.status();
    spdlog::info("node {} ({}): replayed {} delete(s) of keys written while it was unreachable", id_,
                 address_.ToString(), keys.size());
  }
  replay_.clear();
  replay_overflow_ = false;
  replay_pending_ = false;
  return Status::Ok();
}

Status NodeChannel::Ready() {
  if (troubled_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> l(health_mu_);
    if (marked_down_ && clock_->MonoMs() < down_until_ms_) {
      ++fast_failed_;
      return Status::Busy("node " + id_ + " is marked down");
    }
  }
  if (!replay_pending_.load()) return Status::Ok();
  // One thread drains; the others fail fast until it has.
  std::unique_lock<std::mutex> l(replay_mu_, std::try_to_lock);
  if (!l.owns_lock()) {
    ++fast_failed_;
    return Status::Busy("node " + id_ + " is replaying failed writes");
  }
  if (!replay_pending_.load()) return Status::Ok();
  auto c = Take();
  Status st = DrainReplayLocked(c.get());
  if (!st.ok()) {
    Failed(st);
    return st;
  }
  Give(std::move(c));
  return Status::Ok();
}

template <typename T, typename Op>
Result<T> NodeChannel::Run(Op op, const std::string* write_key) {
  Status ready = Ready();
  if (!ready.ok()) {
    if (write_key) Remember(*write_key);
    return ready;
  }
  auto c = Take();
  Result<T> r = op(c.get());
  bool node_failure = !r.ok() && r.status().code() != Status::Code::kInvalid;
  if (node_failure) {
    if (write_key) Remember(*write_key);
    Failed(r.status());
  } else {
    Succeeded();
  }
  Give(std::move(c));
  return r;
}

Result<std::optional<CacheItem>> NodeChannel::Get(const std::string& key) {
  ++gets_;
  auto r = Run<std::optional<CacheItem>>([&](MemcacheClient* c) { return c->Get(key); }, nullptr);
  if (r.ok()) ++(r->has_value() ? hits_ : misses_);
  return r;
}

Result<std::map<std::string, CacheItem>> NodeChannel::MultiGet(const std::vector<std::string>& keys) {
  gets_ += keys.size();
  auto r = Run<std::map<std::string, CacheItem>>([&](MemcacheClient* c) { return c->MultiGet(keys); }, nullptr);
  if (r.ok()) {
    hits_ += r->size();
    misses_ += keys.size() - r->size();
  }
  return r;
}

Status NodeChannel::Set(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl) {
  auto r = Run<bool>(
      [&](MemcacheClient* c) -> Result<bool> {
        Status st = c->Set(key, value, flags, ttl);
        if (!st.ok()) return st;
        return true;
      },
      &key);
  return r.ok() ? Status::Ok() : r.status();
}

Result<bool> NodeChannel::Add(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl) {
  return Run<bool>([&](MemcacheClient* c) { return c->Add(key, value, flags, ttl); }, &key);
}

Status NodeChannel::Delete(const std::string& key) {
  auto r = Run<bool>([&](MemcacheClient* c) { return c->Delete(key); }, &key);
  return r.ok() ? Status::Ok() : r.status();
}

Status NodeChannel::FlushAll() {
  auto r = Run<bool>(
      [&](MemcacheClient* c) -> Result<bool> {
        Status st = c->FlushAll();
        if (!st.ok()) return st;
        return true;
      },
      nullptr);
  return r.ok() ? Status::Ok() : r.status();
}

NodeStats NodeChannel::stats() {
  NodeStats s;
  s.gets = gets_;
  s.hits = hits_;
  s.misses = misses_;
  s.errors = errors_;
  s.fast_failed = fast_failed_;
  s.down = down();
  {
    std::lock_guard<std::mutex> l(replay_mu_);
    s.replay_pending = replay_overflow_ ? options_.replay_log_max : replay_.size();
  }
  return s;
}

}  // namespace mcscale
