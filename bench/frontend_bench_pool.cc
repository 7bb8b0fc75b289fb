#include "bench/frontend_bench_pool.h"

#include <chrono>
#include <vector>

namespace mcscale::bench {
namespace {

int64_t MonoNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<NodeId> Ids(const NodeAddresses& nodes) {
  std::vector<NodeId> ids;
  for (const auto& [id, _] : nodes) ids.push_back(id);
  return ids;
}

}  // namespace

ScriptedPool::ScriptedPool(RedisAddress address, std::string prefix)
    : redis_(std::move(address), 2000), keys_(std::move(prefix)), events_(&redis_, keys_) {}

Result<std::unique_ptr<ScriptedPool>> ScriptedPool::Create(const std::string& redis_url, const std::string& prefix,
                                                           const NodeAddresses& nodes) {
  auto address = RedisAddress::Parse(redis_url);
  if (!address.ok()) return Status::Invalid("redis: " + address.status().message());
  if (nodes.empty()) return Status::Invalid("nodes: empty");
  auto map = RegionMap::Initial(RegionMap::kDefaultRegions, Ids(nodes));
  if (!map.ok()) return map.status();
  std::unique_ptr<ScriptedPool> pool(new ScriptedPool(*address, prefix));
  // A leftover pool of an interrupted run would otherwise keep its history and epochs.
  for (const std::string& key : {pool->keys_.pool(), pool->keys_.history()}) {
    auto del = pool->redis_.Command({"DEL", key});
    if (!del.ok()) return del.status();
  }
  PoolState first;
  first.pool_id = PoolState::NewPoolId();
  first.epoch = 1;
  first.nodes = nodes;
  first.regions = *map;
  first.updated_ms = WallMs();
  // Checks the addresses the way every reader will.
  auto decoded = PoolState::FromHash(first.ToHash());
  if (!decoded.ok()) return Status::Invalid("nodes: " + decoded.status().message());
  Status st = pool->Save(first);
  if (!st.ok()) return st;
  pool->pool_ = first;
  return pool;
}

ScriptedPool::~ScriptedPool() {
  // The pool, its history and migrations, and the leases and claims of its clients.
  std::string cursor = "0";
  do {
    auto r = redis_.Command({"SCAN", cursor, "MATCH", keys_.prefix() + ":*", "COUNT", "1000"});
    if (!r.ok() || r->elements.size() != 2) return;
    cursor = r->elements[0].str;
    std::vector<std::string> del = {"DEL"};
    for (const auto& k : r->elements[1].elements) del.push_back(k.str);
    if (del.size() > 1) (void)redis_.Command(del);
  } while (cursor != "0");
}

Status ScriptedPool::Save(const PoolState& next) {
  std::vector<std::string> hset = {"HSET", keys_.pool()};
  for (const auto& [k, v] : next.ToHash()) {
    hset.push_back(k);
    hset.push_back(v);
  }
  std::vector<std::vector<std::string>> cmds = {{"MULTI"}, hset};
  if (!next.previous_regions) cmds.push_back({"HDEL", keys_.pool(), "previous_regions"});
  cmds.push_back({"EXEC"});
  auto replies = redis_.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies)
    if (!r.ok()) return r.status();
  return Status::Ok();
}

Status ScriptedPool::Publish(PoolEvent event, int64_t* published_ns) {
  event.pool_id = pool_.pool_id;
  event.epoch = pool_.epoch;
  event.reason = "scripted by a benchmark";
  if (published_ns) *published_ns = MonoNs();
  event.ts = WallMs();
  return events_.Publish(&event);
}

Status ScriptedPool::Resize(const NodeAddresses& nodes, int64_t* published_ns) {
  if (pool_.state != PoolPhase::kStable) return Status::Conflict("the pool is migrating");
  auto map = RegionMap::Rebalance(pool_.regions, Ids(nodes));
  if (!map.ok()) return map.status();
  PoolState next = pool_;
  next.epoch = pool_.epoch + 1;
  for (const auto& [id, address] : nodes) next.nodes[id] = address;  // leaving nodes stay until Finish
  next.previous_regions = pool_.regions;
  next.regions = *map;
  next.state = PoolPhase::kMigrating;
  next.updated_ms = WallMs();
  Status st = Save(next);
  if (!st.ok()) return st;
  PoolEvent ev;
  ev.type = EventType::kPoolResized;
  ev.old_nodes = pool_.nodes;  // stable: every node serves
  ev.new_nodes = nodes;
  ev.old_regions = pool_.regions;
  ev.new_regions = next.regions;
  pool_ = next;
  return Publish(std::move(ev), published_ns);
}

Status ScriptedPool::Commit() {
  if (pool_.state != PoolPhase::kMigrating) return Status::Conflict("the pool is not migrating");
  PoolEvent ev;
  ev.type = EventType::kMigrationCommit;
  return Publish(std::move(ev));
}

Status ScriptedPool::Finish() {
  if (pool_.state != PoolPhase::kMigrating) return Status::Conflict("the pool is not migrating");
  PoolState next = pool_;
  next.state = PoolPhase::kStable;
  next.previous_regions.reset();
  next.updated_ms = WallMs();
  NodeAddresses serving;
  for (const NodeId& id : next.regions.Nodes()) serving[id] = next.nodes.at(id);
  next.nodes = serving;
  Status st = Save(next);
  if (!st.ok()) return st;
  pool_ = next;
  PoolEvent ev;
  ev.type = EventType::kMigrationDone;
  return Publish(std::move(ev));
}

}  // namespace mcscale::bench
