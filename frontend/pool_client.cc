#include "frontend/pool_client.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/event_log.h"
#include "common/frontend_lease.h"
#include "common/move_planner.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/redis_subscriber.h"
#include "frontend/lease_keeper.h"
#include "frontend/node_channel.h"
#include "frontend/phase_machine.h"
#include "frontend/routing_table.h"

namespace mcscale {

namespace {

// One routing snapshot and the requests running under it.
struct Generation {
  std::shared_ptr<const RoutingTable> table;
  std::map<NodeId, std::shared_ptr<NodeChannel>> channels;
  std::atomic<int> inflight{0};
};

std::string DefaultId() {
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  std::mt19937 rng(std::random_device{}());
  char suffix[8];
  snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rng() & 0xffff));
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + suffix;
}

bool IsTombstone(const CacheItem& item) { return (item.flags & kTombstoneFlag) != 0; }

}  // namespace

class PoolClient::Impl {
 public:
  Impl(PoolClientOptions options, RedisAddress address)
      : options_(std::move(options)), clock_(options_.clock ? options_.clock : Clock::Real()),
        keys_(options_.prefix), redis_(address, 2000), lease_(options_.lease_ttl_ms, options_.lease_margin_ms) {
    subscriber_ = std::make_unique<RedisSubscriber>(
        address, std::vector<std::string>{keys_.events()},
        [this](const std::string&, const std::string&) { Wake(false); },
        [this](bool) { Wake(true); });
  }

  void Start() {
    subscriber_->Start();
    control_ = std::thread([this] { ControlLoop(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (control_.joinable()) control_.join();
    subscriber_->Stop();
    (void)redis_.Command({"DEL", keys_.frontend(options_.id)});
  }

  // ---- requests -------------------------------------------------------------------

  std::optional<CacheItem> Get(const std::string& key) {
    ++gets_;
    if (!ValidCacheKey(key)) return Miss();
    if (!LeaseOk()) {
      ++lease_blocked_;
      return Miss();
    }
    auto g = Acquire();
    if (!g) return Miss();
    Release release(g.get());
    ReadPlan plan = g->table->Read(key);
    auto first = Channel(*g, plan.first);
    if (!first) return Miss();
    auto r = first->Get(key);
    if (!r.ok()) return Miss();  // a node that did not answer: a miss, never the old owner
    if (r->has_value()) return IsTombstone(**r) ? Miss() : Hit(std::move(**r));
    if (!plan.fallback) return Miss();
    if (!LeaseOk()) {
      ++lease_blocked_;
      return Miss();
    }
    auto second = Channel(*g, *plan.fallback);
    if (!second) return Miss();
    auto r2 = second->Get(key);
    if (!r2.ok() || !r2->has_value() || IsTombstone(**r2)) return Miss();
    return Hit(std::move(**r2));
  }

  std::map<std::string, CacheItem> MultiGet(const std::vector<std::string>& keys) {
    std::map<std::string, CacheItem> out;
    gets_ += keys.size();
    if (!LeaseOk()) {
      lease_blocked_ += keys.size();
      misses_ += keys.size();
      return out;
    }
    auto g = Acquire();
    if (!g) {
      misses_ += keys.size();
      return out;
    }
    Release release(g.get());
    std::map<NodeId, std::vector<std::string>> first, fallback;
    std::map<std::string, NodeId> fallback_of;
    for (const auto& k : keys) {
      if (!ValidCacheKey(k)) continue;
      ReadPlan plan = g->table->Read(k);
      first[plan.first].push_back(k);
      if (plan.fallback) fallback_of[k] = *plan.fallback;
    }
    for (auto& [node, ks] : first) {
      auto ch = Channel(*g, node);
      if (!ch) continue;
      auto r = ch->MultiGet(ks);
      if (!r.ok()) continue;  // misses, and no fallback: the first owner may hold newer
      for (const auto& k : ks) {
        auto it = r->find(k);
        if (it != r->end()) {
          if (!IsTombstone(it->second)) out[k] = std::move(it->second);
        } else if (fallback_of.count(k)) {
          fallback[fallback_of[k]].push_back(k);
        }
      }
    }
    if (!fallback.empty() && LeaseOk()) {
      for (auto& [node, ks] : fallback) {
        auto ch = Channel(*g, node);
        if (!ch) continue;
        auto r = ch->MultiGet(ks);
        if (!r.ok()) continue;
        for (auto& [k, item] : *r)
          if (!IsTombstone(item)) out[k] = std::move(item);
      }
    }
    hits_ += out.size();
    misses_ += keys.size() - out.size();
    return out;
  }

  Status Set(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl) {
    if (flags & kTombstoneFlag) return Status::Invalid("flags: bit 31 is reserved for tombstones");
    if (!ValidCacheKey(key)) return Status::Invalid("key: 1..250 bytes without spaces or control characters");
    return RunWrite(key, [&](const RoutingTable& t) { return t.Write(key); }, value, flags, ttl);
  }

  Status Delete(const std::string& key) {
    if (!ValidCacheKey(key)) return Status::Invalid("key: 1..250 bytes without spaces or control characters");
    return RunWrite(key, [&](const RoutingTable& t) { return t.Delete(key); }, "", 0, 0);
  }

  Result<bool> Add(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl) {
    if (flags & kTombstoneFlag) return Status::Invalid("flags: bit 31 is reserved for tombstones");
    if (!ValidCacheKey(key)) return Status::Invalid("key: 1..250 bytes without spaces or control characters");
    ++writes_;
    if (!LeaseOk()) return WriteFailed(Status::Busy("lease lapsed: cache not used until it is renewed"));
    auto g = Acquire();
    if (!g) return WriteFailed(Status::Busy("pool not known yet"));
    Release release(g.get());
    ReadPlan plan = g->table->Read(key);
    if (plan.fallback) {
      // Commit: the old owner may still hold the key; then it exists.
      auto old_owner = Channel(*g, *plan.fallback);
      if (!old_owner) return WriteFailed(Status::Io("no channel to " + *plan.fallback));
      auto r = old_owner->Get(key);
      if (!r.ok()) return WriteFailed(r.status());
      if (r->has_value() && !IsTombstone(**r)) return false;
    }
    std::vector<Step> steps = g->table->Add(key);
    bool stored = false;
    for (const Step& step : steps) {
      if (!LeaseOk()) return WriteFailed(Status::Busy("lease lapsed during the add"));
      auto ch = Channel(*g, step.node);
      if (!ch) return WriteFailed(Status::Io("no channel to " + step.node));
      if (step.kind == StepKind::kAdd) {
        auto r = ch->Add(key, value, flags, ttl);
        if (!r.ok()) return WriteFailed(r.status());
        stored = *r;
        if (!stored) {
          // A tombstone is no value: the add may take its place.
          auto existing = ch->Get(key);
          if (!existing.ok()) return WriteFailed(existing.status());
          if (existing->has_value() && IsTombstone(**existing)) {
            Status st = ch->Set(key, value, flags, ttl);
            if (!st.ok()) return WriteFailed(st);
            stored = true;
          }
        }
        if (!stored) return false;
      } else {
        Status st = ch->Delete(key);
        if (!st.ok()) return WriteFailed(st);
      }
    }
    return stored;
  }

  std::string OwnerOf(const std::string& key) {
    auto g = std::atomic_load(&current_);
    if (!g || g->table->empty()) return "";
    return g->table->Owner(key);
  }

  PoolClientStats Stats() {
    PoolClientStats s;
    s.gets = gets_;
    s.hits = hits_;
    s.misses = misses_;
    s.writes = writes_;
    s.write_failures = write_failures_;
    s.lease_blocked = lease_blocked_;
    s.lease_valid = LeaseOk();
    auto g = std::atomic_load(&current_);
    if (g) {
      const RoutingSnapshot& snap = g->table->snapshot();
      s.pool_id = snap.pool_id;
      s.epoch = snap.epoch;
      s.phase = RoutePhaseName(snap.phase);
      for (const auto& [id, ch] : g->channels) {
        NodeStats n = ch->stats();
        s.errors += n.errors;
        s.fast_failed += n.fast_failed;
        s.nodes[id] = {ch->address().ToString(), n.gets, n.hits, n.misses, n.errors, n.fast_failed, n.down,
                       n.replay_pending};
      }
    }
    return s;
  }

  // Woken by RoutingChanged: a new generation or a renewed lease is what can make it true.
  bool WaitFor(int64_t epoch, bool stable, int64_t timeout_ms) {
    const int64_t deadline = clock_->MonoMs() + timeout_ms;
    std::unique_lock<std::mutex> l(routing_mu_);
    while (true) {
      auto g = std::atomic_load(&current_);
      if (g && !g->table->empty() && LeaseOk()) {
        const RoutingSnapshot& snap = g->table->snapshot();
        if (snap.epoch >= epoch && (!stable || snap.phase == RoutePhase::kStable || snap.epoch > epoch)) return true;
      }
      const int64_t left = deadline - clock_->MonoMs();
      if (left <= 0) return false;
      // Bounded, so a deadline on an injected clock is still noticed when that clock jumps.
      routing_cv_.wait_for(l, std::chrono::milliseconds(std::min<int64_t>(left, kMaxWaitSliceMs)));
    }
  }

 private:
  struct Release {
    explicit Release(Generation* g) : g(g) {}
    ~Release() { g->inflight.fetch_sub(1); }
    Generation* g;
  };

  static constexpr int64_t kMaxWaitSliceMs = 50;

  // Wakes WaitFor after what it checks changed (the generation or the lease). Taking the
  // mutex orders the change before a waiter's check or after its wait began: no lost wake-up.
  void RoutingChanged() {
    { std::lock_guard<std::mutex> l(routing_mu_); }
    routing_cv_.notify_all();
  }

  std::optional<CacheItem> Miss() {
    ++misses_;
    return std::nullopt;
  }
  std::optional<CacheItem> Hit(CacheItem item) {
    ++hits_;
    return item;
  }
  Status WriteFailed(Status st) {
    ++write_failures_;
    return st;
  }

  bool LeaseOk() const { return lease_.Valid(clock_->MonoMs()); }

  // The current generation with this request counted in it; nullptr before the pool is
  // known. The re-check makes sure the control thread, which swaps first and then waits
  // for the old generation's count to reach zero, cannot miss this request.
  std::shared_ptr<Generation> Acquire() {
    while (true) {
      auto g = std::atomic_load(&current_);
      if (!g || g->table->empty()) return nullptr;
      g->inflight.fetch_add(1);
      if (std::atomic_load(&current_) == g) return g;
      g->inflight.fetch_sub(1);
    }
  }

  // The generation keeps its channels alive while a request holds it, so a plain pointer
  // will do: copying the shared_ptr would make every request write the same reference
  // count as every other thread's.
  static NodeChannel* Channel(const Generation& g, const NodeId& node) {
    auto it = g.channels.find(node);
    return it == g.channels.end() ? nullptr : it->second.get();
  }

  template <typename PlanFn>
  Status RunWrite(const std::string& key, PlanFn plan, const std::string& value, uint32_t flags, int64_t ttl) {
    ++writes_;
    if (!LeaseOk()) {
      ++lease_blocked_;
      return WriteFailed(Status::Busy("lease lapsed: cache not used until it is renewed"));
    }
    auto g = Acquire();
    if (!g) return WriteFailed(Status::Busy("pool not known yet"));
    Release release(g.get());
    for (const Step& step : plan(*g->table)) {
      if (!LeaseOk()) return WriteFailed(Status::Busy("lease lapsed during the write"));
      auto ch = Channel(*g, step.node);
      if (!ch) return WriteFailed(Status::Io("no channel to " + step.node));
      Status st;
      switch (step.kind) {
        case StepKind::kSet: st = ch->Set(key, value, flags, ttl); break;
        case StepKind::kAdd: st = ch->Add(key, value, flags, ttl).status(); break;
        case StepKind::kDelete: st = ch->Delete(key); break;
        case StepKind::kTombstone: st = ch->Set(key, "", kTombstoneFlag, options_.tombstone_ttl_s); break;
      }
      if (!st.ok()) return WriteFailed(st);
    }
    return Status::Ok();
  }

  // ---- control thread ---------------------------------------------------------------

  void Wake(bool reconnected) {
    {
      std::lock_guard<std::mutex> l(mu_);
      wake_ = true;
      if (reconnected) force_pool_ = true;
    }
    cv_.notify_all();
  }

  void ControlLoop() {
    while (true) {
      bool woke, force_pool;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait_for(l, std::chrono::milliseconds(50), [&] { return wake_ || stop_; });
        if (stop_) return;
        woke = wake_;
        force_pool = force_pool_;
        wake_ = force_pool_ = false;
      }
      int64_t now = clock_->MonoMs();
      if (woke || force_pool || now >= next_reread_ms_) CatchUp(force_pool || now >= next_reread_ms_);
      if (clock_->MonoMs() >= next_renew_ms_) Renew();
      PlanMoves();
    }
  }

  // Reads history after the last seq (and the pool hash when asked or needed) and moves the
  // phase machine forward; publishes a new generation when routing changed.
  void CatchUp(bool read_pool) {
    EventLog log(&redis_, keys_);
    if (!history_started_) {
      auto latest = redis_.Command({"XREVRANGE", keys_.history(), "+", "-", "COUNT", "1"});
      if (!latest.ok()) {
        RedisTrouble(latest.status());
        return;
      }
      auto entries = RedisClient::ParseEntries(*latest);
      machine_.set_last_seq(entries.ok() && !entries->empty() ? entries->front().id : "0-0");
      history_started_ = true;
      read_pool = true;
    }
    bool changed = false;
    auto events = log.ReadAfter(machine_.last_seq(), 1000);
    if (!events.ok()) {
      RedisTrouble(events.status());
      return;
    }
    for (const auto& ev : *events) {
      std::string warning;
      auto change = machine_.Apply(ev, &warning);
      if (!warning.empty()) spdlog::error("MAP MISMATCH: {}", warning);
      if (change == PhaseMachine::Change::kRouting) changed = true;
      if (change == PhaseMachine::Change::kNeedsPool) read_pool = true;
      if (options_.on_event) options_.on_event(ev);
    }
    // Routing follows what was applied before any further Redis call can fail: last_seq is
    // already past these events, they would not come again.
    if (changed) PublishGeneration();
    if (read_pool) {
      next_reread_ms_ = clock_->MonoMs() + options_.pool_reread_ms;
      auto hash = redis_.HGetAll(keys_.pool());
      if (!hash.ok()) {
        RedisTrouble(hash.status());
        return;
      }
      if (!hash->empty()) {
        auto pool = PoolState::FromHash(*hash);
        if (!pool.ok()) {
          spdlog::error("{} does not decode: {}", keys_.pool(), pool.status().message());
        } else {
          auto commit_seen = CommitSeen(pool->epoch);
          if (!commit_seen.ok()) {
            // Not knowing whether the epoch is committed, adopting could enter prepare while
            // moves run: wait for the next catch-up instead.
            RedisTrouble(commit_seen.status());
            return;
          }
          if (machine_.Adopt(*pool, *commit_seen) == PhaseMachine::Change::kRouting) PublishGeneration();
        }
      }
    }
    if (redis_down_) {
      redis_down_ = false;
      spdlog::info("Redis reachable again");
    }
  }

  // Whether `epoch`'s migration.commit was published: the coordinator records commit_ms in
  // the migration hash once the event is out (and before the pool of a re-planned epoch is
  // written), so the hash answers for any epoch however much history came since.
  Result<bool> CommitSeen(int64_t epoch) {
    auto r = redis_.Command({"HEXISTS", keys_.migration(epoch), "commit_ms"});
    if (!r.ok()) return r.status();
    if (r->integer == 1) return true;
    // The event is published just before commit_ms is written: look for it too.
    EventLog log(&redis_, keys_);
    auto latest = log.Latest(200);
    if (!latest.ok()) return latest.status();
    for (const auto& ev : *latest)
      if (ev.type == EventType::kMigrationCommit && ev.epoch == epoch) return true;
    return false;
  }

  void PublishGeneration() {
    const RoutingSnapshot& snap = machine_.snapshot();
    auto g = std::make_shared<Generation>();
    g->table = std::make_shared<RoutingTable>(snap);
    for (const auto& [id, address] : snap.nodes) {
      auto& ch = channels_[id + "@" + address];
      if (!ch) {
        auto hp = HostPort::Parse(address);
        if (!hp.ok()) {
          spdlog::error("node {} has a bad address '{}': {}", id, address, hp.status().message());
          continue;
        }
        NodeChannelOptions o;
        o.timeout_ms = options_.request_timeout_ms;
        o.failure_limit = options_.failure_limit;
        o.backoff_min_ms = options_.backoff_min_ms;
        o.backoff_max_ms = options_.backoff_max_ms;
        o.replay_log_max = options_.replay_log_max;
        ch = std::make_shared<NodeChannel>(id, *hp, o, clock_);
      }
      g->channels[id] = ch;
    }
    auto old = std::atomic_exchange(&current_, g);
    RoutingChanged();
    // The lease may name the new phase only once nothing runs under the old one.
    while (old && old->inflight.load() > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    spdlog::info("routing by pool {} epoch {} ({}, {} nodes)", snap.pool_id.substr(0, 8), snap.epoch,
                 RoutePhaseName(snap.phase), snap.map.Nodes().size());
    WriteLease();
  }

  bool WriteLease() {
    // The lease names what requests route by: the published generation.
    auto g = std::atomic_load(&current_);
    if (!g) return false;
    const RoutingSnapshot& snap = g->table->snapshot();
    if (snap.pool_id.empty()) return false;
    FrontendLease lease{options_.id, snap.pool_id, snap.epoch, snap.phase, clock_->NowMs()};
    std::vector<std::string> hset = {"HSET", keys_.frontend(options_.id)};
    for (const auto& [k, v] : lease.ToHash()) {
      hset.push_back(k);
      hset.push_back(v);
    }
    auto r = redis_.Pipeline({{"MULTI"}, hset,
                              {"PEXPIRE", keys_.frontend(options_.id), std::to_string(options_.lease_ttl_ms)},
                              {"EXEC"}});
    if (!r.ok()) {
      RedisTrouble(r.status());
      return false;
    }
    return true;
  }

  // Renews the lease. After a lapse it first catches up; after every write it catches up
  // again, so an epoch planned while the write was on its way is seen before any request
  // runs under the renewed lease.
  void Renew() {
    int64_t t0 = clock_->MonoMs();
    next_renew_ms_ = t0 + 200;  // retry soon unless renewed
    bool lapsed = !lease_.Valid(t0);
    if (lapsed) CatchUp(true);
    if (!machine_.known()) return;
    if (!WriteLease()) return;
    CatchUp(false);
    if (redis_down_) return;
    if (lapsed) spdlog::info("lease {} held (epoch {}, {})", options_.id, machine_.snapshot().epoch,
                             RoutePhaseName(machine_.snapshot().phase));
    lease_.Renewed(t0);
    RoutingChanged();  // a waiter may have found the lease lapsed
    next_renew_ms_ = t0 + options_.lease_renew_ms;
  }

  // The first frontend to claim a commit epoch issues its moves once every live lease is
  // on commit.
  void PlanMoves() {
    if (!options_.plan_moves) return;
    const RoutingSnapshot& snap = machine_.snapshot();
    if (snap.phase != RoutePhase::kCommit || !snap.previous) return;
    if (issued_epoch_ == snap.epoch) return;
    if (claimed_epoch_ != snap.epoch) {
      int64_t now = clock_->MonoMs();
      if (now < next_claim_ms_) return;
      next_claim_ms_ = now + 1000;
      auto r = redis_.Command({"SET", keys_.migration_claim(snap.epoch), options_.id, "NX", "PX", "30000"});
      if (!r.ok() || r->is_nil()) return;
      claimed_epoch_ = snap.epoch;
      spdlog::info("claimed epoch {}: issuing its moves once every frontend is on commit", snap.epoch);
    }
    auto all = LeaseCensus::AllAtLeast(&redis_, keys_, snap.pool_id, snap.epoch, RoutePhase::kCommit);
    if (!all.ok() || !*all) return;
    auto issued = MovePlanner::Issue(&redis_, keys_, snap.epoch, *snap.previous, snap.map, snap.nodes, options_.id,
                                     clock_->NowMs());
    if (!issued.ok()) {
      spdlog::warn("issuing the moves of epoch {}: {}", snap.epoch, issued.status().ToString());
      return;
    }
    issued_epoch_ = snap.epoch;
    if (*issued) spdlog::info("issued the moves of epoch {}", snap.epoch);
  }

  void RedisTrouble(const Status& st) {
    if (!redis_down_) spdlog::warn("Redis unreachable ({}); routing by what is known, lease not renewed", st.ToString());
    redis_down_ = true;
  }

 public:
  PoolClientOptions options_;
  Clock* clock_;
  RedisKeys keys_;

 private:
  RedisClient redis_;
  std::unique_ptr<RedisSubscriber> subscriber_;
  std::shared_ptr<Generation> current_;
  LeaseKeeper lease_;
  PhaseMachine machine_;
  std::map<std::string, std::shared_ptr<NodeChannel>> channels_;  // "id@address"
  std::thread control_;
  std::mutex mu_;  // the control thread's wake-up: wake_, force_pool_, stop_
  std::condition_variable cv_;
  std::mutex routing_mu_;  // WaitFor's wake-up; guards no data
  std::condition_variable routing_cv_;
  bool wake_ = false;
  bool force_pool_ = true;
  bool stop_ = false;
  bool history_started_ = false;
  bool redis_down_ = false;
  int64_t next_reread_ms_ = 0;
  int64_t next_renew_ms_ = 0;
  int64_t next_claim_ms_ = 0;
  int64_t claimed_epoch_ = -1;
  int64_t issued_epoch_ = -1;
  std::atomic<uint64_t> gets_{0}, hits_{0}, misses_{0}, writes_{0}, write_failures_{0}, lease_blocked_{0};
};

Result<std::unique_ptr<PoolClient>> PoolClient::Create(PoolClientOptions options) {
  auto address = RedisAddress::Parse(options.redis_url);
  if (!address.ok()) return Status::Invalid("redis_url: " + address.status().message());
  if (options.prefix.empty()) return Status::Invalid("prefix: must not be empty");
  if (options.id.empty()) options.id = DefaultId();
  if (options.request_timeout_ms < 1) return Status::Invalid("request_timeout_ms: must be at least 1");
  if (options.failure_limit < 1) return Status::Invalid("failure_limit: must be at least 1");
  if (options.lease_margin_ms >= options.lease_ttl_ms)
    return Status::Invalid("lease_margin_ms: must be below lease_ttl_ms");
  if (options.lease_renew_ms >= options.lease_ttl_ms - options.lease_margin_ms)
    return Status::Invalid("lease_renew_ms: must be below lease_ttl_ms - lease_margin_ms");
  auto impl = std::make_unique<Impl>(std::move(options), *address);
  impl->Start();
  return std::unique_ptr<PoolClient>(new PoolClient(std::move(impl)));
}

PoolClient::PoolClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PoolClient::~PoolClient() = default;

bool PoolClient::WaitReady(int64_t timeout_ms) { return impl_->WaitFor(0, false, timeout_ms); }
bool PoolClient::WaitForEpoch(int64_t epoch, bool stable, int64_t timeout_ms) {
  return impl_->WaitFor(epoch, stable, timeout_ms);
}
std::optional<CacheItem> PoolClient::Get(const std::string& key) { return impl_->Get(key); }
std::map<std::string, CacheItem> PoolClient::MultiGet(const std::vector<std::string>& keys) {
  return impl_->MultiGet(keys);
}
Status PoolClient::Set(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl) {
  return impl_->Set(key, value, flags, ttl);
}
Result<bool> PoolClient::Add(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl) {
  return impl_->Add(key, value, flags, ttl);
}
Status PoolClient::Delete(const std::string& key) { return impl_->Delete(key); }
std::string PoolClient::OwnerOf(const std::string& key) { return impl_->OwnerOf(key); }
PoolClientStats PoolClient::Stats() { return impl_->Stats(); }

}  // namespace mcscale
