#include "bench/migrate_bench.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/local_server.h"
#include "common/memcache_client.h"
#include "common/move_planner.h"
#include "common/logging.h"
#include "common/options.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/region_map.h"

namespace mcscale::bench {

namespace {

double NowS() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

nlohmann::json Rounded(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

int64_t Field(const std::map<std::string, std::string>& m, const std::string& name) {
  auto it = m.find(name);
  if (it == m.end()) return 0;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return 0;
  }
}

Result<int64_t> Items(const HostPort& node) {
  MemcacheClient mc(node, 5000);
  auto st = mc.Stats();
  if (!st.ok()) return st.status();
  return static_cast<int64_t>(std::stoll(st->count("curr_items") ? st->at("curr_items") : "0"));
}

// A bounded hand-over of batches between the reading and the storing side of RawCopy.
class BatchQueue {
 public:
  explicit BatchQueue(size_t depth) : depth_(depth) {}
  // False when the other side gave up.
  bool Push(std::vector<MetaRequest> batch) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < depth_ || closed_; });
    if (closed_) return false;
    q_.push_back(std::move(batch));
    cv_.notify_all();
    return true;
  }
  // nullopt once closed and drained.
  std::optional<std::vector<MetaRequest>> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    auto b = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return b;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  size_t depth_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<MetaRequest>> q_;
  bool closed_ = false;
};

}  // namespace

nlohmann::json CopyFigures::ToJson() const {
  return {{"keys", keys},
          {"bytes", bytes},
          {"seconds", Rounded(seconds, 3)},
          {"keys_per_s", Rounded(keys_per_s(), 0)},
          {"mb_per_s", Rounded(mb_per_s(), 2)}};
}

Status MigrateBench::Load(const HostPort& node, uint32_t keys, size_t value_size, int batch_keys) {
  constexpr int kConnections = 2;
  std::vector<Status> results(kConnections);
  std::vector<std::thread> threads;
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      MemcacheClient mc(node, 10000);
      std::vector<MetaRequest> batch;
      auto flush = [&]() -> bool {
        auto r = mc.MetaBatch(batch);
        if (!r.ok()) {
          results[static_cast<size_t>(c)] = r.status();
          return false;
        }
        for (const auto& reply : *r) {
          if (reply.code != "HD") {
            results[static_cast<size_t>(c)] = Status::Protocol("loading " + node.ToString() + ": a store answered " + reply.code);
            return false;
          }
        }
        batch.clear();
        return true;
      };
      for (uint32_t i = static_cast<uint32_t>(c); i < keys; i += kConnections) {
        std::string key = "k" + std::to_string(i);
        std::string value = key + "|";
        value.resize(std::max(value.size(), value_size), '.');
        batch.push_back(MetaRequest{MetaRequest::Verb::kSet, key, "T0", std::move(value)});
        if (static_cast<int>(batch.size()) == batch_keys && (!flush() || Interrupted())) return;
      }
      if (!batch.empty()) flush();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results)
    if (!st.ok()) return st;
  if (Interrupted()) return Status::Io("interrupted");
  return Status::Ok();
}

Result<CopyFigures> MigrateBench::RawCopy(const HostPort& from, const HostPort& to, int batch_keys) {
  CopyFigures out;
  double start = NowS();
  std::vector<std::string> keys;
  {
    MemcacheClient dump(from, 10000);
    Status st = dump.MetadumpHash([&](const MetadumpEntry& e) { keys.push_back(e.key); });
    if (!st.ok()) return Status::Io("metadump of " + from.ToString() + ": " + st.message());
  }
  BatchQueue queue(4);
  Status read_status = Status::Ok();
  std::thread reader([&] {
    MemcacheClient source(from, 10000);
    for (size_t i = 0; i < keys.size() && !Interrupted(); i += static_cast<size_t>(batch_keys)) {
      std::vector<MetaRequest> gets;
      for (size_t j = i; j < std::min(keys.size(), i + static_cast<size_t>(batch_keys)); ++j)
        gets.push_back(MetaRequest{MetaRequest::Verb::kGet, keys[j], "v f t", ""});
      auto got = source.MetaBatch(gets);
      if (!got.ok()) {
        read_status = got.status();
        break;
      }
      std::vector<MetaRequest> sets;
      for (size_t j = 0; j < got->size(); ++j) {
        MetaReply& r = (*got)[j];
        if (r.code != "VA" || !r.value) continue;  // gone since the dump
        std::string ttl = r.flags.count('t') && r.flags['t'] != "-1" ? r.flags['t'] : "0";
        std::string flags = r.flags.count('f') ? r.flags['f'] : "0";
        sets.push_back(MetaRequest{MetaRequest::Verb::kSet, gets[j].key, "F" + flags + " T" + ttl, std::move(*r.value)});
      }
      if (!queue.Push(std::move(sets))) break;
    }
    queue.Close();
  });
  Status write_status = Status::Ok();
  {
    MemcacheClient destination(to, 10000);
    while (auto batch = queue.Pop()) {
      if (batch->empty()) continue;
      auto stored = destination.MetaBatch(*batch);
      if (!stored.ok()) {
        write_status = stored.status();
        queue.Close();
        break;
      }
      for (size_t j = 0; j < stored->size(); ++j) {
        if ((*stored)[j].code != "HD") continue;
        ++out.keys;
        out.bytes += static_cast<int64_t>((*batch)[j].value.size());
      }
    }
  }
  reader.join();
  out.seconds = NowS() - start;
  if (!read_status.ok()) return Status::Io("raw copy, reading " + from.ToString() + ": " + read_status.message());
  if (!write_status.ok()) return Status::Io("raw copy, storing to " + to.ToString() + ": " + write_status.message());
  if (Interrupted()) return Status::Io("interrupted");
  return out;
}

Result<nlohmann::json> MigrateBench::Run() {
  const auto& o = options_;
  auto log = [](const std::string& line) { std::fprintf(stderr, "[migrate] %s\n", line.c_str()); };
  auto dir = ScratchDir::Create("mcscale-migrate-bench");
  if (!dir.ok()) return dir.status();
  if (o.keep_dir) (*dir)->Keep();
  const std::string& path = (*dir)->path();

  // Room for every key on either node: ~200 bytes of key, header and slab rounding per item,
  // and a quarter more for the slab classes' waste.
  int memory_mb = static_cast<int>(std::ceil(static_cast<double>(o.keys) * (static_cast<double>(o.value_size) + 200) *
                                             1.25 / (1 << 20))) + 64;
  auto redis_server = LocalServer::StartRedis(path);
  if (!redis_server.ok()) return redis_server.status();
  auto source_server = LocalServer::StartMemcached(path, memory_mb, "source");
  if (!source_server.ok()) return source_server.status();
  auto destination_server = LocalServer::StartMemcached(path, memory_mb, "destination");
  if (!destination_server.ok()) return destination_server.status();
  const HostPort source{"127.0.0.1", (*source_server)->port()};
  const HostPort destination{"127.0.0.1", (*destination_server)->port()};
  const NodeId source_id = "node-source", destination_id = "node-destination";

  RedisKeys keys("mcscale-migrate");
  std::string redis_url = "redis://127.0.0.1:" + std::to_string((*redis_server)->port());
  RedisClient redis(*RedisAddress::Parse(redis_url), 5000);
  std::vector<std::string> agent_argv = {o.bin_dir + "/mcscale-agent", "--node", source.ToString(),
                                         "--redis", redis_url, "--id", source_id,
                                         "--prefix", keys.prefix(), "--log-level", "info"};
  auto agent = LocalServer::Start("mcscale-agent", agent_argv, path + "/agent.log", [&] {
    auto r = redis.Command({"EXISTS", keys.agent(source_id)});
    return r.ok() && r->integer == 1;
  });
  if (!agent.ok()) return agent.status();
  log(fmt::format("source {} and destination {} (memcached -m {}), agent of the source, redis on {}",
                  source.ToString(), destination.ToString(), memory_mb, redis_url));

  // The mover.
  log(fmt::format("loading {} keys of {} bytes into the source", o.keys, o.value_size));
  double t = NowS();
  Status st = Load(source, o.keys, o.value_size, o.batch_keys);
  if (!st.ok()) return st;
  log(fmt::format("loaded in {:.1f} s", NowS() - t));
  auto loaded = Items(source);
  if (!loaded.ok()) return loaded.status();
  if (*loaded != static_cast<int64_t>(o.keys))
    return Status::Invalid(fmt::format("the source holds {} items after loading {} keys (evictions?)", *loaded, o.keys));

  auto old_map = RegionMap::Initial(RegionMap::kDefaultRegions, {source_id});
  auto new_map = RegionMap::Initial(RegionMap::kDefaultRegions, {destination_id});
  if (!old_map.ok() || !new_map.ok()) return Status::Invalid("cannot build the region maps");
  const int64_t epoch = 1;
  log("issuing the move orders of all 16 regions");
  double mover_start = NowS();
  auto issued = MovePlanner::Issue(&redis, keys, epoch, *old_map, *new_map, {{destination_id, destination.ToString()}},
                                   "mcscale-bench", WallMs());
  if (!issued.ok()) return issued.status();
  bool done = WaitFor(
      [&] {
        auto d = MovePlanner::Done(&redis, keys, epoch);
        return d.ok() && *d;
      },
      o.timeout_s * 1000, 5);
  double mover_s = NowS() - mover_start;
  if (!done) {
    if (Interrupted()) return Status::Io("interrupted");
    return Status::Timeout(fmt::format("the mover was not done after {} s; end of the agent's log:\n{}", o.timeout_s,
                                       (*agent)->LogTail()));
  }
  auto m = redis.HGetAll(keys.migration(epoch));
  if (!m.ok()) return m.status();
  CopyFigures mover;
  mover.keys = Field(*m, "keys_moved");
  mover.bytes = Field(*m, "bytes_moved");
  mover.seconds = mover_s;
  auto left = Items(source);
  auto arrived = Items(destination);
  log(fmt::format("mover: {} keys in {:.2f} s = {:.0f} keys/s, {:.1f} MB/s (source keeps {}, destination holds {})",
                  mover.keys, mover.seconds, mover.keys_per_s(), mover.mb_per_s(), left.ok() ? *left : -1,
                  arrived.ok() ? *arrived : -1));
  (*agent)->Stop();  // idle from here; the raw copy runs without it

  // The ceiling: the same keys, copied plainly into a fresh memcached like the mover's
  // destination was (an emptied one would be faster: its memory and hash table are already
  // grown to a million items).
  (*destination_server)->Stop();
  auto raw_server = LocalServer::StartMemcached(path, memory_mb, "raw-destination");
  if (!raw_server.ok()) return raw_server.status();
  const HostPort raw_destination{"127.0.0.1", (*raw_server)->port()};
  log("reloading the source for the raw copy");
  st = Load(source, o.keys, o.value_size, o.batch_keys);
  if (!st.ok()) return st;
  auto raw = RawCopy(source, raw_destination, o.batch_keys);
  if (!raw.ok()) return raw.status();
  auto copied = Items(raw_destination);
  log(fmt::format("raw copy: {} keys in {:.2f} s = {:.0f} keys/s, {:.1f} MB/s (destination holds {})", raw->keys,
                  raw->seconds, raw->keys_per_s(), raw->mb_per_s(), copied.ok() ? *copied : -1));

  double ratio = raw->keys_per_s() > 0 ? mover.keys_per_s() / raw->keys_per_s() : 0;
  log(fmt::format("mover / raw copy = {:.3f} (goal: at least 0.5)", ratio));
  nlohmann::json mover_json = mover.ToJson();
  mover_json["keys_skipped"] = Field(*m, "keys_skipped");
  mover_json["source_items_after"] = left.ok() ? *left : -1;
  mover_json["destination_items_after"] = arrived.ok() ? *arrived : -1;
  nlohmann::json raw_json = raw->ToJson();
  raw_json["destination_items_after"] = copied.ok() ? *copied : -1;
  return nlohmann::json{{"keys", o.keys},
                        {"value_size", o.value_size},
                        {"batch_keys", o.batch_keys},
                        {"memcached_mb", memory_mb},
                        {"mover", mover_json},
                        {"raw_copy", raw_json},
                        {"mover_to_raw_ratio", Rounded(ratio, 3)},
                        {"goal", 0.5},
                        {"goal_met", ratio >= 0.5}};
}

int MigrateBenchMain(int argc, char** argv) {
  Options o("mcscale-bench migrate",
            "mcscale-bench migrate [options]\n\n"
            "The mover alone on an idle pool: loads --keys keys into one memcached, has its mcscale-agent\n"
            "move all 16 regions to a second memcached, then copies the same keys with a plain pipelined\n"
            "memcached-to-memcached copy (the ceiling), and prints keys/s and MB/s of both and their ratio\n"
            "as JSON on stdout (progress on stderr).");
  o.Add("keys", "1000000", "keys k0..kN-1 to move")
      .Add("value-size", "1024", "bytes per value")
      .Add("batch-keys", "256", "keys per pipelined batch when loading and in the raw copy (the mover's is 256)")
      .Add("timeout-s", "600", "give up when the mover is not done after this long")
      .Add("log-level", "warn", "log level on stderr: trace, debug, info, warn or error")
      .AddFlag("keep", "keep the scratch folder (Redis data, memcached and agent logs)");
  o.ParseOrExit(argc, argv);
  if (Status st = SetupLogging("bench", o.Get("log-level")); !st.ok()) o.Fail(st.message());
  std::vector<std::string> errors;
  auto integer = [&](const char* name, int64_t min, int64_t max) -> int64_t {
    auto r = o.GetInt(name, min, max);
    if (r.ok()) return *r;
    errors.push_back(r.status().message());
    return min;
  };
  MigrateBenchOptions c;
  c.keys = static_cast<uint32_t>(integer("keys", 1, 100'000'000));
  c.value_size = static_cast<size_t>(integer("value-size", 16, 512 * 1024));
  c.batch_keys = static_cast<int>(integer("batch-keys", 1, 100000));
  c.timeout_s = integer("timeout-s", 1, 24 * 3600);
  c.keep_dir = o.GetFlag("keep");
  c.bin_dir = SelfDir();
  if (!errors.empty()) {
    std::string all = errors[0];
    for (size_t i = 1; i < errors.size(); ++i) all += "\nmcscale-bench migrate: " + errors[i];
    o.Fail(all);
  }
  CatchInterrupts();
  auto report = MigrateBench(c).Run();
  if (!report.ok()) {
    std::fprintf(stderr, "mcscale-bench migrate: %s\n", report.status().message().c_str());
    return 1;
  }
  std::printf("%s\n", report->dump().c_str());
  return 0;
}

}  // namespace mcscale::bench
