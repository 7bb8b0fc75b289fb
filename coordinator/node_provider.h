// NodeProvider: how the coordinator gets and gives back cache nodes. `local` runs them as
// child processes on 127.0.0.1, `exec` asks operator scripts (a cloud, a container
// platform). A provider starts a node together with its agent and records what it started
// in `<prefix>:provider`, so a restarted coordinator re-adopts what still runs.
//
// Implementations are called from one coordinator thread at a time.
#ifndef MCSCALE_COORDINATOR_NODE_PROVIDER_H_
#define MCSCALE_COORDINATOR_NODE_PROVIDER_H_

#include <map>
#include <set>
#include <string>

#include "common/pool_config.h"
#include "common/region_map.h"
#include "common/status.h"

namespace mcscale {

class NodeProvider {
 public:
  virtual ~NodeProvider() = default;
  virtual std::string name() const = 0;

  // Starts node `id` (and its agent) with the config's capacity and returns its HOST:PORT
  // once it answers. Fails with a message an operator can act on.
  virtual Result<std::string> Start(const NodeId& id, const PoolConfig& config) = 0;
  // Stops node `id` and its agent and forgets it. Stopping an unknown node is not an error.
  virtual Status Stop(const NodeId& id) = 0;
  // After a coordinator restart: for every node the provider recorded, keeps it when it
  // still runs as recorded (pid, command line and port match; pids are reused), restarts
  // its agent when only the agent is gone, and reports the rest as lost (forgotten).
  // Returns id -> address of the nodes that still run.
  virtual Result<std::map<NodeId, std::string>> Adopt() = 0;
  // Restarts the agent of a running node (its agent died). False when not supported.
  virtual bool RestartAgent(const NodeId& id) = 0;
  // Ids of every node the provider currently has.
  virtual std::set<NodeId> Nodes() const = 0;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_NODE_PROVIDER_H_
