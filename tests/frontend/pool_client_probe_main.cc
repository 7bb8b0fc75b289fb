// pool_client_probe: a test helper process that reads one key through a PoolClient in a
// loop, so a test can pause it (SIGSTOP) past its lease and watch what it touches.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "common/options.h"
#include "frontend/pool_client.h"

std::atomic<bool> g_stop{false};

int main(int argc, char** argv) {
  mcscale::Options opts("pool_client_probe", "pool_client_probe --redis URL --key KEY");
  opts.Add("redis", "redis://127.0.0.1:6379", "Redis URL")
      .Add("prefix", "mcscale", "key prefix")
      .Add("key", "probe", "the key to read")
      .Add("id", "probe", "lease id")
      .Add("interval-us", "2000", "pause between reads");
  opts.ParseOrExit(argc, argv);
  signal(SIGTERM, [](int) { g_stop = true; });
  mcscale::PoolClientOptions o;
  o.redis_url = opts.Get("redis");
  o.prefix = opts.Get("prefix");
  o.id = opts.Get("id");
  o.pool_reread_ms = 1000;
  auto client = mcscale::PoolClient::Create(o);
  if (!client.ok()) {
    std::cerr << client.status().ToString() << "\n";
    return 2;
  }
  std::string key = opts.Get("key");
  int64_t interval = opts.IntOrExit("interval-us", 0, 1000000);
  uint64_t n = 0;
  while (!g_stop) {
    (*client)->Get(key);
    if (++n % 500 == 0) {
      auto s = (*client)->Stats();
      std::cout << "reads " << n << " epoch " << s.epoch << " blocked " << s.lease_blocked << std::endl;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(interval));
  }
  return 0;
}
