#include "common/redis_client.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

TEST(RedisAddress, ParsesHostPortPasswordAndDb) {
  auto r = RedisAddress::Parse("redis://:s3cret@10.0.0.5:6380/2");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->host, "10.0.0.5");
  EXPECT_EQ(r->port, 6380);
  EXPECT_EQ(r->username, "");
  EXPECT_EQ(r->password, "s3cret");
  EXPECT_EQ(r->db, 2);
}

TEST(RedisAddress, DefaultsPortAndDb) {
  auto r = RedisAddress::Parse("redis://cache.example");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->host, "cache.example");
  EXPECT_EQ(r->port, 6379);
  EXPECT_EQ(r->password, "");
  EXPECT_EQ(r->db, 0);

  r = RedisAddress::Parse("redis://127.0.0.1:7000/");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->port, 7000);
  EXPECT_EQ(r->db, 0);
}

TEST(RedisAddress, ParsesUserPasswordAndEscapes) {
  auto r = RedisAddress::Parse("REDIS://alice:p%40ss%3Aw@host:1234/0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->username, "alice");
  EXPECT_EQ(r->password, "p@ss:w");
  EXPECT_EQ(r->host, "host");
  EXPECT_EQ(r->port, 1234);

  // An unescaped '@' in the password: the last '@' ends the credentials.
  r = RedisAddress::Parse("redis://:a@b@host");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->password, "a@b");
  EXPECT_EQ(r->host, "host");
}

TEST(RedisAddress, ParsesBracketedIpv6) {
  auto r = RedisAddress::Parse("redis://[::1]:6390/1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->host, "::1");
  EXPECT_EQ(r->port, 6390);
  EXPECT_EQ(r->db, 1);
  EXPECT_EQ(r->ToString(), "redis://[::1]:6390/1");

  r = RedisAddress::Parse("redis://[::1]");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->port, 6379);
}

TEST(RedisAddress, ToStringHidesThePassword) {
  auto r = RedisAddress::Parse("redis://bob:hunter2@127.0.0.1:6379/3");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ToString(), "redis://bob@127.0.0.1:6379/3");
  r = RedisAddress::Parse("redis://:hunter2@127.0.0.1:6379");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ToString(), "redis://127.0.0.1:6379");
  // ToString parses back to the same place.
  auto again = RedisAddress::Parse(r->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->host, r->host);
  EXPECT_EQ(again->port, r->port);
  EXPECT_EQ(again->db, r->db);
}

// Each bad URL with a word its error must contain (the field that is wrong).
TEST(RedisAddress, RejectsBadUrlsNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "scheme"},
      {"127.0.0.1:6379", "scheme"},
      {"http://127.0.0.1:6379", "scheme"},
      {"rediss://127.0.0.1:6379", "TLS"},
      {"redis://", "host"},
      {"redis://:6379", "host"},
      {"redis://:pw@:6379", "host"},
      {"redis://host:", "port"},
      {"redis://host:0", "port"},
      {"redis://host:65536", "port"},
      {"redis://host:12ab", "port"},
      {"redis://host:-1", "port"},
      {"redis://host:6379/x", "db"},
      {"redis://host:6379/-1", "db"},
      {"redis://host:6379/1/2", "db"},
      {"redis://host:6379/99999999999", "db"},
      {"redis://::1:6379", "IPv6"},
      {"redis://[::1:6379", "host"},
      {"redis://[::1]x", "host"},
      {"redis://password@host", "credentials"},
      {"redis://bob:@host", "password"},
      {"redis://:p%zz@host", "password"},
      {"redis://host:6379?db=1", "query"},
  };
  for (const auto& [url, field] : cases) {
    auto r = RedisAddress::Parse(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalid) << url;
    EXPECT_NE(r.status().message().find(field), std::string::npos)
        << url << " -> " << r.status().message() << " (expected it to name '" << field << "')";
  }
}

TEST(RedisAddress, ErrorsNeverShowThePassword) {
  for (const char* url : {"redis://:topsecret@host:abc", "redis://u:topsecret@host/x", "http://:topsecret@h"}) {
    auto r = RedisAddress::Parse(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().message().find("topsecret"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("***"), std::string::npos) << r.status().message();
  }
}

TEST(StreamEntry, GetFindsFieldsByName) {
  StreamEntry e{"1-0", {{"node", "n1"}, {"up", "1"}}};
  EXPECT_EQ(e.Get("up"), "1");
  EXPECT_EQ(e.Get("missing"), std::nullopt);
}

TEST(RedisClient, ParseEntriesRejectsMalformedReplies) {
  RedisValue nil;
  auto r = RedisClient::ParseEntries(nil);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());

  RedisValue bad;
  bad.type = RedisValue::Type::kInteger;
  EXPECT_FALSE(RedisClient::ParseEntries(bad).ok());

  RedisValue entry;  // ["1-0", ["f"]]: odd field list
  entry.type = RedisValue::Type::kArray;
  RedisValue id;
  id.type = RedisValue::Type::kString;
  id.str = "1-0";
  RedisValue fields;
  fields.type = RedisValue::Type::kArray;
  fields.elements.push_back(id);
  entry.elements = {id, fields};
  RedisValue array;
  array.type = RedisValue::Type::kArray;
  array.elements = {entry};
  auto odd = RedisClient::ParseEntries(array);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), Status::Code::kProtocol);
}

}  // namespace
}  // namespace mcscale
