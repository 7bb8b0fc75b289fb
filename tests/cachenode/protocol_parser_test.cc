// ProtocolParser on byte buffers: framing, tokens, validation and the error each bad input
// gets, with no socket involved.
#include "cachenode/protocol_parser.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mcscale {
namespace {

// The input and the request stay together on the heap: the request's views point into both.
struct Parsed {
  ProtocolParser::Status status;
  size_t consumed = 0;
  std::string input;
  Request req;
};

std::unique_ptr<Parsed> Parse(const std::string& input, size_t item_max = 1 << 20) {
  ProtocolParser parser(item_max);
  auto p = std::make_unique<Parsed>();
  p->input = input;
  p->status = parser.Parse(p->input.data(), p->input.size(), &p->req, &p->consumed);
  return p;
}

using S = ProtocolParser::Status;

TEST(ProtocolParser, NeedsAWholeLine) {
  EXPECT_EQ(Parse("")->status, S::kNeedMore);
  EXPECT_EQ(Parse("get fo")->status, S::kNeedMore);
  auto p = Parse("get foo\r\nget bar\r\n");
  ASSERT_EQ(p->status, S::kRequest);
  EXPECT_EQ(p->consumed, 9u);
  EXPECT_EQ(p->req.command, Command::kGet);
  EXPECT_EQ(p->req.keys, "foo");
  // A bare \n ends a line too.
  EXPECT_EQ(Parse("get foo\n")->consumed, 8u);
}

TEST(ProtocolParser, FramesAStoreWithItsDataBlock) {
  auto p = Parse("set k 5 100 3\r\nab");
  EXPECT_EQ(p->status, S::kNeedMore);
  EXPECT_EQ(p->consumed, 20u);  // the whole request's size
  p = Parse("set k 5 100 3\r\nabc\r\nget k\r\n");
  ASSERT_EQ(p->status, S::kRequest);
  EXPECT_EQ(p->consumed, 20u);
  EXPECT_EQ(p->req.command, Command::kSet);
  EXPECT_EQ(p->req.key, "k");
  EXPECT_EQ(p->req.data, "abc");
  EXPECT_EQ(p->req.flags, 5u);
  EXPECT_EQ(p->req.exptime, 100);
  EXPECT_FALSE(p->req.noreply);
  p = Parse("cas k 0 0 1 77 noreply\r\nx\r\n");
  EXPECT_EQ(p->req.command, Command::kCas);
  EXPECT_EQ(p->req.number, 77u);
  EXPECT_TRUE(p->req.noreply);
}

TEST(ProtocolParser, BadStoresGetMemcachedsErrors) {
  auto p = Parse("set k 0 0 2\r\nabc\r\n");
  EXPECT_STREQ(p->req.error, "CLIENT_ERROR bad data chunk");
  EXPECT_EQ(p->consumed, 17u);  // line + 2 + 2: the rest is parsed as a new command
  EXPECT_STREQ(Parse("set k 0 0 -1\r\n")->req.error, "CLIENT_ERROR bad command line format");
  EXPECT_EQ(Parse("set k 0 0 -1\r\n")->consumed, 14u);
  EXPECT_STREQ(Parse("set k x 0 1\r\nx\r\n")->req.error, "CLIENT_ERROR bad command line format");
  EXPECT_STREQ(Parse("set k 0 0\r\n")->req.error, "ERROR");
  EXPECT_STREQ(Parse("set " + std::string(251, 'k') + " 0 0 1\r\nx\r\n")->req.error,
               "CLIENT_ERROR bad command line format");
  EXPECT_EQ(Parse("set " + std::string(250, 'k') + " 0 0 1\r\nx\r\n")->req.error, nullptr);
  // Too large: refused at once, the data block is swallowed, not buffered.
  p = Parse("set k 0 0 2000000\r\n");
  EXPECT_EQ(p->status, S::kRequest);
  EXPECT_TRUE(p->req.too_large);
  EXPECT_EQ(p->req.swallow, 2000002u);
  EXPECT_TRUE(Parse("set k 0 0 1000\r\n", 1000)->req.too_large);
  EXPECT_FALSE(Parse("set k 0 0 940\r\n", 1000)->req.too_large);
}

TEST(ProtocolParser, NumbersFollowSafeStrto) {
  uint64_t u64;
  uint32_t u32;
  int32_t i32;
  EXPECT_TRUE(ParseProtocolU64("18446744073709551615", &u64));
  EXPECT_EQ(u64, 18446744073709551615ull);
  EXPECT_FALSE(ParseProtocolU64("18446744073709551616", &u64));
  EXPECT_FALSE(ParseProtocolU64("-1", &u64));
  EXPECT_FALSE(ParseProtocolU64("12x", &u64));
  EXPECT_FALSE(ParseProtocolU64("", &u64));
  EXPECT_TRUE(ParseProtocolU64("12\t", &u64));
  EXPECT_TRUE(ParseProtocolU32("4294967296", &u32));
  EXPECT_EQ(u32, 0u);  // truncated, as memcached does
  EXPECT_TRUE(ParseProtocolI32("-5", &i32));
  EXPECT_EQ(i32, -5);
  EXPECT_TRUE(ParseProtocolI32("4294967297", &i32));
  EXPECT_EQ(i32, 1);
}

TEST(ProtocolParser, TokensAndNoreply) {
  auto p = Parse("delete k noreply\r\n");
  EXPECT_EQ(p->req.command, Command::kDelete);
  EXPECT_TRUE(p->req.noreply);
  EXPECT_STREQ(Parse("delete k 5\r\n")->req.error,
               "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]");
  EXPECT_EQ(Parse("delete k 0\r\n")->req.error, nullptr);
  EXPECT_STREQ(Parse("incr k x\r\n")->req.error, "CLIENT_ERROR invalid numeric delta argument");
  EXPECT_STREQ(Parse("touch k x\r\n")->req.error, "CLIENT_ERROR invalid exptime argument");
  EXPECT_STREQ(Parse("bogus\r\n")->req.error, "ERROR");
  EXPECT_STREQ(Parse("\r\n")->req.error, "ERROR");
  EXPECT_STREQ(Parse("cache_memlimit 7\r\n")->req.error, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m");
  EXPECT_EQ(Parse("cache_memlimit 8\r\n")->req.number, 8u);
  EXPECT_EQ(Parse("eviction_policy random\r\n")->req.command, Command::kEvictionPolicy);
  EXPECT_EQ(Parse("lru_crawler metadump hash\r\n")->req.command, Command::kLruCrawlerMetadump);
}

TEST(ProtocolParser, MultiGetBeyondTheTokenLimit) {
  std::string line = "get";
  for (int i = 0; i < 100; ++i) line += " k" + std::to_string(i);
  auto p = Parse(line + "\r\n");
  ASSERT_EQ(p->req.command, Command::kGet);
  EXPECT_EQ(p->req.ntokens, kMaxTokens);
  EXPECT_EQ(p->req.keys, line.substr(4));
  EXPECT_STREQ(Parse("get a " + std::string(251, 'b') + "\r\n")->req.error, "CLIENT_ERROR bad command line format");
  auto gat = Parse("gat 10 a b\r\n");
  EXPECT_EQ(gat->req.exptime, 10);
  EXPECT_EQ(gat->req.keys, "a b");
}

TEST(ProtocolParser, LongLinesWithoutNewlineClose) {
  EXPECT_EQ(Parse(std::string(2049, 'x'))->status, S::kClose);
  EXPECT_EQ(Parse(std::string(2048, 'x'))->status, S::kNeedMore);
  EXPECT_EQ(Parse("get " + std::string(5000, 'k'))->status, S::kNeedMore);  // a large multi-get may
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\n")->status, S::kClose);
}

TEST(ProtocolParser, MetaCommands) {
  auto p = Parse("mg key v f t k Oabc q\r\n");
  ASSERT_EQ(p->req.command, Command::kMetaGet);
  EXPECT_TRUE(p->req.meta.Has('v'));
  EXPECT_TRUE(p->req.meta.Has('q'));
  EXPECT_TRUE(p->req.noreply);
  EXPECT_FALSE(p->req.meta.Has('s'));
  EXPECT_STREQ(Parse("mg key v v\r\n")->req.error, "CLIENT_ERROR duplicate flag");
  EXPECT_STREQ(Parse("mg key x\r\n")->req.error, "CLIENT_ERROR invalid flag");
  EXPECT_STREQ(Parse("md key x\r\n")->req.error, "CLIENT_ERROR invalid or duplicate flag");
  EXPECT_STREQ(Parse("mg key O" + std::string(40, 'o') + "\r\n")->req.error, "CLIENT_ERROR opaque token too long");

  p = Parse("ms key 3 T10 F7 MA C99 I\r\nabc\r\n");
  ASSERT_EQ(p->req.command, Command::kMetaSet);
  EXPECT_EQ(p->req.data, "abc");
  EXPECT_EQ(p->req.meta.ttl, 10);
  EXPECT_EQ(p->req.flags, 7u);
  EXPECT_EQ(p->req.meta.mode, 'A');
  EXPECT_EQ(p->req.meta.compare_cas, 99u);
  // An ms error after the length swallows the data block.
  p = Parse("ms key 3 MZ\r\nabc\r\n");
  EXPECT_STREQ(p->req.error, "CLIENT_ERROR invalid mode for ms M token");
  EXPECT_EQ(p->req.swallow, 5u);
  EXPECT_STREQ(Parse("ms key\r\n")->req.error, "CLIENT_ERROR bad command line format");

  p = Parse("ma key MD D5 J3 N0\r\n");
  EXPECT_EQ(p->req.command, Command::kMetaArithmetic);
  EXPECT_EQ(p->req.meta.delta, 5u);
  EXPECT_EQ(p->req.meta.initial, 3u);
  EXPECT_STREQ(Parse("ma key MX\r\n")->req.error, "CLIENT_ERROR invalid mode for ma M token");

  // Base64 keys are decoded into the request.
  p = Parse("mg Zm9vYmFy b v\r\n");
  EXPECT_EQ(p->req.key, "foobar");
  EXPECT_STREQ(Parse("mg !!!! b v\r\n")->req.error, "CLIENT_ERROR error decoding key");
  EXPECT_EQ(Parse("mn\r\n")->req.command, Command::kMetaNoop);
}

TEST(ProtocolParser, Base64RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                       std::string("\0\x01\xff", 3)}) {
    std::string enc;
    Base64Append(s, &enc);
    char buf[64];
    EXPECT_EQ(Base64Decode(enc, buf, sizeof(buf)), s.size());
    if (!s.empty()) {
      EXPECT_EQ(std::string(buf, s.size()), s);
    }
  }
  std::string enc;
  Base64Append("foobar", &enc);
  EXPECT_EQ(enc, "Zm9vYmFy");
}

}  // namespace
}  // namespace mcscale
