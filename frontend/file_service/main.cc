// mcscale-frontend: the file service. Files under keys on disk, the key index in SQLite,
// the mcscale cache pool in front (through the frontend library). See README.md.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/host_port.h"
#include "common/logging.h"
#include "common/options.h"
#include "common/redis_client.h"
#include "frontend/file_service/file_service.h"
#include "frontend/file_service/file_service_http.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
  using namespace mcscale;
  Options opts("mcscale-frontend",
               "mcscale-frontend --data-dir DIR [options]\n\n"
               "The file service: upload files under keys, fetch them by key (cache pool in front of\n"
               "the disk), list keys, clear the cache or all data. Serves a web page at /.");
  opts.Add("redis", "redis://127.0.0.1:6379", "Redis URL of the pool redis://[:password@]host:port[/db]")
      .Add("prefix", "mcscale", "prefix of every Redis key of the pool")
      .Add("http", "127.0.0.1:5000", "address of the file service HOST:PORT")
      .Add("data-dir", "", "folder for the files and the index (required; frontends may share it)")
      .Add("max-upload-mb", "16", "largest file accepted, in MiB")
      .Add("cache-item-max-bytes", "1000000",
           "largest cached value (content type + file); larger files are always read from disk "
           "(memcached's default item limit is 1 MB)")
      .Add("cache-ttl-s", "0", "TTL of cached files in seconds (0: until evicted)")
      .AddFlag("no-cache", "serve every file from disk; no pool client (for comparisons)")
      .Add("coordinator", "", "manager API URL http://HOST:PORT; clears go through it (else key by key)")
      .Add("coordinator-token", "", "the coordinator's admin token, when it has one")
      .Add("id", "", "the pool client's lease id (none: HOST-PID-RANDOM)")
      .Add("threads", "2", "HTTP threads")
      .Add("log-level", "info", "trace, debug, info, warn or error");
  opts.ParseOrExit(argc, argv);

  Status log_st = SetupLogging("frontend", opts.Get("log-level"));
  if (!log_st.ok()) opts.Fail(log_st.message());

  FileServiceOptions fo;
  fo.data_dir = opts.Get("data-dir");
  if (fo.data_dir.empty()) opts.Fail("--data-dir: required (the folder for files and the index)");
  fo.max_upload_bytes = opts.IntOrExit("max-upload-mb", 1, 4096) << 20;
  fo.cache_item_max_bytes = opts.IntOrExit("cache-item-max-bytes", 0, 1 << 30);
  fo.cache_ttl_s = opts.IntOrExit("cache-ttl-s", 0, 30 * 24 * 3600);
  fo.coordinator_url = opts.Get("coordinator");
  fo.coordinator_token = opts.Get("coordinator-token");
  auto http = HostPort::Parse(opts.Get("http"));
  if (!http.ok()) opts.Fail("--http: " + http.status().message());
  int threads = static_cast<int>(opts.IntOrExit("threads", 1, 64));
  if (!opts.GetFlag("no-cache")) {
    PoolClientOptions po;
    po.redis_url = opts.Get("redis");
    if (auto r = RedisAddress::Parse(po.redis_url); !r.ok()) opts.Fail("--redis: " + r.status().message());
    po.prefix = opts.Get("prefix");
    if (po.prefix.empty()) opts.Fail("--prefix: must not be empty");
    po.id = opts.Get("id");
    fo.pool = po;
  }

  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  auto service = FileService::Open(fo);
  if (!service.ok()) {
    spdlog::critical("cannot start: {}", service.status().ToString());
    return 1;
  }
  FileServiceHttp server(service->get(), threads);
  Status st = server.Start(*http);
  if (!st.ok()) {
    spdlog::critical("--http: {}", st.ToString());
    return 1;
  }
  spdlog::info("data in {}, uploads up to {} bytes, cache {}", fo.data_dir, fo.max_upload_bytes,
               fo.pool ? "pool " + fo.pool->redis_url + " prefix " + fo.pool->prefix : std::string("off"));
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("stopping");
  server.Stop();
  return 0;
}
