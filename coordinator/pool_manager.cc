#include "coordinator/pool_manager.h"

#include "common/json_fields.h"
#include "coordinator/failure_plan.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace mcscale {

namespace {

// Newest first: node ids are "node-<n>" with n from a counter.
bool NewerId(const NodeId& a, const NodeId& b) {
  if (a.size() != b.size()) return a.size() > b.size();
  return a > b;
}

NodeAddresses Only(const NodeAddresses& all, const std::set<NodeId>& keep) {
  NodeAddresses out;
  for (const auto& [id, addr] : all)
    if (keep.count(id)) out[id] = addr;
  return out;
}

}  // namespace

PoolManager::PoolManager(RedisClient* redis, RedisKeys keys, NodeProvider* provider, Clock* clock)
    : redis_(redis), keys_(keys), provider_(provider), clock_(clock), events_(redis, keys) {}

Status PoolManager::Load() {
  auto hash = redis_->HGetAll(keys_.pool());
  if (!hash.ok()) return hash.status();
  if (hash->empty()) {
    pool_ = PoolState();
    pool_.pool_id = PoolState::NewPoolId();
    pool_.epoch = 0;
    pool_.updated_ms = clock_->NowMs();
    // Written with its first nodes (epoch 1): an empty pool has no map to store.
    spdlog::info("no pool in {}: starting pool {}", keys_.pool(), pool_.pool_id);
    return Status::Ok();
  }
  auto state = PoolState::FromHash(*hash);
  if (!state.ok()) return Status::Invalid(keys_.pool() + " does not decode: " + state.status().message());
  pool_ = std::move(*state);
  spdlog::info("loaded pool {} epoch {} with {} nodes ({})", pool_.pool_id, pool_.epoch, pool_.nodes.size(),
               PoolPhaseName(pool_.state));
  return Status::Ok();
}

std::set<NodeId> PoolManager::ServingNodes() const {
  auto nodes = pool_.regions.Nodes();
  return {nodes.begin(), nodes.end()};
}

std::set<NodeId> PoolManager::DrainingNodes() const {
  std::set<NodeId> serving = ServingNodes();
  std::set<NodeId> out;
  for (const auto& [id, _] : pool_.nodes)
    if (!serving.count(id)) out.insert(id);
  return out;
}

Status PoolManager::Save(const PoolState& next) {
  HashFields fields = next.ToHash();
  std::vector<std::string> hset = {"HSET", keys_.pool()};
  for (const auto& [k, v] : fields) {
    hset.push_back(k);
    hset.push_back(v);
  }
  std::vector<std::vector<std::string>> cmds = {{"MULTI"}, hset};
  if (!next.previous_regions) cmds.push_back({"HDEL", keys_.pool(), "previous_regions"});
  cmds.push_back({"EXEC"});
  auto replies = redis_->Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies)
    if (!r.ok()) return r.status();
  return Status::Ok();
}

Status PoolManager::SaveAndAnnounce(const PoolState& next, EventType type, const std::string& reason,
                                    const std::string& node) {
  Status st = Save(next);
  if (!st.ok()) {
    // A lost reply is not a refused write: when Redis holds the new epoch, the change was made.
    auto stored = redis_->Command({"HMGET", keys_.pool(), "pool_id", "epoch"});
    bool landed = stored.ok() && stored->elements.size() == 2 && stored->elements[0].str == next.pool_id &&
                  stored->elements[1].str == std::to_string(next.epoch);
    if (!landed) return st;
    spdlog::warn("epoch {}: the reply to the pool's write was lost ({}), but Redis holds it", next.epoch,
                 st.ToString());
  }
  auto ids = [](const RegionMap& map) {
    std::vector<NodeId> v = map.Nodes();
    return std::set<NodeId>(v.begin(), v.end());
  };
  PoolEvent ev;
  ev.type = type;
  ev.pool_id = next.pool_id;
  ev.epoch = next.epoch;
  ev.ts = clock_->NowMs();
  ev.reason = reason;
  ev.node = node;
  ev.old_nodes = Only(pool_.nodes, ids(pool_.regions));
  ev.new_nodes = Only(next.nodes, ids(next.regions));
  ev.old_regions = pool_.regions;
  ev.new_regions = next.regions;
  pool_ = next;
  Status pub = events_.Publish(&ev);
  if (!pub.ok()) spdlog::error("epoch {}: pool written but {} not published: {}", next.epoch, EventTypeName(type), pub.ToString());
  return Status::Ok();
}

Result<NodeId> PoolManager::NewNodeId() {
  auto n = redis_->Command({"INCR", keys_.node_seq()});
  if (!n.ok()) return n.status();
  return "node-" + std::to_string(n->integer);
}

Status PoolManager::Resize(int target, const PoolConfig& config, const std::string& reason) {
  if (migrating())
    return Status::Conflict(fmt::format("epoch {} is still migrating; one change at a time", pool_.epoch));
  if (target < 1 || target > config.regions)
    return Status::Invalid(fmt::format("size {} is out of range 1..{}", target, config.regions));
  std::set<NodeId> serving = ServingNodes();
  int n = static_cast<int>(serving.size());
  if (target == n) return Status::Ok();

  PoolState next = pool_;
  next.epoch = pool_.epoch + 1;
  std::vector<NodeId> new_nodes(serving.begin(), serving.end());
  // Nodes this resize started: until the new pool is saved nothing else knows them, so
  // every failure from here on gives them back (no process outlives a failed grow).
  std::vector<NodeId> started;
  auto fail = [&](const Status& cause) {
    for (const auto& id : started) {
      Status stop = provider_->Stop(id);
      if (!stop.ok()) spdlog::warn("giving back node {} after a failed resize: {}", id, stop.ToString());
    }
    std::string message = fmt::format("resize to {} nodes failed: {}", target, cause.message());
    if (!started.empty()) message += fmt::format("; stopped the {} node(s) it had started", started.size());
    spdlog::error("{}; the pool stays at epoch {}", message, pool_.epoch);
    return Status::Io(message);
  };
  if (target > n) {
    for (int i = n; i < target; ++i) {
      auto id = NewNodeId();
      if (!id.ok()) return fail(Status::Io("no node id: " + id.status().message()));
      auto address = provider_->Start(*id, config);
      if (!address.ok()) return fail(address.status());
      started.push_back(*id);
      next.nodes[*id] = *address;
      new_nodes.push_back(*id);
    }
  } else {
    std::sort(new_nodes.begin(), new_nodes.end(), NewerId);
    new_nodes.erase(new_nodes.begin(), new_nodes.begin() + (n - target));
  }

  Result<RegionMap> map = pool_.regions.empty() ? RegionMap::Initial(config.regions, new_nodes)
                                                : RegionMap::Rebalance(pool_.regions, new_nodes);
  if (!map.ok()) return fail(map.status());
  next.previous_regions = pool_.regions.empty() ? std::nullopt : std::optional<RegionMap>(pool_.regions);
  next.regions = *map;
  // The first map moves nothing: the new pool is stable at once.
  next.state = next.previous_regions ? PoolPhase::kMigrating : PoolPhase::kStable;
  next.updated_ms = clock_->NowMs();
  RegionMap old_map = pool_.regions;
  Status st = SaveAndAnnounce(next, EventType::kPoolResized, reason);
  if (!st.ok()) return fail(Status::Io("the new pool was not saved: " + st.message()));
  spdlog::info("epoch {}: {} -> {} nodes, {} regions move: {}", next.epoch, n, target,
               old_map.empty() ? 0 : RegionMap::Moves(old_map, next.regions).size(), reason);
  return Status::Ok();
}

Status PoolManager::FinishMigration(const std::string& reason, std::set<NodeId>* drained) {
  drained->clear();
  if (!migrating()) return Status::Ok();
  *drained = DrainingNodes();
  PoolState next = pool_;
  next.state = PoolPhase::kStable;
  next.previous_regions.reset();
  next.updated_ms = clock_->NowMs();
  for (const auto& id : *drained) next.nodes.erase(id);
  Status st = Save(next);
  if (!st.ok()) return st;
  pool_ = next;
  PoolEvent ev;
  ev.type = EventType::kMigrationDone;
  ev.reason = reason;
  Status pub = PublishEvent(ev);
  if (!pub.ok()) spdlog::error("epoch {}: migration.done not published: {}", pool_.epoch, pub.ToString());
  spdlog::info("epoch {}: migration done ({}); {} drained node(s) to retire", pool_.epoch, reason, drained->size());
  return Status::Ok();
}

void PoolManager::RetireNodes(const std::set<NodeId>& nodes) {
  for (const auto& id : nodes) {
    Status stop = provider_->Stop(id);
    if (!stop.ok()) spdlog::warn("stopping drained node {}: {}", id, stop.ToString());
  }
}

Status PoolManager::NodeFailed(const NodeId& failed, const PoolConfig& config, const std::string& reason,
                               std::set<NodeId>* leaving_out) {
  leaving_out->clear();
  if (!pool_.nodes.count(failed)) return Status::NotFound("node " + failed + " is not in the pool");
  std::set<NodeId> serving = ServingNodes();
  std::vector<NodeId> survivors;
  for (const auto& id : serving)
    if (id != failed) survivors.push_back(id);
  PoolState next = pool_;
  next.nodes.erase(failed);
  std::optional<NodeId> replacement;  // started here: given back when the change fails
  auto fail = [&](const Status& cause) {
    if (replacement) {
      Status stop = provider_->Stop(*replacement);
      if (!stop.ok()) spdlog::warn("giving back replacement node {}: {}", *replacement, stop.ToString());
      return Status::Io(cause.message() + "; stopped the replacement node " + *replacement);
    }
    return cause;
  };
  if (survivors.empty()) {
    auto id = NewNodeId();
    if (!id.ok()) return id.status();
    auto address = provider_->Start(*id, config);
    if (!address.ok()) return Status::Io("the last node failed and no replacement started: " + address.status().message());
    replacement = *id;
    next.nodes[*id] = *address;
    survivors.push_back(*id);
  }
  // Regions the movers already finished in the running migration.
  std::set<int> done;
  if (migrating()) {
    auto m = redis_->HGetAll(keys_.migration(pool_.epoch));
    if (m.ok())
      for (const auto& [field, value] : *m)
        if (field.size() > 6 && field[0] == 'r' && field.compare(field.size() - 5, 5, ".done") == 0)
          if (auto r = ParseDecimalInt(field.substr(1, field.size() - 6))) done.insert(static_cast<int>(*r));
  }
  auto plan = FailurePlan::Make(pool_.regions, migrating() ? pool_.previous_regions : std::nullopt, done, failed,
                                survivors);
  if (!plan.ok()) return fail(plan.status());
  bool was_committed = false;
  if (migrating()) {
    auto c = redis_->Command({"HEXISTS", keys_.migration(pool_.epoch), "commit_ms"});
    was_committed = c.ok() && c->integer == 1;
  }
  next.epoch = pool_.epoch + 1;
  next.regions = plan->map;
  next.previous_regions = plan->previous;
  next.state = plan->previous ? PoolPhase::kMigrating : PoolPhase::kStable;
  next.updated_ms = clock_->NowMs();
  // Keep only nodes that still own or give up a region.
  std::set<NodeId> keep;
  for (const auto& id : next.regions.Nodes()) keep.insert(id);
  if (next.previous_regions)
    for (const auto& id : next.previous_regions->Nodes()) keep.insert(id);
  std::set<NodeId> leaving;
  for (const auto& [id, _] : next.nodes)
    if (!keep.count(id)) leaving.insert(id);
  for (const auto& id : leaving) next.nodes.erase(id);
  int64_t old_epoch = pool_.epoch;
  bool commit = next.previous_regions && was_committed;
  if (commit) {
    // Recorded before the new pool is visible, so a frontend adopting it enters commit:
    // movers of the re-planned migration may already be copying.
    Status st = redis_->HSet(keys_.migration(next.epoch), {{"commit_ms", std::to_string(clock_->NowMs())}});
    if (!st.ok()) return fail(st);
  }
  Status st = SaveAndAnnounce(next, EventType::kNodeFailed, reason, failed);
  if (!st.ok()) return fail(st);
  spdlog::warn("epoch {}: node {} failed and left the pool ({}); {}", next.epoch, failed, reason,
               next.previous_regions ? "the migration of epoch " + std::to_string(old_epoch) + " goes on in this epoch"
                                     : "nothing to move");
  if (commit) {
    // Frontends were already on commit: they stay there (PhaseMachine); the event tells the
    // rest.
    PoolEvent commit;
    commit.type = EventType::kMigrationCommit;
    commit.reason = "the migration was committed before node " + failed + " failed";
    (void)PublishEvent(commit);
  }
  provider_->Stop(failed);
  *leaving_out = leaving;
  return Status::Ok();
}

Status PoolManager::Reconcile(const PoolConfig& config) {
  auto alive = provider_->Adopt();
  if (!alive.ok()) return alive.status();
  if (migrating()) {
    // A node gone in the middle of a migration is a failed node: its epoch re-plans the
    // migration (FailurePlan). Starting it again at a new address would announce the same
    // map, which frontends read as "nothing moves" and would take them out of the phases.
    std::vector<NodeId> gone;
    for (const auto& [id, address] : pool_.nodes)
      if (!alive->count(id)) gone.push_back(id);
    for (const auto& id : gone) {
      std::set<NodeId> leaving;
      Status st = NodeFailed(id, config, "node " + id + " was gone after a coordinator restart", &leaving);
      if (!st.ok()) return st;
      RetireNodes(leaving);
    }
    if (!gone.empty()) return Status::Ok();
  }
  PoolState next = pool_;
  bool moved = false;
  for (const auto& [id, address] : pool_.nodes) {
    auto it = alive->find(id);
    if (it != alive->end()) {
      if (it->second != address) {
        next.nodes[id] = it->second;
        moved = true;
      }
      continue;
    }
    spdlog::warn("node {} ({}) is not running; starting a replacement under the same id", id, address);
    auto started = provider_->Start(id, config);
    if (!started.ok()) return started.status();
    if (*started != address) {
      next.nodes[id] = *started;
      moved = true;
    }
  }
  for (const auto& [id, address] : *alive) {
    if (!pool_.nodes.count(id)) {
      spdlog::warn("node {} ({}) runs but is not in the pool; stopping it", id, address);
      provider_->Stop(id);
    }
  }
  if (!moved) return Status::Ok();
  // Frontends must learn the new addresses: a new epoch with the same map.
  next.epoch = pool_.epoch + 1;
  next.updated_ms = clock_->NowMs();
  return SaveAndAnnounce(next, EventType::kPoolResized, "replaced nodes that were gone after a coordinator restart");
}

Status PoolManager::PublishEvent(PoolEvent event) {
  event.pool_id = pool_.pool_id;
  event.epoch = pool_.epoch;
  event.ts = clock_->NowMs();
  return events_.Publish(&event);
}

Status PoolManager::Retire() {
  std::set<NodeId> all = provider_->Nodes();
  for (const auto& [id, _] : pool_.nodes) all.insert(id);
  for (const auto& id : all) provider_->Stop(id);
  auto del = redis_->Command({"DEL", keys_.pool(), keys_.provider()});
  if (!del.ok()) return del.status();
  spdlog::info("pool {} retired: stopped {} node(s)", pool_.pool_id, all.size());
  pool_ = PoolState();
  return Status::Ok();
}

}  // namespace mcscale
