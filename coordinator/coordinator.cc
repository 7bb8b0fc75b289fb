#include "coordinator/coordinator.h"

#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/event_log.h"
#include "common/frontend_lease.h"
#include "common/move_planner.h"
#include "common/memcache_client.h"
#include "coordinator/exec_node_provider.h"

namespace mcscale {

Coordinator::Coordinator(CoordinatorOptions options, Clock* clock)
    : options_(std::move(options)), clock_(clock), keys_(options_.prefix) {}

Coordinator::~Coordinator() = default;

Status Coordinator::Start() {
  auto address = RedisAddress::Parse(options_.redis_url);
  if (!address.ok()) return Status::Invalid("--redis: " + address.status().message());
  redis_ = std::make_unique<RedisClient>(*address, 5000);
  agents_ = std::make_unique<AgentSupervisor>(options_.local.agent_interval_ms);
  int64_t deadline = clock_->MonoMs() + 30000;
  for (int attempt = 1;; ++attempt) {
    Status ping = redis_->Ping();
    if (ping.ok()) break;
    if (clock_->MonoMs() >= deadline) return Status::Io("Redis at " + address->ToString() + " unreachable: " + ping.message());
    if (attempt == 1) spdlog::warn("waiting for Redis at {}: {}", address->ToString(), ping.ToString());
    clock_->SleepMs(500);
  }

  // Config: Redis's when there is one, else the defaults patched with the start options.
  std::lock_guard<std::mutex> lock(mu_);
  auto hash = redis_->HGetAll(keys_.config());
  if (!hash.ok()) return hash.status();
  std::vector<FieldError> errors;
  if (hash->empty()) {
    auto patched = PoolConfig().Patched(options_.initial_config, &errors);
    if (!patched.ok()) return Status::Invalid("--config: " + JoinFieldErrors(errors));
    config_ = *patched;
    Status st = redis_->HSet(keys_.config(), config_.ToHash());
    if (!st.ok()) return st;
    spdlog::info("no config in {}: wrote {}", keys_.config(), config_.ToJson().dump());
  } else {
    auto loaded = PoolConfig::FromHash(*hash, &errors);
    if (!loaded.ok() || !errors.empty() || !loaded->Validate().empty()) {
      if (loaded.ok() && errors.empty()) errors = loaded->Validate();
      return Status::Invalid(keys_.config() + " is invalid: " + JoinFieldErrors(errors) +
                             " (fix it with redis-cli or delete it to start from defaults)");
    }
    config_ = *loaded;
    spdlog::info("config from {}: {}", keys_.config(), config_.ToJson().dump());
  }
  figures_.set_bucket_s(config_.bucket_s);

  if (options_.provider == "local") {
    LocalProviderOptions local = options_.local;
    local.redis_url = options_.redis_url;
    local.prefix = options_.prefix;
    provider_ = std::make_unique<LocalNodeProvider>(local, redis_.get(), keys_);
  } else if (options_.provider == "exec") {
    if (options_.exec_script.empty()) return Status::Invalid("--provider exec needs --exec-script");
    provider_ = std::make_unique<ExecNodeProvider>(options_.exec_script, options_.redis_url, redis_.get(), keys_);
  } else {
    return Status::Invalid("--provider: unknown provider '" + options_.provider + "' (local, exec)");
  }

  pool_ = std::make_unique<PoolManager>(redis_.get(), keys_, provider_.get(), clock_);
  Status st = pool_->Load();
  if (!st.ok()) return st;
  st = pool_->Reconcile(config_);
  if (!st.ok()) return st;

  // Resume the metric stream where the last coordinator left it, and its open bucket.
  auto cursor = redis_->Command({"HGET", keys_.coordinator(), "metrics_cursor"});
  if (cursor.ok() && cursor->type == RedisValue::Type::kString) metrics_cursor_ = cursor->str;
  auto last = redis_->Command({"ZRANGE", keys_.figures(), "-1", "-1"});
  if (last.ok() && last->type == RedisValue::Type::kArray && !last->elements.empty()) {
    auto j = nlohmann::json::parse(last->elements[0].str, nullptr, false);
    auto figure = PoolFigure::FromJson(j);
    if (figure.ok()) figures_.Restore(*figure);
  }

  if (pool_->ServingNodes().size() < static_cast<size_t>(config_.min_nodes) && !pool_->migrating()) {
    st = pool_->Resize(config_.min_nodes, config_,
                       fmt::format("pool created: grown to min_nodes {}", config_.min_nodes));
    if (!st.ok()) return st;
    ++resizes_total_;
  }
  last_eval_mono_ms_ = clock_->MonoMs();
  last_config_read_mono_ms_ = clock_->MonoMs();
  NoteRedisLocked(true);
  return Status::Ok();
}

void Coordinator::Run(const std::atomic<bool>* stop) {
  while (!stop->load() && !retired_.load()) {
    Tick();
    clock_->SleepMs(options_.tick_ms);
  }
}

void Coordinator::Tick() {
  std::optional<HealthCheck> check;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (retired_.load()) return;
    ReadMetricsLocked();
    PersistFiguresLocked();
    AdvanceMigrationLocked();
    if (clock_->MonoMs() - last_health_check_mono_ms_ >= 1000) check = PlanHealthCheckLocked();
  }
  // Without the lock: a node that accepts connections but does not answer (stopped,
  // overloaded) holds each probe for its whole timeout.
  if (check) ProbeNodes(&*check);
  std::lock_guard<std::mutex> lock(mu_);
  if (retired_.load()) return;
  if (check) ApplyHealthCheckLocked(*check);
  if (clock_->MonoMs() - last_config_read_mono_ms_ >= 1000) ReloadConfigLocked();
  if (clock_->MonoMs() - last_eval_mono_ms_ >= static_cast<int64_t>(config_.interval_s) * 1000) {
    last_eval_mono_ms_ = clock_->MonoMs();
    EvaluatePolicyLocked();
  }
}

void Coordinator::ReadMetricsLocked() {
  int serving = static_cast<int>(pool_->ServingNodes().size());
  for (int batch = 0; batch < 20; ++batch) {
    auto entries = redis_->XRead(keys_.metrics(), metrics_cursor_, 2000, -1);
    NoteRedisLocked(entries.ok());
    if (!entries.ok()) {
      spdlog::debug("reading {}: {}", keys_.metrics(), entries.status().ToString());
      return;
    }
    if (entries->empty()) break;
    for (const auto& e : *entries) {
      metrics_cursor_ = e.id;
      auto sample = MetricSample::FromFields(e.fields);
      if (!sample.ok()) {
        if (samples_invalid_++ == 0)
          spdlog::warn("skipping malformed metric entry {}: {}", e.id, sample.status().message());
        continue;
      }
      ++samples_total_;
      last_sample_[sample->node] = *sample;
      figures_.Add(*sample, serving);
    }
    if (entries->size() < 2000) break;
  }
}

void Coordinator::PersistFiguresLocked() {
  auto dirty = figures_.TakeDirty();
  if (dirty.empty()) return;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& f : dirty) {
    std::string t = std::to_string(f.t);
    cmds.push_back({"ZREMRANGEBYSCORE", keys_.figures(), t, t});
    cmds.push_back({"ZADD", keys_.figures(), t, f.ToJson().dump()});
  }
  cmds.push_back({"ZREMRANGEBYSCORE", keys_.figures(), "-inf",
                  "(" + std::to_string(clock_->NowMs() - options_.keep_figures_ms)});
  cmds.push_back({"HSET", keys_.coordinator(), "metrics_cursor", metrics_cursor_});
  auto r = redis_->Pipeline(cmds);
  if (!r.ok()) spdlog::warn("could not store pool figures: {}", r.status().ToString());
}

void Coordinator::ReloadConfigLocked() {
  last_config_read_mono_ms_ = clock_->MonoMs();
  auto hash = redis_->HGetAll(keys_.config());
  if (!hash.ok() || hash->empty()) return;
  std::vector<FieldError> errors;
  auto loaded = PoolConfig::FromHash(*hash, &errors);
  if (!loaded.ok() || !errors.empty()) return;
  if (!loaded->Validate().empty()) return;  // an edit by hand that is invalid: keep ours
  if (loaded->ToHash() != config_.ToHash()) {
    spdlog::info("config changed in Redis: {}", loaded->ToJson().dump());
    config_ = *loaded;
  }
}

void Coordinator::EvaluatePolicyLocked() {
  PolicyInput in;
  in.config = config_;
  std::set<NodeId> serving = pool_->ServingNodes();
  in.window = figures_.Window(clock_->NowMs(), static_cast<int64_t>(config_.window_s) * 1000, serving);
  in.nodes = static_cast<int>(serving.size());
  in.migrating = pool_->migrating();
  in.stable_since_ms = pool_->pool().updated_ms;
  in.now_ms = clock_->NowMs();
  Decision d = ScalingPolicy::Decide(in, &policy_memory_);
  if (!d.resize) {
    if (d.reason != last_decision_reason_) spdlog::debug("policy: {}", d.reason);
    last_decision_reason_ = d.reason;
    return;
  }
  spdlog::info("policy: {}", d.reason);
  Status st = pool_->Resize(d.to, config_, d.reason);
  if (st.ok()) {
    ++resizes_total_;
  } else {
    ++resize_failures_;
    spdlog::error("policy resize to {} nodes failed: {}", d.to, st.ToString());
  }
}

Status Coordinator::EndMigrationLocked(const std::string& reason) {
  std::set<NodeId> drained;
  Status st = pool_->FinishMigration(reason, &drained);
  if (!st.ok()) return st;
  if (!drained.empty()) {
    retiring_.insert(drained.begin(), drained.end());
    retiring_epoch_ = pool_->pool().epoch;
    retiring_since_ms_ = clock_->NowMs();
  }
  return Status::Ok();
}

// The coordinator's half of DESIGN.md's resize protocol, one step per tick, all state in
// Redis (`<prefix>:migration:<epoch>`), so a restarted coordinator carries on:
//   every live lease on prepare E  -> publish migration.commit
//   unclaimed after the grace      -> claim, and issue the moves once every lease is on commit
//   every region done              -> migration.done, state stable
void Coordinator::AdvanceMigrationLocked() {
  RetireDrainedLocked();
  if (!pool_->migrating()) return;
  const PoolState& pool = pool_->pool();
  int64_t epoch = pool.epoch;
  if (!options_.live_migration || !pool.previous_regions) {
    Status st = EndMigrationLocked("remap only: no keys are moved");
    if (!st.ok()) spdlog::warn("could not finish epoch {}: {}", epoch, st.ToString());
    return;
  }
  if (clock_->NowMs() - pool.updated_ms > options_.drain_timeout_ms) {
    CancelMigrationLocked();
    return;
  }
  auto m = redis_->HGetAll(keys_.migration(epoch));
  if (!m.ok()) return;
  if (!m->count("commit_ms")) {
    std::vector<std::string> lagging;
    auto all = LeaseCensus::AllAtLeast(redis_.get(), keys_, pool.pool_id, epoch, RoutePhase::kPrepare, &lagging);
    if (!all.ok() || !*all) return;
    // The event first, then commit_ms: commit_ms means "published" to every reader (a
    // crash in between publishes a harmless duplicate next time).
    PoolEvent ev;
    ev.type = EventType::kMigrationCommit;
    ev.reason = "every frontend is on prepare";
    Status st = pool_->PublishEvent(ev);
    if (!st.ok()) {
      spdlog::warn("epoch {}: migration.commit not published: {}", epoch, st.ToString());
      return;
    }
    st = redis_->HSet(keys_.migration(epoch), {{"commit_ms", std::to_string(clock_->NowMs())}});
    if (!st.ok()) spdlog::warn("epoch {}: commit_ms not recorded: {}", epoch, st.ToString());
    spdlog::info("epoch {}: migration.commit published", epoch);
    return;
  }
  if (!m->count("planned_by")) {
    int64_t commit_ms = std::strtoll(m->at("commit_ms").c_str(), nullptr, 10);
    if (clock_->NowMs() - commit_ms < options_.claim_grace_ms) return;
    auto claim = redis_->Command({"SET", keys_.migration_claim(epoch), "coordinator", "NX", "PX", "30000"});
    auto holder = redis_->Get(keys_.migration_claim(epoch));
    if (!holder.ok() || !holder->has_value() || **holder != "coordinator") return;
    if (claim.ok() && !claim->is_nil())
      spdlog::info("epoch {}: no frontend claimed the moves within {} ms; the coordinator issues them", epoch,
                   options_.claim_grace_ms);
    auto all = LeaseCensus::AllAtLeast(redis_.get(), keys_, pool.pool_id, epoch, RoutePhase::kCommit);
    if (!all.ok() || !*all) return;
    auto issued = MovePlanner::Issue(redis_.get(), keys_, epoch, *pool.previous_regions, pool.regions, pool.nodes,
                                     "coordinator", clock_->NowMs());
    if (!issued.ok()) spdlog::warn("epoch {}: issuing moves: {}", epoch, issued.status().ToString());
    else if (*issued) spdlog::info("epoch {}: moves issued", epoch);
    return;
  }
  auto done = MovePlanner::Done(redis_.get(), keys_, epoch);
  if (done.ok() && *done) {
    Status st = EndMigrationLocked(fmt::format("every region moved ({} keys, {} bytes, {} skipped as newer)",
                                               m->count("keys_moved") ? m->at("keys_moved") : "0",
                                               m->count("bytes_moved") ? m->at("bytes_moved") : "0",
                                               m->count("keys_skipped") ? m->at("keys_skipped") : "0"));
    if (!st.ok()) spdlog::warn("could not finish epoch {}: {}", epoch, st.ToString());
  }
}

void Coordinator::CancelMigrationLocked() {
  const PoolState& pool = pool_->pool();
  const int64_t epoch = pool.epoch;
  const std::string migration = keys_.migration(epoch);
  const std::string now = std::to_string(clock_->NowMs());
  // The cancel mark, and the planning claimed: moves not issued by now never will be (the
  // issuing script sets planned_by only when absent).
  auto r = redis_->Pipeline({{"HSETNX", migration, kMigrationCancelField, now},
                             {"HSETNX", migration, "planned_by", "cancelled"},
                             {"HGETALL", migration}});
  if (!r.ok() || !(*r)[0].ok() || !(*r)[1].ok() || !(*r)[2].ok()) return;  // Redis trouble: next tick
  bool issued = (*r)[1]->integer == 0;
  if ((*r)[0]->integer == 1)
    spdlog::error("epoch {}: migration not done after {} s; cancelled it{} (keys of unmoved regions are lost)", epoch,
                  options_.drain_timeout_ms / 1000,
                  issued ? ", waiting for the movers to stop" : " before any move was issued");
  std::map<std::string, std::string> fields;
  const RedisValue& all = *(*r)[2];
  for (size_t i = 0; i + 1 < all.elements.size(); i += 2) fields[all.elements[i].str] = all.elements[i + 1].str;
  // Sources of the regions neither done nor stopped: a mover may still store their keys.
  std::set<NodeId> busy;
  if (issued) {
    for (const auto& move : RegionMap::Moves(*pool.previous_regions, pool.regions)) {
      std::string field = "r" + std::to_string(move.region) + ".";
      if (!fields.count(field + "done") && !fields.count(field + "stopped")) busy.insert(move.from);
    }
  }
  if (!busy.empty()) {
    int64_t cancelled_ms = std::strtoll(fields[kMigrationCancelField].c_str(), nullptr, 10);
    if (clock_->NowMs() - cancelled_ms < options_.cancel_wait_ms) return;
    // Hung, paused or gone without a word: their processes are stopped (a new agent sees the
    // migration over and abandons its orders) before done can be published.
    for (const auto& id : busy) {
      bool ok = provider_->RestartAgent(id);
      spdlog::error("epoch {}: the mover of node {} did not stop within {} s of the cancel: {}", epoch, id,
                    options_.cancel_wait_ms / 1000,
                    ok ? "restarted its agent" : "the provider cannot restart its agent; ending the migration anyway");
    }
  }
  Status st = EndMigrationLocked("drain timeout: migration cancelled before every region moved");
  if (!st.ok()) spdlog::warn("could not finish epoch {}: {}", epoch, st.ToString());
}

std::optional<Coordinator::HealthCheck> Coordinator::PlanHealthCheckLocked() {
  last_health_check_mono_ms_ = clock_->MonoMs();
  failures_.set_timeout_ms(static_cast<int64_t>(config_.failure_timeout_s) * 1000);
  HealthCheck check;
  check.pool_id = pool_->pool().pool_id;
  check.epoch = pool_->pool().epoch;
  check.nodes = pool_->pool().nodes;
  check.now_ms = clock_->NowMs();
  for (const auto& [id, address] : check.nodes) {
    NodeObservation obs;
    auto reg = redis_->Command({"HGET", keys_.agent(id), "interval_ms"});
    NoteRedisLocked(reg.ok());
    if (!reg.ok()) return std::nullopt;  // Redis trouble: no judgement on nodes
    obs.agent_registered = !reg->is_nil();
    if (obs.agent_registered) agents_->Registered(id, std::strtoll(reg->str.c_str(), nullptr, 10));
    auto s = last_sample_.find(id);
    if (s != last_sample_.end()) {
      obs.sample_ts = s->second.ts;
      obs.sample_up = s->second.up;
    }
    if (failures_.NeedsProbe(obs, check.now_ms)) check.to_probe.insert(id);
    check.observations[id] = obs;
  }
  return check;
}

void Coordinator::NoteRedisLocked(bool answered) {
  if (answered) agents_->RedisAnswered(clock_->MonoMs());
  else agents_->RedisFailed();
}

void Coordinator::ProbeNodes(HealthCheck* check) {
  for (const auto& id : check->to_probe) {
    auto hp = HostPort::Parse(check->nodes.at(id));
    MemcacheClient probe(hp.ok() ? *hp : HostPort{"127.0.0.1", 1}, kProbeTimeoutMs);
    auto v = probe.Command("version");
    check->observations[id].probe_ok = v.ok() && v->rfind("VERSION", 0) == 0;
  }
}

void Coordinator::ApplyHealthCheckLocked(const HealthCheck& check) {
  const PoolState& pool = pool_->pool();
  if (pool.pool_id != check.pool_id || pool.epoch != check.epoch || pool.nodes != check.nodes) {
    // A resize, failure or migration end while the probes ran: what they found may be about
    // nodes that left; the next check starts from the new pool.
    spdlog::debug("the pool changed during a health check (epoch {} -> {}); its results are dropped", check.epoch,
                  pool.epoch);
    return;
  }
  for (const auto& [id, obs] : check.observations) {
    const std::string& address = check.nodes.at(id);
    // A dead agent is not a dead node: bring the agent back when the provider can (not
    // while its registration may only have expired in a Redis outage).
    if (agents_->ShouldRestart(id, obs.agent_registered, obs.probe_ok.value_or(false), clock_->MonoMs())) {
      bool ok = provider_->RestartAgent(id);
      spdlog::warn("the agent of node {} is not registered but the node answers: {}", id,
                   ok ? "restarted the agent" : "the provider cannot restart it");
    }
    if (!failures_.Observe(id, obs, check.now_ms)) continue;
    std::string how = obs.probe_ok ? (obs.agent_registered ? "did not answer the coordinator's probe"
                                                           : "its agent is gone and it did not answer the coordinator's probe")
                                   : "its agent reports it down";
    std::string reason = fmt::format("node {} ({}) unreachable for {} s: {}", id, address, config_.failure_timeout_s, how);
    std::set<NodeId> leaving;
    Status st = pool_->NodeFailed(id, config_, reason, &leaving);
    if (st.ok() && !leaving.empty()) {
      // Drained nodes of the re-planned migration: stopped once no frontend can ask them.
      retiring_.insert(leaving.begin(), leaving.end());
      retiring_epoch_ = pool_->pool().epoch;
      retiring_since_ms_ = clock_->NowMs();
    }
    failures_.Forget(id);
    agents_->Forget(id);
    last_sample_.erase(id);
    figures_.ForgetNode(id);
    if (!st.ok()) {
      spdlog::error("could not take failed node {} out of the pool: {}", id, st.ToString());
    } else {
      ++node_failures_;
    }
    return;  // one change at a time; the next check sees the new pool
  }
}

void Coordinator::RetireDrainedLocked() {
  if (retiring_.empty()) return;
  bool waited_out = clock_->NowMs() - retiring_since_ms_ > options_.retire_wait_ms;
  if (!waited_out) {
    auto all = LeaseCensus::AllAtLeast(redis_.get(), keys_, pool_->pool().pool_id, retiring_epoch_,
                                       RoutePhase::kStable);
    if (!all.ok() || !*all) return;
  }
  pool_->RetireNodes(retiring_);
  spdlog::info("retired {} drained node(s) of epoch {}{}", retiring_.size(), retiring_epoch_,
               waited_out ? " (some frontend leases had not caught up)" : "");
  retiring_.clear();
}

nlohmann::json Coordinator::PoolView() {
  std::lock_guard<std::mutex> lock(mu_);
  const PoolState& p = pool_->pool();
  nlohmann::json view = p.ToJson();
  auto counts = p.regions.Counts();
  std::set<NodeId> draining = pool_->DrainingNodes();
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& [id, address] : p.nodes) {
    nlohmann::json n = {{"id", id}, {"address", address}, {"regions", counts.count(id) ? counts[id] : 0},
                        {"draining", draining.count(id) > 0}};
    auto s = last_sample_.find(id);
    if (s != last_sample_.end()) {
      n["up"] = s->second.up;
      n["items"] = s->second.counters.curr_items;
      n["bytes"] = s->second.counters.bytes;
      n["capacity"] = s->second.counters.limit_maxbytes;
      n["sampled_ms"] = s->second.ts;
    } else {
      n["up"] = nullptr;
    }
    nodes.push_back(n);
  }
  view["node_list"] = nodes;
  if (p.epoch > 0) {
    auto m = redis_->HGetAll(keys_.migration(p.epoch));
    if (m.ok() && !m->empty()) view["migration"] = *m;
  }
  view["live_migration"] = options_.live_migration;
  view["mode"] = PoolConfig::ModeName(config_.mode);
  view["last_decision"] = last_decision_reason_;
  return view;
}

nlohmann::json Coordinator::StatsView(int minutes) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t from = clock_->NowMs() - static_cast<int64_t>(minutes) * 60 * 1000;
  nlohmann::json figures = nlohmann::json::array();
  auto r = redis_->Command({"ZRANGEBYSCORE", keys_.figures(), std::to_string(from), "+inf"});
  if (r.ok() && r->type == RedisValue::Type::kArray) {
    for (const auto& e : r->elements) {
      auto j = nlohmann::json::parse(e.str, nullptr, false);
      if (!j.is_discarded()) {
        j.erase("nodes");
        figures.push_back(j);
      }
    }
  }
  nlohmann::json resizes = nlohmann::json::array();
  EventLog log(redis_.get(), keys_);
  auto events = log.ReadAfter(std::to_string(from) + "-0", 1000);
  if (events.ok())
    for (const auto& ev : *events)
      if (ev.type == EventType::kPoolResized || ev.type == EventType::kNodeFailed)
        resizes.push_back({{"ts", ev.ts}, {"epoch", ev.epoch}, {"type", EventTypeName(ev.type)},
                           {"nodes", ev.new_nodes.size()}, {"reason", ev.reason}});
  return {{"bucket_s", config_.bucket_s}, {"minutes", minutes}, {"figures", figures}, {"resizes", resizes}};
}

nlohmann::json Coordinator::ConfigView() {
  std::lock_guard<std::mutex> lock(mu_);
  return config_.ToJson();
}

nlohmann::json Coordinator::EventsView(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  EventLog log(redis_.get(), keys_);
  nlohmann::json out = nlohmann::json::array();
  auto events = log.Latest(count);
  if (events.ok())
    for (const auto& ev : *events) {
      nlohmann::json j = ev.ToJson();
      j.erase("old_regions");
      j.erase("new_regions");
      j.erase("config");
      out.push_back(j);
    }
  return out;
}

Result<PoolConfig> Coordinator::UpdateConfig(const nlohmann::json& patch, std::vector<FieldError>* errors) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = config_.Patched(patch, errors);
  if (!next.ok()) return next.status();
  if (next->regions != config_.regions && !pool_->pool().regions.empty()) {
    errors->push_back({"regions", "is fixed when the pool is created (" + std::to_string(config_.regions) + ")"});
    return Status::Invalid(JoinFieldErrors(*errors));
  }
  Status st = redis_->HSet(keys_.config(), next->ToHash());
  if (!st.ok()) return st;
  config_ = *next;
  figures_.set_bucket_s(config_.bucket_s);
  PoolEvent ev;
  ev.type = EventType::kConfigChanged;
  ev.config = config_.ToJson();
  ev.reason = "config changed: " + patch.dump();
  Status pub = pool_->PublishEvent(ev);
  if (!pub.ok()) spdlog::warn("config.changed not published: {}", pub.ToString());
  spdlog::info("config changed: {}", patch.dump());
  return config_;
}

Status Coordinator::Resize(int size, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (size > ScalingPolicy::Ceiling(config_) || size < 1)
    return Status::Invalid(fmt::format("size {} is out of range 1..{}", size, ScalingPolicy::Ceiling(config_)));
  Status st = pool_->Resize(size, config_, reason);
  if (st.ok()) ++resizes_total_;
  return st;
}

int Coordinator::PoolSize() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(pool_->ServingNodes().size());
}

Status Coordinator::FlushNodesLocked() {
  Status result = Status::Ok();
  for (const auto& [id, address] : pool_->pool().nodes) {
    auto hp = HostPort::Parse(address);
    if (!hp.ok()) continue;
    MemcacheClient mc(*hp, 2000);
    Status st = mc.FlushAll();
    if (!st.ok()) {
      spdlog::warn("flush_all on {} ({}) failed: {}", id, address, st.ToString());
      result = Status::Io("node " + id + ": " + st.message());
    }
  }
  return result;
}

Status Coordinator::ClearCache(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  Status st = FlushNodesLocked();
  PoolEvent ev;
  ev.type = EventType::kCacheCleared;
  ev.reason = reason;
  Status pub = pool_->PublishEvent(ev);
  spdlog::info("cache cleared: {}", reason);
  return st.ok() ? pub : st;
}

Status Coordinator::ClearData(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    PoolEvent ev;
    ev.type = EventType::kDataCleared;
    ev.reason = reason;
    Status pub = pool_->PublishEvent(ev);
    if (!pub.ok()) return pub;
    spdlog::info("data cleared: {}", reason);
  }
  return ClearCache(reason + " (with the data)");
}

Status Coordinator::Retire() {
  std::lock_guard<std::mutex> lock(mu_);
  Status st = pool_->Retire();
  retired_ = true;
  return st;
}

std::string Coordinator::PrometheusText() {
  std::lock_guard<std::mutex> lock(mu_);
  const PoolState& p = pool_->pool();
  std::string out;
  auto gauge = [&](const char* name, const char* help, double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
  };
  auto counter = [&](const char* name, const char* help, uint64_t value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, value);
  };
  gauge("mcscale_pool_epoch", "Current pool epoch.", static_cast<double>(p.epoch));
  gauge("mcscale_pool_nodes", "Nodes serving the current region map.", static_cast<double>(pool_->ServingNodes().size()));
  gauge("mcscale_pool_migrating", "1 while a migration runs.", pool_->migrating() ? 1 : 0);
  gauge("mcscale_config_auto_mode", "1 in auto mode, 0 in manual.", config_.mode == PoolConfig::Mode::kAuto ? 1 : 0);
  WindowStats w = figures_.Window(clock_->NowMs(), static_cast<int64_t>(config_.window_s) * 1000);
  gauge("mcscale_window_miss_rate", "Pool miss rate over the policy window.", w.miss_rate());
  gauge("mcscale_window_gets", "Gets over the policy window.", static_cast<double>(w.gets));
  counter("mcscale_metric_samples_total", "Metric samples read.", samples_total_);
  counter("mcscale_metric_samples_invalid_total", "Metric entries skipped as malformed.", samples_invalid_);
  counter("mcscale_resizes_total", "Pool resizes started.", resizes_total_);
  counter("mcscale_resize_failures_total", "Pool resizes that failed.", resize_failures_);
  counter("mcscale_node_failures_total", "Nodes taken out of the pool as failed.", node_failures_);
  return out;
}

}  // namespace mcscale
