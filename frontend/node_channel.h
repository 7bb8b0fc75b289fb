// NodeChannel: the frontend's line to one cache node: its connections, a per-request
// timeout, and health that is not membership. After `failure_limit` consecutive failures
// the node is marked down for a back-off (doubling from backoff_min_ms to backoff_max_ms);
// while down every request fails at once (a get is a miss). A write or delete that could
// not reach the node is remembered; before the node serves again those keys are deleted
// (or the node flushed when more failed than the replay log holds), so it never serves a
// value overwritten while it was away. Transitions are logged once each.
//
// Each thread keeps using the connection it used last (a slot per thread, by the order in
// which threads first used any channel, modulo max_idle): a connection handed from thread
// to thread costs a synchronous client about half its throughput here (bench/README.md),
// mostly in wake-ups across cores. Threads beyond max_idle share slots; connections a slot
// cannot hold wait in a common idle list.
//
// Thread-safe.
#ifndef MCSCALE_FRONTEND_NODE_CHANNEL_H_
#define MCSCALE_FRONTEND_NODE_CHANNEL_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/host_port.h"
#include "common/memcache_client.h"
#include "common/region_map.h"

namespace mcscale {

struct NodeChannelOptions {
  int64_t timeout_ms = 200;        // Default: 200. Per request.
  int failure_limit = 3;           // Default: 3 consecutive failures mark the node down.
  int64_t backoff_min_ms = 250;    // Default: 250.
  int64_t backoff_max_ms = 5000;   // Default: 5000.
  size_t replay_log_max = 10000;   // Default: 10000 keys; more failed writes flush the node.
  size_t max_idle = 16;            // Default: 16 thread slots, and up to 16 more idle connections.
};

struct NodeStats {
  uint64_t gets = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t errors = 0;
  uint64_t fast_failed = 0;
  bool down = false;
  size_t replay_pending = 0;
};

class NodeChannel {
 public:
  NodeChannel(NodeId id, HostPort address, NodeChannelOptions options, Clock* clock);
  ~NodeChannel();
  NodeChannel(const NodeChannel&) = delete;
  NodeChannel& operator=(const NodeChannel&) = delete;

  const NodeId& id() const { return id_; }
  const HostPort& address() const { return address_; }

  // A hit, a miss (nullopt), or an error (the node is down or did not answer).
  Result<std::optional<CacheItem>> Get(const std::string& key);
  Result<std::map<std::string, CacheItem>> MultiGet(const std::vector<std::string>& keys);
  // Failures remember the key for replay before the node serves again.
  Status Set(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl);
  Result<bool> Add(const std::string& key, const std::string& value, uint32_t flags, int64_t ttl);
  // Ok whether or not the key existed.
  Status Delete(const std::string& key);
  Status FlushAll();

  NodeStats stats();
  bool down();

 private:
  // The connection a thread used last; nullptr when it holds none.
  struct alignas(64) Slot {
    std::atomic<MemcacheClient*> conn{nullptr};
  };

  // Ok when the node may serve now: not in back-off, replay log drained.
  Status Ready();
  Status DrainReplayLocked(MemcacheClient* client);
  Slot* ThreadSlot();
  // The calling thread's connection, else an idle one, else a new one (not yet connected).
  std::unique_ptr<MemcacheClient> Take();
  // Back to the calling thread's slot, else to the idle list; dropped when closed or full.
  void Give(std::unique_ptr<MemcacheClient> c);
  void Succeeded();
  void Failed(const Status& st);
  void Remember(const std::string& key);
  // Runs `op` on a pooled connection with health bookkeeping.
  template <typename T, typename Op>
  Result<T> Run(Op op, const std::string* write_key);

  NodeId id_;
  HostPort address_;
  NodeChannelOptions options_;
  Clock* clock_;

  std::unique_ptr<Slot[]> slots_;  // options_.max_idle of them
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<MemcacheClient>> idle_;

  // Set while a failure is counted or the node marked down, so a request on a healthy node
  // touches no lock for its health: only then must Ready and Succeeded take health_mu_.
  std::atomic<bool> troubled_{false};
  std::mutex health_mu_;
  int consecutive_failures_ = 0;
  int64_t down_until_ms_ = 0;
  int64_t backoff_ms_;
  bool marked_down_ = false;

  std::mutex replay_mu_;
  std::set<std::string> replay_;
  bool replay_overflow_ = false;
  std::atomic<bool> replay_pending_{false};

  std::atomic<uint64_t> gets_{0}, hits_{0}, misses_{0}, errors_{0}, fast_failed_{0};
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_NODE_CHANNEL_H_
