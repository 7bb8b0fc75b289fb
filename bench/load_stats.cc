#include "bench/load_stats.h"

#include <algorithm>

namespace mcscale::bench {

void LoadStats::Merge(const LoadStats& other) {
  gets += other.gets;
  hits += other.hits;
  misses += other.misses;
  sets += other.sets;
  if (first_error.empty()) first_error = other.first_error;
  errors += other.errors;
  latency.Merge(other.latency);
  if (other.start_ns != 0) start_ns = start_ns == 0 ? other.start_ns : std::min(start_ns, other.start_ns);
  end_ns = std::max(end_ns, other.end_ns);
}

}  // namespace mcscale::bench
