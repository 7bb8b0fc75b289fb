#include "common/region_map.h"

#include <openssl/evp.h>

#include <algorithm>
#include <set>

namespace mcscale {
namespace {

int Log2(int power_of_two) {
  int bits = 0;
  while ((1 << bits) < power_of_two) ++bits;
  return bits;
}

// Sorts `nodes` and checks what both Initial and Rebalance require of a node list.
Status SortAndCheckNodes(int region_count, std::vector<NodeId>* nodes) {
  if (nodes->empty()) return Status::Invalid("empty node list");
  std::sort(nodes->begin(), nodes->end());
  for (size_t i = 0; i < nodes->size(); ++i) {
    if ((*nodes)[i].empty()) return Status::Invalid("empty node id in the node list");
    if (i > 0 && (*nodes)[i] == (*nodes)[i - 1])
      return Status::Invalid("duplicate node id '" + (*nodes)[i] + "' in the node list");
  }
  if (static_cast<int>(nodes->size()) > region_count)
    return Status::Invalid(std::to_string(nodes->size()) + " nodes but only " + std::to_string(region_count) +
                           " regions (at most one node per region)");
  return Status::Ok();
}

Status CheckRegionCount(int region_count) {
  if (!RegionMap::ValidRegionCount(region_count))
    return Status::Invalid("region count " + std::to_string(region_count) + " is not a power of two in " +
                           std::to_string(RegionMap::kMinRegions) + ".." + std::to_string(RegionMap::kMaxRegions));
  return Status::Ok();
}

}  // namespace

bool RegionMap::ValidRegionCount(int region_count) {
  return region_count >= kMinRegions && region_count <= kMaxRegions && (region_count & (region_count - 1)) == 0;
}

int RegionMap::RegionOf(std::string_view key, int region_count) {
  unsigned char digest[EVP_MAX_MD_SIZE] = {};
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), digest, &len, EVP_md5(), nullptr);
  // kMaxRegions is 2^10, so the first two bytes always hold enough bits.
  unsigned first16 = (static_cast<unsigned>(digest[0]) << 8) | digest[1];
  return static_cast<int>(first16 >> (16 - Log2(region_count)));
}

Result<RegionMap> RegionMap::Initial(int region_count, std::vector<NodeId> nodes) {
  if (Status st = CheckRegionCount(region_count); !st.ok()) return st;
  if (Status st = SortAndCheckNodes(region_count, &nodes); !st.ok()) return st;
  std::vector<NodeId> owners(static_cast<size_t>(region_count));
  for (size_t i = 0; i < owners.size(); ++i) owners[i] = nodes[i % nodes.size()];
  return RegionMap(std::move(owners));
}

// With n nodes, q = R/n and r = R%n, exactly r nodes hold q+1 regions and the rest q. A
// node keeps min(current, target) of its regions, and raising a node's target from q to q+1
// keeps one more region only when it holds more than q now; so handing the r larger targets
// to the r nodes that hold the most keeps the most regions, i.e. moves the fewest.
Result<RegionMap> RegionMap::Rebalance(const RegionMap& old, std::vector<NodeId> new_nodes) {
  if (old.empty()) return Status::Invalid("cannot rebalance an empty region map (use Initial)");
  const int region_count = old.region_count();
  if (Status st = CheckRegionCount(region_count); !st.ok()) return st;
  if (Status st = SortAndCheckNodes(region_count, &new_nodes); !st.ok()) return st;

  const int n = static_cast<int>(new_nodes.size());
  const int q = region_count / n;
  const int r = region_count % n;

  // Regions each new node holds now, in region order.
  std::map<NodeId, std::vector<int>> held;
  for (const NodeId& node : new_nodes) held[node];
  for (int region = 0; region < region_count; ++region) {
    auto it = held.find(old.owner(region));
    if (it != held.end()) it->second.push_back(region);
  }

  // Largest holdings first, ties by node id: the first r get q+1.
  std::vector<NodeId> by_load = new_nodes;
  std::stable_sort(by_load.begin(), by_load.end(), [&held](const NodeId& a, const NodeId& b) {
    return held[a].size() > held[b].size();
  });
  std::map<NodeId, int> target;
  for (int i = 0; i < n; ++i) target[by_load[static_cast<size_t>(i)]] = q + (i < r ? 1 : 0);

  // Each node keeps its lowest-numbered regions up to its target; the rest are freed.
  std::vector<NodeId> owners(static_cast<size_t>(region_count));
  std::vector<bool> kept(static_cast<size_t>(region_count), false);
  for (const NodeId& node : new_nodes) {
    const auto& regions = held[node];
    size_t keep = std::min(regions.size(), static_cast<size_t>(target[node]));
    for (size_t i = 0; i < keep; ++i) {
      owners[static_cast<size_t>(regions[i])] = node;
      kept[static_cast<size_t>(regions[i])] = true;
    }
    target[node] -= static_cast<int>(keep);  // now: how many it still needs
  }

  // Freed regions, in region order, fill the nodes still short, in node id order.
  auto taker = new_nodes.begin();
  for (int region = 0; region < region_count; ++region) {
    if (kept[static_cast<size_t>(region)]) continue;
    while (target[*taker] == 0) ++taker;  // the totals match, so a taker always remains
    owners[static_cast<size_t>(region)] = *taker;
    --target[*taker];
  }
  return RegionMap(std::move(owners));
}

std::vector<RegionMove> RegionMap::Moves(const RegionMap& from, const RegionMap& to) {
  std::vector<RegionMove> moves;
  size_t count = std::min(from.owners_.size(), to.owners_.size());
  for (size_t region = 0; region < count; ++region) {
    if (from.owners_[region] != to.owners_[region])
      moves.push_back(RegionMove{static_cast<int>(region), from.owners_[region], to.owners_[region]});
  }
  return moves;
}

std::vector<NodeId> RegionMap::Nodes() const {
  std::set<NodeId> nodes(owners_.begin(), owners_.end());
  return std::vector<NodeId>(nodes.begin(), nodes.end());
}

std::map<NodeId, int> RegionMap::Counts() const {
  std::map<NodeId, int> counts;
  for (const NodeId& node : owners_) ++counts[node];
  return counts;
}

nlohmann::json RegionMap::ToJson() const { return nlohmann::json(owners_); }

Result<RegionMap> RegionMap::FromJson(const nlohmann::json& j) {
  if (!j.is_array()) return Status::Invalid(std::string("expected an array of node ids, got ") + j.type_name());
  if (!ValidRegionCount(static_cast<int>(std::min<size_t>(j.size(), kMaxRegions + 1))))
    return Status::Invalid("region count " + std::to_string(j.size()) + " is not a power of two in " +
                           std::to_string(kMinRegions) + ".." + std::to_string(kMaxRegions));
  std::vector<NodeId> owners;
  owners.reserve(j.size());
  for (size_t region = 0; region < j.size(); ++region) {
    const auto& owner = j[region];
    if (!owner.is_string())
      return Status::Invalid("region " + std::to_string(region) + ": expected a node id, got " + owner.type_name());
    owners.push_back(owner.get<std::string>());
    if (owners.back().empty()) return Status::Invalid("region " + std::to_string(region) + ": empty node id");
  }
  return RegionMap(std::move(owners));
}

}  // namespace mcscale
