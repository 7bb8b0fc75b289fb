// RedisSubscriber: a pub/sub subscription on hiredis's libevent adapter, run on a thread of
// its own. It reconnects with back-off (100 ms doubling to 5 s) whenever the connection
// drops and calls on_connect after every successful (re)subscribe, so its user can re-read
// state it may have missed (pool, history). Messages arrive on the subscriber's thread.
//
// Thread-safe: Start/Stop from one owner thread; callbacks run on the subscriber thread and
// must not call Stop. hiredis 0.14 cannot PING while subscribed, so a connection that hangs
// silently is caught by the user's periodic re-read, not here.
#ifndef MCSCALE_COMMON_REDIS_SUBSCRIBER_H_
#define MCSCALE_COMMON_REDIS_SUBSCRIBER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/redis_client.h"

namespace mcscale {

class RedisSubscriber {
 public:
  using MessageFn = std::function<void(const std::string& channel, const std::string& message)>;
  // `reconnected` is false for the first subscription, true after every later one.
  using ConnectFn = std::function<void(bool reconnected)>;

  RedisSubscriber(RedisAddress address, std::vector<std::string> channels, MessageFn on_message,
                  ConnectFn on_connect = nullptr);
  ~RedisSubscriber();  // Stop()s.
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // Starts the thread; returns at once (the first connection happens in the background).
  void Start();
  // Stops the thread and closes the connection; idempotent.
  void Stop();
  // True while subscribed.
  bool connected() const { return connected_.load(); }
  // Number of successful subscriptions so far (1 after the first).
  int subscriptions() const { return subscriptions_.load(); }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> connected_{false};
  std::atomic<int> subscriptions_{0};
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_REDIS_SUBSCRIBER_H_
