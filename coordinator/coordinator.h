// Coordinator: reads the agents' metric stream, keeps the per-bucket pool figures in
// `<prefix>:figures`, evaluates the scaling policy every interval, drives pool changes
// through the PoolManager and answers the manager API's requests.
//
// Thread-safe: the loop (Tick) and the API (every other public method) share one mutex;
// a resize that starts nodes holds it for as long as the nodes take to answer. The health
// check's probes of the nodes run without it, so a hung node never stalls the API.
#ifndef MCSCALE_COORDINATOR_COORDINATOR_H_
#define MCSCALE_COORDINATOR_COORDINATOR_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/metric_sample.h"
#include "common/pool_config.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "coordinator/agent_supervisor.h"
#include "coordinator/failure_detector.h"
#include "coordinator/figure_aggregator.h"
#include "coordinator/local_node_provider.h"
#include "coordinator/pool_manager.h"
#include "coordinator/scaling_policy.h"

namespace mcscale {

struct CoordinatorOptions {
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string prefix = "mcscale";
  std::string provider = "local";      // local | exec
  LocalProviderOptions local;
  std::string exec_script;
  int tick_ms = 250;                   // Default: 250. Loop period.
  nlohmann::json initial_config = nlohmann::json::object();  // used when Redis has none
  // Figures older than this are trimmed from `<prefix>:figures`. Default: 2 hours.
  int64_t keep_figures_ms = 2 * 3600 * 1000;
  // Live migration (copy moving regions' keys); off: a resize is a remap, as in
  // ElastiCache, mcrouter and twemproxy. Default: on.
  bool live_migration = true;
  // Unclaimed this long after commit, the coordinator issues the moves itself. Default: 2 s.
  int64_t claim_grace_ms = 2000;
  // A migration not done after this is cancelled (logged): see CancelMigrationLocked.
  // Default: 600 s.
  int64_t drain_timeout_ms = 600 * 1000;
  // After a cancel, how long movers get to say they stopped before their agents are
  // restarted. Default: 30 s.
  int64_t cancel_wait_ms = 30 * 1000;
  // Drained nodes are stopped once every lease is past migration.done, or after this.
  // Default: 10 s.
  int64_t retire_wait_ms = 10 * 1000;
};

class Coordinator {
 public:
  Coordinator(CoordinatorOptions options, Clock* clock);
  ~Coordinator();

  // Connects to Redis (retrying for up to 30 s), loads or creates the config and the pool,
  // re-adopts the provider's nodes, and grows an empty pool to min_nodes.
  Status Start();
  // One loop iteration: new metrics, figures, migration end, policy.
  void Tick();
  // Ticks every tick_ms until *stop is set.
  void Run(const std::atomic<bool>* stop);

  // Manager API operations.
  nlohmann::json PoolView();
  nlohmann::json StatsView(int minutes);
  nlohmann::json ConfigView();
  nlohmann::json EventsView(int count);
  // Applies a partial config; on refusal fills *errors and leaves the config unchanged.
  Result<PoolConfig> UpdateConfig(const nlohmann::json& patch, std::vector<FieldError>* errors);
  // Resizes to `size` nodes (Conflict while migrating, Invalid out of range).
  Status Resize(int size, const std::string& reason);
  int PoolSize();
  // Flushes every node and publishes cache.cleared.
  Status ClearCache(const std::string& reason);
  // Publishes data.cleared (frontends delete their files), then clears the cache.
  Status ClearData(const std::string& reason);
  // Stops every node and agent and deletes the pool; the coordinator then stops managing.
  Status Retire();
  bool retired() const { return retired_.load(); }
  std::string PrometheusText();

 private:
  void ReadMetricsLocked();
  void PersistFiguresLocked();
  void ReloadConfigLocked();
  void EvaluatePolicyLocked();
  void AdvanceMigrationLocked();
  void RetireDrainedLocked();

  // One health check of the pool's nodes, in three steps so that no probe (up to
  // kProbeTimeoutMs per node) runs under mu_: PlanHealthCheckLocked gathers what is known
  // and which nodes need a probe, ProbeNodes probes them without the lock, and
  // ApplyHealthCheckLocked restarts dead agents of live nodes and takes nodes that stayed
  // unreachable for failure_timeout_s out of the pool, unless the pool changed meanwhile.
  struct HealthCheck {
    std::string pool_id;
    int64_t epoch = 0;
    NodeAddresses nodes;
    int64_t now_ms = 0;
    std::map<NodeId, NodeObservation> observations;
    std::set<NodeId> to_probe;
  };
  static constexpr int64_t kProbeTimeoutMs = 500;
  // nullopt when Redis did not answer: then no judgement on nodes.
  std::optional<HealthCheck> PlanHealthCheckLocked();
  // Tells the agent supervisor whether Redis answered (a registration may have expired while
  // it did not).
  void NoteRedisLocked(bool answered);
  static void ProbeNodes(HealthCheck* check);
  void ApplyHealthCheckLocked(const HealthCheck& check);
  Status EndMigrationLocked(const std::string& reason);
  // The drain timeout ends a migration in two steps, so that no copy lands after
  // migration.done (a copy of a key deleted after done would bring it back: no tombstone
  // guards it then): `cancel_ms` in the migration hash tells the movers to stop, and done is
  // published only once every moving region is done or its mover marked it stopped
  // (`r<R>.stopped`, written once nothing of it is in flight). Movers silent for
  // cancel_wait_ms have their agents restarted (the process stopped) first. Called every
  // tick past the timeout; all state in Redis, so a restarted coordinator carries on.
  void CancelMigrationLocked();
  Status FlushNodesLocked();

  CoordinatorOptions options_;
  Clock* clock_;
  RedisKeys keys_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<NodeProvider> provider_;
  std::unique_ptr<PoolManager> pool_;
  std::mutex mu_;
  PoolConfig config_;
  FigureAggregator figures_;
  PolicyMemory policy_memory_;
  std::string metrics_cursor_ = "0-0";
  std::map<std::string, MetricSample> last_sample_;
  int64_t last_eval_mono_ms_ = 0;
  int64_t last_config_read_mono_ms_ = 0;
  std::string last_decision_reason_;
  std::atomic<bool> retired_{false};
  FailureDetector failures_{15000};
  int64_t last_health_check_mono_ms_ = 0;
  // Initialized in Start() with the agents' interval.
  std::unique_ptr<AgentSupervisor> agents_;
  uint64_t node_failures_ = 0;
  // Nodes that left the pool at migration.done, stopped once no frontend can ask them.
  std::set<NodeId> retiring_;
  int64_t retiring_epoch_ = 0;
  int64_t retiring_since_ms_ = 0;
  // Counters for /metrics.
  uint64_t samples_total_ = 0;
  uint64_t samples_invalid_ = 0;
  uint64_t resizes_total_ = 0;
  uint64_t resize_failures_ = 0;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_COORDINATOR_H_
