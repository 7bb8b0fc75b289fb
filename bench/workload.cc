#include "bench/workload.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mcscale::bench {
namespace {

// Values of different keys start at different offsets of one buffer, so they differ without
// a buffer per key.
constexpr uint64_t kValueShifts = 61;

bool ParseCount(const std::string& text, uint32_t* out) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *out = static_cast<uint32_t>(std::stoul(text));
  return true;
}

}  // namespace

Workload::Workload(WorkloadSpec spec) : spec_(std::move(spec)) {
  get_fraction_ = static_cast<double>(spec_.ratio.gets) / (spec_.ratio.gets + spec_.ratio.sets);
  if (spec_.distribution == KeyDistribution::kZipf) {
    zipf_cdf_.resize(spec_.keys);
    double sum = 0;
    for (uint64_t i = 0; i < spec_.keys; ++i) {
      sum += std::pow(static_cast<double>(i + 1), -spec_.zipf_s);
      zipf_cdf_[i] = sum;
    }
    for (double& c : zipf_cdf_) c /= sum;
    zipf_cdf_.back() = 1.0;
  }
  FastRng rng(0x5eed);
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  value_pool_.resize(spec_.value_size + kValueShifts);
  for (char& c : value_pool_) c = kAlphabet[rng.Below(sizeof kAlphabet - 1)];
}

Status Workload::Validate(const WorkloadSpec& spec) {
  if (spec.keys < 1 || spec.keys > kMaxKeys)
    return Status::Invalid("keys: " + std::to_string(spec.keys) + " is out of range 1.." +
                           std::to_string(kMaxKeys));
  if (spec.distribution == KeyDistribution::kZipf && !(spec.zipf_s > 0))
    return Status::Invalid("zipf-s: must be greater than 0");
  if (spec.ratio.gets == 0 && spec.ratio.sets == 0)
    return Status::Invalid("ratio: gets and sets cannot both be 0");
  if (spec.key_prefix.size() > kMaxPrefix)
    return Status::Invalid("key-prefix: longer than " + std::to_string(kMaxPrefix) + " bytes");
  for (char c : spec.key_prefix) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return Status::Invalid("key-prefix: contains a space or control character");
  }
  return Status::Ok();
}

Result<OpRatio> Workload::ParseRatio(const std::string& text) {
  auto colon = text.find(':');
  OpRatio r;
  if (colon == std::string::npos || !ParseCount(text.substr(0, colon), &r.gets) ||
      !ParseCount(text.substr(colon + 1), &r.sets))
    return Status::Invalid("expected GETS:SETS such as 9:1, got '" + text + "'");
  if (r.gets == 0 && r.sets == 0) return Status::Invalid("gets and sets cannot both be 0 in '" + text + "'");
  return r;
}

Result<KeyDistribution> Workload::ParseDistribution(const std::string& text) {
  if (text == "uniform") return KeyDistribution::kUniform;
  if (text == "zipf") return KeyDistribution::kZipf;
  return Status::Invalid("expected uniform or zipf, got '" + text + "'");
}

const char* Workload::DistributionName(KeyDistribution d) {
  return d == KeyDistribution::kZipf ? "zipf" : "uniform";
}

uint64_t Workload::NextKeyIndex(FastRng* rng) const {
  if (zipf_cdf_.empty()) return rng->Below(spec_.keys);
  auto it = std::upper_bound(zipf_cdf_.begin(), zipf_cdf_.end(), rng->NextDouble());
  return std::min<uint64_t>(static_cast<uint64_t>(it - zipf_cdf_.begin()), spec_.keys - 1);
}

void Workload::NextOp(FastRng* rng, Op* op) const {
  bool get = get_fraction_ >= 1.0 || (get_fraction_ > 0.0 && rng->NextDouble() < get_fraction_);
  uint64_t index = NextKeyIndex(rng);
  if (get) {
    op->kind = OpKind::kGet;
    op->value = {};
    FillKey(index, op);
  } else {
    MakeSet(index, op);
  }
}

void Workload::MakeSet(uint64_t index, Op* op) const {
  op->kind = OpKind::kSet;
  op->value = std::string_view(value_pool_).substr(index % kValueShifts, spec_.value_size);
  FillKey(index, op);
}

void Workload::FillKey(uint64_t index, Op* op) const {
  op->key_index = index;
  std::memcpy(op->key_buf, spec_.key_prefix.data(), spec_.key_prefix.size());
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + index % 10);
    index /= 10;
  } while (index > 0);
  size_t len = spec_.key_prefix.size();
  while (n > 0) op->key_buf[len++] = digits[--n];
  op->key_len = static_cast<uint8_t>(len);
}

}  // namespace mcscale::bench
