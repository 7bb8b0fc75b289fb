#include "bench/comparison.h"

#include <algorithm>

namespace mcscale::bench {

double Comparison::Round::ops_ratio() const {
  double base = a.ops_per_s();
  return base > 0 ? b.ops_per_s() / base : 0.0;
}

double Comparison::Round::p99_ratio() const {
  double base = static_cast<double>(a.latency.Percentile(0.99));
  return base > 0 ? static_cast<double>(b.latency.Percentile(0.99)) / base : 0.0;
}

double Comparison::MedianOpsRatio() const {
  std::vector<double> v;
  for (const auto& r : rounds_) v.push_back(r.ops_ratio());
  return Median(std::move(v));
}

double Comparison::MedianP99Ratio() const {
  std::vector<double> v;
  for (const auto& r : rounds_) v.push_back(r.p99_ratio());
  return Median(std::move(v));
}

double Comparison::Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace mcscale::bench
