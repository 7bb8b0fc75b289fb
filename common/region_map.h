// RegionMap: which node owns each of R regions (R a power of two, 16..1024). A key's region
// is the first log2(R) bits of its MD5. Rebalance() moves the fewest regions possible and
// leaves every node with floor(R/n) or ceil(R/n) regions; it is a pure, deterministic
// function of (old map, set of new nodes), so every frontend computes the same map.
//
// Immutable value type; thread-safe to share once built.
#ifndef MCSCALE_COMMON_REGION_MAP_H_
#define MCSCALE_COMMON_REGION_MAP_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace mcscale {

using NodeId = std::string;

struct RegionMove {
  int region = 0;
  NodeId from;
  NodeId to;
  bool operator==(const RegionMove& o) const { return region == o.region && from == o.from && to == o.to; }
};

class RegionMap {
 public:
  static constexpr int kDefaultRegions = 16;
  static constexpr int kMinRegions = 16;
  static constexpr int kMaxRegions = 1024;

  RegionMap() = default;

  // True for a power of two in kMinRegions..kMaxRegions.
  static bool ValidRegionCount(int region_count);
  // Region of `key`: the first log2(region_count) bits of MD5(key).
  // REQUIRES: ValidRegionCount(region_count).
  static int RegionOf(std::string_view key, int region_count);

  // Regions dealt to the nodes sorted by id: region i goes to sorted_nodes[i % n].
  // Fails on an invalid region count, an empty or duplicated node list, or n > R.
  static Result<RegionMap> Initial(int region_count, std::vector<NodeId> nodes);
  // The map for `new_nodes` that keeps the most regions where they are (see class comment).
  // Nodes of `old` missing from `new_nodes` give up all their regions; nodes new to the
  // map take regions from the most loaded ones. The order of `new_nodes` does not matter.
  static Result<RegionMap> Rebalance(const RegionMap& old, std::vector<NodeId> new_nodes);
  // Regions whose owner differs between `from` and `to`, by region number.
  // REQUIRES: same region count.
  static std::vector<RegionMove> Moves(const RegionMap& from, const RegionMap& to);

  int region_count() const { return static_cast<int>(owners_.size()); }
  bool empty() const { return owners_.empty(); }
  const NodeId& owner(int region) const { return owners_[static_cast<size_t>(region)]; }
  const NodeId& OwnerOfKey(std::string_view key) const { return owner(RegionOf(key, region_count())); }
  const std::vector<NodeId>& owners() const { return owners_; }
  // Distinct node ids, sorted.
  std::vector<NodeId> Nodes() const;
  // Regions held per node.
  std::map<NodeId, int> Counts() const;

  // JSON array: region -> node id.
  nlohmann::json ToJson() const;
  // Validates: an array of non-empty strings whose length is a valid region count.
  static Result<RegionMap> FromJson(const nlohmann::json& j);

  bool operator==(const RegionMap& o) const { return owners_ == o.owners_; }
  bool operator!=(const RegionMap& o) const { return owners_ != o.owners_; }

 private:
  explicit RegionMap(std::vector<NodeId> owners) : owners_(std::move(owners)) {}
  std::vector<NodeId> owners_;
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_REGION_MAP_H_
