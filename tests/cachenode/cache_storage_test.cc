// CacheStorage: byte limit, LRU and random eviction, eviction counting, TTLs on a fake
// clock, run-time policy and limit changes, and the store/delta semantics memcached has.
#include "cachenode/cache_storage.h"

#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/clock.h"

namespace mcscale {
namespace {

// Fixed-width keys, so every item of a test costs the same bytes.
std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key:%05d", i);
  return buf;
}

std::optional<std::string> Read(CacheStorage& s, const std::string& key) {
  std::optional<std::string> v;
  s.Access(key, true, [&](CacheItem& it) {
    v = std::string(it.value());
    return AccessAction::kKeep;
  });
  return v;
}

StorageOptions Options(FakeClock* clock, size_t limit, EvictionPolicy policy = EvictionPolicy::kLru) {
  StorageOptions o;
  o.memory_limit = limit;
  o.clock = clock;
  o.policy = policy;
  return o;
}

TEST(CacheStorage, StoresAndReadsBack) {
  FakeClock clock;
  CacheStorage s(Options(&clock, 1 << 20));
  uint64_t cas = 0;
  EXPECT_EQ(s.Store(StoreMode::kSet, "a", "hello", 7, 0, 0, &cas), StoreResult::kStored);
  EXPECT_GT(cas, 0u);
  EXPECT_EQ(Read(s, "a"), "hello");
  EXPECT_EQ(Read(s, "b"), std::nullopt);
  EXPECT_EQ(s.Stats().curr_items, 1u);
  EXPECT_EQ(s.Stats().bytes, CacheStorage::ItemTotal(1, 5, 7));
}

TEST(CacheStorage, StoreModesFollowMemcached) {
  FakeClock clock;
  CacheStorage s(Options(&clock, 1 << 20));
  EXPECT_EQ(s.Store(StoreMode::kReplace, "k", "x", 0, 0), StoreResult::kNotStored);
  EXPECT_EQ(s.Store(StoreMode::kAppend, "k", "x", 0, 0), StoreResult::kNotStored);
  EXPECT_EQ(s.Store(StoreMode::kAdd, "k", "mid", 3, 0), StoreResult::kStored);
  EXPECT_EQ(s.Store(StoreMode::kAdd, "k", "other", 0, 0), StoreResult::kNotStored);
  EXPECT_EQ(s.Store(StoreMode::kAppend, "k", ">", 9, 0), StoreResult::kStored);
  EXPECT_EQ(s.Store(StoreMode::kPrepend, "k", "<", 9, 0), StoreResult::kStored);
  EXPECT_EQ(Read(s, "k"), "<mid>");
  uint32_t flags = 0;
  uint64_t cas = 0;
  s.Access("k", false, [&](CacheItem& it) {
    flags = it.flags;
    cas = it.cas;
    return AccessAction::kKeep;
  });
  EXPECT_EQ(flags, 3u);  // append/prepend keep the old flags
  EXPECT_EQ(s.Store(StoreMode::kCas, "k", "new", 0, 0, cas + 100), StoreResult::kExists);
  EXPECT_EQ(s.Store(StoreMode::kCas, "nokey", "new", 0, 0, 1), StoreResult::kNotFound);
  EXPECT_EQ(s.Store(StoreMode::kCas, "k", "new", 0, 0, cas), StoreResult::kStored);
  EXPECT_EQ(Read(s, "k"), "new");
  EXPECT_TRUE(s.Delete("k"));
  EXPECT_FALSE(s.Delete("k"));
}

TEST(CacheStorage, DeltaWrapsClampsAndPads) {
  FakeClock clock;
  CacheStorage s(Options(&clock, 1 << 20));
  uint64_t v = 0;
  auto none = [](CacheItem&) {};
  EXPECT_EQ(s.Delta("n", true, 1, 0, &v, none), DeltaResult::kNotFound);
  s.Store(StoreMode::kSet, "n", "18446744073709551615", 0, 0);
  EXPECT_EQ(s.Delta("n", true, 2, 0, &v, none), DeltaResult::kOk);
  EXPECT_EQ(v, 1u);
  EXPECT_EQ(Read(s, "n"), "1                   ");  // shorter result written in place
  EXPECT_EQ(s.Delta("n", false, 5, 0, &v, none), DeltaResult::kOk);
  EXPECT_EQ(v, 0u);
  s.Store(StoreMode::kSet, "n", "9", 0, 0);
  EXPECT_EQ(s.Delta("n", true, 1, 0, &v, none), DeltaResult::kOk);
  EXPECT_EQ(Read(s, "n"), "10");  // longer result: a new item
  s.Store(StoreMode::kSet, "t", "abc", 0, 0);
  EXPECT_EQ(s.Delta("t", true, 1, 0, &v, none), DeltaResult::kNonNumeric);
  s.Store(StoreMode::kSet, "t", "12abc", 0, 0);
  EXPECT_EQ(s.Delta("t", true, 1, 0, &v, none), DeltaResult::kNonNumeric);
  s.Store(StoreMode::kSet, "t", "-5", 0, 0);
  EXPECT_EQ(s.Delta("t", true, 1, 0, &v, none), DeltaResult::kNonNumeric);
  s.Store(StoreMode::kSet, "t", "99999999999999999999999", 0, 0);
  EXPECT_EQ(s.Delta("t", true, 1, 0, &v, none), DeltaResult::kNonNumeric);
}

TEST(CacheStorage, TtlFollowsMemcachedRules) {
  FakeClock clock(1'700'000'000'000);
  CacheStorage s(Options(&clock, 1 << 20));
  const int64_t now = 1'700'000'000;
  EXPECT_EQ(s.ExpiryFromProtocol(0), 0);
  EXPECT_EQ(s.ExpiryFromProtocol(10), now + 10);
  EXPECT_EQ(s.ExpiryFromProtocol(60 * 60 * 24 * 30), now + 60 * 60 * 24 * 30);  // still relative
  EXPECT_EQ(s.ExpiryFromProtocol(60 * 60 * 24 * 30 + 1), 1);  // absolute, long before start: expired
  EXPECT_EQ(s.ExpiryFromProtocol(now + 100), now + 100);      // absolute in the future
  EXPECT_LE(s.ExpiryFromProtocol(-1), now);                   // negative: already expired

  s.Store(StoreMode::kSet, "rel", "v", 0, s.ExpiryFromProtocol(10));
  s.Store(StoreMode::kSet, "abs", "v", 0, s.ExpiryFromProtocol(now + 20));
  s.Store(StoreMode::kSet, "neg", "v", 0, s.ExpiryFromProtocol(-1));
  s.Store(StoreMode::kSet, "never", "v", 0, 0);
  EXPECT_EQ(Read(s, "neg"), std::nullopt);
  clock.Advance(9'999);
  EXPECT_EQ(Read(s, "rel"), "v");
  clock.Advance(1);
  EXPECT_EQ(Read(s, "rel"), std::nullopt);  // expires at exactly now + 10
  EXPECT_EQ(Read(s, "abs"), "v");
  clock.Advance(10'000);
  EXPECT_EQ(Read(s, "abs"), std::nullopt);
  clock.Advance(1'000'000'000);
  EXPECT_EQ(Read(s, "never"), "v");
  // A dead item is reported as expired, not as a plain miss, and frees its bytes.
  s.Store(StoreMode::kSet, "x", "v", 0, s.ExpiryFromProtocol(1));
  clock.Advance(1000);
  EXPECT_EQ(s.Access("x", true, [](CacheItem&) { return AccessAction::kKeep; }), LookupResult::kExpired);
  EXPECT_EQ(s.Stats().curr_items, 1u);
}

TEST(CacheStorage, DelayedFlushInvalidatesOlderItems) {
  FakeClock clock;
  CacheStorage s(Options(&clock, 1 << 20));
  s.Store(StoreMode::kSet, "old", "v", 0, 0);
  s.FlushAll(5);
  EXPECT_EQ(Read(s, "old"), "v");
  clock.Advance(4000);
  EXPECT_EQ(s.Access("old", true, [](CacheItem&) { return AccessAction::kKeep; }), LookupResult::kFlushed);
  clock.Advance(1000);
  s.Store(StoreMode::kSet, "new", "v", 0, 0);
  EXPECT_EQ(Read(s, "new"), "v");
  s.FlushAll(1);  // due at once, for everything touched in this second (as memcached)
  EXPECT_EQ(Read(s, "new"), std::nullopt);
  s.Store(StoreMode::kSet, "same_second", "v", 0, 0);
  EXPECT_EQ(Read(s, "same_second"), std::nullopt);
  clock.Advance(1000);
  s.Store(StoreMode::kSet, "after", "v", 0, 0);
  EXPECT_EQ(Read(s, "after"), "v");
  s.FlushAll(0);  // an immediate flush also ends the delayed one
  EXPECT_EQ(Read(s, "after"), std::nullopt);
  EXPECT_EQ(s.Stats().curr_items, 0u);
  EXPECT_EQ(s.Stats().bytes, 0u);
  s.Store(StoreMode::kSet, "later", "v", 0, 0);
  EXPECT_EQ(Read(s, "later"), "v");
}

TEST(CacheStorage, ItemSizeLimit) {
  FakeClock clock;
  StorageOptions o = Options(&clock, 64 << 20);
  CacheStorage s(o);
  std::string fits((1 << 20) - 59 - 3, 'x');
  EXPECT_EQ(s.Store(StoreMode::kSet, "key", fits, 0, 0), StoreResult::kStored);
  EXPECT_EQ(s.Store(StoreMode::kSet, "key", fits + "x", 0, 0), StoreResult::kTooLarge);
  EXPECT_EQ(s.Store(StoreMode::kSet, "key", fits, 1, 0), StoreResult::kTooLarge);  // flags take 4 bytes
  EXPECT_EQ(s.Store(StoreMode::kAppend, "key", "x", 0, 0), StoreResult::kTooLarge);
}

TEST(CacheStorage, NeverExceedsTheLimitAndCountsEvictions) {
  FakeClock clock;
  const size_t limit = 1 << 20;
  CacheStorage s(Options(&clock, limit));
  std::mt19937 rng(7);
  int stored = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string v(rng() % 5000, 'v');
    ASSERT_EQ(s.Store(StoreMode::kSet, Key(i), v, 0, 0), StoreResult::kStored);
    ++stored;
    ASSERT_LE(s.Stats().bytes, limit);
  }
  StorageStats st = s.Stats();
  EXPECT_GT(st.evictions, 0u);
  EXPECT_EQ(st.evictions + st.curr_items, static_cast<uint64_t>(stored));
  EXPECT_GT(st.bytes, limit * 9 / 10);  // the memory is actually used
}

TEST(CacheStorage, LruKeepsTheMostRecentlyReadKeys) {
  FakeClock clock;
  const size_t value = 1000;
  const size_t per_item = CacheStorage::ItemTotal(Key(0).size(), value, 0);
  CacheStorage s(Options(&clock, per_item * 100));
  for (int i = 0; i < 100; ++i) s.Store(StoreMode::kSet, Key(i), std::string(value, 'a'), 0, 0);
  // Read the first 30 (the oldest writes), then write 50 more.
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(Read(s, Key(i)));
  for (int i = 100; i < 150; ++i) s.Store(StoreMode::kSet, Key(i), std::string(value, 'a'), 0, 0);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(Read(s, Key(i))) << "recently read " << Key(i) << " was evicted";
  for (int i = 30; i < 80; ++i) EXPECT_FALSE(Read(s, Key(i))) << "least recent " << Key(i) << " survived";
  EXPECT_EQ(s.Stats().evictions, 50u);
}

// Random eviction ignores recency: keys read just before the pressure survive about as often
// as keys never read. With 400 items and 200 evictions each group of 200 keeps about 120
// (standard deviation about 7, of the difference about 10); LRU would keep 200 and 0. The
// bound of 60 on the difference is six standard deviations (false alarm ~1e-9).
TEST(CacheStorage, RandomEvictsWithoutRegardToRecency) {
  FakeClock clock;
  const size_t value = 500;
  const size_t per_item = CacheStorage::ItemTotal(Key(0).size(), value, 0);
  CacheStorage s(Options(&clock, per_item * 400, EvictionPolicy::kRandom));
  for (int i = 0; i < 400; ++i) s.Store(StoreMode::kSet, Key(i), std::string(value, 'a'), 0, 0);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(Read(s, Key(i)));  // "hot" half
  for (int i = 400; i < 600; ++i) s.Store(StoreMode::kSet, Key(i), std::string(value, 'a'), 0, 0);
  int hot = 0, cold = 0;
  for (int i = 0; i < 200; ++i) hot += Read(s, Key(i)) ? 1 : 0;
  for (int i = 200; i < 400; ++i) cold += Read(s, Key(i)) ? 1 : 0;
  EXPECT_EQ(s.Stats().evictions, 200u);
  // Under LRU hot would be 200 and cold 0.
  EXPECT_LT(std::abs(hot - cold), 60) << "hot " << hot << " cold " << cold;
  EXPECT_GT(cold, 40);
  EXPECT_LT(hot, 170);
}

TEST(CacheStorage, PolicyAndLimitChangeAtRunTime) {
  FakeClock clock;
  const size_t value = 1000;
  const size_t per_item = CacheStorage::ItemTotal(Key(0).size(), value, 0);
  CacheStorage s(Options(&clock, per_item * 100, EvictionPolicy::kRandom));
  for (int i = 0; i < 100; ++i) s.Store(StoreMode::kSet, Key(i), std::string(value, 'a'), 0, 0);
  EXPECT_EQ(s.Stats().curr_items, 100u);
  s.SetPolicy(EvictionPolicy::kLru);
  EXPECT_EQ(s.policy(), EvictionPolicy::kLru);
  for (int i = 50; i < 100; ++i) ASSERT_TRUE(Read(s, Key(i)));
  // Shrinking evicts at once, by the new policy: the 50 unread keys go.
  s.SetMemoryLimit(per_item * 50);
  StorageStats st = s.Stats();
  EXPECT_LE(st.bytes, per_item * 50);
  EXPECT_EQ(st.curr_items, 50u);
  EXPECT_EQ(st.limit_maxbytes, per_item * 50);
  for (int i = 50; i < 100; ++i) EXPECT_TRUE(Read(s, Key(i)));
  s.SetMemoryLimit(per_item * 200);
  for (int i = 100; i < 250; ++i) s.Store(StoreMode::kSet, Key(i), std::string(value, 'a'), 0, 0);
  EXPECT_EQ(s.Stats().curr_items, 200u);
}

TEST(CacheStorage, MetaStateAndUnlinkThroughAccess) {
  FakeClock clock;
  CacheStorage s(Options(&clock, 1 << 20));
  s.Store(StoreMode::kSet, "m", "v", 0, 0);
  s.Access("m", false, [&](CacheItem& it) {
    EXPECT_FALSE(it.fetched);
    it.stale = true;
    return AccessAction::kKeep;
  });
  s.Access("m", true, [&](CacheItem& it) {
    EXPECT_TRUE(it.stale);
    return AccessAction::kKeep;
  });
  s.Access("m", false, [&](CacheItem& it) {
    EXPECT_TRUE(it.fetched);
    return AccessAction::kUnlink;
  });
  EXPECT_EQ(s.Stats().curr_items, 0u);
  int seen = 0;
  s.Store(StoreMode::kSet, "a", "1", 0, 0);
  s.Store(StoreMode::kSet, "b", "2", 0, s.ExpiryFromProtocol(-1));
  s.ForEach([&](const CacheItem&) { ++seen; });
  EXPECT_EQ(seen, 1);  // dead items are not listed
}

}  // namespace
}  // namespace mcscale
