#include "common/region_map.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <functional>
#include <random>
#include <set>

namespace mcscale {
namespace {

std::vector<NodeId> Names(const std::string& prefix, int first, int count) {
  std::vector<NodeId> out;
  for (int i = first; i < first + count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// Counts of `map` for each of `nodes` (0 for nodes it does not hold).
std::vector<int> CountsOf(const RegionMap& map, const std::vector<NodeId>& nodes) {
  auto counts = map.Counts();
  std::vector<int> out;
  for (const auto& node : nodes) out.push_back(counts.count(node) ? counts[node] : 0);
  return out;
}

// The most regions any balanced map for counts.size() nodes can leave in place, by trying
// every choice of which nodes get the ceiling: R - this is the fewest regions to move.
int MaxKeptByEnumeration(int region_count, const std::vector<int>& counts) {
  const int m = static_cast<int>(counts.size());
  const int q = region_count / m;
  const int r = region_count % m;
  int best = -1;
  for (uint32_t mask = 0; mask < (1u << m); ++mask) {
    if (__builtin_popcount(mask) != r) continue;
    int kept = 0;
    for (int i = 0; i < m; ++i) kept += std::min(counts[static_cast<size_t>(i)], q + ((mask >> i) & 1 ? 1 : 0));
    best = std::max(best, kept);
  }
  return best;
}

// The same for many nodes: the ceiling goes to the r largest holders.
int MaxKeptBySortedGreedy(int region_count, std::vector<int> counts) {
  const int m = static_cast<int>(counts.size());
  const int q = region_count / m;
  const int r = region_count % m;
  std::sort(counts.rbegin(), counts.rend());
  int kept = 0;
  for (int i = 0; i < m; ++i) kept += std::min(counts[static_cast<size_t>(i)], q + (i < r ? 1 : 0));
  return kept;
}

int Differing(const RegionMap& a, const RegionMap& b) {
  int n = 0;
  for (int region = 0; region < a.region_count(); ++region) n += a.owner(region) != b.owner(region);
  return n;
}

// Checks one resize: balance, minimal movement (against `max_kept`), and that the result
// depends on the set of new nodes only. Returns the new map.
RegionMap CheckResize(const RegionMap& old, const std::vector<NodeId>& new_nodes,
                      const std::function<int(int, const std::vector<int>&)>& max_kept, std::mt19937* rng,
                      const std::string& label) {
  SCOPED_TRACE(label);
  const int region_count = old.region_count();
  auto result = RegionMap::Rebalance(old, new_nodes);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) return old;
  const RegionMap& map = *result;

  // Every region owned by one of the new nodes, each holding floor or ceil of R/m.
  const int m = static_cast<int>(new_nodes.size());
  std::set<NodeId> wanted(new_nodes.begin(), new_nodes.end());
  EXPECT_EQ(std::set<NodeId>(map.owners().begin(), map.owners().end()), wanted);
  for (int count : CountsOf(map, new_nodes)) {
    EXPECT_GE(count, region_count / m);
    EXPECT_LE(count, (region_count + m - 1) / m);
  }

  // Moved exactly the minimum.
  std::vector<int> old_counts = CountsOf(old, new_nodes);
  int minimum = region_count - max_kept(region_count, old_counts);
  EXPECT_EQ(Differing(old, map), minimum);
  EXPECT_EQ(static_cast<int>(RegionMap::Moves(old, map).size()), minimum);

  // The same whatever order the node list comes in.
  for (int i = 0; i < 3; ++i) {
    std::vector<NodeId> shuffled = new_nodes;
    std::shuffle(shuffled.begin(), shuffled.end(), *rng);
    auto again = RegionMap::Rebalance(old, shuffled);
    EXPECT_TRUE(again.ok());
    if (again.ok()) {
      EXPECT_EQ(*again, map);
    }
  }
  return map;
}

// A map with R regions spread unevenly over `nodes` (every node holds at least one).
RegionMap UnevenMap(int region_count, const std::vector<NodeId>& nodes, std::mt19937* rng) {
  std::vector<NodeId> owners(nodes);
  std::uniform_int_distribution<size_t> pick(0, nodes.size() - 1);
  // Skewed: the first node is picked far more often.
  while (static_cast<int>(owners.size()) < region_count) owners.push_back(nodes[std::min(pick(*rng), pick(*rng))]);
  std::shuffle(owners.begin(), owners.end(), *rng);
  return *RegionMap::FromJson(nlohmann::json(owners));
}

TEST(RegionMap, RegionOfIsFirstHexDigitOfMd5For16Regions) {
  // Digests from `printf %s KEY | md5sum`.
  const std::pair<const char*, int> known[] = {
      {"", 0xd},        // d41d8cd98f00b204e9800998ecf8427e
      {"a", 0x0},       // 0cc175b9c0f1b6a831c399e269772661
      {"hello", 0x5},   // 5d41402abc4b2a76b9719d911017c592
      {"mcscale", 0xb}, // bc0905c50234a3c00155431646052a1e
      {"user:42", 0x5}, // 56dadf1868c3ba340467c942a86c29de
      {"key with space", 0xb},  // bb66983ed18fbd9274788ee5ebb75244
      {"foo/bar", 0x8}, // 82d0f0fa8551de8b7eb5ecb65eae0261
      {"0", 0xc},       // cfcd208495d565ef66e7dff9f98764da
      {"x", 0x9},       // 9dd4e461268c8034f5c8564e155c67a6
  };
  for (const auto& [key, region] : known) EXPECT_EQ(RegionMap::RegionOf(key, 16), region) << key;
}

TEST(RegionMap, RegionOfUsesMoreBitsForMoreRegions) {
  // "hello": 5d41... -> bits 0101 1101 0100 0001
  EXPECT_EQ(RegionMap::RegionOf("hello", 32), 0x5d >> 3);
  EXPECT_EQ(RegionMap::RegionOf("hello", 256), 0x5d);
  EXPECT_EQ(RegionMap::RegionOf("hello", 1024), 0x5d4 >> 2);
  // "mcscale": bc09... ; "" : d41d...
  EXPECT_EQ(RegionMap::RegionOf("mcscale", 1024), 0xbc0 >> 2);
  EXPECT_EQ(RegionMap::RegionOf("", 64), 0xd4 >> 2);
}

// Region of `key` for `region_count` regions from a digest given in hex.
int RegionOfHexDigest(const std::string& hex, int region_count) {
  int bits = 0;
  while ((1 << bits) < region_count) ++bits;
  return static_cast<int>(std::stoul(hex.substr(0, 4), nullptr, 16) >> (16 - bits));
}

// The region as RegionOf computed it before it had an MD5 of its own: OpenSSL's EVP_Digest.
// (libcrypto comes with mcscale::common's link interface.)
int RegionOfByOpenSsl(const std::string& key, int region_count) {
  unsigned char digest[EVP_MAX_MD_SIZE] = {};
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), digest, &len, EVP_md5(), nullptr);
  int bits = 0;
  while ((1 << bits) < region_count) ++bits;
  return static_cast<int>(((static_cast<unsigned>(digest[0]) << 8) | digest[1]) >> (16 - bits));
}

TEST(RegionMap, RegionOfMatchesRfc1321TestSuite) {
  // RFC 1321, appendix A.5, plus messages that end just before, on and after the lengths
  // where the padding needs a second block (55, 56, 63, 64 bytes).
  const std::pair<std::string, const char*> suite[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
      {std::string(55, 'a'), "ef1772b6dff9a122358552954ad0df65"},
      {std::string(56, 'a'), "3b0c8ac703f828b04c6c197006d17218"},
      {std::string(63, 'a'), "b06521f39153d618550606be297466d5"},
      {std::string(64, 'a'), "014842d480b571495a4a0363793f7367"},
  };
  for (const auto& [message, hex] : suite) {
    for (int r = RegionMap::kMinRegions; r <= RegionMap::kMaxRegions; r *= 2)
      EXPECT_EQ(RegionMap::RegionOf(message, r), RegionOfHexDigest(hex, r)) << message.size() << " bytes, " << r;
  }
}

TEST(RegionMap, RegionOfMatchesOpenSslOnManyKeys) {
  std::mt19937 rng(20261122);
  std::vector<std::string> keys;
  // Every length up to 300 bytes (several blocks), any byte values.
  for (size_t len = 0; len <= 300; ++len) {
    for (int rep = 0; rep < 4; ++rep) {
      std::string key(len, '\0');
      for (char& c : key) c = static_cast<char>(rng() & 0xff);
      keys.push_back(std::move(key));
    }
  }
  // Application-like keys.
  for (int i = 0; i < 100000; ++i) keys.push_back("user:" + std::to_string(rng() % 10000000) + ":profile");
  for (int i = 0; i < 20000; ++i) keys.push_back("key:" + std::to_string(i));
  int mismatches = 0;
  for (const std::string& key : keys) {
    for (int r = RegionMap::kMinRegions; r <= RegionMap::kMaxRegions; r *= 2) {
      if (RegionMap::RegionOf(key, r) != RegionOfByOpenSsl(key, r) && ++mismatches <= 10)
        ADD_FAILURE() << "key of " << key.size() << " bytes, " << r << " regions";
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << keys.size() << " keys";
}

TEST(RegionMap, ValidRegionCount) {
  for (int r : {16, 32, 64, 128, 256, 512, 1024}) EXPECT_TRUE(RegionMap::ValidRegionCount(r)) << r;
  for (int r : {0, 1, 8, 15, 17, 24, 1000, 2048, -16}) EXPECT_FALSE(RegionMap::ValidRegionCount(r)) << r;
}

TEST(RegionMap, InitialDealsRegionsToSortedNodes) {
  auto map = RegionMap::Initial(16, {"c", "a", "b"});
  ASSERT_TRUE(map.ok());
  for (int region = 0; region < 16; ++region)
    EXPECT_EQ(map->owner(region), std::string(1, static_cast<char>('a' + region % 3)));
  EXPECT_EQ(map->Nodes(), (std::vector<NodeId>{"a", "b", "c"}));
  EXPECT_EQ(map->Counts(), (std::map<NodeId, int>{{"a", 6}, {"b", 5}, {"c", 5}}));
  EXPECT_EQ(map->OwnerOfKey("hello"), map->owner(5));
}

TEST(RegionMap, InitialAndRebalanceRefuseBadInput) {
  auto expect_error = [](const Result<RegionMap>& r, const std::string& word) {
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(word), std::string::npos) << r.status().message();
  };
  expect_error(RegionMap::Initial(12, {"a"}), "12");
  expect_error(RegionMap::Initial(16, {}), "empty node list");
  expect_error(RegionMap::Initial(16, {"a", "b", "a"}), "duplicate node id 'a'");
  expect_error(RegionMap::Initial(16, {"a", ""}), "empty node id");
  expect_error(RegionMap::Initial(16, Names("n", 0, 17)), "17 nodes");
  auto old = *RegionMap::Initial(16, {"a", "b"});
  expect_error(RegionMap::Rebalance(old, {}), "empty node list");
  expect_error(RegionMap::Rebalance(old, {"a", "a"}), "duplicate node id 'a'");
  expect_error(RegionMap::Rebalance(old, {""}), "empty node id");
  expect_error(RegionMap::Rebalance(old, Names("n", 0, 17)), "17 nodes");
  expect_error(RegionMap::Rebalance(RegionMap(), {"a"}), "empty region map");
}

TEST(RegionMap, MovesListsExactlyTheDifferingRegions) {
  auto from = *RegionMap::FromJson(nlohmann::json(std::vector<std::string>(16, "a")));
  std::vector<std::string> owners(16, "a");
  owners[3] = "b";
  owners[9] = "c";
  owners[15] = "b";
  auto to = *RegionMap::FromJson(nlohmann::json(owners));
  std::vector<RegionMove> expected = {{3, "a", "b"}, {9, "a", "c"}, {15, "a", "b"}};
  EXPECT_EQ(RegionMap::Moves(from, to), expected);
  EXPECT_TRUE(RegionMap::Moves(to, to).empty());
}

TEST(RegionMap, SevenToEightNodesMovesTwoRegions) {
  auto old = *RegionMap::Initial(16, Names("n", 0, 7));
  auto grown = RegionMap::Rebalance(old, Names("n", 0, 8));
  ASSERT_TRUE(grown.ok());
  EXPECT_EQ(RegionMap::Moves(old, *grown).size(), 2u);
  for (const auto& move : RegionMap::Moves(old, *grown)) EXPECT_EQ(move.to, "n7");
}

TEST(RegionMap, SameNodesMoveNothing) {
  auto old = *RegionMap::Initial(16, {"a", "b", "c"});
  auto same = RegionMap::Rebalance(old, {"c", "b", "a"});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, old);
}

TEST(RegionMap, ShrinkMovesOnlyTheRemovedNodesRegions) {
  auto old = *RegionMap::Initial(16, {"a", "b", "c", "d"});
  auto shrunk = *RegionMap::Rebalance(old, {"a", "c", "d"});
  for (const auto& move : RegionMap::Moves(old, shrunk)) EXPECT_EQ(move.from, "b");
  EXPECT_EQ(RegionMap::Moves(old, shrunk).size(), 4u);
}

// R=16, every n -> m in 1..8: growth by adding, shrink by removing every subset, and replace
// (remove any subset, add new ones), from a dealt map, an uneven map and a map with history.
TEST(RegionMap, Resize16RegionsEveryCaseMovesTheMinimum) {
  const int R = 16;
  std::mt19937 rng(16);
  int cases = 0;
  for (int n = 1; n <= 8; ++n) {
    std::vector<NodeId> old_nodes = Names("old", 0, n);
    std::vector<RegionMap> starts = {*RegionMap::Initial(R, old_nodes), UnevenMap(R, old_nodes, &rng)};
    // History: reach n nodes by growing one at a time from one node.
    RegionMap history = *RegionMap::Initial(R, {old_nodes[0]});
    for (int k = 2; k <= n; ++k) history = *RegionMap::Rebalance(history, Names("old", 0, k));
    starts.push_back(history);

    for (const RegionMap& old : starts) {
      for (uint32_t removed = 0; removed < (1u << n); ++removed) {
        std::vector<NodeId> survivors;
        for (int i = 0; i < n; ++i)
          if (!((removed >> i) & 1)) survivors.push_back(old_nodes[static_cast<size_t>(i)]);
        for (int m = std::max<int>(1, static_cast<int>(survivors.size())); m <= 8; ++m) {
          // m - |survivors| new nodes: growth when nothing was removed, shrink when no node
          // is added, replace when both.
          std::vector<NodeId> new_nodes = survivors;
          for (const auto& node : Names("new", 0, m - static_cast<int>(survivors.size()))) new_nodes.push_back(node);
          CheckResize(old, new_nodes, MaxKeptByEnumeration, &rng,
                      "n=" + std::to_string(n) + " removed-mask=" + std::to_string(removed) + " m=" + std::to_string(m));
          ++cases;
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
  }
  EXPECT_GT(cases, 3000);
}

// No choice of ceilings for the final map could keep more regions: no swap of a ceiling
// from a node holding <= q regions to one without the ceiling holding > q would help.
void CheckNoImprovingSwap(const RegionMap& old, const RegionMap& result, const std::vector<NodeId>& nodes) {
  const int R = old.region_count();
  const int m = static_cast<int>(nodes.size());
  const int q = R / m;
  std::vector<int> before = CountsOf(old, nodes);
  std::vector<int> after = CountsOf(result, nodes);
  int kept = 0;
  for (int i = 0; i < m; ++i) kept += std::min(before[static_cast<size_t>(i)], after[static_cast<size_t>(i)]);
  // Keeps everything its own targets allow...
  EXPECT_EQ(R - kept, Differing(old, result));
  // ...and its targets are optimal: exchanging one ceiling never keeps more.
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < m; ++j) {
      if (after[static_cast<size_t>(i)] != q + 1 || after[static_cast<size_t>(j)] != q) continue;
      int now = std::min(before[static_cast<size_t>(i)], q + 1) + std::min(before[static_cast<size_t>(j)], q);
      int swapped = std::min(before[static_cast<size_t>(i)], q) + std::min(before[static_cast<size_t>(j)], q + 1);
      EXPECT_GE(now, swapped) << nodes[static_cast<size_t>(i)] << " <-> " << nodes[static_cast<size_t>(j)];
    }
  }
}

// R=1024 and 1..32 nodes, sampled: growth, shrink by a random subset, and replace.
TEST(RegionMap, Resize1024RegionsSampledCasesMoveTheMinimum) {
  const int R = 1024;
  std::mt19937 rng(1024);
  std::uniform_int_distribution<int> size(1, 32);
  for (int c = 0; c < 400; ++c) {
    int n = size(rng);
    std::vector<NodeId> old_nodes = Names("old", 0, n);
    const int start = (c / 3) % 3;  // 0 dealt, 1 uneven, 2 with history
    RegionMap old = start == 1 ? UnevenMap(R, old_nodes, &rng) : *RegionMap::Initial(R, old_nodes);
    if (start == 2 && n < 32) {  // one node joined before this resize
      std::vector<NodeId> mid = old_nodes;
      mid.push_back("mid");
      old = *RegionMap::Rebalance(old, mid);
      old_nodes = mid;
      n = static_cast<int>(mid.size());
    }
    int m = size(rng);
    std::vector<NodeId> shuffled = old_nodes;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    int keep = 0;  // how many old nodes stay (the first `keep` of the shuffled list)
    std::string kind;
    if (c % 3 == 0 || n == 1) {
      kind = "grow";
      m = std::max(m, n);
      keep = n;
    } else if (c % 3 == 1) {
      kind = "shrink";
      m = std::min(m, n - 1);
      keep = m;
    } else {
      kind = "replace";  // at least one node leaves and at least one joins
      m = std::max(m, 2);
      keep = std::uniform_int_distribution<int>(0, std::min(n, m) - 1)(rng);
    }
    std::vector<NodeId> new_nodes(shuffled.begin(), shuffled.begin() + keep);
    for (const auto& node : Names("new", 0, m - keep)) new_nodes.push_back(node);

    std::string label = "case " + std::to_string(c) + " " + kind + ": n=" + std::to_string(n) +
                        " m=" + std::to_string(m) + " staying=" + std::to_string(keep);
    // Enumeration is exact but exponential; beyond 16 nodes the sorted-greedy value is used,
    // and below it the two are checked to agree.
    std::vector<int> counts = CountsOf(old, new_nodes);
    if (m <= 16) {
      EXPECT_EQ(MaxKeptBySortedGreedy(R, counts), MaxKeptByEnumeration(R, counts)) << label;
    }
    RegionMap result = CheckResize(old, new_nodes, MaxKeptBySortedGreedy, &rng, label);
    {
      SCOPED_TRACE(label);
      CheckNoImprovingSwap(old, result, new_nodes);
    }
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(RegionMap, JsonRoundTripAndValidation) {
  auto map = *RegionMap::Initial(32, {"a", "b", "c"});
  auto back = RegionMap::FromJson(map.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, map);
  EXPECT_EQ(map.ToJson().size(), 32u);

  auto error = [](const nlohmann::json& j) {
    auto r = RegionMap::FromJson(j);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(error(nlohmann::json::object()).find("expected an array"), std::string::npos);
  EXPECT_NE(error(nlohmann::json(std::vector<std::string>(15, "a"))).find("15"), std::string::npos);
  EXPECT_NE(error(nlohmann::json::array()).find("0"), std::string::npos);
  nlohmann::json with_number = nlohmann::json(std::vector<std::string>(16, "a"));
  with_number[4] = 7;
  EXPECT_NE(error(with_number).find("region 4"), std::string::npos);
  nlohmann::json with_empty = nlohmann::json(std::vector<std::string>(16, "a"));
  with_empty[2] = "";
  EXPECT_NE(error(with_empty).find("region 2: empty node id"), std::string::npos);
}

}  // namespace
}  // namespace mcscale
