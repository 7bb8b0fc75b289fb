#include "bench/consistency_checker.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

namespace mcscale {

void ConsistencyChecker::Add(const std::vector<OpRecord>& records) {
  for (const auto& r : records) {
    if (r.kind == OpRecord::kRead) reads_[r.key].push_back(r);
    else mutations_[r.key].push_back(r);
  }
}

ConsistencyChecker::Report ConsistencyChecker::CheckStaleReads() const {
  Report rep;
  for (const auto& [key, reads] : reads_) {
    auto mit = mutations_.find(key);
    static const std::vector<OpRecord> kNone;
    const std::vector<OpRecord>& muts = mit == mutations_.end() ? kNone : mit->second;
    // Acknowledged mutations by begin time, with the earliest acknowledgement among every
    // mutation that began at or after each position.
    std::vector<const OpRecord*> acked;
    std::unordered_map<uint64_t, const OpRecord*> writer_of;
    for (const auto& m : muts) {
      if (m.kind == OpRecord::kWrite) writer_of[m.version] = &m;
      if (m.ack) acked.push_back(&m);
    }
    std::sort(acked.begin(), acked.end(), [](const OpRecord* a, const OpRecord* b) { return a->begin_ns < b->begin_ns; });
    std::vector<int64_t> suffix_min_end(acked.size() + 1, std::numeric_limits<int64_t>::max());
    for (size_t i = acked.size(); i-- > 0;) suffix_min_end[i] = std::min(suffix_min_end[i + 1], acked[i]->end_ns);
    for (const auto& r : reads) {
      if (r.version == kNoVersion) continue;  // a miss is never stale
      ++rep.reads;
      auto w = writer_of.find(r.version);
      if (w == writer_of.end()) {
        ++rep.unknown_versions;
        continue;
      }
      const OpRecord& write = *w->second;
      if (!write.ack) continue;  // undecided
      // First acknowledged mutation that began after the write was acknowledged.
      auto it = std::upper_bound(acked.begin(), acked.end(), write.end_ns,
                                 [](int64_t t, const OpRecord* m) { return t < m->begin_ns; });
      size_t idx = static_cast<size_t>(it - acked.begin());
      if (suffix_min_end[idx] < r.begin_ns) {
        ++rep.stale_reads;
        if (rep.examples.size() < 10)
          rep.examples.push_back(fmt::format("key {}: read at {} ns returned version {} (acked at {} ns), but a "
                                             "newer write/delete was acked at {} ns",
                                             key, r.begin_ns, r.version, write.end_ns, suffix_min_end[idx]));
      }
    }
  }
  return rep;
}

std::map<uint32_t, uint64_t> ConsistencyChecker::ExpectedState() const {
  std::map<uint32_t, uint64_t> out;
  for (const auto& [key, muts] : mutations_) {
    if (muts.empty()) continue;
    const OpRecord* last = nullptr;
    for (const auto& m : muts)
      if (!last || m.begin_ns > last->begin_ns) last = &m;
    // Undecided: the last mutation, or any before it that was never acknowledged (it may
    // still take effect late, from a node's socket buffer).
    bool decidable = true;
    for (const auto& m : muts)
      if (!m.ack || (&m != last && m.end_ns >= last->begin_ns)) decidable = false;
    if (!decidable) continue;
    out[key] = last->kind == OpRecord::kWrite ? last->version : kNoVersion;
  }
  return out;
}

}  // namespace mcscale
