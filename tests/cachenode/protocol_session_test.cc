// ProtocolSession + CommandHandler without sockets: replies do not depend on how the input
// is cut into reads, and refused data blocks are swallowed across reads.
#include "cachenode/protocol_session.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "common/clock.h"

namespace mcscale {
namespace {

class Session {
 public:
  Session() : context_(NodeSettings(), StorageOptions{64u << 20, 1u << 20, EvictionPolicy::kLru, &clock_, 16}),
              handler_(&context_), session_(&parser_, &handler_) {}

  // Feeds `input` in pieces of the given sizes; returns all replies.
  std::string Feed(const std::string& input, const std::vector<size_t>& cuts, bool* closed = nullptr) {
    std::string buffered, out;
    size_t pos = 0;
    bool close = false;
    for (size_t i = 0; pos < input.size(); ++i) {
      size_t n = i < cuts.size() ? cuts[i] : input.size() - pos;
      buffered += input.substr(pos, n);
      pos += std::min(n, input.size() - pos);
      size_t used = session_.Process(buffered.data(), buffered.size(), &out, &close);
      buffered.erase(0, used);
      if (close) break;
    }
    if (closed) *closed = close;
    return out;
  }

  FakeClock clock_;
  NodeContext context_;
  ProtocolParser parser_;
  CommandHandler handler_;
  ProtocolSession session_;
};

const char kScript[] =
    "set a 1 0 3\r\nabc\r\nget a b\r\nappend a 0 0 2\r\nde\r\ngets a\r\n"
    "set n 0 0 1\r\n7\r\nincr n 5\r\ndecr n 100\r\nset big 0 0 1048600\r\n";

TEST(ProtocolSession, RepliesDoNotDependOnReadBoundaries) {
  std::string input = kScript + std::string(1048600, 'x') + "\r\nget big a\r\nms m 2 T0 F3\r\nhi\r\nmg m v f s\r\n" +
                      "mn\r\nbogus\r\nquit\r\nget a\r\n";
  std::string reference;
  {
    Session s;
    bool closed = false;
    reference = s.Feed(input, {}, &closed);
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(reference,
            "STORED\r\nVALUE a 1 3\r\nabc\r\nEND\r\nSTORED\r\nVALUE a 1 5 2\r\nabcde\r\nEND\r\n"
            "STORED\r\n12\r\n0\r\nSERVER_ERROR object too large for cache\r\nVALUE a 1 5\r\nabcde\r\nEND\r\n"
            "HD\r\nVA 2 f3 s2\r\nhi\r\nMN\r\nERROR\r\n");
  std::mt19937 rng(1);
  for (int round = 0; round < 30; ++round) {
    std::vector<size_t> cuts;
    for (size_t total = 0; total < input.size();) {
      size_t n = 1 + rng() % (round % 3 == 0 ? 7 : 70000);
      cuts.push_back(n);
      total += n;
    }
    Session s;
    EXPECT_EQ(s.Feed(input, cuts), reference) << "round " << round;
  }
}

TEST(ProtocolSession, StatsSettingsShowThePolicy) {
  Session s;
  std::string out = s.Feed("stats settings\r\neviction_policy random\r\nstats settings\r\n", {});
  EXPECT_NE(out.find("STAT eviction_policy lru\r\n"), std::string::npos);
  EXPECT_NE(out.find("OK\r\n"), std::string::npos);
  EXPECT_NE(out.find("STAT eviction_policy random\r\n"), std::string::npos);
  EXPECT_EQ(s.context_.storage().policy(), EvictionPolicy::kRandom);
  EXPECT_EQ(s.Feed("eviction_policy mru\r\n", {}), "CLIENT_ERROR unknown policy\r\n");
  EXPECT_EQ(s.Feed("cache_memlimit 16\r\n", {}), "OK\r\n");
  EXPECT_EQ(s.context_.storage().memory_limit(), 16u << 20);
}

TEST(ProtocolSession, MetadumpListsEveryKeyUrlEncoded) {
  Session s;
  s.Feed("set a:b 0 0 1\r\nx\r\nset c 0 100 1\r\ny\r\nget c\r\n", {});
  std::string out = s.Feed("lru_crawler metadump hash\r\n", {});
  const int64_t now = s.clock_.NowMs() / 1000;
  EXPECT_NE(out.find("key=a%3Ab exp=-1 la=" + std::to_string(now) + " cas=1 fetch=no cls=1 size=63\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("key=c exp=" + std::to_string(now + 100) + " la=" + std::to_string(now) +
                     " cas=2 fetch=yes cls=1 size=61\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 5), "END\r\n");
}

}  // namespace
}  // namespace mcscale
