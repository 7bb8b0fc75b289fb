// ConsistencyChecker: decides, from the operation logs of every client, whether a resize
// served a stale value or lost a key, by the rules of DESIGN.md and issue 6:
//   stale: a read returned a value whose write was acknowledged before some other write or
//          delete of that key began that was itself acknowledged before the read began (a
//          write that was not acknowledged is undecided: reading it is never stale);
//   lost:  a key whose last write or delete was acknowledged and overlapped no other
//          write or delete of it is not in the state that operation left.
//
// Not thread-safe; feed it, then ask.
#ifndef MCSCALE_BENCH_CONSISTENCY_CHECKER_H_
#define MCSCALE_BENCH_CONSISTENCY_CHECKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/op_log.h"

namespace mcscale {

class ConsistencyChecker {
 public:
  struct Report {
    uint64_t reads = 0;
    uint64_t stale_reads = 0;
    uint64_t unknown_versions = 0;  // a read of a version nobody wrote: corruption
    std::vector<std::string> examples;  // up to 10 readable stale reads
  };

  void Add(const std::vector<OpRecord>& records);
  Report CheckStaleReads() const;

  // What each decidable key must hold now: key -> version (kNoVersion: absent). Keys with a
  // mutation that was never acknowledged, or whose last one overlapped another, are left
  // out.
  std::map<uint32_t, uint64_t> ExpectedState() const;

 private:
  std::map<uint32_t, std::vector<OpRecord>> mutations_;  // per key
  std::map<uint32_t, std::vector<OpRecord>> reads_;
};

}  // namespace mcscale

#endif  // MCSCALE_BENCH_CONSISTENCY_CHECKER_H_
