#include "bench/consistency_checker.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

OpRecord W(uint32_t key, uint64_t v, int64_t b, int64_t e, bool ack = true) {
  return {OpRecord::kWrite, static_cast<uint8_t>(ack), key, v, b, e};
}
OpRecord D(uint32_t key, int64_t b, int64_t e, bool ack = true) {
  return {OpRecord::kDelete, static_cast<uint8_t>(ack), key, kNoVersion, b, e};
}
OpRecord R(uint32_t key, uint64_t v, int64_t b, int64_t e) { return {OpRecord::kRead, 1, key, v, b, e}; }

TEST(ConsistencyChecker, ReadOfAnOverwrittenValueIsStale) {
  ConsistencyChecker c;
  c.Add({W(1, 10, 0, 10), W(1, 11, 20, 30), R(1, 10, 40, 50)});
  auto rep = c.CheckStaleReads();
  EXPECT_EQ(rep.stale_reads, 1u);
  EXPECT_EQ(rep.examples.size(), 1u);
}

TEST(ConsistencyChecker, ReadOverlappingTheNewerWriteIsNotStale) {
  ConsistencyChecker c;
  // The newer write is acknowledged after the read began: either answer is fine.
  c.Add({W(1, 10, 0, 10), W(1, 11, 20, 45), R(1, 10, 40, 50)});
  EXPECT_EQ(c.CheckStaleReads().stale_reads, 0u);
}

TEST(ConsistencyChecker, OverlappingWritesMayEitherWin) {
  ConsistencyChecker c;
  // Write 11 began before write 10 was acknowledged: not "after".
  c.Add({W(1, 10, 0, 10), W(1, 11, 5, 30), R(1, 10, 40, 50), R(1, 11, 60, 70)});
  EXPECT_EQ(c.CheckStaleReads().stale_reads, 0u);
}

TEST(ConsistencyChecker, ReadAfterAnAcknowledgedDeleteIsStaleAndAMissNever) {
  ConsistencyChecker c;
  c.Add({W(1, 10, 0, 10), D(1, 20, 30), R(1, 10, 40, 50), R(1, kNoVersion, 60, 70)});
  EXPECT_EQ(c.CheckStaleReads().stale_reads, 1u);
}

TEST(ConsistencyChecker, UnacknowledgedWritesAreUndecided) {
  ConsistencyChecker c;
  // Reading an unacknowledged write is never stale; an unacknowledged newer write does not
  // make the older one stale.
  c.Add({W(1, 10, 0, 10), W(1, 11, 20, 30, false), R(1, 10, 40, 50), R(1, 11, 60, 70)});
  EXPECT_EQ(c.CheckStaleReads().stale_reads, 0u);
}

TEST(ConsistencyChecker, UnknownVersionIsCounted) {
  ConsistencyChecker c;
  c.Add({R(2, 99, 0, 1)});
  EXPECT_EQ(c.CheckStaleReads().unknown_versions, 1u);
}

TEST(ConsistencyChecker, ExpectedStateOfDecidableKeys) {
  ConsistencyChecker c;
  c.Add({W(1, 10, 0, 10), W(1, 11, 20, 30),       // key 1 holds 11
         W(2, 20, 0, 10), D(2, 20, 30),            // key 2 is absent
         W(3, 30, 0, 10), W(3, 31, 5, 15),         // key 3: last write overlapped: undecidable
         W(4, 40, 0, 10, false), W(4, 41, 20, 30)});  // key 4: an undecided write before
  auto st = c.ExpectedState();
  EXPECT_EQ(st.at(1), 11u);
  EXPECT_EQ(st.at(2), kNoVersion);
  EXPECT_EQ(st.count(3), 0u);
  EXPECT_EQ(st.count(4), 0u);
}

TEST(OpLog, VersionedValuesAndFilesRoundTrip) {
  uint64_t v = MakeVersion(3, 12345);
  std::string value = VersionedValue(v, 1024);
  EXPECT_EQ(value.size(), 1024u);
  EXPECT_EQ(VersionOf(value), v);
  EXPECT_EQ(VersionOf("garbage"), kNoVersion);
  std::string path = ::testing::TempDir() + "/oplog.bin";
  std::vector<OpRecord> in = {W(1, v, 5, 6), R(2, kNoVersion, 7, 8)};
  ASSERT_TRUE(WriteOpLog(path, in).ok());
  std::vector<OpRecord> out;
  ASSERT_TRUE(ReadOpLog(path, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].version, v);
  EXPECT_EQ(out[1].begin_ns, 7);
}

}  // namespace
}  // namespace mcscale
