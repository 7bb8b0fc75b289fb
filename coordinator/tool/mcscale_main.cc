// mcscale: the operator's command-line tool. One binary, one subcommand per task; each
// subcommand declares its own options (common/options.h) and gets --help from them.
//
// To add a subcommand: write `int RunName(int argc, const char* const* argv)` (argv[0] is
// "mcscale NAME") and add a row to kSubcommands. Exit status: 0 done, 1 failed, 2 bad usage.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/event_log.h"
#include "common/logging.h"
#include "common/memcache_client.h"
#include "common/options.h"
#include "common/pool_state.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/redis_subscriber.h"
#include "common/region_map.h"
#include "coordinator/tool/demo_traffic.h"
#include "coordinator/tool/event_follower.h"
#include "coordinator/tool/pool_snapshot.h"
#include "frontend/pool_client.h"

namespace mcscale {
namespace {

using OrderedJson = nlohmann::ordered_json;

// Never throws on keys that are not UTF-8 (memcached keys are bytes): such bytes print as U+FFFD.
std::string Dump(const OrderedJson& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

void AddRegionsOption(Options& o) {
  o.Add("regions", std::to_string(RegionMap::kDefaultRegions),
        "region count R of the pool: a power of two in " + std::to_string(RegionMap::kMinRegions) + ".." +
            std::to_string(RegionMap::kMaxRegions));
}

int RegionsOrExit(const Options& o) {
  int64_t r = o.IntOrExit("regions", RegionMap::kMinRegions, RegionMap::kMaxRegions);
  if (!RegionMap::ValidRegionCount(static_cast<int>(r)))
    o.Fail("--regions: " + std::to_string(r) + " is not a power of two in " + std::to_string(RegionMap::kMinRegions) +
           ".." + std::to_string(RegionMap::kMaxRegions));
  return static_cast<int>(r);
}

// "a,b,c" -> {"a","b","c"}; "" -> {} (the caller reports the empty list).
std::vector<NodeId> SplitNodes(const std::string& text) {
  std::vector<NodeId> nodes;
  if (text.empty()) return nodes;
  std::stringstream in(text);
  std::string node;
  while (std::getline(in, node, ',')) nodes.push_back(node);
  if (text.back() == ',') nodes.push_back("");
  return nodes;
}

int RunPlan(int argc, const char* const* argv) {
  Options o("mcscale plan",
            "mcscale plan [--regions R] --from A,B,C --to A,B,D\n"
            "Prints, as one JSON object, the region map a resize from the nodes --from (dealt their\n"
            "initial map) to the nodes --to leads to: \"regions\" (region -> node), \"moves\"\n"
            "({region, from, to}), \"counts\" (node -> regions held) and \"moved\" (how many).");
  AddRegionsOption(o);
  o.Add("from", "", "comma-separated node ids of the pool before the resize");
  o.Add("to", "", "comma-separated node ids of the pool after the resize");
  o.ParseOrExit(argc, argv);
  int regions = RegionsOrExit(o);

  std::vector<NodeId> from = SplitNodes(o.Get("from"));
  std::vector<NodeId> to = SplitNodes(o.Get("to"));
  if (from.empty()) o.Fail("--from: empty node list");
  if (to.empty()) o.Fail("--to: empty node list");
  auto old_map = RegionMap::Initial(regions, from);
  if (!old_map.ok()) o.Fail("--from: " + old_map.status().message());
  auto new_map = RegionMap::Rebalance(*old_map, to);
  if (!new_map.ok()) o.Fail("--to: " + new_map.status().message());

  OrderedJson moves = OrderedJson::array();
  for (const RegionMove& m : RegionMap::Moves(*old_map, *new_map))
    moves.push_back({{"region", m.region}, {"from", m.from}, {"to", m.to}});
  OrderedJson counts = OrderedJson::object();
  for (const auto& [node, count] : new_map->Counts()) counts[node] = count;
  OrderedJson out = {
      {"regions", new_map->owners()},
      {"moves", moves},
      {"counts", counts},
      {"moved", moves.size()},
  };
  std::cout << Dump(out) << "\n";
  return 0;
}

// --redis and --prefix, shared by every subcommand that reads the pool (also read from
// MCSCALE_REDIS and MCSCALE_PREFIX, like the agents and the exec provider's scripts).
void AddRedisOptions(Options& o) {
  o.Add("redis", "redis://127.0.0.1:6379", "Redis URL redis://[:password@]host:port[/db]");
  o.Add("prefix", "mcscale", "prefix of every Redis key of the pool");
}

void AddTimeoutOption(Options& o, int64_t default_ms, const std::string& help) {
  o.Add("timeout-ms", std::to_string(default_ms), help);
}

struct RedisTarget {
  RedisAddress address;
  RedisKeys keys;
};

RedisTarget RedisTargetOrExit(const Options& o) {
  auto address = RedisAddress::Parse(o.Get("redis"));
  if (!address.ok()) o.Fail("--redis: " + address.status().message());
  std::string prefix = o.Get("prefix");
  if (prefix.empty() || prefix.find_first_of(" \t\r\n") != std::string::npos)
    o.Fail("--prefix: must be non-empty without whitespace, got '" + prefix + "'");
  return {*address, RedisKeys(prefix)};
}

void SetupToolLogging(const Options& o) {
  Status st = SetupLogging("mcscale", o.Get("log-level"));
  if (!st.ok()) o.Fail(st.message());
}

// The pool as `<prefix>:pool` holds it: nullopt, with *why set for the operator, when Redis
// cannot be read, holds no pool under the prefix, or holds one that does not decode.
std::optional<PoolState> ReadPoolQuietly(const RedisTarget& target, int64_t timeout_ms, std::string* why) {
  RedisClient redis(target.address, timeout_ms);
  auto hash = redis.HGetAll(target.keys.pool());
  if (!hash.ok()) {
    *why = "Redis at " + target.address.ToString() + " not reachable (" + hash.status().ToString() + ")";
    return std::nullopt;
  }
  if (hash->empty()) {
    *why = "no pool at " + target.address.ToString() + " (" + target.keys.pool() + " does not exist)";
    return std::nullopt;
  }
  auto pool = PoolState::FromHash(*hash);
  if (!pool.ok()) {
    *why = target.keys.pool() + " does not decode: " + pool.status().message();
    return std::nullopt;
  }
  return *pool;
}

int RunRegion(int argc, const char* const* argv) {
  Options o("mcscale region",
            "mcscale region [--regions R] [--redis URL] [--prefix P] KEY...\n"
            "Prints the region of each KEY (the first log2(R) bits of its MD5), one JSON object a line.\n"
            "When the pool can be read from Redis, R is the pool's region count and each line also\n"
            "names the node that owns the key in the current epoch (\"node\", \"address\") and, while its\n"
            "region is migrating, the node it is moving from (\"previous_node\", \"previous_address\").\n"
            "Without a pool it prints the regions alone and says why on stderr (exit status 0).");
  AddRegionsOption(o);
  AddRedisOptions(o);
  AddTimeoutOption(o, 2000, "how long Redis may take to connect and answer");
  o.AllowPositional("KEY...");
  o.ParseOrExit(argc, argv);
  int regions = RegionsOrExit(o);
  if (o.positional().empty()) o.Fail("no KEY given");
  RedisTarget target = RedisTargetOrExit(o);
  int64_t timeout_ms = o.IntOrExit("timeout-ms", 1, 600000);

  std::string why;
  std::optional<PoolState> pool = ReadPoolQuietly(target, timeout_ms, &why);
  if (pool && o.IsSet("regions") && pool->regions.region_count() != regions) {
    why = "the pool has " + std::to_string(pool->regions.region_count()) + " regions, not " +
          std::to_string(regions);
    pool.reset();
  }
  if (pool) regions = pool->regions.region_count();
  else std::cerr << "mcscale region: " << why << "; printing regions without their node\n";

  for (const std::string& key : o.positional()) {
    int region = RegionMap::RegionOf(key, regions);
    OrderedJson line = {{"key", key}, {"region", region}};
    if (pool) {
      const NodeId& owner = pool->regions.owner(region);
      line["node"] = owner;
      line["address"] = pool->nodes.count(owner) ? pool->nodes.at(owner) : "";
      if (pool->state == PoolPhase::kMigrating && pool->previous_regions &&
          pool->previous_regions->owner(region) != owner) {
        const NodeId& from = pool->previous_regions->owner(region);
        line["previous_node"] = from;
        line["previous_address"] = pool->nodes.count(from) ? pool->nodes.at(from) : "";
      }
    }
    std::cout << Dump(line) << "\n";
  }
  return 0;
}

// ---- get, set, del: through the frontend library, like an application ---------------

// A PoolClient on the pool named by --redis/--prefix, ready to route, or nullptr after
// printing why (Redis unreachable, no pool, not ready within --timeout-ms). The tool takes
// no part in planning moves: it may exit at any moment.
std::unique_ptr<PoolClient> ReadyPoolClientOrNull(const Options& o, const std::string& command) {
  RedisTarget target = RedisTargetOrExit(o);
  int64_t timeout_ms = o.IntOrExit("timeout-ms", 1, 600000);
  std::string why;
  if (!ReadPoolQuietly(target, timeout_ms, &why)) {
    std::cerr << "mcscale " << command << ": " << why << "\n";
    return nullptr;
  }
  PoolClientOptions options;
  options.redis_url = o.Get("redis");
  options.prefix = o.Get("prefix");
  options.plan_moves = false;
  auto client = PoolClient::Create(options);
  if (!client.ok()) {
    std::cerr << "mcscale " << command << ": " << client.status().message() << "\n";
    return nullptr;
  }
  if (!(*client)->WaitReady(timeout_ms)) {
    std::cerr << "mcscale " << command << ": the pool at " << target.address.ToString()
              << " was not ready to route within " << timeout_ms << " ms (--timeout-ms)\n";
    return nullptr;
  }
  return std::move(*client);
}

void AddKeyCommandOptions(Options& o) {
  AddRedisOptions(o);
  AddTimeoutOption(o, 5000, "how long to wait for Redis and the pool before giving up");
  o.Add("log-level", "warn", "stderr logging: trace, debug, info, warn or error");
}

// The one KEY of get and del (exit 2 unless exactly one valid key).
std::string OneKeyOrExit(const Options& o) {
  if (o.positional().size() != 1)
    o.Fail("expected exactly one KEY, got " + std::to_string(o.positional().size()) + " argument(s)");
  const std::string& key = o.positional()[0];
  if (!ValidCacheKey(key)) o.Fail("KEY: must be 1..250 bytes without spaces or control characters");
  return key;
}

int RunGet(int argc, const char* const* argv) {
  Options o("mcscale get",
            "mcscale get [--redis URL] [--prefix P] [--json] KEY\n"
            "Reads KEY through the frontend library and prints its value and a newline (with --json:\n"
            "{\"key\", \"value\", \"flags\", \"node\"}). Exit status 0 on a hit; 1 on a miss (nothing is\n"
            "printed) or when the pool cannot be reached; 2 on bad usage.");
  AddKeyCommandOptions(o);
  o.AddFlag("json", "print one JSON object with the value, its flags and the owning node");
  o.AllowPositional("KEY");
  o.ParseOrExit(argc, argv);
  std::string key = OneKeyOrExit(o);
  SetupToolLogging(o);
  auto client = ReadyPoolClientOrNull(o, "get");
  if (!client) return 1;
  std::optional<CacheItem> item = client->Get(key);
  if (!item) return 1;
  if (o.GetFlag("json"))
    std::cout << Dump({{"key", key}, {"value", item->value}, {"flags", item->flags}, {"node", client->OwnerOf(key)}})
              << "\n";
  else std::cout << item->value << "\n";
  return 0;
}

int RunSet(int argc, const char* const* argv) {
  Options o("mcscale set",
            "mcscale set [--redis URL] [--prefix P] [--ttl S] [--flags F] KEY VALUE\n"
            "Stores VALUE under KEY through the frontend library (in every node the current\n"
            "migration phase asks for). Exit status 0 when stored, 1 when not (the reason on\n"
            "stderr), 2 on bad usage.");
  AddKeyCommandOptions(o);
  o.Add("ttl", "0", "seconds until the item expires (0: never)");
  o.Add("flags", "0", "the item's client flags, 0..2147483647 (bit 31 is reserved for tombstones)");
  o.AllowPositional("KEY VALUE");
  o.ParseOrExit(argc, argv);
  if (o.positional().size() != 2)
    o.Fail("expected KEY VALUE, got " + std::to_string(o.positional().size()) + " argument(s)");
  const std::string& key = o.positional()[0];
  const std::string& value = o.positional()[1];
  if (!ValidCacheKey(key)) o.Fail("KEY: must be 1..250 bytes without spaces or control characters");
  int64_t ttl = o.IntOrExit("ttl", 0, std::numeric_limits<int32_t>::max());
  // Bit 31 marks the library's tombstones.
  auto flags = static_cast<uint32_t>(o.IntOrExit("flags", 0, std::numeric_limits<int32_t>::max()));
  SetupToolLogging(o);
  auto client = ReadyPoolClientOrNull(o, "set");
  if (!client) return 1;
  Status st = client->Set(key, value, flags, ttl);
  if (!st.ok()) {
    std::cerr << "mcscale set: " << key << " not stored: " << st.ToString() << "\n";
    return 1;
  }
  return 0;
}

int RunDel(int argc, const char* const* argv) {
  Options o("mcscale del",
            "mcscale del [--redis URL] [--prefix P] KEY\n"
            "Deletes KEY through the frontend library. Exit status 0 when the key is gone (whether or\n"
            "not it existed), 1 when a node did not confirm (the reason on stderr), 2 on bad usage.");
  AddKeyCommandOptions(o);
  o.AllowPositional("KEY");
  o.ParseOrExit(argc, argv);
  std::string key = OneKeyOrExit(o);
  SetupToolLogging(o);
  auto client = ReadyPoolClientOrNull(o, "del");
  if (!client) return 1;
  Status st = client->Delete(key);
  if (!st.ok()) {
    std::cerr << "mcscale del: " << key << " not deleted: " << st.ToString() << "\n";
    return 1;
  }
  return 0;
}

// Set by SIGINT and SIGTERM for the subcommands that run until stopped.
std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop = true; }

void InstallStopSignals() {
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int RunStatus(int argc, const char* const* argv) {
  Options o("mcscale status",
            "mcscale status [--redis URL] [--prefix P] [--json]\n"
            "Prints the pool as Redis holds it (no coordinator needed): pool id, epoch, state and, per\n"
            "node, its address, regions held, whether its agent is registered, and up/items/bytes\n"
            "from its latest metric sample. Exit status 1 when Redis cannot be read.");
  AddRedisOptions(o);
  o.AddFlag("json", "print one JSON object instead of a table");
  o.ParseOrExit(argc, argv);
  RedisTarget target = RedisTargetOrExit(o);
  RedisClient redis(target.address, 3000);
  auto snap = PoolSnapshot::Read(&redis, target.keys);
  if (!snap.ok()) {
    std::cerr << "mcscale status: " << target.address.ToString() << ": " << snap.status().ToString() << "\n";
    return 1;
  }
  if (o.GetFlag("json")) std::cout << Dump(snap->ToJson()) << "\n";
  else std::cout << snap->ToText(Clock::Real()->NowMs());
  return 0;
}

int RunWatch(int argc, const char* const* argv) {
  Options o("mcscale watch",
            "mcscale watch [--redis URL] [--prefix P] [--from-start]\n"
            "Follows the pool's events, one readable line each, until SIGINT/SIGTERM. It subscribes\n"
            "to <prefix>:events and, after every (re)subscribe and every few seconds, catches up\n"
            "from <prefix>:history, so a Redis restart loses nothing; duplicates are dropped by seq.");
  AddRedisOptions(o);
  o.AddFlag("from-start", "first print every event history still holds");
  o.Add("poll-ms", "2000", "how often history is read even when no message came");
  o.Add("log-level", "warn", "stderr logging: trace, debug, info, warn or error");
  o.ParseOrExit(argc, argv);
  RedisTarget target = RedisTargetOrExit(o);
  int64_t poll_ms = o.IntOrExit("poll-ms", 100, 60000);
  SetupToolLogging(o);
  InstallStopSignals();

  RedisClient redis(target.address, 3000);
  EventFollower follower(
      &redis, target.keys, [](const PoolEvent& ev) { std::cout << EventLog::OneLine(ev) << std::endl; },
      [](const std::string& warning) { std::cerr << "mcscale watch: " << warning << std::endl; });
  if (!o.GetFlag("from-start")) {
    bool told = false;
    for (Status st = follower.StartAtEnd(); !st.ok(); st = follower.StartAtEnd()) {
      if (!told) std::cerr << "mcscale watch: waiting for Redis at " << target.address.ToString() << ": "
                           << st.ToString() << std::endl;
      told = true;
      for (int i = 0; i < 10 && !g_stop; ++i) Clock::Real()->SleepMs(100);
      if (g_stop) return 0;
    }
  }
  RedisSubscriber sub(
      target.address, {target.keys.events()},
      [&](const std::string&, const std::string& message) { follower.OnMessage(message); },
      [&](bool reconnected) {
        // The first call after Redis came back may meet the old connection's end: once more.
        auto caught = follower.CatchUp();
        if (!caught.ok()) caught = follower.CatchUp();
        if (reconnected)
          std::cerr << "mcscale watch: resubscribed to " << target.keys.events() << "; "
                    << (caught.ok() ? std::to_string(*caught) + " event(s) caught up from " + target.keys.history()
                                    : "history unreadable: " + caught.status().ToString())
                    << std::endl;
      });
  sub.Start();
  std::cerr << "mcscale watch: following " << target.keys.events() << " on " << target.address.ToString()
            << " (Ctrl-C stops)" << std::endl;
  // History is read every poll_ms (a hung subscription is not noticed otherwise), and every
  // 250 ms while a catch-up failed.
  int64_t next_poll = Clock::Real()->MonoMs() + poll_ms;
  int64_t next_retry = 0;
  while (!g_stop) {
    Clock::Real()->SleepMs(50);
    int64_t now = Clock::Real()->MonoMs();
    bool retry = follower.behind() && now >= next_retry;
    if (now < next_poll && !retry) continue;
    if (now >= next_poll) next_poll = now + poll_ms;
    next_retry = now + 250;
    (void)follower.CatchUp();
  }
  sub.Stop();
  return 0;
}

int RunTraffic(int argc, const char* const* argv) {
  Options o("mcscale traffic",
            "mcscale traffic [--redis URL] [--prefix P] [--phase-s 40] [--rate 2000] [--duration-s 0]\n"
            "The demo's application: reads through the pool cache-aside, routing each key to its\n"
            "node by region, alternating a cold phase (keys never seen: misses, the pool grows) and a\n"
            "warm phase (a small hot set: hits, the pool shrinks). One line per phase change and\n"
            "per report interval. Runs until SIGINT/SIGTERM or --duration-s.");
  AddRedisOptions(o);
  DemoTrafficOptions d;
  o.Add("phase-s", std::to_string(d.phase_s), "seconds per phase (cold first)");
  o.Add("rate", std::to_string(d.rate), "gets per second");
  o.Add("duration-s", std::to_string(d.duration_s), "stop after this many seconds (0: run until stopped)");
  o.Add("hot-keys", std::to_string(d.hot_keys), "keys of the warm phase");
  o.Add("value-bytes", std::to_string(d.value_bytes), "size of each value set after a miss");
  o.Add("report-s", std::to_string(d.report_s), "seconds between status lines");
  o.Add("log-level", "warn", "stderr logging: trace, debug, info, warn or error");
  o.ParseOrExit(argc, argv);
  RedisTarget target = RedisTargetOrExit(o);
  d.phase_s = static_cast<int>(o.IntOrExit("phase-s", 1, 86400));
  d.rate = static_cast<int>(o.IntOrExit("rate", 1, 1000000));
  d.duration_s = static_cast<int>(o.IntOrExit("duration-s", 0, 365 * 86400));
  d.hot_keys = static_cast<int>(o.IntOrExit("hot-keys", 1, 10000000));
  d.value_bytes = static_cast<int>(o.IntOrExit("value-bytes", 1, 1 << 20));
  d.report_s = static_cast<int>(o.IntOrExit("report-s", 1, 3600));
  SetupToolLogging(o);
  InstallStopSignals();

  RedisClient redis(target.address, 2000);
  DemoTraffic traffic(&redis, target.keys, d, Clock::Real(),
                      [](const std::string& line) { std::cout << line << std::endl; });
  traffic.Run(&g_stop);
  return 0;
}

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(int argc, const char* const* argv);
};

const Subcommand kSubcommands[] = {
    {"region", "print the region of each key and the node that owns it", RunRegion},
    {"get", "read a key through the frontend library", RunGet},
    {"set", "store a key through the frontend library", RunSet},
    {"del", "delete a key through the frontend library", RunDel},
    {"plan", "print the region map and the moves of a resize", RunPlan},
    {"status", "print the pool, its nodes and their agents, read from Redis", RunStatus},
    {"watch", "follow the pool's events, one line each", RunWatch},
    {"traffic", "demo load: cold and warm phases so the pool grows and shrinks", RunTraffic},
};

std::string Usage() {
  std::ostringstream out;
  out << "Usage: mcscale SUBCOMMAND [options]\n"
      << "The operator's tool for an mcscale pool.\n\nSubcommands:\n";
  for (const auto& sub : kSubcommands) {
    std::string name = std::string("  ") + sub.name;
    out << name << std::string(name.size() < 14 ? 14 - name.size() : 1, ' ') << sub.summary << "\n";
  }
  out << "\n'mcscale SUBCOMMAND --help' describes one subcommand; 'mcscale --version' prints the version.\n";
  return out.str();
}

int Main(int argc, const char* const* argv) {
  if (argc < 2) {
    std::cerr << "mcscale: no subcommand given\n" << Usage();
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    std::cout << Usage();
    return 0;
  }
  if (name == "--version") {
    std::cout << "mcscale " << MCSCALE_VERSION << "\n";
    return 0;
  }
  for (const auto& sub : kSubcommands) {
    if (name != sub.name) continue;
    // The subcommand sees "mcscale NAME" as its argv[0].
    std::string program = "mcscale " + name;
    std::vector<const char*> args = {program.c_str()};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    return sub.run(static_cast<int>(args.size()), args.data());
  }
  std::cerr << "mcscale: unknown subcommand '" << name << "'\n"
            << "Try 'mcscale --help' for the list of subcommands.\n";
  return 2;
}

}  // namespace
}  // namespace mcscale

int main(int argc, char** argv) { return mcscale::Main(argc, argv); }
