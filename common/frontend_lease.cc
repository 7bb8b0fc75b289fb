#include "common/frontend_lease.h"

#include "common/json_fields.h"

namespace mcscale {

std::string RoutePhaseName(RoutePhase p) {
  switch (p) {
    case RoutePhase::kPrepare: return "prepare";
    case RoutePhase::kCommit: return "commit";
    case RoutePhase::kStable: return "stable";
  }
  return "stable";
}

Result<RoutePhase> ParseRoutePhase(const std::string& name) {
  if (name == "prepare") return RoutePhase::kPrepare;
  if (name == "commit") return RoutePhase::kCommit;
  if (name == "stable") return RoutePhase::kStable;
  return Status::Invalid("phase: unknown phase '" + name + "' (prepare, commit, stable)");
}

HashFields FrontendLease::ToHash() const {
  return {{"id", id},
          {"pool_id", pool_id},
          {"epoch", std::to_string(epoch)},
          {"phase", RoutePhaseName(phase)},
          {"renewed_ms", std::to_string(renewed_ms)}};
}

Result<FrontendLease> FrontendLease::FromHash(const HashFields& h) {
  FrontendLease l;
  auto get = [&](const char* name) -> const std::string* {
    auto it = h.find(name);
    return it == h.end() ? nullptr : &it->second;
  };
  const std::string* id = get("id");
  const std::string* pool = get("pool_id");
  const std::string* epoch = get("epoch");
  const std::string* phase = get("phase");
  if (!id || !pool || !epoch || !phase) return Status::Invalid("lease: missing field (id, pool_id, epoch, phase)");
  l.id = *id;
  l.pool_id = *pool;
  auto e = ParseDecimalInt(*epoch);
  if (!e) return Status::Invalid("lease epoch: expected an integer, got '" + *epoch + "'");
  l.epoch = *e;
  auto p = ParseRoutePhase(*phase);
  if (!p.ok()) return Status::Invalid("lease " + p.status().message());
  l.phase = *p;
  if (const std::string* r = get("renewed_ms")) l.renewed_ms = ParseDecimalInt(*r).value_or(0);
  return l;
}

Result<std::vector<FrontendLease>> LeaseCensus::Live(RedisClient* redis, const RedisKeys& keys) {
  auto names = redis->Scan(keys.frontend_pattern());
  if (!names.ok()) return names.status();
  std::vector<FrontendLease> out;
  for (const auto& name : *names) {
    auto h = redis->HGetAll(name);
    if (!h.ok()) return h.status();
    if (h->empty()) continue;  // expired between SCAN and HGETALL
    auto lease = FrontendLease::FromHash(*h);
    if (lease.ok()) {
      out.push_back(*lease);
    } else {
      FrontendLease bad;  // undecodable: counts as lagging forever until it expires
      bad.id = name;
      bad.epoch = -1;
      out.push_back(bad);
    }
  }
  return out;
}

Result<bool> LeaseCensus::AllAtLeast(RedisClient* redis, const RedisKeys& keys, const std::string& pool_id,
                                     int64_t epoch, RoutePhase phase, std::vector<std::string>* lagging) {
  auto leases = Live(redis, keys);
  if (!leases.ok()) return leases.status();
  bool all = true;
  for (const auto& l : *leases) {
    if (l.epoch >= 0 && l.pool_id != pool_id) continue;  // another pool's frontend
    if (!l.AtLeast(epoch, phase)) {
      all = false;
      if (lagging) lagging->push_back(l.id);
    }
  }
  return all;
}

}  // namespace mcscale
