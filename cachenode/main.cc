// mcscale-node: a memcached-compatible cache node whose capacity and eviction policy can be
// changed at run time (`cache_memlimit MB`, `eviction_policy lru|random`).
#include <cctype>
#include <string>

#include <spdlog/spdlog.h>

#include "cachenode/node_context.h"
#include "cachenode/node_server.h"
#include "common/logging.h"
#include "common/options.h"

namespace {

// "1048576", "1024k", "1m" -> bytes; -1 when malformed.
int64_t ParseSize(std::string text) {
  if (text.empty()) return -1;
  int64_t unit = 1;
  char last = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  if (last == 'k') unit = 1024;
  if (last == 'm') unit = 1024 * 1024;
  if (unit != 1) text.pop_back();
  if (text.empty()) return -1;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
  }
  if (text.size() > 12) return -1;
  return std::stoll(text) * unit;
}

}  // namespace

int main(int argc, char** argv) {
  mcscale::Options opts("mcscale-node",
                        "mcscale-node [options]\n"
                        "A memcached-compatible cache node whose memory limit and eviction policy can be\n"
                        "changed at run time (cache_memlimit MB, eviction_policy lru|random).");
  opts.Add("listen", "127.0.0.1", "interface (IPv4 address) to listen on")
      .Add("port", "11211", "TCP port to listen on")
      .Add("memory-limit", "64", "item memory in megabytes")
      .Add("threads", "4", "number of worker threads")
      .Add("max-item-size", "1m", "largest item, in bytes or with k/m suffix (1024 .. 1g)")
      .Add("policy", "lru", "eviction policy: lru or random")
      .Add("conn-limit", "1024", "maximum simultaneous connections")
      .Add("udp-port", "0", "ignored (no UDP; accepted for memcached compatibility)")
      .Add("user", "", "ignored (accepted for memcached compatibility)")
      .Add("log-level", "info", "trace, debug, info, warn or error")
      .Alias("-l", "listen")
      .Alias("-p", "port")
      .Alias("-m", "memory-limit")
      .Alias("-t", "threads")
      .Alias("-I", "max-item-size")
      .Alias("-c", "conn-limit")
      .Alias("-U", "udp-port")
      .Alias("-u", "user")
      .Alias("-h", "help")
      .Alias("-V", "version");
  opts.ParseOrExit(argc, argv);

  mcscale::Status st = mcscale::SetupLogging("mcscale-node", opts.Get("log-level"));
  if (!st.ok()) opts.Fail(st.message());

  mcscale::NodeSettings settings;
  settings.interface = opts.Get("listen");
  settings.port = static_cast<int>(opts.IntOrExit("port", 0, 65535));
  settings.threads = static_cast<int>(opts.IntOrExit("threads", 1, 256));
  settings.max_connections = static_cast<int>(opts.IntOrExit("conn-limit", 10, 1000000));
  int64_t item_max = ParseSize(opts.Get("max-item-size"));
  if (item_max < 1024 || item_max > (int64_t{1} << 30)) {
    opts.Fail("--max-item-size: '" + opts.Get("max-item-size") + "' must be 1024 .. 1g (bytes, or k/m suffix)");
  }
  settings.item_size_max = static_cast<size_t>(item_max);
  auto policy = mcscale::ParseEvictionPolicy(opts.Get("policy"));
  if (!policy) opts.Fail("--policy: '" + opts.Get("policy") + "' is not lru or random");

  mcscale::StorageOptions storage;
  storage.memory_limit = static_cast<size_t>(opts.IntOrExit("memory-limit", 1, 1 << 20)) << 20;
  storage.item_size_max = settings.item_size_max;
  storage.policy = *policy;

  mcscale::NodeContext context(settings, storage);
  mcscale::NodeServer server(&context);
  st = server.Start();
  if (!st.ok()) {
    spdlog::error("{}", st.ToString());
    return 1;
  }
  spdlog::info("listening on {}:{} ({} threads, {} MB, policy {}, item limit {} bytes)", settings.interface,
               server.port(), settings.threads, storage.memory_limit >> 20,
               mcscale::EvictionPolicyName(*policy), settings.item_size_max);
  server.Run();
  spdlog::info("stopped");
  return 0;
}
