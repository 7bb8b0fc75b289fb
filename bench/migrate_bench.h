// MigrateBench: `mcscale-bench migrate`, the mover alone on an idle pool against the
// ceiling of the machine (issue 7). It starts a redis-server, two memcached (source and
// destination) and one mcscale-agent for the source, loads the keys into the source
// (pipelined), and issues the move orders of an epoch in which all 16 regions go from the
// source to the destination (MovePlanner::Issue from RegionMap::Initial(16, {source}) to
// RegionMap::Initial(16, {destination})); the mover's time runs from the issue to
// MovePlanner::Done. Then, in the same run, it reloads the source and copies the same keys
// into a fresh memcached with a plain pipelined memcached-to-memcached copy (RawCopy:
// metadump, then mg batches from the source overlapped with ms batches to the destination;
// no Redis, no deletes at the source): the ceiling. It reports both and the mover's share
// of the ceiling (the goal is at least half).
//
// Not thread-safe: one run at a time.
#ifndef MCSCALE_BENCH_MIGRATE_BENCH_H_
#define MCSCALE_BENCH_MIGRATE_BENCH_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/host_port.h"
#include "common/status.h"

namespace mcscale::bench {

struct MigrateBenchOptions {
  uint32_t keys = 1000000;   // Default: 1,000,000 keys.
  size_t value_size = 1024;  // Default: 1 KB.
  int batch_keys = 256;      // Default: 256, the mover's batch, for loading and the raw copy.
  int64_t timeout_s = 600;   // Default: 600 s for the mover to finish.
  std::string bin_dir;       // where mcscale-agent is
  bool keep_dir = false;     // keep the scratch folder (logs) after the run
};

// Keys and bytes copied in some time.
struct CopyFigures {
  int64_t keys = 0;
  int64_t bytes = 0;
  double seconds = 0;
  double keys_per_s() const { return seconds > 0 ? static_cast<double>(keys) / seconds : 0; }
  double mb_per_s() const { return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0; }
  nlohmann::json ToJson() const;
};

class MigrateBench {
 public:
  explicit MigrateBench(MigrateBenchOptions options) : options_(std::move(options)) {}

  // Starts everything, measures the mover and the raw copy, stops everything (on every
  // path, Ctrl-C included). Progress goes to stderr. Fails when a server cannot start, a
  // load or copy fails, or the mover does not finish within the timeout.
  Result<nlohmann::json> Run();

  // Stores keys k0..k<keys-1> with values of value_size bytes into `node`, pipelined
  // (ms batches of batch_keys on two connections). Fails on the first failed batch.
  static Status Load(const HostPort& node, uint32_t keys, size_t value_size, int batch_keys);
  // Copies every key of `from` to `to`: enumerates `from` with lru_crawler metadump hash,
  // then reads batches of batch_keys with `mg KEY v f t` while, on another connection, the
  // batch before is stored with `ms KEY LEN F.. T..`. Counts the keys `to` stored.
  static Result<CopyFigures> RawCopy(const HostPort& from, const HostPort& to, int batch_keys);

 private:
  MigrateBenchOptions options_;
};

// `mcscale-bench migrate ...` (argv[0] is "migrate"): parses the options (exit 2 naming the
// one that is wrong), runs, prints the JSON report on stdout. Exit 0 after a complete run,
// 1 otherwise.
int MigrateBenchMain(int argc, char** argv);

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_MIGRATE_BENCH_H_
