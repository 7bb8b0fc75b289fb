#include "cachenode/node_context.h"

namespace mcscale {

NodeContext::NodeContext(NodeSettings settings, const StorageOptions& storage_options)
    : settings_(std::move(settings)),
      storage_(storage_options),
      started_(storage_.Now()) {}

ThreadStats* NodeContext::NewThreadStats() {
  std::lock_guard<std::mutex> lock(mu_);
  thread_stats_.push_back(std::make_unique<ThreadStats>());
  return thread_stats_.back().get();
}

std::vector<uint64_t> NodeContext::SumThreadStats() const {
  std::vector<uint64_t> sums;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& t : thread_stats_) {
    size_t i = 0;
#define MCSCALE_SUM_STAT(name)                                  \
  if (sums.size() <= i) sums.push_back(0);                      \
  sums[i++] += t->name.load(std::memory_order_relaxed);
    MCSCALE_THREAD_STATS(MCSCALE_SUM_STAT)
#undef MCSCALE_SUM_STAT
  }
  if (sums.empty()) {
#define MCSCALE_ZERO_STAT(name) sums.push_back(0);
    MCSCALE_THREAD_STATS(MCSCALE_ZERO_STAT)
#undef MCSCALE_ZERO_STAT
  }
  return sums;
}

void NodeContext::ResetThreadStats() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& t : thread_stats_) {
#define MCSCALE_RESET_STAT(name) t->name.store(0, std::memory_order_relaxed);
    MCSCALE_THREAD_STATS(MCSCALE_RESET_STAT)
#undef MCSCALE_RESET_STAT
  }
}

}  // namespace mcscale
