// EventLog: publishes pool events the one way the contract allows: append to the stream
// `<prefix>:history` first (its id becomes the event's seq), then PUBLISH the event, seq
// included, on `<prefix>:events`. Readers that missed a message catch up with
// ReadAfter(last seq). Pub/sub only says "look now"; history is the record.
//
// Thread-safe as far as the RedisClient passed in is.
#ifndef MCSCALE_COMMON_EVENT_LOG_H_
#define MCSCALE_COMMON_EVENT_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/pool_event.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale {

class EventLog {
 public:
  // History keeps about this many events (XADD MAXLEN ~).
  static constexpr int64_t kHistoryMax = 10000;

  EventLog(RedisClient* redis, RedisKeys keys) : redis_(redis), keys_(std::move(keys)) {}

  // Appends `event` to history, sets event->seq to its stream id, then publishes it.
  // A failed publish after a successful append is not an error: readers catch up from
  // history. Fails only when the append failed (then nothing was published).
  Status Publish(PoolEvent* event);
  // Events after `after_seq` ("0-0" or "" for all), oldest first, at most `count`.
  // Entries that do not decode are skipped and counted in *skipped (when given).
  Result<std::vector<PoolEvent>> ReadAfter(const std::string& after_seq, int64_t count = 1000,
                                           int* skipped = nullptr);
  // The newest `count` events, newest first.
  Result<std::vector<PoolEvent>> Latest(int64_t count);

  // One readable line for a terminal: "12:00:01 pool.resized epoch 3: reason ...".
  static std::string OneLine(const PoolEvent& event);

 private:
  static Result<PoolEvent> FromEntry(const StreamEntry& entry);
  RedisClient* redis_;
  RedisKeys keys_;
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_EVENT_LOG_H_
