// OpLog: every operation of a versioned workload (kind, key, version, begin and end on the
// machine's monotonic clock, acknowledged or not), so the operations of several processes
// on one machine can be put in one real-time order and checked afterwards. Binary file of
// fixed-size records.
//
// Not thread-safe: one log per thread, merged when written.
#ifndef MCSCALE_BENCH_OP_LOG_H_
#define MCSCALE_BENCH_OP_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mcscale {

// Versions: writer id in the high bits, a per-writer sequence in the low 40; 0 = none.
constexpr uint64_t kNoVersion = 0;
inline uint64_t MakeVersion(uint32_t writer, uint64_t seq) { return (static_cast<uint64_t>(writer) << 40) | seq; }

struct OpRecord {
  enum Kind : uint8_t { kRead = 'R', kWrite = 'W', kDelete = 'D' };
  uint8_t kind = kRead;
  uint8_t ack = 0;         // writes and deletes: acknowledged; reads: answered
  uint32_t key = 0;
  uint64_t version = 0;    // written, or read (kNoVersion: a miss)
  int64_t begin_ns = 0;    // CLOCK_MONOTONIC
  int64_t end_ns = 0;
};

// CLOCK_MONOTONIC in nanoseconds (the same clock in every process of the machine).
int64_t MonoNs();

// The value stored for `version`: "<version>|" padded with '.' to `size` bytes.
std::string VersionedValue(uint64_t version, size_t size);
// The version a value carries; nullopt-like kNoVersion when the value is not ours.
uint64_t VersionOf(const std::string& value);

Status WriteOpLog(const std::string& path, const std::vector<OpRecord>& records);
// Appends the records of `path` to *out.
Status ReadOpLog(const std::string& path, std::vector<OpRecord>* out);

}  // namespace mcscale

#endif  // MCSCALE_BENCH_OP_LOG_H_
