// Mover: carries out the move orders that name this agent's node as the source (DESIGN.md,
// "Resizing without losing keys"). It consumes `<prefix>:moves:<id>` through the consumer
// group `movers` (consumer name = the agent id): first its own pending entries (an agent
// restarted mid-way resumes), then new ones. Per epoch it enumerates the node once with
// `lru_crawler metadump hash`, bucketing the keys of the epoch's moving regions; per region
// it copies the keys in pipelined batches:
//   source:      mg KEY v f t          (misses skipped)
//   destination: ms KEY LEN F.. T.. ME (add mode: never over a newer value or a tombstone)
//   source:      md KEY                (every key of the batch, once the destination answered)
// Tombstones (flag bit 31) are only deleted from the source; keys with a second or less to
// live are not copied. Progress goes to `<prefix>:migration:<epoch>` after every batch
// (keys_moved, bytes_moved, keys_skipped, r<R>.moved; r<R>.found at enumeration), and a
// region ends with one Lua script that marks r<R>.done, counts regions_done once and acks
// the entry, so a replayed order never counts twice.
//
// An unreachable node or Redis is retried with back-off (logged once per outage) and nothing
// is deleted or acked meanwhile. An order whose migration is over (the pool moved to another
// epoch, ended this one, or the coordinator cancelled it: `cancel_ms` in the migration
// hash) is abandoned: copying after migration.done could resurrect a key deleted since. The
// pool and the cancel mark are checked after every batch and every failed call, so a mover
// stops within one batch; an abandoned region gets `r<R>.stopped` (with the ack, in one
// script) once no store of it is in flight, and the coordinator ends a cancelled migration
// only when every region is done or stopped. A malformed entry is logged and acked.
//
// Thread-safety: Start() and Stop() from the owner's thread; RequestStop() from any thread.
// Everything else runs on the mover's own thread with its own node and Redis clients.
#ifndef MCSCALE_NODEAGENT_MOVER_H_
#define MCSCALE_NODEAGENT_MOVER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/host_port.h"
#include "common/memcache_client.h"
#include "common/move_planner.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale {

struct MoverOptions {
  // A batch ends at batch_keys keys or batch_bytes of items (as the dump lists their size),
  // whichever comes first. On this machine memcached answers batches of ~512 KB several
  // times slower than batches of ~256 KB.
  int batch_keys = 256;              // Default: 256.
  int64_t batch_bytes = 256 * 1024;  // Default: 256 KB.
  int64_t block_ms = 1000;         // Default: 1000, the XREADGROUP BLOCK time.
  int64_t node_timeout_ms = 2000;  // Default: 2000 per call to a node (per chunk of a dump).
  int64_t redis_timeout_ms = 5000;  // Default: 5000; must exceed block_ms.
  int64_t first_backoff_ms = 250;  // Default: 250, doubling up to max_backoff_ms.
  int64_t max_backoff_ms = 5000;   // Default: 5000.
};

// What the mover found for one key at the source (the reply to `mg KEY v f t`).
struct SourceItem {
  enum class Kind {
    kGone,       // a miss: deleted or expired since the enumeration
    kTombstone,  // a frontend's tombstone: deleted, never copied
    kExpiring,   // a second or less to live: not worth copying
    kCopy,
  };
  Kind kind = Kind::kGone;
  uint32_t flags = 0;
  int64_t ttl_s = -1;  // remaining seconds, -1 for no expiry
};

// Counts of one batch (or, summed, of one region).
struct MoveCounts {
  int64_t moved = 0;          // stored at the destination
  int64_t bytes = 0;          // value bytes of the moved keys
  int64_t skipped_newer = 0;  // the destination held the key already (newer value or tombstone)
  int64_t tombstones = 0;     // tombstones deleted at the source
  int64_t expiring = 0;       // a second or less to live: deleted, not copied
  int64_t gone = 0;           // missing at the source when their turn came
  int64_t failed = 0;         // refused by a node with an error reply (e.g. too large)

  MoveCounts& operator+=(const MoveCounts& o);
};

// A key as the enumeration listed it, with its item's size.
struct ListedKey {
  std::string key;
  int64_t size = 0;
};

// One pipelined call to a node: MemcacheClient::MetaBatch, or a fake in tests.
using MetaCall = std::function<Result<std::vector<MetaReply>>(const std::vector<MetaRequest>&)>;

enum class MoveSide { kSource, kDestination };

// What MoveKeys tells its caller (the Mover: back-off, logging, progress, stopping).
struct MoveHooks {
  // A call to `side` failed (unreachable, timed out): wait the back-off. Return false to
  // give up (stopping, or the migration is over).
  std::function<bool(MoveSide side, const Status& status)> failed;
  // A call to `side` succeeded (to log the end of an outage).
  std::function<void(MoveSide side)> succeeded;
  // A batch is finished: the destination answered and the source deleted its keys. Return
  // false to give up.
  std::function<bool(const MoveCounts& counts)> batch_done;
};

class Mover {
 public:
  static constexpr const char* kGroup = "movers";
  // Largest relative exptime memcached takes; anything larger is an absolute unix time.
  static constexpr int64_t kMaxRelativeTtlS = 30 * 24 * 3600;

  // `clock` must outlive the mover. Connects to nothing until Start().
  Mover(std::string id, HostPort node, RedisAddress redis, RedisKeys keys, Clock* clock = Clock::Real(),
        MoverOptions options = {});
  ~Mover();
  Mover(const Mover&) = delete;
  Mover& operator=(const Mover&) = delete;

  // Starts the mover's thread. REQUIRES: not started.
  void Start();
  // Asks the thread to stop after the node or Redis call in progress (an XREADGROUP may
  // block up to block_ms); entries not finished stay pending for the next start.
  void RequestStop();
  // RequestStop() and joins the thread. Safe to call when not started or twice.
  void Stop();

  // The parts without sockets or threads, public for tests.

  // Classifies the reply to `mg KEY v f t`. An "EN" (miss) or anything but "VA" is kGone.
  static SourceItem Classify(const MetaReply& reply);
  // The ms flags that store `item` with its flags and remaining TTL in add mode, e.g.
  // "F5 T120 ME" ("T0" for no expiry; a TTL beyond 30 days as an absolute time from
  // now_unix_s). REQUIRES: item.kind == kCopy.
  static std::string StoreFlags(const SourceItem& item, int64_t now_unix_s);
  // Moves the keys of `batches` from `source` to `destination`, two pipelined calls per
  // batch: the destination stores batch i (ms ... ME), then one source call deletes batch i
  // and reads batch i+1 (mg KEY v f t). A key is deleted only after the destination answered
  // its store, whether or not it took it. A failed call is reported to hooks.failed; a batch
  // the destination did not answer is read and stored again (add mode makes that harmless),
  // deletes are retried. An error reply (Protocol) is retried one request at a time, so only
  // the offending keys count as failed. Returns true when every key was handled, false when
  // a hook gave up. (Storing batch i while the source reads batch i+1 on another thread was
  // tried: on 2 cores it was 10-20% slower than this.)
  // REQUIRES: `source` and `destination` are different nodes.
  static bool MoveKeys(const std::vector<std::vector<std::string>>& batches, const MetaCall& source,
                       const MetaCall& destination, const std::function<int64_t()>& now_unix_s,
                       const MoveHooks& hooks);
  // Splits `keys`, in order, into batches of at most `max_keys` keys and `max_bytes` (a key
  // larger than that alone). REQUIRES: max_keys > 0.
  static std::vector<std::vector<std::string>> Batches(const std::vector<ListedKey>& keys, int max_keys,
                                                       int64_t max_bytes);
  // 6250 -> "6,250".
  static std::string FormatCount(int64_t n);
  // The operator's line for a finished region, e.g. "epoch 5: region 7 -> node-4
  // (127.0.0.1:21234): 6,250 keys moved, 12 skipped as newer, 0.4 s" (other counts only
  // when not zero).
  static std::string RegionSummary(const MoveOrder& order, const MoveCounts& counts, int64_t elapsed_ms);
  // True when a move order of `order_epoch` must no longer run, given the pool's `epoch`
  // and `state` fields (empty when absent: then the order runs) and whether the epoch's
  // migration hash holds the coordinator's cancel mark.
  static bool OrderObsolete(int64_t order_epoch, const std::string& pool_epoch, const std::string& pool_state,
                            bool cancelled = false);

 private:
  struct Order {
    std::string entry_id;
    MoveOrder order;
  };
  // Keys of one epoch's moving regions, from one enumeration.
  struct EpochScan {
    int64_t keys_seen = 0;
    std::map<int, std::vector<ListedKey>> buckets;
  };
  // One peer's reachability, so an outage is logged once when it starts and once when it ends.
  struct Peer {
    bool down = false;
    int64_t since_ms = 0;
    int64_t backoff_ms = 0;
  };

  void Loop();
  bool Stopping();
  // Waits up to ms (less when stopping); false when stopping.
  bool Pause(int64_t ms);
  // Reports a failure of `peer` (logged when it starts an outage) and waits its back-off.
  // Returns false when stopping.
  bool FailedAndWait(Peer* peer, const std::string& what, const Status& st);
  void Succeeded(Peer* peer, const std::string& what);

  Status EnsureGroup();
  Result<std::vector<StreamEntry>> ReadEntries(bool pending);
  void HandleEntries(const std::vector<StreamEntry>& entries);
  // Runs the orders of one epoch (same region count); returns when all are finished or
  // abandoned, or when stopping.
  void HandleEpoch(int64_t epoch, const std::vector<Order>& orders);
  // Enumerates the node into buckets of `regions`; nullopt when stopping.
  std::optional<EpochScan> Enumerate(int64_t epoch, int region_count, const std::set<int>& regions);
  // Moves one region; true when it is finished (done and acked) or abandoned, false when
  // stopping.
  bool MoveRegion(const Order& order, const std::vector<ListedKey>& keys);
  // Retried until Redis answers (false when stopping): the batch's progress. Sets
  // *obsolete_why (empty otherwise) when the pool has left the order's epoch.
  bool RecordProgress(const MoveOrder& order, const MoveCounts& counts, std::string* obsolete_why);
  bool FinishRegion(const Order& order);
  // Logs why and acks the order without marking its region done, marking it stopped
  // (r<R>.stopped: nothing of it is in flight any more); false when stopping.
  bool Abandon(const Order& order, const MoveCounts& so_far, const std::string& why);
  // True when the pool is still at `epoch`: its migration was ended (drain timeout) rather
  // than re-planned into a newer epoch by a node failure.
  bool EndedInItsEpoch(int64_t epoch);
  // Deletes a region's listed keys from this node. Used when the order's own epoch was ended
  // before the region moved: the region then belongs to its new owner for good, and copies
  // left here would come back as stale values if it ever returned (the add-mode store
  // cannot overwrite them). After a re-plan the newer order still needs them: not then.
  void Purge(const Order& order, const std::vector<ListedKey>& keys);
  // Why an order of `order_epoch` is over ("" when it is not), from the pool's fields.
  static std::string ObsoleteWhy(int64_t order_epoch, const std::string& pool_epoch, const std::string& pool_state,
                                 bool cancelled);
  // Reads the pool's epoch and state and the epoch's cancel mark; true when the order must
  // no longer run (with *why).
  Result<bool> Obsolete(int64_t epoch, std::string* why);
  // Acks without marking done (malformed or abandoned entries); retried until Redis answers.
  bool Ack(const std::string& entry_id);
  MemcacheClient* Destination(const std::string& address, Status* error);

  const std::string id_;
  const HostPort node_address_;
  const RedisKeys keys_;
  const std::string stream_;
  Clock* const clock_;
  const MoverOptions options_;
  RedisClient redis_;
  MemcacheClient source_;
  std::map<std::string, std::unique_ptr<MemcacheClient>> destinations_;
  Peer redis_peer_;
  Peer source_peer_;
  std::map<std::string, Peer> destination_peers_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::atomic<bool> stopping_{false};
};

}  // namespace mcscale

#endif  // MCSCALE_NODEAGENT_MOVER_H_
