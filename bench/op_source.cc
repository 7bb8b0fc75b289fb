#include "bench/op_source.h"

namespace mcscale::bench {

OpSource OpSource::Mixed(const Workload* workload, uint64_t seed, RunControl* control) {
  return OpSource(workload, seed, control, nullptr);
}

OpSource OpSource::Warmup(const Workload* workload, std::atomic<uint64_t>* cursor) {
  return OpSource(workload, 0, nullptr, cursor);
}

bool OpSource::Next(Op* op) {
  if (done_) return false;
  if (cursor_ != nullptr) {
    uint64_t index = cursor_->fetch_add(1, std::memory_order_relaxed);
    if (index >= workload_->spec().keys) {
      done_ = true;
      return false;
    }
    workload_->MakeSet(index, op);
    return true;
  }
  bool over = control_->stop.load(std::memory_order_relaxed) ||
              (control_->limited &&
               control_->budget.fetch_sub(1, std::memory_order_relaxed) <= 0);
  if (over) {
    done_ = true;
    return false;
  }
  workload_->NextOp(&rng_, op);
  return true;
}

bool OpSource::Exhausted() const {
  if (done_) return true;
  if (cursor_ != nullptr) return cursor_->load(std::memory_order_relaxed) >= workload_->spec().keys;
  return control_->stop.load(std::memory_order_relaxed) ||
         (control_->limited && control_->budget.load(std::memory_order_relaxed) <= 0);
}

}  // namespace mcscale::bench
