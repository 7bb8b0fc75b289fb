#include "bench/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace mcscale::bench {
namespace {

constexpr int kSubBits = 7;                     // 128 exact buckets, then 64 per octave
constexpr uint64_t kSubCount = 1ULL << kSubBits;
constexpr uint64_t kHalf = kSubCount / 2;
// The top octave (msb 63) has exponent 63 - (kSubBits - 1) = 57.
constexpr size_t kBuckets = (64 - kSubBits + 1) * kHalf + kHalf;

int Msb(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

size_t LatencyHistogram::BucketOf(uint64_t ns) {
  if (ns < kSubCount) return static_cast<size_t>(ns);
  int shift = Msb(ns) - (kSubBits - 1);  // >= 1; ns >> shift is in [64, 128)
  return static_cast<size_t>(shift) * kHalf + static_cast<size_t>(ns >> shift);
}

uint64_t LatencyHistogram::BucketLow(size_t bucket) {
  if (bucket < kSubCount) return bucket;
  uint64_t shift = bucket / kHalf - 1;
  uint64_t mantissa = bucket - shift * kHalf;
  return mantissa << shift;
}

uint64_t LatencyHistogram::BucketHigh(size_t bucket) {
  if (bucket < kSubCount) return bucket;
  uint64_t shift = bucket / kHalf - 1;
  return BucketLow(bucket) + ((1ULL << shift) - 1);
}

void LatencyHistogram::Record(int64_t ns) {
  if (ns < 0) ns = 0;
  ++counts_[BucketOf(static_cast<uint64_t>(ns))];
  if (count_ == 0 || ns < min_ns_) min_ns_ = ns;
  if (ns > max_ns_) max_ns_ = ns;
  ++count_;
  sum_ns_ += static_cast<uint64_t>(ns);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ns_ < min_ns_) min_ns_ = other.min_ns_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
}

void LatencyHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ns_ = max_ns_ = 0;
  sum_ns_ = 0;
}

int64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t mid = BucketLow(i) + (BucketHigh(i) - BucketLow(i)) / 2;
      // Never report beyond what was seen.
      return std::clamp<int64_t>(static_cast<int64_t>(mid), min_ns_, max_ns_);
    }
  }
  return max_ns_;
}

}  // namespace mcscale::bench
