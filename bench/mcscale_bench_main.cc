// mcscale-bench: the load generator every mcscale benchmark uses. Drives one
// memcached-protocol server (or, with --compare, two in alternating rounds) with a get/set
// mix over a uniform or zipf key space and reports ops/s, hit ratio, errors and latency
// percentiles. Exit status: 0 after a run (even with errors counted in it), 1 when the load
// could not run (no connection), 2 for bad options.
//
// Subcommands: `mcscale-bench resize ...` (resize_bench.h) and `mcscale-bench migrate ...`
// (migrate_bench.h), each with its own --help.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/comparison.h"
#include "bench/load_runner.h"
#include "bench/memcache_target.h"
#include "bench/migrate_bench.h"
#include "bench/resize_bench.h"
#include "bench/run_report.h"
#include "bench/workload.h"
#include "common/host_port.h"
#include "common/options.h"

namespace mcscale::bench {
namespace {

struct BenchConfig {
  std::vector<HostPort> targets;  // one, or A and B with --compare
  bool compare = false;
  int rounds = 5;
  LoadShape shape;
  RunLimits limits;
  WorkloadSpec spec;
  bool warmup = false;
  uint64_t seed = 1;
  bool json = false;
};

Options DeclareOptions() {
  Options o("mcscale-bench",
            "mcscale-bench [options]\n"
            "       mcscale-bench --compare A B [options]\n"
            "       mcscale-bench resize|migrate [options]   (resize and migration benchmarks; each has --help)\n\n"
            "Load generator for memcached-protocol servers: keeps --pipeline get/set requests in\n"
            "flight on each of --connections connections, driven by --threads event loops, and\n"
            "reports ops/s, hit ratio, errors and p50/p99/p99.9 latency. With --compare it runs\n"
            "the same load against A and B in alternating rounds (A first in odd rounds, B first\n"
            "in even ones) and prints each round and the median B/A ratios.");
  o.Add("server", "127.0.0.1:11211", "server to load, HOST:PORT")
      .Add("threads", "2", "load threads, each an event loop over its share of the connections")
      .Add("connections", "50", "connections in total, spread over the threads")
      .Add("pipeline", "1", "requests kept in flight per connection")
      .Add("ratio", "9:1", "GETS:SETS weights, e.g. 9:1, 1:1, 1:0 (gets only)")
      .Add("keys", "100000", "distinct keys, named <key-prefix><0..keys-1>")
      .Add("dist", "uniform", "key distribution: uniform or zipf (key 0 hottest)")
      .Add("zipf-s", "0.99", "zipf exponent, with --dist zipf")
      .Add("value-size", "100", "bytes per value set")
      .Add("key-prefix", "key:", "prefix of every key")
      .Add("duration-s", "10", "seconds per run (with --compare: per target and round)")
      .Add("requests", "", "operations per run, instead of --duration-s")
      .AddFlag("warmup", "set every key once first (pipelined), so gets hit")
      .Add("seed", "1", "random seed; the same seed gives the same operations")
      .Add("timeout-ms", "5000", "a request unanswered this long fails its connection")
      .AddFlag("json", "print one JSON object with the results on stdout (progress on stderr)")
      .Add("compare", "", "A, followed by B: compare two servers (HOST:PORT each); or A,B")
      .Add("rounds", "5", "rounds with --compare")
      .AllowPositional("B");
  return o;
}

// Reads and checks every option; exits 2 listing everything that is wrong.
BenchConfig ReadConfig(const Options& o) {
  BenchConfig c;
  std::vector<std::string> errors;
  auto integer = [&](const char* name, int64_t min, int64_t max, int64_t fallback) {
    auto r = o.GetInt(name, min, max);
    if (r.ok()) return *r;
    errors.push_back(r.status().message());
    return fallback;
  };
  auto address = [&](const std::string& option, const std::string& text) {
    auto r = HostPort::Parse(text);
    if (r.ok()) return *r;
    errors.push_back("--" + option + ": " + r.status().message());
    return HostPort{};
  };

  c.shape.threads = static_cast<int>(integer("threads", 1, 256, 1));
  c.shape.connections = static_cast<int>(integer("connections", 1, 10000, 1));
  c.shape.pipeline = static_cast<int>(integer("pipeline", 1, 4096, 1));
  c.shape.timeout_ms = integer("timeout-ms", 10, 600000, 5000);
  if (c.shape.threads > c.shape.connections)
    errors.push_back(fmt::format("--threads: {} threads for {} connections; a thread needs at least one",
                                 c.shape.threads, c.shape.connections));

  auto ratio = Workload::ParseRatio(o.Get("ratio"));
  if (ratio.ok()) c.spec.ratio = *ratio;
  else errors.push_back("--ratio: " + ratio.status().message());
  auto dist = Workload::ParseDistribution(o.Get("dist"));
  if (dist.ok()) c.spec.distribution = *dist;
  else errors.push_back("--dist: " + dist.status().message());
  c.spec.keys = static_cast<uint64_t>(integer("keys", 1, Workload::kMaxKeys, 1));
  auto zipf_s = o.GetDouble("zipf-s", 0.01, 10);
  if (zipf_s.ok()) c.spec.zipf_s = *zipf_s;
  else errors.push_back(zipf_s.status().message());
  c.spec.value_size = static_cast<uint32_t>(integer("value-size", 0, 1000000, 100));
  c.spec.key_prefix = o.Get("key-prefix");
  if (errors.empty()) {
    Status st = Workload::Validate(c.spec);
    if (!st.ok()) errors.push_back("--" + st.message());
  }

  if (o.IsSet("requests")) {
    c.limits.requests = integer("requests", 1, 1'000'000'000'000, 1);
    if (o.IsSet("duration-s")) errors.push_back("--requests and --duration-s: give one, not both");
  } else {
    auto d = o.GetDouble("duration-s", 0.05, 86400);
    if (d.ok()) c.limits.duration_s = *d;
    else errors.push_back(d.status().message());
  }
  c.warmup = o.GetFlag("warmup");
  c.seed = static_cast<uint64_t>(integer("seed", 0, INT64_MAX, 1));
  c.json = o.GetFlag("json");

  const auto& positional = o.positional();
  if (o.IsSet("compare")) {
    c.compare = true;
    std::string a = o.Get("compare");
    std::string b;
    auto comma = a.find(',');
    if (comma != std::string::npos) {
      b = a.substr(comma + 1);
      a = a.substr(0, comma);
      if (!positional.empty()) errors.push_back("unexpected argument '" + positional[0] + "'");
    } else if (positional.size() == 1) {
      b = positional[0];
    } else {
      errors.push_back(positional.empty() ? "--compare: needs two addresses, --compare A B"
                                          : "--compare: takes two addresses, got more");
    }
    c.targets.push_back(address("compare", a));
    if (!b.empty()) c.targets.push_back(address("compare", b));
    if (o.IsSet("server")) errors.push_back("--server and --compare: give one, not both");
    c.rounds = static_cast<int>(integer("rounds", 1, 1000, 5));
  } else {
    if (!positional.empty()) errors.push_back("unexpected argument '" + positional[0] + "'");
    if (o.IsSet("rounds")) errors.push_back("--rounds: only with --compare");
    c.targets.push_back(address("server", o.Get("server")));
  }

  if (!errors.empty()) {
    std::string all = errors[0];
    for (size_t i = 1; i < errors.size(); ++i) all += "\nmcscale-bench: " + errors[i];
    o.Fail(all);
  }
  return c;
}

nlohmann::json ConfigJson(const BenchConfig& c) {
  nlohmann::json j = {{"threads", c.shape.threads},
                      {"connections", c.shape.connections},
                      {"pipeline", c.shape.pipeline},
                      {"ratio", c.spec.ratio.ToString()},
                      {"keys", c.spec.keys},
                      {"dist", Workload::DistributionName(c.spec.distribution)},
                      {"value_size", c.spec.value_size},
                      {"warmup", c.warmup},
                      {"seed", c.seed}};
  if (c.spec.distribution == KeyDistribution::kZipf) j["zipf_s"] = c.spec.zipf_s;
  if (c.limits.requests > 0) j["requests"] = c.limits.requests;
  else j["duration_s"] = c.limits.duration_s;
  if (c.compare) j["rounds"] = c.rounds;
  return j;
}

std::string ConfigText(const BenchConfig& c) {
  std::string dist = Workload::DistributionName(c.spec.distribution);
  if (c.spec.distribution == KeyDistribution::kZipf) dist += fmt::format(" s={}", c.spec.zipf_s);
  std::string length = c.limits.requests > 0 ? fmt::format("{} requests", c.limits.requests)
                                             : fmt::format("{} s", c.limits.duration_s);
  return fmt::format("{} threads, {} connections, pipeline {}, ratio {}, {} keys {}, {}-byte values, {} per run",
                     c.shape.threads, c.shape.connections, c.shape.pipeline, c.spec.ratio.ToString(),
                     c.spec.keys, dist, c.spec.value_size, length);
}

[[noreturn]] void Die(const Status& st) {
  std::fprintf(stderr, "mcscale-bench: %s\n", st.message().c_str());
  std::exit(1);
}

int Main(int argc, char** argv) {
  Options options = DeclareOptions();
  options.ParseOrExit(argc, argv);
  const BenchConfig config = ReadConfig(options);
  // With --json, stdout carries only the JSON object.
  std::FILE* out = config.json ? stderr : stdout;

  Workload workload(config.spec);
  std::vector<std::unique_ptr<MemcacheTarget>> targets;
  for (const auto& address : config.targets) {
    auto t = MemcacheTarget::Create(address);
    if (!t.ok()) Die(t.status());
    targets.push_back(std::move(*t));
  }
  std::fprintf(out, "mcscale-bench %s: %s\n", MCSCALE_VERSION, ConfigText(config).c_str());

  nlohmann::json report = {{"config", ConfigJson(config)}};
  for (auto& target : targets) {
    if (!config.warmup) break;
    auto warm = LoadRunner(target.get(), &workload, config.shape).Warmup();
    if (!warm.ok()) Die(warm.status());
    std::fputs(WarmupText(target->Name(), *warm).c_str(), out);
    std::fflush(out);
    report["warmup"][target->Name()] = StatsJson(*warm);
  }

  if (!config.compare) {
    report["target"] = targets[0]->Name();
    auto run = LoadRunner(targets[0].get(), &workload, config.shape).Run(config.limits, config.seed);
    if (!run.ok()) Die(run.status());
    if (config.json) {
      report.update(StatsJson(*run));
      std::printf("%s\n", report.dump().c_str());
    } else {
      std::fprintf(out, "target %s\n%s", targets[0]->Name().c_str(), StatsText(*run).c_str());
    }
    return 0;
  }

  std::fprintf(out, "A = %s, B = %s\n", targets[0]->Name().c_str(), targets[1]->Name().c_str());
  LoadRunner runner_a(targets[0].get(), &workload, config.shape);
  LoadRunner runner_b(targets[1].get(), &workload, config.shape);
  Comparison comparison;
  for (int number = 1; number <= config.rounds; ++number) {
    Comparison::Round round;
    round.b_first = number % 2 == 0;
    uint64_t seed = FastRng::Derive(config.seed, static_cast<uint64_t>(number));
    for (int leg = 0; leg < 2; ++leg) {
      bool run_b = (leg == 0) == round.b_first;
      auto run = (run_b ? runner_b : runner_a).Run(config.limits, seed);
      if (!run.ok()) Die(run.status());
      (run_b ? round.b : round.a) = std::move(*run);
    }
    std::fputs(RoundText(static_cast<size_t>(number), round).c_str(), out);
    std::fflush(out);
    report["rounds"].push_back(RoundJson(static_cast<size_t>(number), round));
    comparison.Add(std::move(round));
  }
  std::fprintf(out, "median B/A over %d rounds: ops/s ratio %.3f, p99 ratio %.3f\n", config.rounds,
               comparison.MedianOpsRatio(), comparison.MedianP99Ratio());
  if (config.json) {
    report["a"] = targets[0]->Name();
    report["b"] = targets[1]->Name();
    report["median_ops_ratio"] = comparison.MedianOpsRatio();
    report["median_p99_ratio"] = comparison.MedianP99Ratio();
    std::printf("%s\n", report.dump().c_str());
  }
  return 0;
}

}  // namespace
}  // namespace mcscale::bench

int main(int argc, char** argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "resize") return mcscale::bench::ResizeBenchMain(argc - 1, argv + 1);
  if (command == "migrate") return mcscale::bench::MigrateBenchMain(argc - 1, argv + 1);
  return mcscale::bench::Main(argc, argv);
}
