// CacheStorage: the node's items, in a hash table split into shards, each with its own lock
// and LRU list. It never charges more item bytes than the memory limit: a store first
// reserves its bytes, evicting by the current policy (global LRU order across shards, or a
// uniformly random item) until they fit. TTLs follow memcached (see ExpiryFromProtocol);
// expired and flushed items are dropped when met. Results are plain codes; the protocol
// layer turns them into replies.
//
// Thread-safe: every method may be called from any thread. A shard lock is never held while
// another is taken, so callers' callbacks must not call back into the storage.
#ifndef MCSCALE_CACHENODE_CACHE_STORAGE_H_
#define MCSCALE_CACHENODE_CACHE_STORAGE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cachenode/cache_item.h"
#include "cachenode/eviction_policy.h"
#include "cachenode/function_ref.h"
#include "common/clock.h"

namespace mcscale {

struct StorageOptions {
  // Default: 64 MB. Item bytes (CacheStorage::ItemTotal) never exceed this.
  size_t memory_limit = 64u << 20;
  // Default: 1 MB. Largest ItemTotal accepted (memcached -I).
  size_t item_size_max = 1u << 20;
  // Default: LRU.
  EvictionPolicy policy = EvictionPolicy::kLru;
  // Default: the real clock. Not owned; must outlive the storage.
  Clock* clock = nullptr;
  // Default: 16. Number of lock shards (rounded up to a power of two).
  int shards = 16;
};

enum class StoreMode { kSet, kAdd, kReplace, kAppend, kPrepend, kCas };
enum class StoreResult { kStored, kNotStored, kExists, kNotFound, kTooLarge, kNoMemory };
enum class LookupResult { kHit, kMiss, kExpired, kFlushed };
enum class DeltaResult { kOk, kNotFound, kNonNumeric, kCasMismatch, kNoMemory };
enum class AccessAction { kKeep, kUnlink };

struct StorageStats {
  uint64_t curr_items = 0;
  uint64_t bytes = 0;
  uint64_t total_items = 0;
  uint64_t evictions = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t reclaimed = 0;
  uint64_t limit_maxbytes = 0;
};

class CacheStorage {
 public:
  explicit CacheStorage(const StorageOptions& options);
  ~CacheStorage();
  CacheStorage(const CacheStorage&) = delete;
  CacheStorage& operator=(const CacheStorage&) = delete;

  // Bytes an item is charged: memcached's item size (header, cas, key, value, CRLF, flags).
  static size_t ItemTotal(size_t nkey, size_t nvalue, uint32_t flags);
  // True when such an item is within item_size_max.
  bool FitsItemLimit(size_t nkey, size_t nvalue, uint32_t flags) const;

  // Current unix time in seconds, from the injected clock.
  int64_t Now() const;
  // memcached's exptime rules, as an absolute time: 0 never; negative already expired; up
  // to 30 days relative to now; beyond that an absolute unix time (one before the process
  // started is already expired). Returns 0 for never, else an absolute unix time.
  int64_t ExpiryFromProtocol(int64_t exptime) const;

  // Stores `value` under `key` by `mode`: kAdd only when absent, kReplace/kAppend/kPrepend
  // only when present, kCas only when present with cas == req_cas (kExists otherwise,
  // kNotFound when absent). A non-zero req_cas also guards kAppend/kPrepend. Append and
  // prepend keep the old flags and exptime. On kStored, *cas_out (if set) is the new cas.
  StoreResult Store(StoreMode mode, std::string_view key, std::string_view value, uint32_t flags,
                    int64_t exptime, uint64_t req_cas = 0, uint64_t* cas_out = nullptr,
                    bool key_binary = false);

  // Looks `key` up and, on a hit, calls fn with the item under its shard lock; fn may change
  // the item's exptime, cas, stale and token_sent, or ask for it to be unlinked. With
  // `bump`, the item is then marked fetched, its access time set and moved to the LRU head.
  // Returns kHit when fn ran; kExpired/kFlushed when the item was there but dead (dropped).
  LookupResult Access(std::string_view key, bool bump, FunctionRef<AccessAction(CacheItem&)> fn);
  // Unlinks `key`; false when it was not there.
  bool Delete(std::string_view key);

  // incr/decr as memcached: the value must be a decimal number below 2^64; incr wraps,
  // decr stops at 0. A shorter result is written in place padded with spaces. A non-zero
  // req_cas must match. On kOk *result holds the new number and `after` (if set) runs on
  // the updated item under its lock.
  DeltaResult Delta(std::string_view key, bool incr, uint64_t delta, uint64_t req_cas, uint64_t* result,
                    FunctionRef<void(CacheItem&)> after);

  // flush_all: with delay 0 drops every item now; otherwise, from delay_s - 1 seconds on,
  // every item last touched at or before that second is dead (memcached's oldest_live rule).
  void FlushAll(int64_t delay_s);

  // Sets the memory limit; evicts at once until the items fit.
  void SetMemoryLimit(size_t bytes);
  size_t memory_limit() const { return limit_.load(std::memory_order_relaxed); }
  void SetPolicy(EvictionPolicy policy) { policy_.store(policy, std::memory_order_relaxed); }
  EvictionPolicy policy() const { return policy_.load(std::memory_order_relaxed); }
  size_t item_size_max() const { return item_size_max_; }
  // The largest oldest_live set by a delayed flush (0 when none), for `stats settings`.
  int64_t oldest_live() const { return oldest_live_.load(std::memory_order_relaxed); }

  StorageStats Stats() const;
  // Calls fn for every live item, shard by shard under each shard's lock (for metadump).
  void ForEach(FunctionRef<void(const CacheItem&)> fn);
  // A fresh cas value.
  uint64_t NextCas() { return cas_.fetch_add(1, std::memory_order_relaxed) + 1; }

 private:
  struct Shard;

  static uint32_t Hash(std::string_view key);
  Shard& ShardOf(uint32_t hash) const;
  // REQUIRES: shard locked. The live item for key (dead ones are unlinked), or nullptr.
  CacheItem* FindLive(Shard& s, std::string_view key, uint32_t hash, int64_t now, LookupResult* why);
  bool IsDead(const CacheItem& it, int64_t now) const;
  static CacheItem* NewItem(std::string_view key, size_t nvalue, uint32_t flags, int64_t exptime);
  // REQUIRES: shard locked. Links `it`, replacing `old` (may be null).
  void Link(Shard& s, CacheItem* it, CacheItem* old, int64_t now);
  // REQUIRES: shard locked. Removes `it` from the shard and frees it.
  void Unlink(Shard& s, CacheItem* it);
  void Bump(Shard& s, CacheItem* it);
  // Reserves `bytes` of the limit, evicting as needed. False when it cannot fit.
  bool Reserve(size_t bytes);
  void Release(size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  // Evicts one item by the policy; false when nothing could be evicted.
  bool EvictOne();

  Clock* clock_;
  const size_t item_size_max_;
  const int64_t started_;  // unix seconds
  std::atomic<size_t> limit_;
  std::atomic<size_t> used_{0};
  std::atomic<EvictionPolicy> policy_;
  std::atomic<uint64_t> cas_{0};
  std::atomic<uint64_t> tick_{0};
  std::atomic<int64_t> oldest_live_{0};
  std::vector<std::unique_ptr<Shard>> shards_;
  uint32_t shard_mask_ = 0;
};

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_CACHE_STORAGE_H_
