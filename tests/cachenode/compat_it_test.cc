// The compatibility suite: the same protocol cases go to stock memcached 1.6.18 and to
// mcscale-node in the same test, and the replies must be the same bytes. Values that
// legitimately differ (cas values, times, pid, uptime) are masked or compared field by field.
#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/memcache_client.h"
#include "tests/cachenode/node_fixture.h"

namespace mcscale::testing {
namespace {

// Masks what may differ between two correct servers: cas values, remaining TTLs and
// access ages (a second may tick between two servers), metadump times.
std::string Normalize(const std::string& reply) {
  static const std::regex kGetsCas(R"((VALUE \S+ \d+ \d+) \d+\r\n)");
  static const std::regex kMetaCas(R"(( c)\d+)");
  static const std::regex kMetaTtl(R"(( t)\d+)");
  static const std::regex kMetaAge(R"(( l)\d+)");
  static const std::regex kDumpTimes(R"((exp=)\d+( la=)\d+( cas=)\d+)");
  static const std::regex kDumpNoExp(R"((exp=-1 la=)\d+( cas=)\d+)");
  std::string s = std::regex_replace(reply, kGetsCas, "$1 CAS\r\n");
  s = std::regex_replace(s, kMetaCas, "$1CAS");
  s = std::regex_replace(s, kMetaTtl, "$1TTL");
  s = std::regex_replace(s, kMetaAge, "$1AGE");
  s = std::regex_replace(s, kDumpTimes, "$1T$2T$3CAS");
  s = std::regex_replace(s, kDumpNoExp, "$1T$2CAS");
  return s;
}

std::string Printable(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 600)) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n\n";
    else if (static_cast<unsigned char>(c) < 32) out += "\\x" + std::to_string(static_cast<unsigned char>(c));
    else out += c;
  }
  if (s.size() > 600) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

class CompatTest : public ::testing::Test {
 protected:
  CompatTest() : memcached_(64, {"-t", "2"}), node_({}, 64, 2) {}

  // Sends `request` and then an end marker (a meta delete of a missing key, whose reply
  // echoes a unique opaque) to a fresh connection; returns the normalized reply before the
  // marker's.
  static std::string Exchange(uint16_t port, const std::string& request) {
    static const std::string kMarker = "md compat_end_marker Ocompatend\r\n";
    static const std::string kMarkerReply = "NF Ocompatend\r\n";
    RawConnection conn(port);
    EXPECT_TRUE(conn.ok());
    conn.Send(request + kMarker);
    std::string got = conn.ReadUntil(kMarkerReply, 20000);
    bool ended = got.size() >= kMarkerReply.size() &&
                 got.compare(got.size() - kMarkerReply.size(), kMarkerReply.size(), kMarkerReply) == 0;
    EXPECT_TRUE(ended) << "no end marker after: " << Printable(request) << "\ngot: " << Printable(got);
    if (ended) got.resize(got.size() - kMarkerReply.size());
    return Normalize(got);
  }

  // Both servers must answer `request` with the same (normalized) bytes.
  void ExpectSame(const std::string& request) {
    std::string want = Exchange(memcached_.port(), request);
    std::string got = Exchange(node_.port(), request);
    EXPECT_EQ(want, got) << "request: " << Printable(request) << "\nmemcached: " << Printable(want)
                         << "\nmcscale-node: " << Printable(got);
  }

  MemcachedServer memcached_;
  NodeProcess node_;
};

// Every case goes to both servers in order, on fresh connections; state carries over from
// case to case on both alike.
TEST_F(CompatTest, ProtocolCasesMatchMemcached) {
  const std::vector<std::string> cases = {
    {"set a 0 0 1\r\nx\r\nget a\r\n"},
    {"set a 0 0 -1\r\nx\r\n"},
    {"set a 0 0 2\r\nxyz\r\nget a\r\n"},
    {"set a\x01" "b 0 0 1\r\nx\r\nget a\x01" "b\r\n"},
    {"foo\r\n"},
    {"\r\n"},
    {"set a 0 0\r\n"},
    {"get\r\n"},
    {"incr a 1\r\n"},
    {"set n 0 0 2\r\n10\r\nincr n 18446744073709551615\r\n"},
    {"set n 0 0 20\r\n18446744073709551615\r\nincr n 1\r\nget n\r\n"},
    {"decr n 100\r\n"},
    {"incr n abc\r\n"},
    {"incr n -1\r\n"},
    {"delete a 0\r\n"},
    {"delete a 1\r\n"},
    {"delete a noreply\r\n"},
    {"touch a 10\r\n"},
    {"gat 10 a\r\n"},
    {"gats 10 a n\r\n"},
    {"cas a 0 0 1 99\r\nz\r\n"},
    {"cas zz 0 0 1 99\r\nz\r\n"},
    {"verbosity 1\r\n"},
    {"verbosity\r\n"},
    {"flush_all abc\r\n"},
    {"cache_memlimit 4\r\n"},
    {"cache_memlimit 64\r\n"},
    {"mn\r\n"},
    {"ms m1 3 T0 F5\r\nabc\r\nmg m1 v f t s k\r\n"},
    {"mg m1\r\n"},
    {"mg nokey v\r\n"},
    {"mg nokey v q\r\nmn\r\n"},
    {"mg m1 k O123 q v\r\nmn\r\n"},
    {"ms m2 2\r\nhi\r\n"},
    {"ms m2 2 MA\r\nyo\r\nmg m2 v\r\n"},
    {"ms m3 2 ME\r\nyo\r\nms m3 2 ME\r\nyo\r\n"},
    {"ms m3 2 MZ\r\nyo\r\n"},
    {"ms m3 2 C1\r\nyo\r\n"},
    {"ms m4 2 MR\r\nyo\r\n"},
    {"ms m3 2 I\r\nyo\r\n"},
    {"md m3\r\nmd m3\r\nmd m3 q\r\nmn\r\n"},
    {"ms m5 2 T100\r\nhi\r\nmg m5 t v\r\n"},
    {"ma cnt\r\n"},
    {"ma cnt N0 J10 v\r\nma cnt v\r\nma cnt MD D5 v\r\n"},
    {"ma cnt MI D2 v t\r\n"},
    {"ms m6 2\r\nab\r\nma m6\r\n"},
    {"mg m1 v E55\r\n"},
    {"ms m7 2 E999 c\r\nzz\r\nmg m7 v\r\n"},
    {"mg m7 x\r\n"},
    {"mg\r\n"},
    {"ms m8\r\n"},
    {"ms m8 abc\r\n"},
    {"ms m8 2 F\r\nxx\r\n"},
    {"ms m8 2 Fabc\r\nxx\r\n"},
    {"mg m7 N30 v\r\nmg newv N30 v t\r\nmg newv v\r\n"},
    {"md newv I T30\r\nmg newv v\r\n"},
    {"mg newv v\r\n"},
    {"ms m9 2 b\r\nxx\r\n"},
    {"ms bTE= 2 b\r\nxx\r\nmg bTE= b k v\r\n"},
    {"md m1 C1\r\n"},
    {"md nokey\r\nmd nokey q\r\nmn\r\n"},
    {"ms mq 2 q\r\nxx\r\nmn\r\n"},
    {"ms m1 2 S2\r\nxx\r\n"},
    {"mg m1 s v f\r\n"},
    {"mn extra\r\n"},
    {"ma nonum N0 q\r\nmn\r\n"},
    {"mg m1 v v\r\n"},
    {"mg m1 zz\r\n"},
    {"ms m1 2 T-1\r\nxx\r\nmg m1 v\r\n"},
    {"set a 0 0 -1 noreply\r\nx\r\n"},
    {"incr a 1 noreply\r\nmn\r\n"},
    {"touch a abc\r\n"},
    {"touch a 10 noreply\r\nmn\r\n"},
    {"set a 0 0 5\r\nhello\r\nappend a 0 0 3\r\nabc\r\nprepend a 0 0 3\r\nxyz\r\nget a\r\nappend zz 0 0 1\r\nx\r\n"},
    {"add a 0 0 1\r\nx\r\nreplace zz 0 0 1\r\nx\r\nreplace a 5 0 1\r\ny\r\nget a\r\n"},
    {"cas a 0 0 1 abc\r\nx\r\n"},
    {"cas a 0 0 1\r\nx\r\n"},
    {"set a abc 0 1\r\nx\r\n"},
    {"set a 4294967296 0 1\r\nx\r\n"},
    {"set a 4294967295 0 1\r\nx\r\nget a\r\n"},
    {"set a -1 0 1\r\nx\r\n"},
    {"set a 0 abc 1\r\nx\r\n"},
    {"set a 0 0 1 extra\r\nx\r\n"},
    {"set a 0 -1 1\r\nx\r\nget a\r\n"},
    {"get a b c\r\n"},
    {"gets\r\n"},
    {"gat\r\n"},
    {"gat 10\r\n"},
    {"gat abc a\r\n"},
    {"incr\r\n"},
    {"incr a\r\n"},
    {"delete\r\n"},
    {"delete a b c d\r\n"},
    {"delete a 0 noreply\r\nmn\r\n"},
    {"flush_all 0\r\n"},
    {"flush_all 1 2\r\n"},
    {"flush_all -1\r\n"},
    {"verbosity abc\r\n"},
    {"verbosity 1 noreply\r\nmn\r\n"},
    {"verbosity 1 2 3\r\n"},
    {"  get   a  \r\n"},
    {"get a\n"},
    {"GET a\r\n"},
    {"lru_crawler metadump\r\n"},
    {"lru_crawler metadump foo\r\n"},
    {"lru_crawler\r\n"},
    {"lru_crawler foo\r\n"},
    {"cache_memlimit\r\n"},
    {"cache_memlimit abc\r\n"},
    {"cache_memlimit 8 noreply\r\nmn\r\n"},
    {"cache_memlimit 64 x y\r\n"},
    {"cache_memlimit 2000000000\r\n"},
    {"incr a 1 2\r\n"},
    {"mz\r\n"},
    {"m\r\n"},
    {"me\r\n"},
    {"me a b c\r\n"},
    {"set a 0 0 4294967297\r\nx\r\n"},
    {"set a 0 0 +1\r\nx\r\n"},
    {"set a 0 0 1\x09\r\nx\r\n"},
    {"touch a 99999999999\r\n"},
    {"md a zz\r\n"},
    {"ma a zz\r\n"},
    {"ma a MX\r\n"},
    {"ms a 1 MEE\r\nx\r\n"},
    {"mg a a a a a a a a a a a a a a a a a a a a a a a a a \r\n"},
  };
  ASSERT_GE(cases.size(), 80u);
  for (const std::string& c : cases) ExpectSame(c);
}

TEST_F(CompatTest, NoreplyVariantsMatch) {
  for (const std::string& c : std::vector<std::string>{
           "set nr 0 0 1 noreply\r\na\r\nget nr\r\n", "add nr 0 0 1 noreply\r\nb\r\nget nr\r\n",
           "replace nr 0 0 1 noreply\r\nc\r\nget nr\r\n", "append nr 0 0 1 noreply\r\nd\r\nget nr\r\n",
           "prepend nr 0 0 1 noreply\r\ne\r\nget nr\r\n", "cas nr 0 0 1 1 noreply\r\nf\r\nget nr\r\n",
           "set nrn 0 0 1\r\n5\r\nincr nrn 3 noreply\r\ndecr nrn 1 noreply\r\nget nrn\r\n",
           "touch nr 100 noreply\r\ndelete nr noreply\r\nget nr\r\n", "flush_all noreply\r\nget nrn\r\n",
           "set nr 0 0 2 noreply\r\nabc\r\n", "verbosity 0 noreply\r\n"}) {
    ExpectSame(c);
  }
}

TEST_F(CompatTest, MultiGetOfHundredKeysMatches) {
  std::string sets, get = "get", gets = "gets";
  for (int i = 0; i < 100; ++i) {
    std::string k = "multi" + std::to_string(i);
    if (i % 3 != 0) sets += "set " + k + " " + std::to_string(i) + " 0 " + std::to_string(k.size()) + "\r\n" + k + "\r\n";
    get += " " + k;
    gets += " " + k;
  }
  ExpectSame(sets);
  ExpectSame(get + "\r\n");
  ExpectSame(gets + "\r\n");
  ExpectSame(get + " missing " + get.substr(4) + "\r\n");  // duplicates and a miss
}

TEST_F(CompatTest, LargeValuesMatch) {
  const std::string v20k(20 * 1024, 'z');
  ExpectSame("set v20k 3 0 " + std::to_string(v20k.size()) + "\r\n" + v20k + "\r\nget v20k\r\n");
  // The largest value that fits under -I 1m with a 4-byte key, and one byte more.
  const size_t fits = (1u << 20) - 59 - 4;
  const std::string big(fits, 'b');
  ExpectSame("set big1 0 0 " + std::to_string(big.size()) + "\r\n" + big + "\r\nget big1\r\n");
  ExpectSame("set big1 0 0 " + std::to_string(big.size() + 1) + "\r\n" + big + "b\r\nget big1\r\n");
  const std::string mb(1u << 20, 'm');
  ExpectSame("set big2 0 0 1048576\r\n" + mb + "\r\nget big2\r\n");
  ExpectSame("set big3 0 0 2097152\r\n" + mb + mb + "\r\nget big3\r\n");
  ExpectSame("ms big4 " + std::to_string(mb.size()) + " T0\r\n" + mb + "\r\nmg big4 s\r\n");
  // Appending past the item limit is refused, the old value stays.
  const std::string half(600000, 'h');
  ExpectSame("set big5 0 0 600000\r\n" + half + "\r\nappend big5 0 0 600000\r\n" + half + "\r\nmg big5 s\r\n" +
             "ms big5 600000 MA\r\n" + half + "\r\nmg big5 s\r\n");
}

TEST_F(CompatTest, PipelinedCommandsInOneWriteMatch) {
  std::string batch;
  for (int i = 0; i < 50; ++i) {
    std::string k = "pipe" + std::to_string(i % 7);
    batch += "set " + k + " 0 0 2\r\nv" + std::to_string(i % 10) + "\r\n";
    batch += "get " + k + " pipe" + std::to_string((i + 3) % 7) + "\r\n";
    batch += "incr " + k + " 1\r\n";
    batch += "delete pipe" + std::to_string((i + 5) % 7) + "\r\n";
    batch += "mg " + k + " v f k\r\n";
  }
  ExpectSame(batch);
}

TEST_F(CompatTest, SplitPacketsMatch) {
  const std::string request =
      "set split 5 0 10\r\n0123456789\r\nget split\r\nms split2 3 F7 T0\r\nabc\r\nmg split2 v f\r\n"
      "gets split split2\r\nincr nosuch 1\r\n";
  std::string want = Exchange(memcached_.port(), request);
  // mcscale-node gets the same bytes one or a few at a time.
  for (size_t step : {1u, 3u, 7u}) {
    RawConnection conn(node_.port());
    ASSERT_TRUE(conn.ok());
    std::string all = request + "mn\r\n";
    for (size_t i = 0; i < all.size(); i += step) conn.Send(all.substr(i, step));
    std::string got = conn.ReadUntil("MN\r\n", 20000);
    ASSERT_GE(got.size(), 4u);
    got.resize(got.size() - 4);  // the request has no mn of its own
    EXPECT_EQ(want, Normalize(got)) << "step " << step;
  }
}

TEST_F(CompatTest, ExpiryMatches) {
  ExpectSame("set ttl1 0 1 1\r\na\r\nset ttlneg 0 -1 1\r\na\r\nset ttlpast 0 1000000000 1\r\na\r\n"
             "set ttlfar 0 100000 1\r\na\r\nget ttlneg ttlpast ttlfar\r\n");
  // The 1-second item disappears on both (wait for it, no fixed sleep).
  for (uint16_t port : {memcached_.port(), node_.port()}) {
    EXPECT_TRUE(WaitUntil([&] { return Exchange(port, "get ttl1\r\n") == "END\r\n"; }, 10000, 100))
        << "port " << port;
  }
  ExpectSame("get ttl1 ttlfar\r\n");
  // touch extends, gat 0 makes it permanent (a TTL of 100 s cannot run out between
  // two commands of one write, so the replies do not depend on a second boundary).
  ExpectSame("set ttl2 0 100 1\r\nb\r\ntouch ttl2 1000\r\ngat 0 ttl2\r\nget ttl2\r\n");
  ExpectSame("get ttl2\r\n");
}

TEST_F(CompatTest, DelayedFlushMatches) {
  // A delay of 3 s takes effect 2 s later (memcached's oldest_live rule): never within this write.
  ExpectSame("set fl1 0 0 1\r\na\r\nflush_all 3\r\nget fl1\r\n");
  for (uint16_t port : {memcached_.port(), node_.port()}) {
    EXPECT_TRUE(WaitUntil([&] { return Exchange(port, "get fl1\r\n") == "END\r\n"; }, 10000, 100))
        << "port " << port;
  }
  ExpectSame("flush_all\r\nset fl2 0 0 1\r\nb\r\nget fl1 fl2\r\n");
}

TEST_F(CompatTest, QuitAndGarbageCloseLikeMemcached) {
  for (const std::string& c : std::vector<std::string>{std::string("quit\r\n"), std::string("get a\r\nquit\r\nget b\r\n"),
                              std::string(3000, 'x'), std::string("GET / HTTP/1.1\r\n")}) {
    std::string want, got;
    RawConnection a(memcached_.port()), b(node_.port());
    a.Send(c);
    b.Send(c);
    bool a_closed = a.WaitClosed(&want);
    bool b_closed = b.WaitClosed(&got);
    EXPECT_TRUE(a_closed);
    EXPECT_EQ(a_closed, b_closed) << Printable(c.substr(0, 40));
    EXPECT_EQ(want, got) << Printable(c.substr(0, 40));
  }
  // A long multi-get line arriving in pieces is fine for both.
  std::string longget = "get";
  for (int i = 0; i < 400; ++i) longget += " somewhatlongkey" + std::to_string(i);
  ExpectSame(longget + "\r\n");
}

TEST_F(CompatTest, MetadumpMatches) {
  ExpectSame("flush_all\r\nset md1 0 0 1\r\na\r\nset md:2 3 100000 2\r\nbb\r\nset md%3 0 0 3\r\nccc\r\nget md1\r\n");
  for (const std::string mode : {"hash", "all"}) {
    std::vector<std::string> lines[2];
    int i = 0;
    for (uint16_t port : {memcached_.port(), node_.port()}) {
      RawConnection conn(port);
      conn.Send("lru_crawler metadump " + mode + "\r\n");
      std::string dump = conn.ReadUntil("END\r\n", 20000);
      std::istringstream in(Normalize(dump));
      std::string line;
      while (std::getline(in, line)) lines[i].push_back(line);
      std::sort(lines[i].begin(), lines[i].end());
      ++i;
    }
    EXPECT_EQ(lines[0], lines[1]) << mode;
    EXPECT_EQ(lines[1].size(), 4u);
  }
}

// The agent's way of enumerating keys (MemcacheClient::MetadumpHash) sees the same keys,
// expiry, fetched flag and size on both servers.
TEST_F(CompatTest, MetadumpOfManyKeysMatchesThroughTheClient) {
  std::string sets;
  for (int i = 0; i < 5000; ++i) {
    // Some keys carry characters metadump must URL-encode.
    std::string k = "many:" + std::to_string(i) + (i % 7 == 0 ? "/x%" : "");
    std::string v(static_cast<size_t>(i % 50), 'v');
    sets += "set " + k + " " + std::to_string(i % 3) + " " + (i % 5 == 0 ? "100000" : "0") + " " +
            std::to_string(v.size()) + "\r\n" + v + "\r\n";
    if (i % 4 == 0) sets += "get " + k + "\r\n";
  }
  ExpectSame("flush_all\r\n" + sets);
  std::map<std::string, std::string> seen[2];
  int i = 0;
  for (uint16_t port : {memcached_.port(), node_.port()}) {
    MemcacheClient client(HostPort{"127.0.0.1", port}, 5000);
    Status st = client.MetadumpHash([&](const MetadumpEntry& e) {
      seen[i][e.key] = std::string(e.exp == -1 ? "never" : "expires") + (e.fetched ? " fetched " : " unfetched ") +
                       std::to_string(e.size);
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    ++i;
  }
  EXPECT_EQ(seen[0].size(), 5000u);
  EXPECT_EQ(seen[0], seen[1]);
}

// `stats` and `stats settings`: the same fields the agent and clients use, with the same
// counter values after the same workload; pid, time and uptime only well-formed.
TEST(CompatStatsTest, StatsFieldsMatch) {
  MemcachedServer memcached(64, {"-t", "2"});
  NodeProcess node({}, 64, 2);
  const std::string workload =
      "set s1 0 0 1\r\na\r\nset s2 0 0 1\r\n1\r\nget s1 s2 s3\r\ngets s1\r\ndelete s1\r\ndelete s1\r\n"
      "incr s2 5\r\nincr s9 1\r\ndecr s2 1\r\ndecr s9 1\r\ntouch s2 100\r\ntouch s9 100\r\n"
      "cas s2 0 0 1 1\r\nx\r\ncas s9 0 0 1 1\r\nx\r\nadd s2 0 0 1\r\nx\r\nmn\r\n";
  std::map<std::string, std::string> stats[2];
  std::vector<std::string> settings_names[2];
  int i = 0;
  for (uint16_t port : {memcached.port(), node.port()}) {
    RawConnection conn(port);
    conn.Send(workload);
    conn.ReadUntil("MN\r\n");
    conn.Send("stats\r\n");
    std::istringstream in(conn.ReadUntil("END\r\n"));
    std::string stat, name, value;
    while (in >> stat && stat == "STAT" && in >> name >> value) stats[i][name] = value;
    conn.Send("stats settings\r\n");
    std::istringstream sin(conn.ReadUntil("END\r\n"));
    while (sin >> stat && stat == "STAT" && sin >> name >> value) settings_names[i].push_back(name);
    ++i;
  }
  for (const char* same : {"cmd_get", "cmd_set", "get_hits", "get_misses", "delete_hits", "delete_misses",
                           "incr_hits", "incr_misses", "decr_hits", "decr_misses", "cas_misses", "cas_hits",
                           "cas_badval", "touch_hits", "touch_misses", "cmd_touch", "curr_items", "total_items",
                           "limit_maxbytes", "threads", "curr_connections", "evictions", "get_expired",
                           "get_flushed", "cmd_flush", "max_connections", "pointer_size"}) {
    ASSERT_TRUE(stats[0].count(same)) << same;
    ASSERT_TRUE(stats[1].count(same)) << "mcscale-node lacks " << same;
    EXPECT_EQ(stats[0][same], stats[1][same]) << same;
  }
  for (const char* numeric : {"pid", "uptime", "time", "total_connections", "bytes", "bytes_read",
                              "bytes_written", "rusage_user", "rusage_system"}) {
    ASSERT_TRUE(stats[1].count(numeric)) << numeric;
    EXPECT_TRUE(std::regex_match(stats[1][numeric], std::regex(R"(\d+(\.\d+)?)"))) << numeric;
  }
  EXPECT_NEAR(std::stoll(stats[0]["time"]), std::stoll(stats[1]["time"]), 2);
  EXPECT_EQ(stats[1]["pid"], std::to_string(node.process().pid()));
  EXPECT_EQ(stats[0]["version"].substr(0, 6), stats[1]["version"].substr(0, 6));
  for (const char* name : {"maxbytes", "maxconns", "tcpport", "verbosity", "num_threads", "item_size_max",
                           "cas_enabled", "evictions"}) {
    for (int s = 0; s < 2; ++s) {
      EXPECT_NE(std::find(settings_names[s].begin(), settings_names[s].end(), name), settings_names[s].end())
          << name << " missing on " << (s == 0 ? "memcached" : "mcscale-node");
    }
  }
  // mcscale-node alone reports (and accepts) a policy.
  EXPECT_NE(std::find(settings_names[1].begin(), settings_names[1].end(), "eviction_policy"), settings_names[1].end());
  EXPECT_EQ(std::find(settings_names[0].begin(), settings_names[0].end(), "eviction_policy"), settings_names[0].end());
  EXPECT_EQ(RawExchange(node.port(), "eviction_policy random\r\n", "\r\n"), "OK\r\n");
  EXPECT_EQ(RawExchange(node.port(), "eviction_policy fifo\r\n", "\r\n"), "CLIENT_ERROR unknown policy\r\n");
  EXPECT_NE(RawExchange(node.port(), "stats settings\r\n", "END\r\n").find("STAT eviction_policy random\r\n"),
            std::string::npos);
  EXPECT_EQ(RawExchange(memcached.port(), "eviction_policy random\r\n", "\r\n"), "ERROR\r\n");
}

}  // namespace
}  // namespace mcscale::testing
