// RedisSubscriber against a real redis-server started by the harness, including restarts.
#include "common/redis_subscriber.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/harness/test_servers.h"

namespace mcscale {
namespace {

using mcscale::testing::FreePort;
using mcscale::testing::RedisServer;
using mcscale::testing::WaitUntil;

constexpr int64_t kWaitMs = 30000;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

RedisAddress AddressOf(uint16_t port, const std::string& userinfo = "") {
  auto a = RedisAddress::Parse("redis://" + userinfo + "127.0.0.1:" + std::to_string(port));
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? a.value() : RedisAddress{};
}

// Records what a subscriber's callbacks saw (they run on the subscriber's thread).
class Recorder {
 public:
  RedisSubscriber::MessageFn OnMessage() {
    return [this](const std::string& channel, const std::string& message) {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.emplace_back(channel, message);
    };
  }
  RedisSubscriber::ConnectFn OnConnect() {
    return [this](bool reconnected) {
      std::lock_guard<std::mutex> lock(mu_);
      connects_.push_back(reconnected);
    };
  }
  bool Has(const std::string& channel, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& m : messages_)
      if (m.first == channel && m.second == message) return true;
    return false;
  }
  std::vector<std::pair<std::string, std::string>> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  std::vector<bool> connects() {
    std::lock_guard<std::mutex> lock(mu_);
    return connects_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> messages_;
  std::vector<bool> connects_;
};

// Publishes until at least one subscriber received it (the first call after a restart may
// fail on the client's dead connection).
bool PublishToSubscriber(RedisClient& client, const std::string& channel, const std::string& message) {
  return WaitUntil([&] {
    auto n = client.Publish(channel, message);
    return n.ok() && *n >= 1;
  }, kWaitMs);
}

TEST(RedisSubscriber, ReceivesPublishedMessagesOnEveryChannel) {
  RedisServer server;
  Recorder rec;
  RedisSubscriber sub(AddressOf(server.port()), {"mcscale:events", "other"}, rec.OnMessage(), rec.OnConnect());
  EXPECT_FALSE(sub.connected());
  sub.Start();
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kWaitMs));
  EXPECT_EQ(sub.subscriptions(), 1);
  EXPECT_EQ(rec.connects(), std::vector<bool>{false});

  RedisClient client(AddressOf(server.port()));
  std::string binary("{\"a\":\0\r\n}", 9);
  ASSERT_TRUE(PublishToSubscriber(client, "mcscale:events", binary));
  ASSERT_TRUE(PublishToSubscriber(client, "other", "two"));
  auto n = client.Publish("not-subscribed", "x");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  ASSERT_TRUE(WaitUntil([&] { return rec.messages().size() >= 2; }, kWaitMs));
  auto msgs = rec.messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0], std::make_pair(std::string("mcscale:events"), binary));
  EXPECT_EQ(msgs[1], std::make_pair(std::string("other"), std::string("two")));

  sub.Stop();
  EXPECT_FALSE(sub.connected());
  sub.Stop();  // idempotent
}

TEST(RedisSubscriber, ResubscribesAfterServerRestart) {
  RedisServer server;
  Recorder rec;
  RedisSubscriber sub(AddressOf(server.port()), {"mcscale:events"}, rec.OnMessage(), rec.OnConnect());
  sub.Start();
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kWaitMs));
  RedisClient client(AddressOf(server.port()));
  ASSERT_TRUE(PublishToSubscriber(client, "mcscale:events", "before"));
  ASSERT_TRUE(WaitUntil([&] { return rec.Has("mcscale:events", "before"); }, kWaitMs));

  server.Stop();
  ASSERT_TRUE(WaitUntil([&] { return !sub.connected(); }, kWaitMs));
  server.Start();

  ASSERT_TRUE(WaitUntil([&] { return sub.subscriptions() == 2 && sub.connected(); }, kWaitMs));
  EXPECT_EQ(rec.connects(), (std::vector<bool>{false, true}));
  ASSERT_TRUE(PublishToSubscriber(client, "mcscale:events", "after"));
  EXPECT_TRUE(WaitUntil([&] { return rec.Has("mcscale:events", "after"); }, kWaitMs));

  // And once more with a quick restart, where the subscriber may never see the port closed
  // for long.
  server.Restart();
  ASSERT_TRUE(WaitUntil([&] { return sub.subscriptions() == 3 && sub.connected(); }, kWaitMs));
  EXPECT_EQ(rec.connects(), (std::vector<bool>{false, true, true}));
  ASSERT_TRUE(PublishToSubscriber(client, "mcscale:events", "after2"));
  EXPECT_TRUE(WaitUntil([&] { return rec.Has("mcscale:events", "after2"); }, kWaitMs));
}

TEST(RedisSubscriber, ConnectsOnceTheServerComesUp) {
  RedisServer server;
  server.Stop();
  Recorder rec;
  RedisSubscriber sub(AddressOf(server.port()), {"c"}, rec.OnMessage(), rec.OnConnect());
  sub.Start();
  EXPECT_FALSE(sub.connected());
  server.Start();
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kWaitMs));
  EXPECT_EQ(rec.connects(), std::vector<bool>{false});  // the first subscription is not a reconnect
  RedisClient client(AddressOf(server.port()));
  ASSERT_TRUE(PublishToSubscriber(client, "c", "hello"));
  EXPECT_TRUE(WaitUntil([&] { return rec.Has("c", "hello"); }, kWaitMs));
}

TEST(RedisSubscriber, AuthenticatesWithPassword) {
  RedisServer server;
  RedisClient admin(AddressOf(server.port()));
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "requirepass", "s3cret"}).ok());
  Recorder rec;
  RedisSubscriber sub(AddressOf(server.port(), ":s3cret@"), {"c"}, rec.OnMessage(), rec.OnConnect());
  sub.Start();
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kWaitMs));
  RedisClient client(AddressOf(server.port(), ":s3cret@"));
  ASSERT_TRUE(PublishToSubscriber(client, "c", "secret hello"));
  EXPECT_TRUE(WaitUntil([&] { return rec.Has("c", "secret hello"); }, kWaitMs));
}

TEST(RedisSubscriber, WrongPasswordNeverSubscribesAndStopsPromptly) {
  RedisServer server;
  RedisClient admin(AddressOf(server.port()));
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "requirepass", "s3cret"}).ok());
  Recorder rec;
  RedisSubscriber sub(AddressOf(server.port(), ":wrong@"), {"c"}, rec.OnMessage(), rec.OnConnect());
  sub.Start();
  // Several AUTH attempts happen in this time (back-off 100, 200, 400 ms...).
  EXPECT_FALSE(WaitUntil([&] { return sub.connected(); }, 1000));
  int64_t start = NowMs();
  sub.Stop();
  EXPECT_LT(NowMs() - start, 3000);
  EXPECT_TRUE(rec.connects().empty());
}

TEST(RedisSubscriber, StopsPromptlyWhileWaitingToReconnect) {
  // Nothing listens here: the subscriber backs off up to 5 s between attempts.
  RedisSubscriber sub(AddressOf(FreePort()), {"c"}, [](const std::string&, const std::string&) {});
  sub.Start();
  EXPECT_FALSE(sub.connected());
  int64_t start = NowMs();
  sub.Stop();
  EXPECT_LT(NowMs() - start, 3000);
  sub.Stop();
}

// A server that accepts connections and never answers: the subscriber gives up on each
// connection after its subscribe timeout (5 s) and tries again; Stop ends it at any point.
TEST(RedisSubscriber, RetriesAServerThatAcceptsButNeverAnswers) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(lfd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  std::atomic<bool> done{false};
  std::atomic<int> accepted{0};
  std::vector<int> fds;
  std::thread acceptor([&] {
    while (!done.load()) {
      pollfd p{lfd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept(lfd, nullptr, nullptr);
      if (fd < 0) continue;
      fds.push_back(fd);  // held open, never answered
      ++accepted;
    }
  });

  RedisSubscriber sub(AddressOf(ntohs(addr.sin_port)), {"c"}, [](const std::string&, const std::string&) {});
  sub.Start();
  ASSERT_TRUE(WaitUntil([&] { return accepted.load() >= 1; }, kWaitMs));
  EXPECT_TRUE(WaitUntil([&] { return accepted.load() >= 2; }, kWaitMs));
  EXPECT_FALSE(sub.connected());
  EXPECT_EQ(sub.subscriptions(), 0);
  int64_t start = NowMs();
  sub.Stop();
  EXPECT_LT(NowMs() - start, 3000);

  done = true;
  acceptor.join();
  for (int fd : fds) close(fd);
  close(lfd);
}

TEST(RedisSubscriber, DestructorStopsAndStopWithoutStartIsHarmless) {
  RedisServer server;
  {
    RedisSubscriber never(AddressOf(server.port()), {"c"}, nullptr);
    never.Stop();
  }
  {
    Recorder rec;
    RedisSubscriber sub(AddressOf(server.port()), {"c"}, rec.OnMessage(), rec.OnConnect());
    sub.Start();
    ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kWaitMs));
  }  // destructor stops a connected subscriber
  RedisClient client(AddressOf(server.port()));
  // The server sees the subscriber gone: nobody receives.
  EXPECT_TRUE(WaitUntil([&] {
    auto n = client.Publish("c", "x");
    return n.ok() && *n == 0;
  }, kWaitMs));
}

}  // namespace
}  // namespace mcscale
