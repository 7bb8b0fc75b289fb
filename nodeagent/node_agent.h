// NodeAgent: everything one mcscale-agent does for its cache node, on one loop thread:
//   - every interval, MetricsPublisher samples the node and appends to `<prefix>:metrics`,
//     and AgentRegistration renews `<prefix>:agent:<id>`;
//   - NodeConfigurator applies `<prefix>:config` at start, on every `config.changed` event
//     on `<prefix>:events`, on every (re)subscription (an event may have been missed while
//     away), every minute as a safety net (a silently hung subscription cannot be noticed
//     with hiredis 0.14), and whenever the node comes back up or restarted.
//   - Mover carries out the move orders of `<prefix>:moves:<id>` on a thread of its own,
//     with node and Redis clients of its own, so a long migration never delays a sample.
// Node I/O of the loop happens only on the loop thread; the subscriber's thread only marks
// the config stale and wakes the loop.
//
// Thread-safety: Run() on one thread; Stop() from any thread (not from a signal handler).
#ifndef MCSCALE_NODEAGENT_NODE_AGENT_H_
#define MCSCALE_NODEAGENT_NODE_AGENT_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/memcache_client.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/redis_subscriber.h"
#include "nodeagent/agent_registration.h"
#include "nodeagent/agent_settings.h"
#include "nodeagent/metrics_publisher.h"
#include "nodeagent/mover.h"
#include "nodeagent/node_configurator.h"

namespace mcscale {

class NodeAgent {
 public:
  // How often the config is re-read without being told to.
  static constexpr int64_t kConfigRefreshMs = 60'000;
  // Per call to the node (connect included): a hung node costs this per sample.
  static constexpr int64_t kNodeTimeoutMs = 1000;

  // The monotonic time of the first sample slot after `now_ms`, on the grid due + k*interval
  // (slots the loop overran are skipped, so samples do not drift nor bunch up).
  // REQUIRES: interval_ms > 0.
  static int64_t NextDue(int64_t due_ms, int64_t interval_ms, int64_t now_ms);

  // `clock` must outlive the agent. Connects to nothing until Run().
  explicit NodeAgent(AgentSettings settings, Clock* clock = Clock::Real());
  ~NodeAgent();
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  // Runs until Stop() (the mover alongside, on its own thread); then stops the mover,
  // unsubscribes and deregisters (DEL of the registration hash).
  void Run();
  // Makes Run() return soon (after the node or Redis call in progress, if any).
  void Stop();

 private:
  void MarkConfigStale();
  void OnEvent(const std::string& message);
  // Re-reads the config when marked stale and applies it when the node needs it.
  void Configure();
  void RefreshRegistration();

  AgentSettings settings_;
  Clock* clock_;
  RedisKeys keys_;
  MemcacheClient node_;
  RedisClient redis_;
  MetricsPublisher publisher_;
  NodeConfigurator configurator_;
  AgentRegistration registration_;
  std::unique_ptr<RedisSubscriber> subscriber_;
  Mover mover_;

  std::atomic<bool> config_stale_{true};
  bool node_needs_config_ = true;  // loop thread only
  std::string last_registration_error_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  bool wake_ = false;  // guarded by mu_
};

}  // namespace mcscale

#endif  // MCSCALE_NODEAGENT_NODE_AGENT_H_
