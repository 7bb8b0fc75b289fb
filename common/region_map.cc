#include "common/region_map.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>

namespace mcscale {
namespace {

// MD5 (RFC 1321), written out here rather than taken from OpenSSL: EVP_Digest looks the
// algorithm up and sets up a context on every call, which cost two to three times the hash
// itself for a short key, and every request of every frontend computes one. The result is
// bit-identical (tests/common/region_map_test.cc checks it against EVP_Digest and the RFC's
// test suite).
class Md5 {
 public:
  // The 16-byte digest of `data`.
  static void Digest(std::string_view data, unsigned char out[16]) {
    uint32_t h[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const size_t n = data.size();
    size_t done = 0;
    for (; n - done >= 64; done += 64) Block(p + done, h);
    // The tail, 0x80, zeros, and the length in bits (little-endian) end the message on a
    // 64-byte boundary: one more block, or two when the tail leaves no room for the length.
    unsigned char tail[128] = {};
    const size_t rest = n - done;
    if (rest > 0) std::memcpy(tail, p + done, rest);
    tail[rest] = 0x80;
    const size_t tail_len = rest < 56 ? 64 : 128;
    const uint64_t bits = static_cast<uint64_t>(n) * 8;
    for (size_t i = 0; i < 8; ++i) tail[tail_len - 8 + i] = static_cast<unsigned char>(bits >> (8 * i));
    Block(tail, h);
    if (tail_len == 128) Block(tail + 64, h);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<unsigned char>(h[i] >> (8 * j));
  }

 private:
  static uint32_t Rotl(uint32_t x, int c) { return (x << c) | (x >> (32 - c)); }

  // One step: a = b + ((a + f + m + k) <<< s), with f the round's function of b, c, d.
  static void Step(uint32_t& a, uint32_t b, uint32_t f, uint32_t m, uint32_t k, int s) {
    a = b + Rotl(a + f + m + k, s);
  }

  static void Block(const unsigned char* p, uint32_t h[4]) {
    uint32_t m[16];
    for (int i = 0; i < 16; ++i)
      m[i] = static_cast<uint32_t>(p[4 * i]) | static_cast<uint32_t>(p[4 * i + 1]) << 8 |
             static_cast<uint32_t>(p[4 * i + 2]) << 16 | static_cast<uint32_t>(p[4 * i + 3]) << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    // The 64 steps, four per line: the message word of each step and its additive constant
    // (floor(2^32 * |sin(i + 1)|)) are the RFC's; the shifts repeat every four steps.
#define MD5_F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define MD5_G(x, y, z) (((x) & (z)) | ((y) & ~(z)))
#define MD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD5_I(x, y, z) ((y) ^ ((x) | ~(z)))
#define MD5_4(FN, i0, i1, i2, i3, k0, k1, k2, k3, s0, s1, s2, s3) \
  Step(a, b, FN(b, c, d), m[i0], k0, s0);                          \
  Step(d, a, FN(a, b, c), m[i1], k1, s1);                          \
  Step(c, d, FN(d, a, b), m[i2], k2, s2);                          \
  Step(b, c, FN(c, d, a), m[i3], k3, s3)
    MD5_4(MD5_F, 0, 1, 2, 3, 0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu, 7, 12, 17, 22);
    MD5_4(MD5_F, 4, 5, 6, 7, 0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u, 7, 12, 17, 22);
    MD5_4(MD5_F, 8, 9, 10, 11, 0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu, 7, 12, 17, 22);
    MD5_4(MD5_F, 12, 13, 14, 15, 0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u, 7, 12, 17, 22);
    MD5_4(MD5_G, 1, 6, 11, 0, 0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau, 5, 9, 14, 20);
    MD5_4(MD5_G, 5, 10, 15, 4, 0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u, 5, 9, 14, 20);
    MD5_4(MD5_G, 9, 14, 3, 8, 0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu, 5, 9, 14, 20);
    MD5_4(MD5_G, 13, 2, 7, 12, 0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au, 5, 9, 14, 20);
    MD5_4(MD5_H, 5, 8, 11, 14, 0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu, 4, 11, 16, 23);
    MD5_4(MD5_H, 1, 4, 7, 10, 0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u, 4, 11, 16, 23);
    MD5_4(MD5_H, 13, 0, 3, 6, 0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u, 4, 11, 16, 23);
    MD5_4(MD5_H, 9, 12, 15, 2, 0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u, 4, 11, 16, 23);
    MD5_4(MD5_I, 0, 7, 14, 5, 0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u, 6, 10, 15, 21);
    MD5_4(MD5_I, 12, 3, 10, 1, 0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u, 6, 10, 15, 21);
    MD5_4(MD5_I, 8, 15, 6, 13, 0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u, 6, 10, 15, 21);
    MD5_4(MD5_I, 4, 11, 2, 9, 0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u, 6, 10, 15, 21);
#undef MD5_4
#undef MD5_I
#undef MD5_H
#undef MD5_G
#undef MD5_F
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  }
};

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
  unsigned char digest[16];
  Md5::Digest(key, digest);
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
