#include "common/move_planner.h"

#include "common/json_fields.h"

namespace mcscale {

namespace {

// KEYS[1] the migration hash; ARGV: planner, now_ms, total, then per move: stream key and
// the field count and fields.
const char* kIssueScript = R"LUA(
if redis.call('HSETNX', KEYS[1], 'planned_by', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'planned_ms', ARGV[2], 'regions_total', ARGV[3], 'regions_done', 0,
           'keys_moved', 0, 'bytes_moved', 0, 'keys_skipped', 0)
local i = 4
while i <= #ARGV do
  local stream = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  local args = {stream, '*'}
  for j = 1, n do args[#args + 1] = ARGV[i + 1 + j] end
  redis.call('XADD', unpack(args))
  i = i + 2 + n
end
return 1
)LUA";

}  // namespace

std::vector<std::pair<std::string, std::string>> MoveOrder::ToFields() const {
  return {{"epoch", std::to_string(epoch)}, {"region", std::to_string(region)},
          {"regions", std::to_string(regions)}, {"from", from},
          {"to", to},                          {"to_address", to_address}};
}

Result<MoveOrder> MoveOrder::FromFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::map<std::string, std::string> f(fields.begin(), fields.end());
  for (const char* name : {"epoch", "region", "regions", "from", "to", "to_address"})
    if (!f.count(name)) return Status::Invalid(std::string("move order: missing field '") + name + "'");
  MoveOrder m;
  auto epoch = ParseDecimalInt(f["epoch"]);
  auto region = ParseDecimalInt(f["region"]);
  auto regions = ParseDecimalInt(f["regions"]);
  if (!epoch) return Status::Invalid("move order: epoch: expected an integer");
  if (!region) return Status::Invalid("move order: region: expected an integer");
  if (!regions || !RegionMap::ValidRegionCount(static_cast<int>(*regions)))
    return Status::Invalid("move order: regions: expected a valid region count");
  if (*region < 0 || *region >= *regions) return Status::Invalid("move order: region out of range");
  m.epoch = *epoch;
  m.region = static_cast<int>(*region);
  m.regions = static_cast<int>(*regions);
  m.from = f["from"];
  m.to = f["to"];
  m.to_address = f["to_address"];
  if (m.from.empty() || m.to.empty() || m.to_address.empty())
    return Status::Invalid("move order: from, to and to_address must not be empty");
  return m;
}

Result<bool> MovePlanner::Issue(RedisClient* redis, const RedisKeys& keys, int64_t epoch, const RegionMap& old_map,
                                const RegionMap& new_map, const NodeAddresses& nodes, const std::string& planner,
                                int64_t now_ms) {
  auto moves = RegionMap::Moves(old_map, new_map);
  std::vector<std::string> args = {"EVAL", kIssueScript, "1", keys.migration(epoch), planner,
                                   std::to_string(now_ms), std::to_string(moves.size())};
  for (const auto& mv : moves) {
    auto addr = nodes.find(mv.to);
    if (addr == nodes.end()) return Status::Invalid("move of region " + std::to_string(mv.region) + ": no address for " + mv.to);
    MoveOrder order{epoch, mv.region, new_map.region_count(), mv.from, mv.to, addr->second};
    auto fields = order.ToFields();
    args.push_back(keys.moves(mv.from));
    args.push_back(std::to_string(fields.size() * 2));
    for (const auto& [k, v] : fields) {
      args.push_back(k);
      args.push_back(v);
    }
  }
  auto r = redis->Command(args);
  if (!r.ok()) return r.status();
  return r->integer == 1;
}

Result<bool> MovePlanner::Done(RedisClient* redis, const RedisKeys& keys, int64_t epoch) {
  auto r = redis->Command({"HMGET", keys.migration(epoch), "regions_total", "regions_done"});
  if (!r.ok()) return r.status();
  if (r->elements.size() != 2 || r->elements[0].is_nil()) return false;
  auto total = ParseDecimalInt(r->elements[0].str);
  auto done = r->elements[1].is_nil() ? std::optional<int64_t>(0) : ParseDecimalInt(r->elements[1].str);
  return total && done && *done >= *total;
}

}  // namespace mcscale
