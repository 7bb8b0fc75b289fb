// ExecNodeProvider: cache nodes from an operator's script, so a cloud or container
// platform can be plugged in without changing mcscale:
//   SCRIPT up ID CAPACITY_MB   starts node ID and its agent; prints the node's HOST:PORT
//   SCRIPT down ID             stops node ID and its agent
//   SCRIPT check ID            exit 0 when node ID still runs
//   SCRIPT agent ID            restarts the agent of node ID (optional; non-zero: unsupported)
// The environment carries MCSCALE_REDIS and MCSCALE_PREFIX for the agent. What it started
// is recorded in `<prefix>:provider` (id -> {"address": ...}). See
// scripts/exec-provider-example.sh.
#ifndef MCSCALE_COORDINATOR_EXEC_NODE_PROVIDER_H_
#define MCSCALE_COORDINATOR_EXEC_NODE_PROVIDER_H_

#include <map>
#include <string>
#include <vector>

#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "coordinator/node_provider.h"

namespace mcscale {

class ExecNodeProvider : public NodeProvider {
 public:
  ExecNodeProvider(std::string script, std::string redis_url, RedisClient* redis, RedisKeys keys);

  std::string name() const override { return "exec"; }
  Result<std::string> Start(const NodeId& id, const PoolConfig& config) override;
  Status Stop(const NodeId& id) override;
  Result<std::map<NodeId, std::string>> Adopt() override;
  bool RestartAgent(const NodeId& id) override;
  std::set<NodeId> Nodes() const override;

 private:
  // Runs the script with `args`; returns its stdout (trimmed) or an error with its status.
  Result<std::string> Run(const std::vector<std::string>& args) const;

  std::string script_;
  std::string redis_url_;
  RedisClient* redis_;
  RedisKeys keys_;
  std::map<NodeId, std::string> nodes_;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_EXEC_NODE_PROVIDER_H_
