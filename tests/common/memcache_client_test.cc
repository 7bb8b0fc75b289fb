// Unit tests of the memcached client's pure parts: key rules, URL decoding of metadump keys
// and the parsers of metadump lines and meta replies (no sockets).
#include "common/memcache_client.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

TEST(MemcacheClient, UrlDecodeDecodesPercentEscapes) {
  EXPECT_EQ(UrlDecode("plain"), "plain");
  EXPECT_EQ(UrlDecode("a%3Ab"), "a:b");
  EXPECT_EQ(UrlDecode("a%3ab"), "a:b");
  EXPECT_EQ(UrlDecode("100%25"), "100%");
  EXPECT_EQ(UrlDecode("%25%32%35"), "%25");  // decoded once, not twice
  EXPECT_EQ(UrlDecode("caf%C3%A9"), "caf\xC3\xA9");
  EXPECT_EQ(UrlDecode("a+b"), "a+b");  // memcached encodes '+' as %2B; '+' is no space here
  EXPECT_EQ(UrlDecode("%2B%20%2F%3F%26%3D%23"), "+ /?&=#");
  EXPECT_EQ(UrlDecode(""), "");
}

TEST(MemcacheClient, UrlDecodeKeepsMalformedEscapes) {
  EXPECT_EQ(UrlDecode("%"), "%");
  EXPECT_EQ(UrlDecode("a%"), "a%");
  EXPECT_EQ(UrlDecode("a%4"), "a%4");
  EXPECT_EQ(UrlDecode("a%zz"), "a%zz");
  EXPECT_EQ(UrlDecode("%4g%41"), "%4gA");
}

TEST(MemcacheClient, ValidCacheKeyFollowsMemcachedRules) {
  EXPECT_TRUE(ValidCacheKey("a"));
  EXPECT_TRUE(ValidCacheKey("user:42"));
  EXPECT_TRUE(ValidCacheKey("100%"));
  EXPECT_TRUE(ValidCacheKey("caf\xC3\xA9"));  // bytes >= 0x80 are allowed
  EXPECT_TRUE(ValidCacheKey(std::string(250, 'k')));
  EXPECT_FALSE(ValidCacheKey(""));
  EXPECT_FALSE(ValidCacheKey(std::string(251, 'k')));
  EXPECT_FALSE(ValidCacheKey("a b"));
  EXPECT_FALSE(ValidCacheKey("a\tb"));
  EXPECT_FALSE(ValidCacheKey("a\r\nb"));
  EXPECT_FALSE(ValidCacheKey("a\nb"));
  EXPECT_FALSE(ValidCacheKey(std::string("a\0b", 3)));
  EXPECT_FALSE(ValidCacheKey("a\x7f"));
  EXPECT_FALSE(ValidCacheKey("\x01"));
}

TEST(MemcacheClient, ParseMetadumpLineReadsEveryKnownField) {
  auto e = ParseMetadumpLine("key=foo%3Abar exp=-1 la=1700000000 cas=5 fetch=no cls=1 size=63");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->key, "foo:bar");
  EXPECT_EQ(e->exp, -1);
  EXPECT_EQ(e->la, 1700000000);
  EXPECT_EQ(e->cas, 5u);
  EXPECT_FALSE(e->fetched);
  EXPECT_EQ(e->cls, 1);
  EXPECT_EQ(e->size, 63);

  auto f = ParseMetadumpLine("key=k exp=1795340946 la=1795340937 cas=2 fetch=yes cls=12 size=68");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->fetched);
  EXPECT_EQ(f->exp, 1795340946);
  EXPECT_EQ(f->cls, 12);
}

TEST(MemcacheClient, ParseMetadumpLineIgnoresUnknownFields) {
  auto e = ParseMetadumpLine("key=a%25b exp=-1 la=1 cas=3 fetch=no cls=1 size=60 flags=7 newfield=x%20y");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->key, "a%b");
  auto only_key = ParseMetadumpLine("key=x");
  ASSERT_TRUE(only_key.ok());
  EXPECT_EQ(only_key->key, "x");
}

TEST(MemcacheClient, ParseMetadumpLineRejectsMalformedLines) {
  for (const char* bad : {"", "exp=-1 la=1", "key= exp=-1", "key=a exp=soon", "key=a cas=-1",
                          "key=a fetch=maybe", "key=a size=", "key=a junk", "key=a =1", "END",
                          "key=a la=12x"}) {
    auto e = ParseMetadumpLine(bad);
    EXPECT_FALSE(e.ok()) << "'" << bad << "' was accepted";
    if (!e.ok()) {
      EXPECT_EQ(e.status().code(), Status::Code::kProtocol) << bad;
    }
  }
  EXPECT_NE(ParseMetadumpLine("key=a exp=soon").status().message().find("exp"), std::string::npos);
}

TEST(MemcacheClient, ParseMetaReplyLineReadsCodeLengthAndFlags) {
  size_t len = 99;
  auto va = ParseMetaReplyLine("VA 5 f0 t-1", &len);
  ASSERT_TRUE(va.ok()) << va.status().ToString();
  EXPECT_EQ(va->code, "VA");
  EXPECT_EQ(len, 5u);
  EXPECT_EQ(va->flags.at('f'), "0");
  EXPECT_EQ(va->flags.at('t'), "-1");
  EXPECT_FALSE(va->value.has_value());

  auto hd = ParseMetaReplyLine("HD c123", &len);
  ASSERT_TRUE(hd.ok());
  EXPECT_EQ(hd->code, "HD");
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(hd->flags.at('c'), "123");

  for (const char* code : {"EN", "NS", "EX", "NF", "MN", "HD"}) {
    auto r = ParseMetaReplyLine(code, &len);
    ASSERT_TRUE(r.ok()) << code;
    EXPECT_EQ(r->code, code);
    EXPECT_TRUE(r->flags.empty());
  }
  auto va0 = ParseMetaReplyLine("VA 0", &len);
  ASSERT_TRUE(va0.ok());
  EXPECT_EQ(len, 0u);
}

TEST(MemcacheClient, ParseMetaReplyLineRejectsErrorsAndGarbage) {
  size_t len = 0;
  for (const char* bad : {"", "ERROR", "CLIENT_ERROR bad command line format", "SERVER_ERROR out of memory",
                          "VA", "VA x f0", "VA -1", "ZZ", "STORED", "H"}) {
    auto r = ParseMetaReplyLine(bad, &len);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' was accepted";
  }
}

}  // namespace
}  // namespace mcscale
