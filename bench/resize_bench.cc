#include "bench/resize_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "bench/bench_pool.h"
#include "bench/consistency_checker.h"
#include "bench/local_server.h"
#include "bench/minimum_moves.h"
#include "bench/versioned_workload.h"
#include "common/memcache_client.h"
#include "common/logging.h"
#include "common/options.h"
#include "common/region_map.h"
#include "frontend/pool_client.h"

namespace mcscale::bench {

namespace {

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

// One second of one workload segment, placed on the run's time axis.
struct SecondFigures {
  double t_s = 0;  // start of the second, since the first segment began
  uint64_t gets = 0, hits = 0;
  double ratio() const { return gets == 0 ? 0 : static_cast<double>(hits) / static_cast<double>(gets); }
};

// Collects the seconds a running VersionedWorkload reports (on its own thread).
class SecondLog {
 public:
  void Add(const SecondFigures& s) {
    std::lock_guard<std::mutex> lock(mu_);
    seconds_.push_back(s);
  }
  std::vector<SecondFigures> All() {
    std::lock_guard<std::mutex> lock(mu_);
    return seconds_;
  }

 private:
  std::mutex mu_;
  std::vector<SecondFigures> seconds_;
};

// A segment's workload, running on a thread of its own until Finish() (also on every early
// return, so no thread outlives the client it uses).
class RunningWorkload {
 public:
  RunningWorkload(PoolClient* client, const WorkloadOptions& options, double offset_s, const std::string& label,
                  SecondLog* log)
      : workload_(client, options) {
    thread_ = std::thread([this, offset_s, label, log] {
      workload_.Run([&](const VersionedWorkload::Second& s) {
        SecondFigures f{offset_s + static_cast<double>(s.t), s.gets, s.hits};
        log->Add(f);
        std::fprintf(stderr, "[%s] t=%6.1f s  hit ratio %.4f  (%llu gets, %llu sets, %llu deletes, %llu failed writes)\n",
                     label.c_str(), f.t_s, f.ratio(), static_cast<unsigned long long>(s.gets),
                     static_cast<unsigned long long>(s.sets), static_cast<unsigned long long>(s.deletes),
                     static_cast<unsigned long long>(s.write_failures));
      });
    });
  }
  ~RunningWorkload() { Finish(); }
  void Finish() {
    workload_.Stop();
    if (thread_.joinable()) thread_.join();
  }
  // REQUIRES: Finish() was called.
  std::vector<OpRecord> Records() const { return workload_.Records(); }

 private:
  VersionedWorkload workload_;
  std::thread thread_;
};

// Sleeps `s` seconds unless interrupted; false when interrupted.
bool Pause(double s) {
  WaitFor([] { return false; }, static_cast<int64_t>(s * 1000), 20);
  return !Interrupted();
}

struct LostKeys {
  size_t checked = 0;
  size_t lost = 0;
  std::vector<std::string> examples;
};

// Reads every decidable single-writer key through the client and compares it with what the
// operation logs say it must hold.
LostKeys CheckLost(PoolClient* client, const std::map<uint32_t, uint64_t>& expected, uint32_t keys) {
  LostKeys out;
  std::vector<std::string> batch;
  std::vector<uint64_t> want;
  auto flush = [&] {
    auto got = client->MultiGet(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      auto it = got.find(batch[i]);
      uint64_t have = it == got.end() ? kNoVersion : VersionOf(it->second.value);
      if (have != want[i] && ++out.lost <= 5)
        out.examples.push_back(fmt::format("{}: expected version {}, found {}", batch[i], want[i], have));
    }
    out.checked += batch.size();
    batch.clear();
    want.clear();
  };
  for (const auto& [key, version] : expected) {
    if (key >= keys / 2) continue;  // single-writer keys only (VersionedWorkload's first half)
    batch.push_back("k" + std::to_string(key));
    want.push_back(version);
    if (batch.size() == 500) flush();
  }
  if (!batch.empty()) flush();
  return out;
}

int64_t FieldInt(const std::map<std::string, std::string>& m, const std::string& name, int64_t fallback = 0) {
  auto it = m.find(name);
  if (it == m.end()) return fallback;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return fallback;
  }
}

nlohmann::json Rounded(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

}  // namespace

Result<std::vector<ResizeStep>> ResizeBench::ParseSteps(const std::string& text, int max_nodes) {
  std::vector<ResizeStep> steps;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string token = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    int a = 0, b = 0;
    char tail = 0;
    if (std::sscanf(token.c_str(), "%d:%d%c", &a, &b, &tail) != 2)
      return Status::Invalid(fmt::format("'{}': expected FROM:TO, e.g. 3:4", token));
    if (a < 1 || a > max_nodes || b < 1 || b > max_nodes)
      return Status::Invalid(fmt::format("'{}': node counts must be within 1..{}", token, max_nodes));
    if (a == b) return Status::Invalid(fmt::format("'{}': FROM and TO are the same size", token));
    if (!steps.empty() && steps.back().to != a)
      return Status::Invalid(fmt::format("'{}' starts at {} nodes, but the resize before it ends at {}", token, a,
                                         steps.back().to));
    steps.push_back(ResizeStep{a, b});
  }
  if (steps.empty()) return Status::Invalid("expected at least one FROM:TO");
  return steps;
}

int ResizeBench::CapacityMb(uint32_t keys, size_t value_size, int smallest_pool) {
  // A region share of ceil(16/n)/16 per node; about 200 bytes of key, header and slab
  // rounding per item; twice that for the slab classes' waste and tombstones.
  double share = std::ceil(16.0 / smallest_pool) / 16.0;
  double bytes = static_cast<double>(keys) * (static_cast<double>(value_size) + 200) * share * 2;
  return std::max(64, static_cast<int>(std::ceil(bytes / (1 << 20))) + 16);
}

Result<ResizeRunReport> ResizeBench::Run(const std::string& label) {
  const auto& o = options_;
  auto log = [&](const std::string& line) { std::fprintf(stderr, "[%s] %s\n", label.c_str(), line.c_str()); };
  auto dir = ScratchDir::Create("mcscale-resize-bench");
  if (!dir.ok()) return dir.status();
  if (o.keep_dir) (*dir)->Keep();

  int smallest = o.steps.front().from, largest = o.steps.front().from;
  for (const auto& s : o.steps) {
    smallest = std::min(smallest, s.to);
    largest = std::max(largest, s.to);
  }
  BenchPoolOptions po;
  po.dir = (*dir)->path();
  po.bin_dir = o.bin_dir;
  po.initial_nodes = o.steps.front().from;
  po.max_nodes = std::max(8, largest);
  po.node_capacity_mb = o.node_capacity_mb > 0 ? o.node_capacity_mb : CapacityMb(o.keys, o.value_size, smallest);
  po.agent_interval_ms = o.agent_interval_ms;
  po.live_migration = o.live_migration;
  log(fmt::format("starting a pool of {} nodes ({} MB each, {}) in {}", po.initial_nodes, po.node_capacity_mb,
                  o.live_migration ? "live migration" : "remap only, --no-migration", po.dir));
  auto pool_or = BenchPool::Start(po);
  if (!pool_or.ok()) return pool_or.status();
  BenchPool& pool = **pool_or;

  // Two frontends: the loader's, patient (a node that stalls for a moment on this shared
  // machine must not leave keys unloaded), and the workload's, with the library's timeout.
  PoolClientOptions pc;
  pc.redis_url = pool.redis_url();
  pc.prefix = pool.keys().prefix();
  auto start_client = [&](const std::string& id, int64_t timeout_ms) -> Result<std::unique_ptr<PoolClient>> {
    pc.id = id;
    pc.request_timeout_ms = timeout_ms;
    auto c = PoolClient::Create(pc);
    if (!c.ok()) return c.status();
    if (!(*c)->WaitReady(60000)) return Status::Timeout("the frontend library found no pool to route by in 60 s");
    return std::move(*c);
  };

  // Workload writer ids: segment i is "process" i of steps.size(), so no two segments
  // write the same version and the single-writer keys stay single-writer across segments.
  WorkloadOptions w;
  w.keys = o.keys;
  w.value_size = o.value_size;
  w.threads = o.threads;
  w.processes = static_cast<int>(o.steps.size());
  w.zipf = o.zipf;
  w.rate = 0;
  w.seed = o.seed;
  ConsistencyChecker checker;
  log(fmt::format("loading {} keys of {} bytes", o.keys, o.value_size));
  int64_t load_start = MonoNs();
  uint64_t load_failures = 0;
  {
    auto loader_client = start_client("mcscale-bench-resize-loader", std::max<int64_t>(2000, o.request_timeout_ms));
    if (!loader_client.ok()) return loader_client.status();
    VersionedWorkload loader(loader_client->get(), w);
    load_failures = loader.Load();
    checker.Add(loader.Records());
  }
  auto client_or = start_client("mcscale-bench-resize", o.request_timeout_ms);
  if (!client_or.ok()) return client_or.status();
  std::unique_ptr<PoolClient> client = std::move(*client_or);
  double load_s = Seconds(MonoNs() - load_start);
  log(fmt::format("loaded in {:.1f} s ({} writes not acknowledged)", load_s, load_failures));
  if (Interrupted()) return Status::Io("interrupted");

  SecondLog seconds;
  ResizeRunReport report;
  nlohmann::json resizes = nlohmann::json::array();
  size_t lost_most = 0;  // each check counts every key lost so far: the run's figure is the largest
  std::vector<double> resize_at;  // per step, on the run's time axis
  std::vector<double> segment_end;
  const int64_t t0 = MonoNs();
  for (size_t i = 0; i < o.steps.size(); ++i) {
    const ResizeStep& step = o.steps[i];
    auto before = pool.Pool();
    if (!before.ok()) return before.status();
    w.process_index = static_cast<int>(i);
    w.rate = o.rate;
    w.seed = o.seed + i;
    std::vector<OpRecord> records;
    double resize_t = 0, stable_t = 0;
    {
      RunningWorkload running(client.get(), w, Seconds(MonoNs() - t0), label, &seconds);
      if (!Pause(i == 0 ? o.steady_s : o.lead_s)) return Status::Io("interrupted");
      resize_t = Seconds(MonoNs() - t0);
      log(fmt::format("resize {} -> {} nodes at t={:.1f} s", step.from, step.to, resize_t));
      Status st = pool.Resize(step.to);
      if (!st.ok()) return st;
      st = pool.WaitStable(step.to, o.resize_timeout_s * 1000);
      if (!st.ok()) return st;
      stable_t = Seconds(MonoNs() - t0);
      log(fmt::format("stable at {} nodes at t={:.1f} s ({:.1f} s after the request)", step.to, stable_t,
                      stable_t - resize_t));
      if (!Pause(o.settle_s)) return Status::Io("interrupted");
      running.Finish();
      records = running.Records();
    }
    resize_at.push_back(resize_t);
    segment_end.push_back(Seconds(MonoNs() - t0));
    report.resizes.push_back(ChartMarker{resize_t, fmt::format("{}→{}", step.from, step.to)});

    auto after = pool.Pool();
    if (!after.ok()) return after.status();
    if (!client->WaitForEpoch(after->epoch, true, 30000))
      return Status::Timeout(fmt::format("the frontend library did not reach epoch {} in 30 s", after->epoch));
    checker.Add(records);
    LostKeys lost = CheckLost(client.get(), checker.ExpectedState(), o.keys);
    lost_most = std::max(lost_most, lost.lost);
    for (const auto& e : lost.examples) log("lost: " + e);

    auto moves = RegionMap::Moves(before->regions, after->regions);
    size_t minimum = MinimumMoves(before->regions, after->regions.Nodes());
    auto m = pool.redis().HGetAll(pool.keys().migration(after->epoch));
    std::map<std::string, std::string> mig = m.ok() ? *m : std::map<std::string, std::string>{};
    int64_t resized_ts = 0, done_ts = 0;
    auto history = pool.History();
    if (history.ok()) {
      for (const auto& ev : *history) {
        if (ev.epoch != after->epoch) continue;
        if (ev.type == EventType::kPoolResized) resized_ts = ev.ts;
        if (ev.type == EventType::kMigrationDone) done_ts = ev.ts;
      }
    }
    nlohmann::json r = {{"from", step.from},
                        {"to", step.to},
                        {"epoch", after->epoch},
                        {"regions_moved", moves.size()},
                        {"regions_minimum", minimum},
                        {"keys_moved", FieldInt(mig, "keys_moved")},
                        {"bytes_moved", FieldInt(mig, "bytes_moved")},
                        {"keys_skipped", FieldInt(mig, "keys_skipped")},
                        {"lost_keys", lost.lost},
                        {"single_writer_keys_checked", lost.checked},
                        {"resize_at_s", Rounded(resize_t, 2)},
                        {"stable_at_s", Rounded(stable_t, 2)}};
    r["migration_s"] = resized_ts > 0 && done_ts >= resized_ts ? nlohmann::json(Rounded((done_ts - resized_ts) / 1e3, 3))
                                                              : nlohmann::json();
    int64_t planned_ms = FieldInt(mig, "planned_ms", 0);
    if (planned_ms > 0 && done_ts > planned_ms) {
      double mover_s = static_cast<double>(done_ts - planned_ms) / 1e3;
      r["mover_s"] = Rounded(mover_s, 3);
      r["keys_per_s"] = Rounded(static_cast<double>(FieldInt(mig, "keys_moved")) / mover_s, 0);
      r["mb_per_s"] = Rounded(static_cast<double>(FieldInt(mig, "bytes_moved")) / 1e6 / mover_s, 2);
    } else {
      r["mover_s"] = nullptr;
      r["keys_per_s"] = nullptr;
      r["mb_per_s"] = nullptr;
    }
    log(fmt::format("epoch {}: {} regions moved (minimum {}), {} keys moved, migration {} s, {} lost of {} checked",
                    after->epoch, moves.size(), minimum, FieldInt(mig, "keys_moved"), r["migration_s"].dump(),
                    lost.lost, lost.checked));
    resizes.push_back(r);
  }

  // Hit ratios: steady state before the first resize; per resize the lowest second from
  // the one that holds the request to the end of its segment. A second in which the machine
  // stalled the workload (fewer than a quarter of the steady gets: its ratio rests on a
  // handful of reads) is left out of both, and out of the chart.
  auto all = seconds.All();
  std::sort(all.begin(), all.end(), [](const SecondFigures& a, const SecondFigures& b) { return a.t_s < b.t_s; });
  auto mean_ratio = [&](double from, double to, double min_gets, double* gets_mean) {
    double sum = 0, gets = 0;
    int n = 0;
    for (const auto& s : all) {
      if (s.t_s < from || s.t_s + 1 > to || s.gets == 0 || static_cast<double>(s.gets) < min_gets) continue;
      sum += s.ratio();
      gets += static_cast<double>(s.gets);
      ++n;
    }
    if (gets_mean) *gets_mean = n > 0 ? gets / n : 0;
    return n > 0 ? sum / n : 0;
  };
  double steady_gets = 0;
  const double steady = mean_ratio(0, resize_at[0], 1, &steady_gets);
  const double thin = steady_gets / 4;
  double lowest_fraction = 1;
  for (size_t i = 0; i < resizes.size(); ++i) {
    double lowest = 1;
    double lowest_at = resize_at[i];
    int thin_seconds = 0;
    for (const auto& s : all) {
      bool in_window = s.t_s + 1 > resize_at[i] && s.t_s < segment_end[i];
      if (!in_window) continue;
      if (static_cast<double>(s.gets) < thin) {
        ++thin_seconds;
        continue;
      }
      if (s.ratio() < lowest) {
        lowest = s.ratio();
        lowest_at = s.t_s;
      }
    }
    double segment_start = i == 0 ? 0 : segment_end[i - 1];
    double fraction = steady > 0 ? lowest / steady : 0;
    resizes[i]["hit_ratio_before"] = Rounded(mean_ratio(segment_start, resize_at[i], thin, nullptr), 4);
    resizes[i]["lowest_hit_ratio"] = Rounded(lowest, 4);
    resizes[i]["lowest_hit_ratio_at_s"] = Rounded(lowest_at, 2);
    resizes[i]["lowest_hit_ratio_fraction"] = Rounded(fraction, 4);
    resizes[i]["thin_seconds"] = thin_seconds;
    lowest_fraction = std::min(lowest_fraction, fraction);
  }

  ConsistencyChecker::Report stale = checker.CheckStaleReads();
  uint64_t evictions = 0;
  if (auto nodes = pool.Nodes(); nodes.ok()) {
    for (const auto& [id, address] : *nodes) {
      auto hp = HostPort::Parse(address);
      if (!hp.ok()) continue;
      MemcacheClient mc(*hp, 2000);
      auto st = mc.Stats();
      if (st.ok() && st->count("evictions")) evictions += std::stoull(st->at("evictions"));
    }
  }

  nlohmann::json per_second = nlohmann::json::array();
  for (const auto& s : all) {
    bool thin_second = static_cast<double>(s.gets) < thin;
    per_second.push_back({{"t", Rounded(s.t_s, 2)}, {"gets", s.gets}, {"hits", s.hits},
                          {"hit_ratio", Rounded(s.ratio(), 4)}, {"thin", thin_second}});
    // Drawn at the middle of its second; a thin one breaks the line.
    if (!thin_second) report.seconds.push_back(ChartPoint{s.t_s + 0.5, s.ratio()});
  }
  report.summary = {
      {"mode", o.live_migration ? "live migration" : "remap only (--no-migration)"},
      {"config",
       {{"keys", o.keys}, {"value_size", o.value_size}, {"rate", o.rate}, {"threads", o.threads},
        {"dist", o.zipf ? "zipf" : "uniform"}, {"seed", o.seed}, {"steady_s", o.steady_s},
        {"settle_s", o.settle_s}, {"node_capacity_mb", po.node_capacity_mb},
        {"agent_interval_ms", o.agent_interval_ms}, {"request_timeout_ms", o.request_timeout_ms}}},
      {"load", {{"keys", o.keys}, {"seconds", Rounded(load_s, 2)}, {"failures", load_failures}}},
      {"steady_hit_ratio", Rounded(steady, 4)},
      {"lowest_hit_ratio_fraction", Rounded(lowest_fraction, 4)},
      {"stale_reads", stale.stale_reads},
      {"reads_checked", stale.reads},
      {"unknown_versions", stale.unknown_versions},
      {"stale_examples", stale.examples},
      {"lost_keys", lost_most},
      {"evictions", evictions},
      {"resizes", resizes},
      {"seconds", per_second}};
  log(fmt::format("steady hit ratio {:.4f}; lowest during a resize {:.4f} of it; {} stale of {} reads; {} lost",
                  steady, lowest_fraction, stale.stale_reads, stale.reads, lost_most));

  client.reset();  // its lease goes before the pool does
  Status retired = pool.Retire();
  if (!retired.ok()) {
    log("cleanup: " + retired.message());
    report.summary["cleanup"] = retired.message();
  }
  return report;
}

namespace {

Options DeclareResizeOptions() {
  Options o("mcscale-bench resize",
            "mcscale-bench resize --resizes 3:4,4:2,2:5 [options]\n\n"
            "Starts a pool of its own (redis-server, mcscale-coordinator, memcached nodes with agents),\n"
            "loads --keys keys through the frontend library, runs the versioned mixed workload (90% get,\n"
            "9% set, 1% delete) at --rate, resizes the pool as given (each FROM:TO waits for the pool to\n"
            "be stable), and reports the per-second hit ratio (stderr) and a JSON summary (stdout): lost\n"
            "keys, stale reads, regions moved against the minimum, migration time, keys/s and MB/s moved,\n"
            "the lowest hit ratio during each resize as a fraction of the steady state.");
  o.Add("resizes", "3:4,4:2,2:5", "the resizes, FROM:TO,...; the pool starts at the first FROM")
      .Add("keys", "100000", "keys k0..kN-1 (first half single-writer, second half shared)")
      .Add("value-size", "1024", "bytes per value")
      .Add("rate", "2000", "operations per second, over all threads")
      .Add("threads", "4", "workload threads")
      .Add("dist", "uniform", "key choice: uniform or zipf")
      .Add("seed", "1", "random seed")
      .Add("steady-s", "10", "seconds of workload before the first resize (the steady state)")
      .Add("settle-s", "5", "seconds of workload after each resize is stable")
      .Add("lead-s", "2", "seconds of workload before each later resize")
      .Add("resize-timeout-s", "300", "give up when a resize is not stable after this long")
      .Add("node-capacity-mb", "0", "memory per node (0: enough for every key on the smallest pool)")
      .Add("request-timeout-ms", "200", "the workload's per-request timeout in the frontend library (loading: at least 2000)")
      .Add("out", "", "folder for resize.json and hit_ratio.svg")
      .AddFlag("no-migration", "run the coordinator with --no-migration (remap only: the baseline)")
      .AddFlag("compare-baseline", "run with live migration, then the remap-only baseline, and draw both")
      .Add("log-level", "warn", "the frontend library's log level on stderr: trace, debug, info, warn or error")
      .AddFlag("keep", "keep each run's scratch folder (Redis data, coordinator, node and agent logs)");
  return o;
}

ResizeBenchOptions ReadResizeOptions(const Options& o) {
  ResizeBenchOptions c;
  std::vector<std::string> errors;
  auto integer = [&](const char* name, int64_t min, int64_t max) -> int64_t {
    auto r = o.GetInt(name, min, max);
    if (r.ok()) return *r;
    errors.push_back(r.status().message());
    return min;
  };
  auto real = [&](const char* name, double min, double max) -> double {
    auto r = o.GetDouble(name, min, max);
    if (r.ok()) return *r;
    errors.push_back(r.status().message());
    return min;
  };
  auto steps = ResizeBench::ParseSteps(o.Get("resizes"), RegionMap::kDefaultRegions);
  if (steps.ok()) c.steps = *steps;
  else errors.push_back("--resizes: " + steps.status().message());
  c.keys = static_cast<uint32_t>(integer("keys", 100, 10'000'000));
  c.value_size = static_cast<size_t>(integer("value-size", 24, 512 * 1024));
  c.rate = real("rate", 10, 1e6);
  c.threads = static_cast<int>(integer("threads", 1, 64));
  if (o.Get("dist") != "uniform" && o.Get("dist") != "zipf")
    errors.push_back("--dist: expected uniform or zipf, got '" + o.Get("dist") + "'");
  c.zipf = o.Get("dist") == "zipf";
  c.seed = static_cast<uint64_t>(integer("seed", 0, INT64_MAX));
  c.steady_s = real("steady-s", 2, 3600);
  c.settle_s = real("settle-s", 1, 3600);
  c.lead_s = real("lead-s", 0, 3600);
  c.resize_timeout_s = integer("resize-timeout-s", 5, 24 * 3600);
  c.node_capacity_mb = static_cast<int>(integer("node-capacity-mb", 0, 1 << 20));
  c.request_timeout_ms = integer("request-timeout-ms", 1, 60000);
  if (c.node_capacity_mb > 0 && c.node_capacity_mb < 8) errors.push_back("--node-capacity-mb: at least 8 (memcached refuses less)");
  if (o.GetFlag("no-migration") && o.GetFlag("compare-baseline"))
    errors.push_back("--no-migration and --compare-baseline: give one, not both (--compare-baseline runs both)");
  c.live_migration = !o.GetFlag("no-migration");
  c.keep_dir = o.GetFlag("keep");
  c.bin_dir = SelfDir();
  if (!errors.empty()) {
    std::string all = errors[0];
    for (size_t i = 1; i < errors.size(); ++i) all += "\nmcscale-bench resize: " + errors[i];
    o.Fail(all);
  }
  return c;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  return out ? Status::Ok() : Status::Io("cannot write " + path);
}

}  // namespace

int ResizeBenchMain(int argc, char** argv) {
  Options options = DeclareResizeOptions();
  options.ParseOrExit(argc, argv);
  ResizeBenchOptions config = ReadResizeOptions(options);
  if (Status st = SetupLogging("bench", options.Get("log-level")); !st.ok()) options.Fail(st.message());
  std::string out_dir = options.Get("out");
  if (!out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) options.Fail("--out: cannot create " + out_dir + ": " + ec.message());
  }
  CatchInterrupts();

  std::vector<std::pair<std::string, bool>> runs;  // label, live migration
  if (options.GetFlag("compare-baseline")) runs = {{"migration", true}, {"baseline", false}};
  else runs = {{config.live_migration ? "migration" : "baseline", config.live_migration}};

  nlohmann::json result = nlohmann::json::object();
  HitRatioChart chart(fmt::format("Per-second hit ratio, {} keys of {} B, {} ops/s, resizes {}", config.keys,
                                  config.value_size, config.rate, options.Get("resizes")));
  chart.SetNote("Each resize runs the workload in a segment of its own; the gaps between segments are the "
                "lost-key checks, with the workload stopped.");
  const char* colors[] = {"#1f77b4", "#d62728"};
  for (size_t i = 0; i < runs.size(); ++i) {
    ResizeBenchOptions run_options = config;
    run_options.live_migration = runs[i].second;
    auto report = ResizeBench(run_options).Run(runs[i].first);
    if (!report.ok()) {
      std::fprintf(stderr, "mcscale-bench resize: %s run: %s\n", runs[i].first.c_str(),
                   report.status().message().c_str());
      return 1;
    }
    result[runs[i].first] = report->summary;
    chart.Add(ChartSeries{runs[i].second ? "with live migration" : "remap only (--no-migration)", colors[i],
                          report->seconds, report->resizes});
  }
  if (runs.size() == 1) result = result[runs[0].first];
  if (!out_dir.empty()) {
    std::string json_path = out_dir + "/resize.json", svg_path = out_dir + "/hit_ratio.svg";
    Status st = WriteFile(json_path, result.dump(2) + "\n");
    if (st.ok()) st = WriteFile(svg_path, chart.Svg());
    if (!st.ok()) {
      std::fprintf(stderr, "mcscale-bench resize: %s\n", st.message().c_str());
      return 1;
    }
    std::fprintf(stderr, "wrote %s and %s\n", json_path.c_str(), svg_path.c_str());
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

}  // namespace mcscale::bench
