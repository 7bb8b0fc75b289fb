// Workload: what the load looks like — which keys (uniform or zipf over a fixed key space),
// which operations (a get:set ratio) and which values (a fixed size). Keys are
// "<prefix><index>" for index in [0, keys); under zipf, index 0 is the hottest key. The zipf
// CDF is computed once at construction, so choosing a key is a binary search.
//
// Immutable after construction and safe to share between threads; each thread draws from
// it with its own FastRng.
#ifndef MCSCALE_BENCH_WORKLOAD_H_
#define MCSCALE_BENCH_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bench/fast_rng.h"
#include "bench/op.h"
#include "common/status.h"

namespace mcscale::bench {

enum class KeyDistribution { kUniform, kZipf };

// The relative weights of gets and sets, e.g. 9:1.
struct OpRatio {
  uint32_t gets = 9;
  uint32_t sets = 1;
  std::string ToString() const { return std::to_string(gets) + ":" + std::to_string(sets); }
};

struct WorkloadSpec {
  // Default: 100000 keys. REQUIRES: 1..kMaxKeys.
  uint64_t keys = 100000;
  KeyDistribution distribution = KeyDistribution::kUniform;
  // Zipf exponent. Default: 0.99. REQUIRES: > 0 when distribution is kZipf.
  double zipf_s = 0.99;
  OpRatio ratio;
  // Default: 100 bytes.
  uint32_t value_size = 100;
  // REQUIRES: at most kMaxPrefix bytes, valid in a memcached key. Default: "key:".
  std::string key_prefix = "key:";
};

class Workload {
 public:
  static constexpr uint64_t kMaxKeys = 10'000'000;
  static constexpr size_t kMaxPrefix = 40;

  // REQUIRES: Validate(spec) is ok.
  explicit Workload(WorkloadSpec spec);

  // Names what is wrong with `spec` (field and reason), or ok.
  static Status Validate(const WorkloadSpec& spec);
  // "9:1" -> {9, 1}; both parts non-negative integers, not both zero.
  static Result<OpRatio> ParseRatio(const std::string& text);
  // "uniform" or "zipf".
  static Result<KeyDistribution> ParseDistribution(const std::string& text);
  static const char* DistributionName(KeyDistribution d);

  const WorkloadSpec& spec() const { return spec_; }

  // A random operation: kind by the ratio, key by the distribution.
  void NextOp(FastRng* rng, Op* op) const;
  // A set of key `index` (for warm-up). REQUIRES: index < keys.
  void MakeSet(uint64_t index, Op* op) const;
  // The key index chosen by the distribution.
  uint64_t NextKeyIndex(FastRng* rng) const;

 private:
  void FillKey(uint64_t index, Op* op) const;

  WorkloadSpec spec_;
  double get_fraction_;
  std::vector<double> zipf_cdf_;  // zipf only: P(index <= i)
  std::string value_pool_;        // a little over value_size; each key's value starts at its own offset
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_WORKLOAD_H_
