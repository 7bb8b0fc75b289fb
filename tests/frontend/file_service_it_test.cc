// Integration tests of mcscale-frontend (the file service) against a real pool: redis-server,
// the coordinator and memcached nodes with their agents (TestPool), with the service run as
// its own process and driven over HTTP.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/harness/test_pool.h"

namespace mcscale {
namespace {

using testing::FreePort;
using testing::TempDir;
using testing::TestPool;
using testing::TestPoolOptions;
using testing::TestProcess;
using testing::WaitUntil;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

Reply Request(uint16_t port, const std::string& method, const std::string& path, const std::string& body = "",
              const std::string& content_type = "") {
  std::string req = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  std::string raw = testing::RawExchange(port, req, "\x01\x02never\x03", 60000);
  Reply r;
  size_t split = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || split == std::string::npos) return r;
  r.status = std::atoi(raw.c_str() + 9);
  size_t pos = raw.find("\r\n");
  while (pos < split) {
    size_t end = raw.find("\r\n", pos + 2);
    std::string line = raw.substr(pos + 2, end - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    pos = end;
  }
  r.body = raw.substr(split + 4);
  return r;
}

const std::string kBoundary = "----mcscaleItBoundary";

std::string Form(const std::string& key, const std::string& file, const std::string& type = "image/png") {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n" + key + "\r\n--" + kBoundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\nContent-Type: " + type +
         "\r\n\r\n" + file + "\r\n--" + kBoundary + "--\r\n";
}

// One mcscale-frontend process on a free port.
class Frontend {
 public:
  Frontend(TestPool* pool, const std::string& data_dir, const std::string& log_dir, std::vector<std::string> extra = {})
      : port_(FreePort()) {
    std::vector<std::string> argv = {testing::BinPath("mcscale-frontend"), "--http", "127.0.0.1:" + std::to_string(port_),
                                     "--data-dir", data_dir, "--log-level", "debug"};
    if (pool) {
      argv.insert(argv.end(), {"--redis", pool->redis().url(), "--prefix", pool->keys().prefix(), "--coordinator",
                               "http://127.0.0.1:" + std::to_string(pool->http_port())});
    } else {
      argv.push_back("--no-cache");
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<TestProcess>("mcscale-frontend", argv,
                                          log_dir + "/frontend-" + std::to_string(port_) + ".log");
    EXPECT_TRUE(proc_->Start());
    bool up = WaitUntil(
        [&] {
          Reply h = Get("/healthz");
          if (h.status != 200) return false;
          auto j = nlohmann::json::parse(h.body, nullptr, false);
          return !pool || (j.is_object() && j["cache"]["ready"] == true);
        },
        60000, 50);
    EXPECT_TRUE(up) << "mcscale-frontend did not become ready";
  }

  uint16_t port() const { return port_; }
  Reply Get(const std::string& path) { return Request(port_, "GET", path); }
  Reply Upload(const std::string& key, const std::string& file) {
    return Request(port_, "POST", "/api/upload", Form(key, file), "multipart/form-data; boundary=" + kBoundary);
  }
  nlohmann::json Health() { return nlohmann::json::parse(Get("/healthz").body, nullptr, false); }
  // A counter from /metrics.
  uint64_t Metric(const std::string& name) {
    std::string text = Get("/metrics").body;
    size_t pos = text.find("\n" + name + " ");
    return pos == std::string::npos ? 0 : std::stoull(text.substr(pos + name.size() + 2));
  }
  // Waits until the service routes by the pool's current epoch, stable.
  bool WaitForEpoch(TestPool& pool) {
    return WaitUntil(
        [&] {
          auto p = pool.Pool();
          auto h = Health();
          return p && h.is_object() && h["cache"]["epoch"] == p->epoch && h["cache"]["phase"] == "stable" &&
                 h["cache"]["ready"] == true;
        },
        60000, 50);
  }

 private:
  uint16_t port_;
  std::unique_ptr<TestProcess> proc_;
};

size_t FilesIn(const std::string& data_dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(data_dir + "/files", ec);
       it != std::filesystem::recursive_directory_iterator(); ++it)
    if (it->is_regular_file()) ++n;
  return n;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, std::min<size_t>(8, n - i));
  }
  return s;
}

TestPoolOptions Manual(int capacity_mb = 16) {
  TestPoolOptions o;
  o.config["mode"] = "manual";
  o.config["node_capacity_mb"] = capacity_mb;
  return o;
}

TEST(FileServiceIt, ThousandFilesReadBackThroughCacheResizeAndLossOfEveryNode) {
  TestPool pool(Manual(128));
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":2})").status, 200);
  ASSERT_TRUE(pool.WaitForSize(2, 60000));
  TempDir dir;
  Frontend fe(&pool, dir.path() + "/data", dir.path());
  ASSERT_TRUE(fe.WaitForEpoch(pool));

  std::mt19937_64 rng(20240611);
  std::vector<std::string> files(1000);
  size_t total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    files[i] = RandomBytes(rng, 1024 + rng() % (199 * 1024 + 1));  // 1..200 KB
    total += files[i].size();
    Reply up = fe.Upload("file-" + std::to_string(i), files[i]);
    ASSERT_EQ(up.status, 200) << up.body;
  }
  auto key_path = [](size_t i) { return "/api/key/file-" + std::to_string(i); };
  // Each pass reads every file back byte-identical and counts where it came from.
  auto read_all = [&](const char* pass) {
    std::map<std::string, int> sources;
    for (size_t i = 0; i < files.size(); ++i) {
      Reply r = fe.Get(key_path(i));
      EXPECT_EQ(r.status, 200) << pass << " " << i << ": " << r.body.substr(0, 200);
      EXPECT_TRUE(r.body == files[i]) << pass << " " << i << ": " << r.body.size() << " bytes, want " << files[i].size();
      EXPECT_EQ(r.headers["content-type"], "image/png");
      ++sources[r.headers["x-cache"]];
    }
    return sources;
  };
  // A pool client whose lease lapsed (a machine too busy to renew it within its TTL) skips
  // the cache by design: a few misses are allowed, and reported.
  const int kMostMisses = 10;
  auto first = read_all("first read");
  EXPECT_EQ(first["miss"], 1000) << "every first read is a miss that fills the cache";
  uint64_t hits_before = fe.Metric("mcscale_files_cache_hits_total");
  auto second = read_all("second read");
  EXPECT_GE(second["hit"], 1000 - kMostMisses) << "misses: " << second["miss"];
  EXPECT_EQ(fe.Metric("mcscale_files_cache_hits_total") - hits_before, static_cast<uint64_t>(second["hit"]));
  EXPECT_EQ(fe.Metric("mcscale_files_bytes_served_total"), 2 * total);

  // Grow the pool: live migration moves the cached files to their new owners.
  int64_t epoch = pool.Pool()->epoch;
  ASSERT_EQ(pool.Api("POST", "/api/pool/resize", R"({"size":3})").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return pool.Pool()->epoch > epoch; }, 30000));
  ASSERT_TRUE(pool.WaitForSize(3, 120000));
  ASSERT_TRUE(fe.WaitForEpoch(pool));
  auto after_resize = read_all("after the resize");
  EXPECT_GE(after_resize["hit"], 1000 - kMostMisses) << "misses after the resize: " << after_resize["miss"];

  // Every node dies: reads still succeed, from disk.
  auto providers = pool.client().HGetAll(pool.keys().provider());
  ASSERT_TRUE(providers.ok());
  ASSERT_EQ(providers->size(), 3u);
  for (const auto& [id, text] : *providers) ASSERT_EQ(::kill(nlohmann::json::parse(text)["pid"].get<int>(), SIGKILL), 0);
  auto without_nodes = read_all("with every node killed");
  EXPECT_EQ(without_nodes["hit"], 0);
  EXPECT_EQ(without_nodes["miss"], 1000);
}

TEST(FileServiceIt, TwoFrontendsShareADataDirAndEveryFrontendFollowsClears) {
  TestPool pool(Manual());
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  TempDir dir;
  std::string shared = dir.path() + "/shared", other = dir.path() + "/other";
  Frontend a(&pool, shared, dir.path());
  Frontend b(&pool, shared, dir.path());
  Frontend c(&pool, other, dir.path());

  // Uploaded through one, served by the other; a re-upload is seen at once by both.
  ASSERT_EQ(a.Upload("shared", "version one").status, 200);
  EXPECT_EQ(b.Get("/api/key/shared").body, "version one");
  Reply again = b.Get("/api/key/shared");
  EXPECT_EQ(again.headers["x-cache"], "hit");
  EXPECT_EQ(a.Get("/api/key/shared").headers["x-cache"], "hit") << "one cache for both";
  ASSERT_EQ(b.Upload("shared", "version two, longer").status, 200);
  EXPECT_EQ(a.Get("/api/key/shared").body, "version two, longer");
  EXPECT_EQ(b.Get("/api/key/shared").body, "version two, longer");

  // Concurrent uploads to one key through both frontends, with a reader: every read is one
  // whole upload, and the key ends with exactly one of them.
  std::set<std::string> contents;
  std::vector<std::vector<std::string>> per_thread(6);
  std::mt19937_64 rng(7);
  for (size_t t = 0; t < per_thread.size(); ++t)
    for (int i = 0; i < 8; ++i) {
      per_thread[t].push_back(RandomBytes(rng, 20000 + rng() % 40000));
      contents.insert(per_thread[t].back());
    }
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!done) {
      Reply r = a.Get("/api/key/race");
      if (r.status == 200) {
        ++reads;
        if (!contents.count(r.body)) ++torn;
      }
    }
  });
  std::vector<std::thread> writers;
  for (size_t t = 0; t < per_thread.size(); ++t)
    writers.emplace_back([&, t] {
      Frontend& fe = t % 2 ? a : b;
      for (const std::string& body : per_thread[t]) EXPECT_EQ(fe.Upload("race", body).status, 200);
    });
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(torn, 0) << "of " << reads << " reads";
  Reply final_a = a.Get("/api/key/race"), final_b = b.Get("/api/key/race");
  EXPECT_TRUE(contents.count(final_a.body));
  EXPECT_EQ(final_a.body, final_b.body);
  EXPECT_EQ(FilesIn(shared), 2u) << "one file per key: 'shared' and 'race'";
  auto list = nlohmann::json::parse(b.Get("/api/list_keys").body);
  EXPECT_EQ(list["total"], 2);

  // Clearing the cache through a frontend goes through the coordinator: the next read misses.
  ASSERT_EQ(c.Upload("only-c", "c's file").status, 200);
  EXPECT_EQ(c.Get("/api/key/only-c").headers["x-cache"], "miss");
  EXPECT_EQ(c.Get("/api/key/only-c").headers["x-cache"], "hit");
  Reply cleared = Request(a.port(), "DELETE", "/api/clear/cache");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(c.Get("/api/key/only-c").headers["x-cache"], "miss");
  EXPECT_TRUE(WaitUntil([&] { return c.Metric("mcscale_files_events_total{type=\"cache.cleared\"}") >= 1; }, 10000));

  // "Delete all data" on the dashboard (the coordinator's data.cleared): every frontend
  // deletes its files, on both data directories.
  // A file uploaded right after the clear stays (the event clears what existed when it was
  // asked for), although both frontends on its data directory act on the event.
  ASSERT_EQ(pool.Api("POST", "/api/data/clear").status, 200);
  ASSERT_EQ(a.Upload("after-clear", "new life").status, 200);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return FilesIn(shared) == 1 && FilesIn(other) == 0 &&
               a.Metric("mcscale_files_events_total{type=\"data.cleared\"}") >= 1 &&
               b.Metric("mcscale_files_events_total{type=\"data.cleared\"}") >= 1;
      },
      20000));
  EXPECT_EQ(b.Get("/api/key/after-clear").body, "new life");
  EXPECT_EQ(a.Get("/api/key/race").status, 404);
  EXPECT_EQ(b.Get("/api/key/shared").status, 404);
  EXPECT_EQ(c.Get("/api/key/only-c").status, 404);

  // DELETE /api/clear/data on one frontend reaches the others too.
  ASSERT_EQ(c.Upload("again", "x").status, 200);
  ASSERT_EQ(a.Upload("again", "y").status, 200);
  Reply wipe = Request(a.port(), "DELETE", "/api/clear/data");
  ASSERT_EQ(wipe.status, 200) << wipe.body;
  EXPECT_EQ(nlohmann::json::parse(wipe.body)["files_deleted"], 2) << "'again' and 'after-clear'";
  EXPECT_EQ(a.Get("/api/key/again").status, 404);
  EXPECT_TRUE(WaitUntil([&] { return FilesIn(other) == 0; }, 20000));
  EXPECT_EQ(c.Get("/api/key/again").status, 404);
}

TEST(FileServiceIt, BadInputOverHttpGetsJsonErrorsAndLeavesNothingBehind) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  Frontend fe(nullptr, data, dir.path(), {"--max-upload-mb", "1"});
  const std::string form = "multipart/form-data; boundary=" + kBoundary;
  auto expect_400 = [&](const std::string& what, const std::string& body, const std::string& type,
                        const std::string& message) {
    Reply r = Request(fe.port(), "POST", "/api/upload", body, type);
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/json") << what;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << what << ": " << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(message), std::string::npos) << what << ": " << j["error"];
  };
  std::string no_key = "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nx\r\n--" +
                       kBoundary + "--\r\n";
  std::string no_file = "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--" + kBoundary +
                        "--\r\n";
  expect_400("missing key", no_key, form, "key: missing");
  expect_400("missing file", no_file, form, "file: missing");
  expect_400("key over 250 bytes", Form(std::string(251, 'k'), "x"), form, "longer than 250");
  expect_400("key with a control character", Form("a\x01z", "x"), form, "key: control character");
  expect_400("key with whitespace", Form("a b", "x"), form, "key: whitespace");
  expect_400("empty file", Form("k", ""), form, "file: empty");
  expect_400("file over the limit", Form("k", std::string((1 << 20) + 1, 'x')), form, "over the limit of 1048576");
  std::string cut = Form("k", "abc");
  expect_400("malformed multipart", cut.substr(0, cut.size() - 10), form, "body: ");
  expect_400("not multipart", "{\"key\":\"k\"}", "application/json", "Content-Type: expected multipart/form-data");
  // A body over the limit plus the form's overhead is refused as soon as its head arrives,
  // with 413, in JSON like every other error.
  Reply huge = Request(fe.port(), "POST", "/api/upload", Form("k", std::string(4 << 20, 'x')), form);
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(huge.headers["content-type"], "application/json");
  auto huge_error = nlohmann::json::parse(huge.body, nullptr, false);
  ASSERT_TRUE(huge_error.is_object() && huge_error.contains("error")) << huge.body;
  EXPECT_NE(huge_error["error"].get<std::string>().find("files are limited to 1 MiB (--max-upload-mb)"),
            std::string::npos) << huge.body;
  // So is a request evhttp used to answer with its own HTML page: a malformed request line.
  Reply garbled = Request(fe.port(), "FOO BAR", "/", "", "");
  EXPECT_EQ(garbled.status, 400);
  EXPECT_EQ(garbled.headers["content-type"], "application/json") << garbled.body;

  EXPECT_EQ(FilesIn(data), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(data + "/tmp"));
  EXPECT_EQ(nlohmann::json::parse(fe.Get("/api/list_keys").body)["total"], 0);
  Reply missing = fe.Get("/api/key/nothing-here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(nlohmann::json::parse(missing.body, nullptr, false).contains("error"));
  EXPECT_EQ(fe.Get("/api/key/bad%20key").status, 400);
  // A good upload still works after all that.
  ASSERT_EQ(fe.Upload("good", "fine").status, 200);
  EXPECT_EQ(fe.Get("/api/key/good").headers["x-cache"], "disk");
}

}  // namespace
}  // namespace mcscale
