// AgentSettings: what one mcscale-agent is told on its command line (or environment). The
// options are declared once in Declare(), which --help is generated from; FromOptions()
// checks them all and names every bad one.
//
// Value type.
#ifndef MCSCALE_NODEAGENT_AGENT_SETTINGS_H_
#define MCSCALE_NODEAGENT_AGENT_SETTINGS_H_

#include <cstdint>
#include <string>

#include "common/host_port.h"
#include "common/options.h"
#include "common/redis_client.h"
#include "common/status.h"

namespace mcscale {

struct AgentSettings {
  static constexpr int64_t kMinIntervalMs = 100;
  static constexpr int64_t kMaxIntervalMs = 3'600'000;

  HostPort node;                 // --node, required.
  RedisAddress redis;            // --redis. Default: redis://127.0.0.1:6379.
  std::string id;                // --id. Default: the node's address.
  int64_t interval_ms = 5000;    // --interval-ms. Default: 5000, at least 100.
  std::string prefix = "mcscale";  // --prefix. Default: mcscale.
  std::string log_level = "info";  // --log-level. Default: info.

  // Declares every agent option (with its default and help) on `options`.
  static void Declare(Options* options);
  // Reads the parsed options. On failure the message lists every bad option, each named
  // ("--node: missing port in 'x' (expected HOST:PORT); --interval-ms: 50 is out of range
  // 100..3600000").
  static Result<AgentSettings> FromOptions(const Options& options);
};

}  // namespace mcscale

#endif  // MCSCALE_NODEAGENT_AGENT_SETTINGS_H_
