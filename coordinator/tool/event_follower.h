// EventFollower: `mcscale watch`'s core. Hands each pool event to its printer exactly once
// and in seq order, however the event arrives: as a message on `<prefix>:events`, or from
// `<prefix>:history` when catching up after a (re)subscribe or on a periodic poll. Nothing is
// lost across a Redis restart (history is the record; pub/sub only says "look now") and
// nothing prints twice (duplicates are dropped by seq, never by epoch).
//
// Thread-safe: OnMessage (the subscriber's thread) and CatchUp (any thread) share one mutex;
// the printer runs under it, so lines never interleave.
#ifndef MCSCALE_COORDINATOR_TOOL_EVENT_FOLLOWER_H_
#define MCSCALE_COORDINATOR_TOOL_EVENT_FOLLOWER_H_

#include <functional>
#include <mutex>
#include <string>

#include "common/event_log.h"
#include "common/pool_event.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale {

class EventFollower {
 public:
  using PrintFn = std::function<void(const PoolEvent& event)>;
  // Told when a message or history entry cannot be decoded (it is skipped).
  using WarnFn = std::function<void(const std::string& message)>;

  // Does not own `redis`. Starts before the first event of history (see StartAtEnd).
  EventFollower(RedisClient* redis, const RedisKeys& keys, PrintFn print, WarnFn warn);

  // Skips what history holds now, so only later events are printed. Fails when Redis is
  // unreachable (then nothing changed).
  Status StartAtEnd();
  // Prints every history event after the last one printed; returns how many it printed.
  // A failure (Redis away) leaves behind() true until a later catch-up succeeds.
  Result<int> CatchUp();
  // A message from the channel. A newer event than the last printed first catches up from
  // history (so one missed while unsubscribed prints before it), then prints it when
  // history did not have it; an older or equal seq is a duplicate and dropped.
  void OnMessage(const std::string& message);

  std::string last_seq();
  // True when the last catch-up failed: history may hold events not printed yet, so the
  // caller should try again soon.
  bool behind();

 private:
  Result<int> CatchUpLocked();
  void PrintLocked(const PoolEvent& event);

  EventLog log_;
  PrintFn print_;
  WarnFn warn_;
  std::mutex mu_;
  std::string last_seq_;  // "" before anything was printed or skipped
  bool behind_ = false;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_TOOL_EVENT_FOLLOWER_H_
