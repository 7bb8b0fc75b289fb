// Unit tests of the mover's pure parts: classifying a source item, the store flags (TTL
// rules), one batch against in-memory nodes (add mode, tombstones, failures on either side),
// batching and the operator's summary line. The real clients and the stream handling are
// covered by mover_it_test.cc.
#include "nodeagent/mover.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "frontend/routing_table.h"

namespace mcscale {
namespace {

MetaReply Va(const std::string& value, const std::string& f, const std::string& t) {
  MetaReply r;
  r.code = "VA";
  r.value = value;
  r.flags['f'] = f;
  r.flags['t'] = t;
  return r;
}

std::vector<std::string> Tokens(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// An in-memory node answering mg (v f t), ms (F T, ME = add) and md like memcached does.
class FakeNode {
 public:
  struct Item {
    std::string value;
    uint32_t flags = 0;
    int64_t ttl = -1;
  };
  std::map<std::string, Item> items;
  std::vector<std::string> log;        // "mg k", "ms k", "md k" in the order they ran
  int fail_calls = 0;                  // the next calls fail with Io
  std::set<std::string> error_keys;    // a batch holding one of these gets an error reply

  MetaCall Call() {
    return [this](const std::vector<MetaRequest>& reqs) -> Result<std::vector<MetaReply>> {
      if (fail_calls > 0) {
        --fail_calls;
        return Status::Io("connection refused");
      }
      for (const auto& r : reqs)
        if (error_keys.count(r.key)) return Status::Protocol("error reply 'SERVER_ERROR object too large for cache'");
      std::vector<MetaReply> out;
      for (const auto& r : reqs) out.push_back(Run(r));
      return out;
    };
  }

 private:
  MetaReply Run(const MetaRequest& r) {
    MetaReply reply;
    switch (r.verb) {
      case MetaRequest::Verb::kGet: {
        log.push_back("mg " + r.key);
        EXPECT_EQ(r.flags, "v f t");
        auto it = items.find(r.key);
        if (it == items.end()) {
          reply.code = "EN";
          return reply;
        }
        return Va(it->second.value, std::to_string(it->second.flags), std::to_string(it->second.ttl));
      }
      case MetaRequest::Verb::kSet: {
        log.push_back("ms " + r.key);
        Item item;
        item.value = r.value;
        bool add = false;
        for (const auto& tok : Tokens(r.flags)) {
          if (tok[0] == 'F') item.flags = static_cast<uint32_t>(std::stoul(tok.substr(1)));
          if (tok[0] == 'T') item.ttl = std::stoll(tok.substr(1)) == 0 ? -1 : std::stoll(tok.substr(1));
          if (tok == "ME") add = true;
        }
        EXPECT_TRUE(add) << "the mover must store in add mode";
        if (add && items.count(r.key)) {
          reply.code = "NS";
          return reply;
        }
        items[r.key] = item;
        reply.code = "HD";
        return reply;
      }
      case MetaRequest::Verb::kDelete:
        log.push_back("md " + r.key);
        reply.code = items.erase(r.key) ? "HD" : "NF";
        return reply;
    }
    return reply;
  }
};

TEST(Mover, TombstoneFlagIsTheFrontendsOne) { EXPECT_EQ(Mover::kTombstoneFlag, kTombstoneFlag); }

TEST(Mover, ClassifyCopiesLiveKeysWithFlagsAndTtl) {
  SourceItem item = Mover::Classify(Va("x", "5", "120"));
  EXPECT_EQ(item.kind, SourceItem::Kind::kCopy);
  EXPECT_EQ(item.flags, 5u);
  EXPECT_EQ(item.ttl_s, 120);
  item = Mover::Classify(Va("x", "4294967295", "-1"));
  EXPECT_EQ(item.kind, SourceItem::Kind::kTombstone);  // bit 31 set
  item = Mover::Classify(Va("x", "2147483647", "-1"));
  EXPECT_EQ(item.kind, SourceItem::Kind::kCopy);
  EXPECT_EQ(item.flags, 2147483647u);
  EXPECT_EQ(item.ttl_s, -1);
}

TEST(Mover, ClassifySkipsTombstonesMissesAndKeysAboutToExpire) {
  EXPECT_EQ(Mover::Classify(Va("", "2147483648", "-1")).kind, SourceItem::Kind::kTombstone);
  EXPECT_EQ(Mover::Classify(Va("", "2147483648", "30")).kind, SourceItem::Kind::kTombstone);
  MetaReply miss;
  miss.code = "EN";
  EXPECT_EQ(Mover::Classify(miss).kind, SourceItem::Kind::kGone);
  EXPECT_EQ(Mover::Classify(Va("x", "0", "1")).kind, SourceItem::Kind::kExpiring);
  EXPECT_EQ(Mover::Classify(Va("x", "0", "0")).kind, SourceItem::Kind::kExpiring);
  EXPECT_EQ(Mover::Classify(Va("x", "0", "2")).kind, SourceItem::Kind::kCopy);
  EXPECT_EQ(Mover::Classify(Va("x", "0", "-1")).kind, SourceItem::Kind::kCopy);
}

TEST(Mover, StoreFlagsKeepFlagsAndTheRemainingTtl) {
  SourceItem item;
  item.kind = SourceItem::Kind::kCopy;
  item.flags = 7;
  item.ttl_s = -1;
  EXPECT_EQ(Mover::StoreFlags(item, 1'700'000'000), "F7 T0 ME");
  item.ttl_s = 120;
  EXPECT_EQ(Mover::StoreFlags(item, 1'700'000'000), "F7 T120 ME");
  item.ttl_s = Mover::kMaxRelativeTtlS;
  EXPECT_EQ(Mover::StoreFlags(item, 1'700'000'000), "F7 T2592000 ME");
  // Beyond 30 days memcached reads an exptime as a unix time: send it as one.
  item.ttl_s = Mover::kMaxRelativeTtlS + 1;
  EXPECT_EQ(Mover::StoreFlags(item, 1'700'000'000), "F7 T" + std::to_string(1'700'000'000 + 2592001) + " ME");
}

TEST(Mover, MoveBatchCopiesThenDeletesEveryKey) {
  FakeNode src, dst;
  src.items["plain"] = {"v1", 0, -1};
  src.items["flagged"] = {std::string("b\0in\r\nary", 9), 42, 300};
  src.items["tomb"] = {"", kTombstoneFlag, 60};
  src.items["dying"] = {"v", 0, 1};
  src.items["newer"] = {"old", 0, -1};
  dst.items["newer"] = {"new", 3, -1};
  std::vector<std::string> keys = {"plain", "flagged", "tomb", "dying", "newer", "missing"};

  BatchOutcome out = Mover::MoveBatch(keys, src.Call(), dst.Call(), 1'700'000'000);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_TRUE(out.copied);
  EXPECT_EQ(out.counts.moved, 2);
  EXPECT_EQ(out.counts.bytes, 2 + 9);
  EXPECT_EQ(out.counts.skipped_newer, 1);
  EXPECT_EQ(out.counts.tombstones, 1);
  EXPECT_EQ(out.counts.expiring, 1);
  EXPECT_EQ(out.counts.gone, 1);
  EXPECT_EQ(out.counts.failed, 0);

  EXPECT_TRUE(src.items.empty());
  EXPECT_EQ(dst.items["plain"].value, "v1");
  EXPECT_EQ(dst.items["flagged"].value, std::string("b\0in\r\nary", 9));
  EXPECT_EQ(dst.items["flagged"].flags, 42u);
  EXPECT_EQ(dst.items["flagged"].ttl, 300);
  EXPECT_EQ(dst.items["newer"].value, "new");
  EXPECT_EQ(dst.items.count("tomb"), 0u);
  EXPECT_EQ(dst.items.count("dying"), 0u);
  // Every get before the stores, every delete after them.
  ASSERT_EQ(src.log.size(), 12u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(src.log[i], "mg " + keys[i]);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(src.log[6 + i], "md " + keys[i]);
}

TEST(Mover, MoveBatchDeletesNothingWhenTheDestinationFails) {
  FakeNode src, dst;
  src.items["a"] = {"1", 0, -1};
  src.items["b"] = {"2", 0, -1};
  dst.fail_calls = 1;
  BatchOutcome out = Mover::MoveBatch({"a", "b"}, src.Call(), dst.Call(), 0);
  EXPECT_FALSE(out.status.ok());
  EXPECT_EQ(out.failed, BatchOutcome::Failed::kDestination);
  EXPECT_FALSE(out.copied);
  EXPECT_EQ(src.items.size(), 2u);
  for (const auto& line : src.log) EXPECT_NE(line.substr(0, 2), "md");
  // The retry moves them.
  out = Mover::MoveBatch({"a", "b"}, src.Call(), dst.Call(), 0);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.counts.moved, 2);
  EXPECT_TRUE(src.items.empty());
  EXPECT_EQ(dst.items.size(), 2u);
}

TEST(Mover, MoveBatchReportsASourceFailureBeforeOrAfterTheCopy) {
  FakeNode src, dst;
  src.items["a"] = {"1", 0, -1};
  src.fail_calls = 1;  // the gets
  BatchOutcome out = Mover::MoveBatch({"a"}, src.Call(), dst.Call(), 0);
  EXPECT_EQ(out.failed, BatchOutcome::Failed::kSource);
  EXPECT_FALSE(out.copied);
  EXPECT_TRUE(dst.items.empty());

  // The deletes fail: the copy is done and counted, the deletes are left to retry.
  MetaCall flaky = [&, calls = 0](const std::vector<MetaRequest>& r) mutable -> Result<std::vector<MetaReply>> {
    if (++calls == 2) return Status::Timeout("no reply");
    return src.Call()(r);
  };
  out = Mover::MoveBatch({"a"}, flaky, dst.Call(), 0);
  EXPECT_EQ(out.failed, BatchOutcome::Failed::kSource);
  EXPECT_TRUE(out.copied);
  EXPECT_EQ(out.counts.moved, 1);
  EXPECT_EQ(src.items.size(), 1u);
  ASSERT_TRUE(Mover::DeleteKeys({"a"}, src.Call()).ok());
  EXPECT_TRUE(src.items.empty());
}

TEST(Mover, AnErrorReplyFailsOnlyTheOffendingKey) {
  FakeNode src, dst;
  for (const char* k : {"a", "big", "c"}) src.items[k] = {"v", 0, -1};
  dst.error_keys.insert("big");
  BatchOutcome out = Mover::MoveBatch({"a", "big", "c"}, src.Call(), dst.Call(), 0);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.counts.moved, 2);
  EXPECT_EQ(out.counts.failed, 1);
  EXPECT_EQ(dst.items.count("big"), 0u);
  EXPECT_TRUE(src.items.empty());  // it could not be stored anywhere it would be read
}

TEST(Mover, BatchesSplitInOrder) {
  std::vector<std::string> keys;
  for (int i = 0; i < 7; ++i) keys.push_back("k" + std::to_string(i));
  auto batches = Mover::Batches(keys, 3);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"k0", "k1", "k2"}));
  EXPECT_EQ(batches[2], (std::vector<std::string>{"k6"}));
  EXPECT_TRUE(Mover::Batches({}, 3).empty());
  EXPECT_EQ(Mover::Batches(keys, 7).size(), 1u);
}

TEST(Mover, FormatCountGroupsThousands) {
  EXPECT_EQ(Mover::FormatCount(0), "0");
  EXPECT_EQ(Mover::FormatCount(999), "999");
  EXPECT_EQ(Mover::FormatCount(6250), "6,250");
  EXPECT_EQ(Mover::FormatCount(1234567), "1,234,567");
  EXPECT_EQ(Mover::FormatCount(-100000), "-100,000");
}

TEST(Mover, RegionSummaryReadsLikeASentence) {
  MoveOrder order;
  order.epoch = 5;
  order.region = 7;
  order.to = "node-4";
  order.to_address = "127.0.0.1:21234";
  MoveCounts c;
  c.moved = 6250;
  c.skipped_newer = 12;
  EXPECT_EQ(Mover::RegionSummary(order, c, 400),
            "epoch 5: region 7 -> node-4 (127.0.0.1:21234): 6,250 keys moved, 12 skipped as newer, 0.4 s");
  c.tombstones = 3;
  c.expiring = 2;
  EXPECT_EQ(Mover::RegionSummary(order, c, 1250),
            "epoch 5: region 7 -> node-4 (127.0.0.1:21234): 6,250 keys moved, 12 skipped as newer, "
            "3 tombstones dropped, 2 expiring not copied, 1.2 s");
}

TEST(Mover, AnOrderIsOverOnceThePoolLeftItsEpoch) {
  EXPECT_FALSE(Mover::OrderObsolete(5, "5", "migrating"));
  EXPECT_FALSE(Mover::OrderObsolete(5, "", ""));  // no pool hash: nothing says it is over
  EXPECT_TRUE(Mover::OrderObsolete(5, "5", "stable"));  // ended (drain timeout)
  EXPECT_TRUE(Mover::OrderObsolete(5, "6", "migrating"));
  EXPECT_TRUE(Mover::OrderObsolete(5, "4", "migrating"));  // a recreated pool
}

}  // namespace
}  // namespace mcscale
