// LocalNodeProvider: cache nodes as child processes on 127.0.0.1, each on a free port of a
// configured range, each with its mcscale-agent, both in process sessions of their own so
// they outlive a coordinator crash. What it started is recorded in `<prefix>:provider`
// (node id -> JSON: address, port, pid, cmdline, agent_pid, agent_cmdline, started_ms).
#ifndef MCSCALE_COORDINATOR_LOCAL_NODE_PROVIDER_H_
#define MCSCALE_COORDINATOR_LOCAL_NODE_PROVIDER_H_

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "coordinator/node_provider.h"

namespace mcscale {

struct LocalProviderOptions {
  // The node's command line; {host}, {port} and {capacity_mb} are filled in.
  // Default: memcached on 127.0.0.1 (with -u nobody when run as root).
  std::string node_command;
  std::string agent_binary;          // Default: mcscale-agent beside the coordinator.
  std::string redis_url;
  std::string prefix = "mcscale";
  int agent_interval_ms = 5000;
  int port_min = 21000;              // Default: 21000..21999.
  int port_max = 21999;
  std::string state_dir;             // node and agent logs
  std::string log_level = "info";    // the agents'
};

class LocalNodeProvider : public NodeProvider {
 public:
  LocalNodeProvider(LocalProviderOptions options, RedisClient* redis, RedisKeys keys);

  // The default node command for this user: memcached, bound to 127.0.0.1.
  static std::string DefaultNodeCommand();

  std::string name() const override { return "local"; }
  Result<std::string> Start(const NodeId& id, const PoolConfig& config) override;
  Status Stop(const NodeId& id) override;
  Result<std::map<NodeId, std::string>> Adopt() override;
  bool RestartAgent(const NodeId& id) override;
  std::set<NodeId> Nodes() const override;

 private:
  Result<int> PickPort();
  std::vector<std::string> NodeArgv(int port, int capacity_mb) const;
  std::vector<std::string> AgentArgv(const NodeId& id, const std::string& address) const;
  Result<pid_t> SpawnLogged(const std::vector<std::string>& argv, const std::string& log_name);
  Status SaveRecord(const NodeId& id, const nlohmann::json& record);

  LocalProviderOptions options_;
  RedisClient* redis_;
  RedisKeys keys_;
  std::map<NodeId, nlohmann::json> records_;
};

// True when `pid` runs with exactly `argv` (a reused pid runs something else).
bool ProcessMatches(pid_t pid, const std::vector<std::string>& argv);
// SIGTERM, then SIGKILL after grace_ms; reaps it when it is our child. Returns when gone.
void TerminateProcess(pid_t pid, int64_t grace_ms);

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_LOCAL_NODE_PROVIDER_H_
