// Integration tests of MemcacheClient against a real memcached (tests/harness), and against
// scripted loopback servers for what memcached will not do on demand (a silent port, BUSY,
// garbage replies).
#include "common/memcache_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/harness/test_servers.h"

namespace mcscale {
namespace {

using mcscale::testing::MemcachedServer;
using mcscale::testing::WaitUntil;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

HostPort Loopback(uint16_t port) { return HostPort{"127.0.0.1", port}; }

// A loopback listening socket. With no handler it never accepts or reads: connections
// complete in the kernel's backlog and then nothing ever answers. With a handler it serves
// one connection at a time, answering each CRLF-terminated request line with what the
// handler returns.
class ScriptedServer {
 public:
  using Handler = std::function<std::string(const std::string& line)>;

  explicit ScriptedServer(Handler handler = nullptr) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (handler_) thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      std::string buf;
      char chunk[4096];
      while (!stop_) {
        pollfd c{conn, POLLIN, 0};
        if (poll(&c, 1, 50) <= 0) continue;
        ssize_t n = recv(conn, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
        size_t eol;
        while ((eol = buf.find("\r\n")) != std::string::npos) {
          std::string line = buf.substr(0, eol);
          buf.erase(0, eol + 2);
          ++requests_;
          std::string reply = handler_(line);
          send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
      }
      close(conn);
    }
  }

  Handler handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Keys with every kind of character metadump URL-encodes, and plain ones.
std::string MixedKey(int i) {
  std::string n = std::to_string(i);
  switch (i % 6) {
    case 0: return "user:" + n + ":profile";
    case 1: return "pct%" + n + "%25";
    case 2: return "path/to/" + n + "?q=a&b=c";
    case 3: return "utf8-caf\xC3\xA9-" + n;
    case 4: return "sym#" + n + "+\"'<>{}|\\^`~!$()*,;@[]";
    default: return "plain" + n;
  }
}

TEST(MemcacheClient, SetAndGetKeepValueFlagsAndCas) {
  MemcachedServer mc;
  MemcacheClient client(Loopback(mc.port()), 5000);
  ASSERT_TRUE(client.Set("k1", "hello", 42).ok());
  auto got = client.Get("k1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "hello");
  EXPECT_EQ((*got)->flags, 42u);
  EXPECT_GT((*got)->cas, 0u);

  std::string binary("a\0b\r\nEND\r\n\xff", 11);
  ASSERT_TRUE(client.Set("bin", binary, 0xFFFFFFFFu).ok());
  auto bin = client.Get("bin");
  ASSERT_TRUE(bin.ok() && bin->has_value());
  EXPECT_EQ((*bin)->value, binary);
  EXPECT_EQ((*bin)->flags, 0xFFFFFFFFu);

  ASSERT_TRUE(client.Set("empty", "").ok());
  auto empty = client.Get("empty");
  ASSERT_TRUE(empty.ok() && empty->has_value());
  EXPECT_EQ((*empty)->value, "");

  auto miss = client.Get("nope");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());

  // An overwrite changes the cas.
  uint64_t cas = (*got)->cas;
  ASSERT_TRUE(client.Set("k1", "again").ok());
  auto again = client.Get("k1");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->value, "again");
  EXPECT_EQ((*again)->flags, 0u);
  EXPECT_NE((*again)->cas, cas);
}

TEST(MemcacheClient, AddAndDeleteReportWhetherTheKeyExisted) {
  MemcachedServer mc;
  MemcacheClient client(Loopback(mc.port()), 5000);
  auto added = client.Add("a", "first", 1);
  ASSERT_TRUE(added.ok());
  EXPECT_TRUE(*added);
  auto again = client.Add("a", "second", 2);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto got = client.Get("a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "first");
  EXPECT_EQ((*got)->flags, 1u);

  auto del = client.Delete("a");
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(*del);
  auto del2 = client.Delete("a");
  ASSERT_TRUE(del2.ok());
  EXPECT_FALSE(*del2);

  ASSERT_TRUE(client.Set("b", "x").ok());
  auto many = client.AddMany({{"b", "y", 0, 0}, {"c", "z", 9, 0}, {"c", "w", 0, 0}});
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ(*many, (std::vector<bool>{false, true, false}));
  auto c = client.Get("c");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->value, "z");
  EXPECT_EQ((*c)->flags, 9u);

  auto dels = client.DeleteMany({"b", "missing", "c", "c"});
  ASSERT_TRUE(dels.ok());
  EXPECT_EQ(*dels, (std::vector<bool>{true, false, true, false}));

  auto none = client.AddMany({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(MemcacheClient, TtlExpiresItems) {
  MemcachedServer mc;
  MemcacheClient client(Loopback(mc.port()), 5000);
  ASSERT_TRUE(client.Set("gone", "v", 0, -1).ok());  // negative exptime: expired at once
  auto gone = client.Get("gone");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());

  ASSERT_TRUE(client.Set("long", "v", 0, 1000).ok());
  auto ttl = client.MetaGet("long", "t");
  ASSERT_TRUE(ttl.ok());
  int64_t left = std::stoll(ttl->flags.at('t'));
  EXPECT_GT(left, 900);
  EXPECT_LE(left, 1000);

  ASSERT_TRUE(client.Set("short", "v", 0, 1).ok());
  auto added = client.Add("short2", "v", 0, 1);
  ASSERT_TRUE(added.ok() && *added);
  // memcached's clock ticks once a second: a 1 s item is gone within about 2 s.
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto a = client.Get("short");
        auto b = client.Get("short2");
        return a.ok() && !a->has_value() && b.ok() && !b->has_value();
      },
      15000, 100));
  auto still = client.Get("long");
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(still->has_value());
}

TEST(MemcacheClient, MultiGetReadsThousandKeysInOnePipeline) {
  MemcachedServer mc;
  MemcacheClient client(Loopback(mc.port()), 5000);
  std::vector<StoreRequest> stores;
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    stores.push_back({"mk" + std::to_string(i), "value-" + std::to_string(i), static_cast<uint32_t>(i), 0});
    keys.push_back("mk" + std::to_string(i));
  }
  auto added = client.AddMany(stores);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  for (bool b : *added) ASSERT_TRUE(b);
  for (int i = 0; i < 50; ++i) keys.push_back("absent" + std::to_string(i));

  auto before = client.Stats();
  ASSERT_TRUE(before.ok());
  int64_t t0 = NowMs();
  auto hits = client.MultiGet(keys);
  int64_t took = NowMs() - t0;
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    const CacheItem& item = hits->at("mk" + std::to_string(i));
    EXPECT_EQ(item.value, "value-" + std::to_string(i));
    EXPECT_EQ(item.flags, static_cast<uint32_t>(i));
    EXPECT_GT(item.cas, 0u);
  }
  auto after = client.Stats();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(std::stoll(after->at("get_hits")) - std::stoll(before->at("get_hits")), 1000);
  EXPECT_EQ(std::stoll(after->at("get_misses")) - std::stoll(before->at("get_misses")), 50);
  // 1,050 keys in 100-key `gets` commands: 11 commands (memcached counts each as a get).
  std::cout << "multi-get of 1050 keys (1000 hits) took " << took << " ms\n";

  auto empty = client.MultiGet({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(MemcacheClient, LongPipelineInBothDirectionsDoesNotDeadlock) {
  // Megabytes of requests and of replies at once: the client must read replies while it is
  // still writing, or both socket buffers fill and neither side moves.
  MemcachedServer mc(256);
  MemcacheClient client(Loopback(mc.port()), 30000);
  const std::string value(4096, 'v');
  std::vector<StoreRequest> stores;
  std::vector<MetaRequest> gets;
  for (int i = 0; i < 6000; ++i) {
    std::string key = std::string(230, 'k') + std::to_string(i);
    stores.push_back({key, value, 0, 0});
    gets.push_back({MetaRequest::Verb::kGet, key, "v f t k", ""});
  }
  auto added = client.AddMany(stores);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  auto replies = client.MetaBatch(gets);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), gets.size());
  for (size_t i = 0; i < gets.size(); ++i) {
    ASSERT_EQ((*replies)[i].code, "VA") << i;
    ASSERT_EQ((*replies)[i].value.value_or(""), value);
    ASSERT_EQ((*replies)[i].flags.at('k'), gets[i].key);
  }
}

TEST(MemcacheClient, MetadumpHashEnumeratesHundredThousandKeysWhileAnotherThreadReads) {
  MemcachedServer mc(256);
  constexpr int kKeys = 100000;
  std::vector<std::string> keys;
  keys.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) keys.push_back(MixedKey(i));
  {
    MemcacheClient loader(Loopback(mc.port()), 10000);
    for (int i = 0; i < kKeys; i += 1000) {
      std::vector<StoreRequest> batch;
      for (int j = i; j < i + 1000; ++j) batch.push_back({keys[j], "v" + std::to_string(j), 0, 0});
      auto r = loader.AddMany(batch);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    auto stats = loader.Stats();
    ASSERT_TRUE(stats.ok());
    ASSERT_EQ(stats->at("curr_items"), std::to_string(kKeys));
  }

  std::atomic<bool> dumping{true};
  std::atomic<int64_t> reads{0};
  std::atomic<int64_t> misses{0};
  std::string reader_error;
  std::thread reader([&] {
    MemcacheClient client(Loopback(mc.port()), 10000);
    size_t pos = 0;
    while (dumping || reads < 1000) {
      std::vector<std::string> batch;
      for (int j = 0; j < 100; ++j) batch.push_back(keys[(pos++) % keys.size()]);
      auto hits = client.MultiGet(batch);
      if (!hits.ok()) {
        reader_error = hits.status().ToString();
        return;
      }
      reads += static_cast<int64_t>(batch.size());
      misses += static_cast<int64_t>(batch.size() - hits->size());
    }
  });

  MemcacheClient client(Loopback(mc.port()), 10000);
  std::set<std::string> seen;
  int64_t entries = 0;
  bool sane = true;
  int64_t t0 = NowMs();
  Status st = client.MetadumpHash([&](const MetadumpEntry& e) {
    ++entries;
    seen.insert(e.key);
    sane = sane && e.exp == -1 && e.cas > 0 && e.cls > 0 && e.size > 0;
  });
  int64_t took = NowMs() - t0;
  dumping = false;
  reader.join();

  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(reader_error.empty()) << reader_error;
  EXPECT_EQ(misses.load(), 0);
  EXPECT_GE(reads.load(), 1000);
  EXPECT_TRUE(sane);
  EXPECT_EQ(entries, kKeys);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kKeys));
  int missing = 0;
  for (const auto& k : keys) {
    if (!seen.count(k) && ++missing <= 5) ADD_FAILURE() << "metadump missed '" << k << "'";
  }
  EXPECT_EQ(missing, 0);
  std::cout << "metadump hash of " << kKeys << " keys took " << took << " ms while another client read "
            << reads.load() << " keys\n";

  // The connection is usable again after the dump.
  auto got = client.Get(keys[1]);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->has_value());
}

TEST(MemcacheClient, TwoConcurrentMetadumpsBothComplete) {
  // Only one dump runs at a time per memcached; the second gets BUSY and retries.
  MemcachedServer mc(128);
  MemcacheClient loader(Loopback(mc.port()), 10000);
  for (int i = 0; i < 30000; i += 1000) {
    std::vector<StoreRequest> batch;
    for (int j = i; j < i + 1000; ++j) batch.push_back({MixedKey(j), "v", 0, 0});
    ASSERT_TRUE(loader.AddMany(batch).ok());
  }
  int64_t counts[2] = {0, 0};
  Status results[2];
  std::thread threads[2];
  for (int t = 0; t < 2; ++t) {
    threads[t] = std::thread([&, t] {
      MemcacheClient client(Loopback(mc.port()), 10000);
      results[t] = client.MetadumpHash([&](const MetadumpEntry&) { ++counts[t]; }, 60000);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 2; ++t) {
    EXPECT_TRUE(results[t].ok()) << results[t].ToString();
    EXPECT_EQ(counts[t], 30000);
  }
}

TEST(MemcacheClient, MetadumpHashRetriesBusyAndSkipsOkPreamble) {
  std::atomic<int> dumps{0};
  ScriptedServer server([&](const std::string& line) -> std::string {
    if (line != "lru_crawler metadump hash") return "ERROR\r\n";
    int n = ++dumps;
    if (n == 1) return "BUSY currently processing crawler request\r\n";
    if (n == 2) return "ERROR an unknown error happened\r\n";
    return "OK\r\nkey=a%3Ab exp=-1 la=1 cas=1 fetch=no cls=1 size=60\n"
           "key=c%25d%20e exp=1800000000 la=2 cas=2 fetch=yes cls=3 size=70 extra=1\nEND\r\n";
  });
  MemcacheClient client(Loopback(server.port()), 2000);
  std::vector<MetadumpEntry> entries;
  Status st = client.MetadumpHash([&](const MetadumpEntry& e) { entries.push_back(e); }, 10000);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(dumps.load(), 3);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].key, "a:b");
  EXPECT_EQ(entries[1].key, "c%d e");
  EXPECT_EQ(entries[1].exp, 1800000000);
  EXPECT_TRUE(entries[1].fetched);
  EXPECT_EQ(entries[1].cls, 3);
}

TEST(MemcacheClient, MetadumpHashGivesUpWhenBusyTooLong) {
  ScriptedServer server([](const std::string&) { return std::string("BUSY currently processing crawler request\r\n"); });
  MemcacheClient client(Loopback(server.port()), 2000);
  int64_t t0 = NowMs();
  Status st = client.MetadumpHash([](const MetadumpEntry&) {}, 300);
  int64_t took = NowMs() - t0;
  EXPECT_EQ(st.code(), Status::Code::kBusy) << st.ToString();
  EXPECT_NE(st.message().find("300 ms"), std::string::npos) << st.message();
  EXPECT_GE(server.requests(), 2);
  EXPECT_LT(took, 2000);
}

TEST(MemcacheClient, MalformedMetadumpLineIsAnErrorAndDropsTheConnection) {
  ScriptedServer server([](const std::string&) {
    return std::string("key=a exp=-1 la=1 cas=1 fetch=no cls=1 size=60\nkey=b exp=tomorrow\nEND\r\n");
  });
  MemcacheClient client(Loopback(server.port()), 2000);
  int entries = 0;
  Status st = client.MetadumpHash([&](const MetadumpEntry&) { ++entries; });
  EXPECT_EQ(st.code(), Status::Code::kProtocol) << st.ToString();
  EXPECT_NE(st.message().find("exp"), std::string::npos) << st.message();
  EXPECT_EQ(entries, 1);
  EXPECT_FALSE(client.connected());
}

TEST(MemcacheClient, GarbageReplyIsAProtocolErrorAndDropsTheConnection) {
  ScriptedServer server([](const std::string& line) {
    if (line.rfind("gets", 0) == 0) return std::string("VALUE k 0 3 1\r\nabcXX");  // no CRLF after data
    return std::string("WHAT\r\n");
  });
  MemcacheClient client(Loopback(server.port()), 1000);
  auto got = client.Get("k");
  EXPECT_EQ(got.status().code(), Status::Code::kProtocol) << got.status().ToString();
  EXPECT_FALSE(client.connected());
  auto del = client.Delete("k");
  EXPECT_EQ(del.status().code(), Status::Code::kProtocol) << del.status().ToString();
  EXPECT_NE(del.status().message().find("WHAT"), std::string::npos);
  EXPECT_FALSE(client.connected());
}

TEST(MemcacheClient, SilentPortTimesOutWithinItsLimit) {
  ScriptedServer silent;  // accepts (in the kernel backlog) and never answers
  MemcacheClient client(Loopback(silent.port()), 200);
  int64_t t0 = NowMs();
  auto got = client.Get("k");
  int64_t took = NowMs() - t0;
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kTimeout) << got.status().ToString();
  EXPECT_NE(got.status().message().find("127.0.0.1:" + std::to_string(silent.port())), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("200 ms"), std::string::npos) << got.status().message();
  EXPECT_GE(took, 150);
  EXPECT_LT(took, 2000);
  EXPECT_FALSE(client.connected());

  // Every kind of call is bounded the same way, the dump included.
  t0 = NowMs();
  Status st = client.MetadumpHash([](const MetadumpEntry&) {});
  EXPECT_EQ(st.code(), Status::Code::kTimeout) << st.ToString();
  auto stats = client.Stats();
  EXPECT_EQ(stats.status().code(), Status::Code::kTimeout);
  auto many = client.MultiGet({"a", "b"});
  EXPECT_EQ(many.status().code(), Status::Code::kTimeout);
  EXPECT_LT(NowMs() - t0, 6000);
}

TEST(MemcacheClient, PausedServerTimesOutAndServesAgainWhenResumed) {
  MemcachedServer mc;
  MemcacheClient client(Loopback(mc.port()), 200);
  ASSERT_TRUE(client.Set("k", "v").ok());
  mc.Pause();
  int64_t t0 = NowMs();
  auto got = client.Get("k");
  int64_t took = NowMs() - t0;
  EXPECT_EQ(got.status().code(), Status::Code::kTimeout) << got.status().ToString();
  EXPECT_LT(took, 2000);
  // A new connection to a stopped process also times out, in connect or in the read.
  t0 = NowMs();
  Status st = client.Set("k2", "v");
  EXPECT_EQ(st.code(), Status::Code::kTimeout) << st.ToString();
  EXPECT_LT(NowMs() - t0, 2000);
  mc.Resume();
  client.set_timeout_ms(5000);
  EXPECT_TRUE(WaitUntil([&] { return client.Get("k").ok(); }, 20000, 50));
  auto again = client.Get("k");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->value, "v");
}

TEST(MemcacheClient, ReconnectsAfterTheServerRestarts) {
  MemcachedServer mc;
  MemcacheClient client(Loopback(mc.port()), 5000);
  ASSERT_TRUE(client.Set("k", "v").ok());
  ASSERT_TRUE(client.connected());
  mc.Restart();
  // The old connection was closed by the server: the next call notices before sending and
  // reconnects, so it succeeds (memcached lost its data in the restart).
  auto got = client.Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());
  ASSERT_TRUE(client.Set("k", "v2").ok());

  mc.Stop();
  auto down = client.Get("k");
  EXPECT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), Status::Code::kIo) << down.status().ToString();
  EXPECT_FALSE(client.connected());
  mc.Start();
  auto up = client.Get("k");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_TRUE(client.Set("k", "v3").ok());
  auto v3 = client.Get("k");
  ASSERT_TRUE(v3.ok() && v3->has_value());
  EXPECT_EQ((*v3)->value, "v3");
}

TEST(MemcacheClient, MetaCommandsSetGetAndDeleteWithModesAndFlags) {
  MemcachedServer mc;
  MemcacheClient client(Loopback(mc.port()), 5000);
  auto set = client.MetaSet("m1", "hello", "T100 F7 c");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->code, "HD");
  EXPECT_NE(set->flags.at('c'), "0");

  auto got = client.MetaGet("m1", "v f t c");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->code, "VA");
  EXPECT_EQ(got->value.value_or(""), "hello");
  EXPECT_EQ(got->flags.at('f'), "7");
  int64_t ttl = std::stoll(got->flags.at('t'));
  EXPECT_GT(ttl, 90);
  EXPECT_LE(ttl, 100);
  EXPECT_EQ(got->flags.at('c'), set->flags.at('c'));

  // Without v: HD with the asked flags, no value.
  auto head = client.MetaGet("m1", "s f");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->code, "HD");
  EXPECT_FALSE(head->value.has_value());
  EXPECT_EQ(head->flags.at('s'), "5");

  // Add mode (ME) never overwrites; set mode (MS) does; T0 means no expiry.
  auto add_existing = client.MetaSet("m1", "other", "ME F1 T0");
  ASSERT_TRUE(add_existing.ok());
  EXPECT_EQ(add_existing->code, "NS");
  auto add_new = client.MetaSet("m2", "fresh", "ME F3 T0");
  ASSERT_TRUE(add_new.ok());
  EXPECT_EQ(add_new->code, "HD");
  auto overwrite = client.MetaSet("m1", "new", "MS F5 T0");
  ASSERT_TRUE(overwrite.ok());
  EXPECT_EQ(overwrite->code, "HD");
  auto m1 = client.MetaGet("m1", "v f t");
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(m1->value.value_or(""), "new");
  EXPECT_EQ(m1->flags.at('f'), "5");
  EXPECT_EQ(m1->flags.at('t'), "-1");
  // Text-protocol get sees the same item.
  auto plain = client.Get("m2");
  ASSERT_TRUE(plain.ok() && plain->has_value());
  EXPECT_EQ((*plain)->value, "fresh");
  EXPECT_EQ((*plain)->flags, 3u);

  // Compare-and-set: a stale cas is EX.
  auto stale = client.MetaSet("m1", "x", "C1");
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->code, "EX");

  auto miss = client.MetaGet("nope", "v f t");
  ASSERT_TRUE(miss.ok());
  EXPECT_EQ(miss->code, "EN");
  EXPECT_FALSE(miss->value.has_value());

  auto del = client.MetaDelete("m1", "");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->code, "HD");
  auto del2 = client.MetaDelete("m1", "");
  ASSERT_TRUE(del2.ok());
  EXPECT_EQ(del2->code, "NF");

  // A pipelined batch: replies in request order.
  auto batch = client.MetaBatch({{MetaRequest::Verb::kSet, "b1", "ME F9 T0", "one"},
                                 {MetaRequest::Verb::kSet, "b1", "ME F9 T0", "two"},
                                 {MetaRequest::Verb::kGet, "b1", "v f", ""},
                                 {MetaRequest::Verb::kGet, "b2", "v", ""},
                                 {MetaRequest::Verb::kDelete, "b1", "", ""},
                                 {MetaRequest::Verb::kGet, "b1", "v", ""}});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->size(), 6u);
  EXPECT_EQ((*batch)[0].code, "HD");
  EXPECT_EQ((*batch)[1].code, "NS");
  EXPECT_EQ((*batch)[2].code, "VA");
  EXPECT_EQ((*batch)[2].value.value_or(""), "one");
  EXPECT_EQ((*batch)[2].flags.at('f'), "9");
  EXPECT_EQ((*batch)[3].code, "EN");
  EXPECT_EQ((*batch)[4].code, "HD");
  EXPECT_EQ((*batch)[5].code, "EN");

  // q suppresses replies, so it is refused before anything is sent.
  auto quiet = client.MetaGet("b1", "v q");
  EXPECT_EQ(quiet.status().code(), Status::Code::kInvalid);
  auto injected = client.MetaGet("b1", "v\r\nflush_all");
  EXPECT_EQ(injected.status().code(), Status::Code::kInvalid);
}

TEST(MemcacheClient, StatsAndCommandsReadTheirReplies) {
  MemcachedServer mc(64);
  MemcacheClient client(Loopback(mc.port()), 5000);
  auto stats = client.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->at("pid"), std::to_string(mc.pid()));
  for (const char* name : {"get_hits", "get_misses", "cmd_get", "cmd_set", "curr_items", "bytes",
                           "limit_maxbytes", "evictions", "curr_connections", "uptime", "version"})
    EXPECT_TRUE(stats->count(name)) << name;
  EXPECT_EQ(stats->at("limit_maxbytes"), std::to_string(64 * 1024 * 1024));

  auto settings = client.Stats("settings");
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->at("maxbytes"), std::to_string(64 * 1024 * 1024));
  EXPECT_EQ(settings->count("eviction_policy"), 0u);  // stock memcached

  auto version = client.Command("version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->rfind("VERSION ", 0), 0u) << *version;
  auto limit = client.Command("cache_memlimit 32");
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(*limit, "OK");
  auto settings2 = client.Stats("settings");
  ASSERT_TRUE(settings2.ok());
  EXPECT_EQ(settings2->at("maxbytes"), std::to_string(32 * 1024 * 1024));
  // An unknown command is a reply, not a failure: this is how mcscale-node is told apart.
  auto policy = client.Command("eviction_policy lru");
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(*policy, "ERROR");
  EXPECT_TRUE(client.connected());

  // A multi-line reply cannot be read by Command: error, and the stream is dropped.
  auto multi = client.Command("stats");
  EXPECT_EQ(multi.status().code(), Status::Code::kProtocol);
  EXPECT_FALSE(client.connected());
  EXPECT_TRUE(client.Stats().ok());

  ASSERT_TRUE(client.Set("f", "v").ok());
  ASSERT_TRUE(client.FlushAll().ok());
  auto flushed = client.Get("f");
  ASSERT_TRUE(flushed.ok());
  EXPECT_FALSE(flushed->has_value());
}

TEST(MemcacheClient, InvalidKeyIsRejectedWithoutSending) {
  MemcachedServer mc;
  MemcacheClient client(Loopback(mc.port()), 5000);
  const std::vector<std::string> bad = {"", "a b", "a\r\nflush_all", std::string(251, 'k'), "tab\t", "del\x7f"};
  for (const auto& key : bad) {
    EXPECT_EQ(client.Get(key).status().code(), Status::Code::kInvalid) << key;
    EXPECT_EQ(client.Set(key, "v").code(), Status::Code::kInvalid) << key;
    EXPECT_EQ(client.Add(key, "v").status().code(), Status::Code::kInvalid) << key;
    EXPECT_EQ(client.Delete(key).status().code(), Status::Code::kInvalid) << key;
    EXPECT_EQ(client.MetaGet(key, "v").status().code(), Status::Code::kInvalid) << key;
    EXPECT_EQ(client.MetaSet(key, "v", "").status().code(), Status::Code::kInvalid) << key;
    EXPECT_EQ(client.MetaDelete(key, "").status().code(), Status::Code::kInvalid) << key;
  }
  // One bad key fails the whole batch before anything is written.
  EXPECT_EQ(client.MultiGet({"good", "b ad"}).status().code(), Status::Code::kInvalid);
  EXPECT_EQ(client.AddMany({{"good", "v", 0, 0}, {"b ad", "v", 0, 0}}).status().code(), Status::Code::kInvalid);
  EXPECT_EQ(client.DeleteMany({"good", ""}).status().code(), Status::Code::kInvalid);
  EXPECT_EQ(client.Command("get a\r\nflush_all").status().code(), Status::Code::kInvalid);
  EXPECT_FALSE(client.connected());  // never even connected

  auto msg = client.Get("a b").status().message();
  EXPECT_NE(msg.find("a b"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1..250"), std::string::npos) << msg;

  // Nothing reached the server: no gets or sets counted, "good" never added.
  auto stats = client.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->at("cmd_get"), "0");
  EXPECT_EQ(stats->at("cmd_set"), "0");
  EXPECT_EQ(stats->at("curr_items"), "0");
}

TEST(MemcacheClient, RefusedConnectionIsAnIoErrorQuickly) {
  uint16_t port = mcscale::testing::FreePort();
  MemcacheClient client(Loopback(port), 1000);
  int64_t t0 = NowMs();
  auto got = client.Get("k");
  EXPECT_EQ(got.status().code(), Status::Code::kIo) << got.status().ToString();
  EXPECT_NE(got.status().message().find(std::to_string(port)), std::string::npos);
  EXPECT_LT(NowMs() - t0, 1000);
}

TEST(MemcacheClient, MovedClientKeepsItsConnection) {
  MemcachedServer mc;
  MemcacheClient a(Loopback(mc.port()), 5000);
  ASSERT_TRUE(a.Set("k", "v").ok());
  MemcacheClient b(std::move(a));
  EXPECT_TRUE(b.connected());
  auto got = b.Get("k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "v");
}

}  // namespace
}  // namespace mcscale
