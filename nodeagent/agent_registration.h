// AgentRegistration: the agent's entry in `<prefix>:agent:<node id>`, a hash with a TTL
// that every Refresh() renews, so the coordinator sees a dead agent vanish. Fields:
// address, pid, version, started (ms), supports_policy (1/0), policy_note, interval_ms,
// last_seen (ms).
//
// The TTL is max(3 intervals, 3 s), in whole seconds rounded up: three missed refreshes
// mean the agent is gone, and the 3 s floor keeps a short interval on a busy machine from
// making a live agent flicker.
//
// Not thread-safe: runs on the agent's loop thread. Does not own the client or the clock.
#ifndef MCSCALE_NODEAGENT_AGENT_REGISTRATION_H_
#define MCSCALE_NODEAGENT_AGENT_REGISTRATION_H_

#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"
#include "common/redis_client.h"
#include "common/redis_keys.h"
#include "common/status.h"

namespace mcscale {

// Who this agent is; fixed for the process.
struct AgentIdentity {
  std::string node_id;
  std::string address;  // the node's HOST:PORT
  int64_t pid = 0;
  std::string version;
  int64_t started_ms = 0;
  int64_t interval_ms = 0;
};

class AgentRegistration {
 public:
  static int64_t TtlSeconds(int64_t interval_ms);

  AgentRegistration(AgentIdentity identity, RedisClient* redis, const RedisKeys& keys, Clock* clock);

  // The hash's fields as of now.
  std::map<std::string, std::string> Fields(bool supports_policy, const std::string& policy_note) const;
  // HSET of every field and EXPIRE, in one MULTI/EXEC (a hash never lingers without a TTL).
  Status Refresh(bool supports_policy, const std::string& policy_note);
  // DEL of the hash (clean shutdown).
  Status Deregister();

  const std::string& key() const { return key_; }

 private:
  AgentIdentity identity_;
  RedisClient* redis_;
  std::string key_;
  Clock* clock_;
};

}  // namespace mcscale

#endif  // MCSCALE_NODEAGENT_AGENT_REGISTRATION_H_
