// RedisClient against a real redis-server started by the harness.
#include "common/redis_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/harness/test_servers.h"

namespace mcscale {
namespace {

using mcscale::testing::RedisServer;
using mcscale::testing::WaitUntil;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

RedisAddress AddressOf(const RedisServer& server, const std::string& userinfo = "", const std::string& db = "") {
  auto a = RedisAddress::Parse("redis://" + userinfo + "127.0.0.1:" + std::to_string(server.port()) + db);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? a.value() : RedisAddress{};
}

// The number of clients blocked in XREAD/BLPOP, from INFO clients.
int64_t BlockedClients(RedisClient& client) {
  auto info = client.Command({"INFO", "clients"});
  if (!info.ok()) return -1;
  auto pos = info->str.find("blocked_clients:");
  if (pos == std::string::npos) return -1;
  return std::stoll(info->str.substr(pos + 16));
}

TEST(RedisClient, StreamAddRangeAndRead) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  std::string binary("v\0al\r\nue", 8);
  auto id1 = client.XAdd("s", {{"node", "n1"}, {"up", "1"}});
  ASSERT_TRUE(id1.ok()) << id1.status().ToString();
  auto id2 = client.XAdd("s", {{"node", "n2"}, {"blob", binary}});
  ASSERT_TRUE(id2.ok()) << id2.status().ToString();
  EXPECT_NE(*id1, *id2);

  auto all = client.XRange("s", "-", "+");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, *id1);
  EXPECT_EQ((*all)[0].fields, (std::vector<std::pair<std::string, std::string>>{{"node", "n1"}, {"up", "1"}}));
  EXPECT_EQ((*all)[1].Get("blob"), binary);

  auto first = client.XRange("s", "-", "+", 1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].id, *id1);

  auto after = client.XRead("s", *id1, 10, -1);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].id, *id2);

  auto none = client.XRead("s", *id2, 10, -1);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST(RedisClient, StreamAddTrimsToAboutMaxLen) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(client.XAdd("m", {{"i", std::to_string(i)}}, 100).ok());
  auto len = client.Command({"XLEN", "m"});
  ASSERT_TRUE(len.ok());
  EXPECT_GE(len->integer, 100);
  EXPECT_LT(len->integer, 1000);  // '~' trims whole macro nodes, so "about" 100
}

TEST(RedisClient, BlockingXReadReturnsEntryAddedByAnotherClient) {
  RedisServer server;
  RedisClient reader(AddressOf(server), 1000);  // BLOCK longer than the timeout on purpose
  RedisClient writer(AddressOf(server));
  ASSERT_TRUE(writer.XAdd("s", {{"k", "old"}}).ok());
  int64_t start = NowMs();
  auto pending = std::async(std::launch::async, [&] { return reader.XRead("s", "$", 10, 20000); });
  ASSERT_TRUE(WaitUntil([&] { return BlockedClients(writer) == 1; }, 20000));
  auto id = writer.XAdd("s", {{"k", "new"}});
  ASSERT_TRUE(id.ok());
  auto got = pending.get();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].id, *id);
  EXPECT_EQ((*got)[0].Get("k"), "new");
  EXPECT_LT(NowMs() - start, 20000);  // woken by the XADD, not by the block's end
}

TEST(RedisClient, BlockingXReadTimesOutEmpty) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  ASSERT_TRUE(client.XAdd("s", {{"k", "v"}}).ok());
  int64_t start = NowMs();
  auto got = client.XRead("s", "$", 10, 300);
  int64_t elapsed = NowMs() - start;
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 10000);
  EXPECT_TRUE(client.Ping().ok());  // the connection is still usable
}

TEST(RedisClient, HashSetGetAllAndGet) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  std::map<std::string, std::string> fields = {
      {"pool_id", "abc"}, {"epoch", "7"}, {"nodes", R"({"n1":"127.0.0.1:1"})"}, {"empty", ""}};
  ASSERT_TRUE(client.HSet("h", fields).ok());
  ASSERT_TRUE(client.HSet("h", {{"epoch", "8"}}).ok());
  fields["epoch"] = "8";
  auto got = client.HGetAll("h");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, fields);

  auto missing = client.HGetAll("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());

  ASSERT_TRUE(client.Command({"SET", "k", "v"}).ok());
  auto v = client.Get("k");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, std::optional<std::string>("v"));
  auto nil = client.Get("absent");
  ASSERT_TRUE(nil.ok());
  EXPECT_EQ(*nil, std::nullopt);
}

TEST(RedisClient, ErrorReplyIsProtocolStatusWithRedisMessage) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  ASSERT_TRUE(client.XAdd("s", {{"a", "b"}}).ok());
  auto r = client.HSet("s", {{"f", "v"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Status::Code::kProtocol);
  EXPECT_NE(r.message().find("WRONGTYPE"), std::string::npos) << r.ToString();
  EXPECT_TRUE(client.Ping().ok());  // an error reply keeps the connection
}

TEST(RedisClient, PipelineReturnsOneResultPerCommand) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  auto r = client.Pipeline({{"SET", "a", "1"}, {"INCR", "a"}, {"HSET", "a", "f", "v"}, {"GET", "a"}, {"GET", "zz"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0]->str, "OK");
  EXPECT_EQ((*r)[1]->integer, 2);
  ASSERT_FALSE((*r)[2].ok());
  EXPECT_NE((*r)[2].status().message().find("WRONGTYPE"), std::string::npos);
  EXPECT_EQ((*r)[3]->str, "2");
  EXPECT_TRUE((*r)[4]->is_nil());

  auto empty = client.Pipeline({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(RedisClient, PublishCountsReceivers) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  auto none = client.Publish("mcscale:events", "{}");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0);

  // A raw subscriber on its own connection (the subscriber class has its own test).
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(server.port());
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string sub = "SUBSCRIBE mcscale:events\r\n";
  ASSERT_EQ(send(fd, sub.data(), sub.size(), MSG_NOSIGNAL), static_cast<ssize_t>(sub.size()));
  EXPECT_TRUE(WaitUntil([&] { auto n = client.Publish("mcscale:events", "{}"); return n.ok() && *n == 1; }, 20000));
  close(fd);
}

TEST(RedisClient, ScanFindsEveryMatchingKey) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  std::vector<std::vector<std::string>> sets;
  for (int i = 0; i < 2500; ++i) sets.push_back({"SET", "mcscale:agent:" + std::to_string(i), "x"});
  for (int i = 0; i < 300; ++i) sets.push_back({"SET", "other:" + std::to_string(i), "x"});
  auto r = client.Pipeline(sets);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto keys = client.Scan("mcscale:agent:*");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->size(), 2500u);
  for (const auto& k : *keys) EXPECT_EQ(k.rfind("mcscale:agent:", 0), 0u) << k;
}

TEST(RedisClient, SelectsTheDbOfTheUrl) {
  RedisServer server;
  RedisClient db3(AddressOf(server, "", "/3"));
  RedisClient db0(AddressOf(server));
  ASSERT_TRUE(db3.Command({"SET", "k", "three"}).ok());
  auto in0 = db0.Get("k");
  ASSERT_TRUE(in0.ok());
  EXPECT_EQ(*in0, std::nullopt);
  auto in3 = db3.Get("k");
  ASSERT_TRUE(in3.ok());
  EXPECT_EQ(*in3, std::optional<std::string>("three"));
}

TEST(RedisClient, AuthenticatesWithPasswordAndRejectsAWrongOne) {
  RedisServer server;
  {
    RedisClient admin(AddressOf(server));
    ASSERT_TRUE(admin.Command({"CONFIG", "SET", "requirepass", "s3cret"}).ok());
  }
  RedisClient good(AddressOf(server, ":s3cret@"));
  Status st = good.Ping();
  EXPECT_TRUE(st.ok()) << st.ToString();

  RedisClient wrong(AddressOf(server, ":nope@"));
  st = wrong.Ping();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalid);
  EXPECT_NE(st.message().find("AUTH failed"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.message().find("nope"), std::string::npos) << "the password leaked: " << st.ToString();

  RedisClient none(AddressOf(server));
  st = none.Ping();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("NOAUTH"), std::string::npos) << st.ToString();
}

TEST(RedisClient, AuthenticatesAsAnAclUser) {
  RedisServer server;
  RedisClient admin(AddressOf(server));
  ASSERT_TRUE(admin.Command({"ACL", "SETUSER", "alice", "on", ">wonder land", "~*", "&*", "+@all"}).ok());
  RedisClient alice(AddressOf(server, "alice:wonder%20land@"));
  ASSERT_TRUE(alice.Command({"SET", "k", "v"}).ok());
  auto who = alice.Command({"ACL", "WHOAMI"});
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->str, "alice");
}

TEST(RedisClient, StoppedServerFailsFastAndTheSameClientRecovers) {
  RedisServer server;
  RedisClient client(AddressOf(server), 5000);
  ASSERT_TRUE(client.Command({"SET", "kept", "yes"}).ok());
  server.Stop();

  // Both the call on the dead connection and the reconnect attempt fail at once: an error
  // value well before the 5 s timeout.
  for (int i = 0; i < 2; ++i) {
    int64_t start = NowMs();
    Status st = client.Ping();
    int64_t elapsed = NowMs() - start;
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.code(), Status::Code::kIo) << st.ToString();
    EXPECT_LT(elapsed, 2500) << st.ToString();
  }

  server.Start();
  Status st = client.Ping();
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto kept = client.Get("kept");  // appendonly: the restart kept the data
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, std::optional<std::string>("yes"));
}

TEST(RedisClient, RestartCostsAtMostOneFailedCall) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  ASSERT_TRUE(client.Ping().ok());
  server.Restart();
  Status first = client.Ping();
  if (!first.ok()) {
    EXPECT_EQ(first.code(), Status::Code::kIo) << first.ToString();
  }
  Status second = client.Ping();
  EXPECT_TRUE(second.ok()) << second.ToString();
}

// Writing a big command to a connection the server has closed raises SIGPIPE inside
// hiredis; the client must turn it into an error value instead of dying.
TEST(RedisClient, LargeWriteToClosedConnectionIsAnErrorNotSigpipe) {
  RedisServer server;
  RedisClient client(AddressOf(server));
  ASSERT_TRUE(client.Ping().ok());
  server.Restart();
  std::string big(4 << 20, 'x');
  auto r = client.Pipeline({{"SET", "big", big}, {"SET", "big2", big}});
  if (r.ok()) {
    ADD_FAILURE() << "expected the dead connection to fail the pipeline";
  } else {
    EXPECT_EQ(r.status().code(), Status::Code::kIo) << r.status().ToString();
  }
  auto again = client.Command({"SET", "big", big});
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

// A port that accepts connections (the kernel completes the handshake into the backlog)
// but never answers: every call ends with a Timeout near the limit, never a hang.
TEST(RedisClient, SilentServerTimesOutWithinTheLimit) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  uint16_t port = ntohs(addr.sin_port);

  RedisAddress a;
  a.port = port;
  RedisClient client(a, 300);
  for (int i = 0; i < 2; ++i) {
    int64_t start = NowMs();
    Status st = client.Ping();
    int64_t elapsed = NowMs() - start;
    EXPECT_EQ(st.code(), Status::Code::kTimeout) << st.ToString();
    EXPECT_GE(elapsed, 250);
    EXPECT_LT(elapsed, 5000);  // 300 ms plus generous slack for a busy machine
  }
  auto blocked = client.XRead("s", "$", 1, 200);  // BLOCK time plus the timeout
  EXPECT_EQ(blocked.status().code(), Status::Code::kTimeout) << blocked.status().ToString();
  close(fd);
}

}  // namespace
}  // namespace mcscale
