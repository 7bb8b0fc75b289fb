#include "bench/run_report.h"

#include <fmt/format.h>

namespace mcscale::bench {
namespace {

double Us(int64_t ns) { return static_cast<double>(ns) / 1000.0; }

std::string ErrorsText(const LoadStats& s) {
  if (s.first_error.empty()) return std::to_string(s.errors);
  return fmt::format("{} (first: {})", s.errors, s.first_error);
}

}  // namespace

nlohmann::json StatsJson(const LoadStats& s) {
  nlohmann::json j;
  j["ops"] = s.ops();
  j["ops_per_s"] = s.ops_per_s();
  j["elapsed_s"] = s.elapsed_s();
  j["gets"] = s.gets;
  j["sets"] = s.sets;
  j["hits"] = s.hits;
  j["misses"] = s.misses;
  j["hit_ratio"] = s.gets ? nlohmann::json(s.hit_ratio()) : nlohmann::json(nullptr);
  j["errors"] = s.errors;
  j["client_cpu_cores"] = s.client_cores();
  if (!s.first_error.empty()) j["first_error"] = s.first_error;
  j["latency_us"] = {{"p50", Us(s.latency.Percentile(0.5))},
                     {"p99", Us(s.latency.Percentile(0.99))},
                     {"p999", Us(s.latency.Percentile(0.999))},
                     {"max", Us(s.latency.max_ns())},
                     {"mean", s.latency.mean_ns() / 1000.0}};
  return j;
}

std::string StatsText(const LoadStats& s) {
  std::string hit = s.gets ? fmt::format("{:.4f}", s.hit_ratio()) : "-";
  return fmt::format(
      "ops/s {:.0f} ({} ops in {:.2f} s: {} gets, {} sets)\n"
      "hit ratio {}, errors {}, client cpu {:.2f} cores\n"
      "latency us: p50 {:.1f}, p99 {:.1f}, p99.9 {:.1f}, max {:.1f}, mean {:.1f}\n",
      s.ops_per_s(), s.ops(), s.elapsed_s(), s.gets, s.sets, hit, ErrorsText(s), s.client_cores(),
      Us(s.latency.Percentile(0.5)), Us(s.latency.Percentile(0.99)),
      Us(s.latency.Percentile(0.999)), Us(s.latency.max_ns()), s.latency.mean_ns() / 1000.0);
}

std::string WarmupText(const std::string& target, const LoadStats& s) {
  return fmt::format("warmup {}: {} keys set in {:.2f} s ({:.0f}/s), errors {}\n", target, s.sets,
                     s.elapsed_s(), s.ops_per_s(), ErrorsText(s));
}

std::string RoundText(size_t number, const Comparison::Round& r) {
  auto side = [](const LoadStats& s) {
    std::string text = fmt::format("{:.0f} ops/s p99 {:.1f} us", s.ops_per_s(), Us(s.latency.Percentile(0.99)));
    if (s.errors) text += fmt::format(" errors {}", s.errors);
    return text;
  };
  return fmt::format("round {} ({} first): A {} | B {} | B/A ops/s {:.3f} p99 {:.3f}\n", number,
                     r.b_first ? "B" : "A", side(r.a), side(r.b), r.ops_ratio(), r.p99_ratio());
}

nlohmann::json RoundJson(size_t number, const Comparison::Round& r) {
  return {{"round", number},
          {"first", r.b_first ? "B" : "A"},
          {"a", StatsJson(r.a)},
          {"b", StatsJson(r.b)},
          {"ops_ratio", r.ops_ratio()},
          {"p99_ratio", r.p99_ratio()}};
}

}  // namespace mcscale::bench
