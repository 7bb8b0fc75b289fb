// Op: one cache operation the load generator asks a target to perform. The key is held
// inline (no allocation per operation); a set's value points into the Workload's shared,
// immutable value buffer, which outlives every run.
#ifndef MCSCALE_BENCH_OP_H_
#define MCSCALE_BENCH_OP_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mcscale::bench {

enum class OpKind : uint8_t { kGet, kSet };

struct Op {
  static constexpr size_t kMaxKey = 64;

  OpKind kind = OpKind::kGet;
  uint64_t key_index = 0;
  uint8_t key_len = 0;
  char key_buf[kMaxKey];
  std::string_view value;  // sets only

  std::string_view key() const { return std::string_view(key_buf, key_len); }
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_OP_H_
