// Unit tests of the mover's pure parts: classifying a source item, the store flags (TTL
// rules), the pipelined copy against in-memory nodes (add mode, tombstones, failures on either
// side, keys deleted only after the destination answered),
// batching and the operator's summary line. The real clients and the stream handling are
// covered by mover_it_test.cc.
#include "nodeagent/mover.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/move_planner.h"

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

// What both fake nodes did, in order.
struct EventLog {
  std::vector<std::string> events;  // "src mg k", "dst ms k", "src md k"
  void Add(const std::string& e) { events.push_back(e); }
  // Position of the first event equal to `e`, or -1.
  int Find(const std::string& e) {
    for (size_t i = 0; i < events.size(); ++i)
      if (events[i] == e) return static_cast<int>(i);
    return -1;
  }
};

// An in-memory node answering mg (v f t), ms (F T, ME = add) and md like memcached does.
class FakeNode {
 public:
  struct Item {
    std::string value;
    uint32_t flags = 0;
    int64_t ttl = -1;
  };

  FakeNode(std::string name, EventLog* log) : name_(std::move(name)), log_(log) {}

  std::map<std::string, Item> items;
  std::set<int> fail_calls;          // calls (1-based) that fail with Io
  std::set<std::string> error_keys;  // a call holding one of these gets an error reply
  int calls = 0;

  MetaCall Call() {
    return [this](const std::vector<MetaRequest>& reqs) -> Result<std::vector<MetaReply>> {
      if (fail_calls.count(++calls)) return Status::Io("connection refused");
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
        log_->Add(name_ + " mg " + r.key);
        EXPECT_EQ(r.flags, "v f t");
        auto it = items.find(r.key);
        if (it == items.end()) {
          reply.code = "EN";
          return reply;
        }
        return Va(it->second.value, std::to_string(it->second.flags), std::to_string(it->second.ttl));
      }
      case MetaRequest::Verb::kSet: {
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
        } else {
          items[r.key] = item;
          reply.code = "HD";
        }
        log_->Add(name_ + " ms " + r.key);
        return reply;
      }
      case MetaRequest::Verb::kDelete:
        log_->Add(name_ + " md " + r.key);
        reply.code = items.erase(r.key) ? "HD" : "NF";
        return reply;
    }
    return reply;
  }

  std::string name_;
  EventLog* log_;
};

// Hooks that record what MoveKeys reported; `give_up_after` failures make it give up.
struct RecordingHooks {
  std::vector<MoveSide> failures;
  std::vector<MoveCounts> batches;
  int give_up_after = 1000;

  MoveHooks Hooks() {
    MoveHooks h;
    h.failed = [this](MoveSide side, const Status&) {
      failures.push_back(side);
      return static_cast<int>(failures.size()) < give_up_after;
    };
    h.succeeded = [](MoveSide) {};
    h.batch_done = [this](const MoveCounts& c) {
      batches.push_back(c);
      return true;
    };
    return h;
  }
  MoveCounts Total() const {
    MoveCounts t;
    for (const auto& c : batches) t += c;
    return t;
  }
};

// `keys` in batches of `n` keys.
std::vector<std::vector<std::string>> InBatches(const std::vector<std::string>& keys, int n) {
  std::vector<ListedKey> listed;
  for (const auto& k : keys) listed.push_back(ListedKey{k, 1});
  return Mover::Batches(listed, n, 1 << 30);
}

std::function<int64_t()> FixedNow(int64_t s) {
  return [s] { return s; };
}

// Every key the destination stored was stored before the source deleted it.
void ExpectStoredBeforeDeleted(EventLog* log, const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    int stored = log->Find("dst ms " + k);
    int deleted = log->Find("src md " + k);
    if (stored >= 0 && deleted >= 0) {
      EXPECT_LT(stored, deleted) << k << " was deleted before it was stored";
    }
  }
}


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

TEST(Mover, MoveKeysCopiesThenDeletesEveryKey) {
  EventLog log;
  FakeNode src("src", &log), dst("dst", &log);
  src.items["plain"] = {"v1", 0, -1};
  src.items["flagged"] = {std::string("b\0in\r\nary", 9), 42, 300};
  src.items["tomb"] = {"", kTombstoneFlag, 60};
  src.items["dying"] = {"v", 0, 1};
  src.items["newer"] = {"old", 0, -1};
  dst.items["newer"] = {"new", 3, -1};
  std::vector<std::string> keys = {"plain", "flagged", "tomb", "dying", "newer", "missing", "later"};
  src.items["later"] = {"v7", 1, 5000000};  // beyond 30 days
  RecordingHooks rec;

  ASSERT_TRUE(Mover::MoveKeys(InBatches(keys, 2), src.Call(), dst.Call(), FixedNow(1'700'000'000), rec.Hooks()));
  EXPECT_TRUE(rec.failures.empty());
  ASSERT_EQ(rec.batches.size(), 4u);  // one report per batch
  MoveCounts t = rec.Total();
  EXPECT_EQ(t.moved, 3);
  EXPECT_EQ(t.bytes, 2 + 9 + 2);
  EXPECT_EQ(t.skipped_newer, 1);
  EXPECT_EQ(t.tombstones, 1);
  EXPECT_EQ(t.expiring, 1);
  EXPECT_EQ(t.gone, 1);
  EXPECT_EQ(t.failed, 0);

  EXPECT_TRUE(src.items.empty());
  EXPECT_EQ(dst.items["plain"].value, "v1");
  EXPECT_EQ(dst.items["flagged"].value, std::string("b\0in\r\nary", 9));
  EXPECT_EQ(dst.items["flagged"].flags, 42u);
  EXPECT_EQ(dst.items["flagged"].ttl, 300);
  EXPECT_EQ(dst.items["later"].ttl, 1'700'000'000 + 5'000'000);
  EXPECT_EQ(dst.items["newer"].value, "new");
  EXPECT_EQ(dst.items.count("tomb"), 0u);
  EXPECT_EQ(dst.items.count("dying"), 0u);
  ExpectStoredBeforeDeleted(&log, keys);
  // Every key read before it is deleted, and deleted exactly once.
  for (const auto& k : keys) {
    EXPECT_LT(log.Find("src mg " + k), log.Find("src md " + k)) << k;
    EXPECT_EQ(std::count(log.events.begin(), log.events.end(), "src md " + k), 1) << k;
  }
}

TEST(Mover, MoveKeysDeletesNothingTheDestinationDidNotAnswer) {
  for (int failing_call : {1, 2, 3}) {  // 3 batches: one store call each
    SCOPED_TRACE("destination call " + std::to_string(failing_call) + " fails");
    EventLog log;
    FakeNode src("src", &log), dst("dst", &log);
    std::vector<std::string> keys;
    for (int i = 0; i < 9; ++i) {
      keys.push_back("k" + std::to_string(i));
      src.items[keys.back()] = {"v" + std::to_string(i), 0, -1};
    }
    dst.fail_calls = {failing_call};
    RecordingHooks rec;
    ASSERT_TRUE(Mover::MoveKeys(InBatches(keys, 3), src.Call(), dst.Call(), FixedNow(0), rec.Hooks()));
    EXPECT_EQ(rec.failures, std::vector<MoveSide>{MoveSide::kDestination});
    ExpectStoredBeforeDeleted(&log, keys);
    for (const auto& k : keys) EXPECT_GE(log.Find("dst ms " + k), 0) << k << " deleted without a store";
    EXPECT_TRUE(src.items.empty());
    EXPECT_EQ(dst.items.size(), 9u);
    // Counts are exact: a batch the destination did not answer counted nothing.
    EXPECT_EQ(rec.Total().moved, 9);
    EXPECT_EQ(rec.Total().skipped_newer, 0);
    EXPECT_EQ(rec.batches.size(), 3u);
  }
}

TEST(Mover, MoveKeysRecoversFromAFailedSourceCall) {
  for (int failing_call : {1, 2, 3, 4}) {  // gets, deletes+gets, deletes+gets, deletes
    SCOPED_TRACE("source call " + std::to_string(failing_call) + " fails");
    EventLog log;
    FakeNode src("src", &log), dst("dst", &log);
    std::vector<std::string> keys;
    for (int i = 0; i < 9; ++i) {
      keys.push_back("k" + std::to_string(i));
      src.items[keys.back()] = {"v" + std::to_string(i), 0, -1};
    }
    src.fail_calls = {failing_call};
    RecordingHooks rec;
    ASSERT_TRUE(Mover::MoveKeys(InBatches(keys, 3), src.Call(), dst.Call(), FixedNow(0), rec.Hooks()));
    EXPECT_EQ(rec.failures, std::vector<MoveSide>{MoveSide::kSource});
    ExpectStoredBeforeDeleted(&log, keys);
    EXPECT_TRUE(src.items.empty());
    EXPECT_EQ(dst.items.size(), 9u);
    EXPECT_EQ(rec.Total().moved, 9);
    EXPECT_EQ(rec.batches.size(), 3u);
  }
}

TEST(Mover, MoveKeysGivesUpWhenAHookSaysSo) {
  EventLog log;
  FakeNode src("src", &log), dst("dst", &log);
  std::vector<std::string> keys;
  for (int i = 0; i < 6; ++i) {
    keys.push_back("k" + std::to_string(i));
    src.items[keys.back()] = {"v", 0, -1};
  }
  dst.fail_calls = {2, 3};
  RecordingHooks rec;
  rec.give_up_after = 2;  // the second failure: stopping
  EXPECT_FALSE(Mover::MoveKeys(InBatches(keys, 2), src.Call(), dst.Call(), FixedNow(0), rec.Hooks()));
  ExpectStoredBeforeDeleted(&log, keys);
  for (const auto& k : keys)
    if (!dst.items.count(k)) {
      EXPECT_TRUE(src.items.count(k)) << k << " is on neither node";
    }
}

TEST(Mover, AnErrorReplyFailsOnlyTheOffendingKey) {
  EventLog log;
  FakeNode src("src", &log), dst("dst", &log);
  for (const char* k : {"a", "big", "c"}) src.items[k] = {"v", 0, -1};
  dst.error_keys.insert("big");
  RecordingHooks rec;
  ASSERT_TRUE(Mover::MoveKeys(InBatches({"a", "big", "c"}, 10), src.Call(), dst.Call(), FixedNow(0), rec.Hooks()));
  EXPECT_TRUE(rec.failures.empty());
  EXPECT_EQ(rec.Total().moved, 2);
  EXPECT_EQ(rec.Total().failed, 1);
  EXPECT_EQ(dst.items.count("big"), 0u);
  EXPECT_TRUE(src.items.empty());  // it could not be stored anywhere it would be read
}

TEST(Mover, MoveKeysOfNothingReportsNothing) {
  EventLog log;
  FakeNode src("src", &log), dst("dst", &log);
  RecordingHooks rec;
  EXPECT_TRUE(Mover::MoveKeys(InBatches({}, 10), src.Call(), dst.Call(), FixedNow(0), rec.Hooks()));
  EXPECT_TRUE(rec.batches.empty());
  EXPECT_EQ(src.calls + dst.calls, 0);
}

TEST(Mover, BatchesEndAtTheKeyOrByteLimit) {
  std::vector<ListedKey> keys;
  for (int i = 0; i < 7; ++i) keys.push_back(ListedKey{"k" + std::to_string(i), 100});
  auto batches = Mover::Batches(keys, 3, 1 << 20);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"k0", "k1", "k2"}));
  EXPECT_EQ(batches[2], (std::vector<std::string>{"k6"}));
  EXPECT_TRUE(Mover::Batches({}, 3, 1000).empty());
  EXPECT_EQ(Mover::Batches(keys, 7, 1 << 20).size(), 1u);
  // By bytes: 250 holds two keys of 100.
  batches = Mover::Batches(keys, 100, 250);
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"k0", "k1"}));
  // A key larger than the limit goes alone.
  batches = Mover::Batches({{"a", 10}, {"huge", 5000}, {"b", 10}}, 100, 250);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[1], (std::vector<std::string>{"huge"}));
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
  EXPECT_TRUE(Mover::OrderObsolete(5, "5", "migrating", /*cancelled=*/true));  // the coordinator cancelled it
  EXPECT_TRUE(Mover::OrderObsolete(5, "", "", /*cancelled=*/true));
}

}  // namespace
}  // namespace mcscale
