#include "nodeagent/agent_settings.h"

#include <vector>

namespace mcscale {

void AgentSettings::Declare(Options* options) {
  AgentSettings d;
  options->Add("node", "", "address HOST:PORT of the cache node this agent serves (required)")
      .Add("redis", "redis://127.0.0.1:6379", "Redis URL redis://[:password@]host:port[/db]")
      .Add("id", "", "node id in the pool; empty means the --node address")
      .Add("interval-ms", std::to_string(d.interval_ms),
           "milliseconds between two samples of the node's stats (at least " +
               std::to_string(kMinIntervalMs) + ")")
      .Add("prefix", d.prefix, "prefix of every Redis key")
      .Add("log-level", d.log_level, "trace, debug, info, warn or error");
}

Result<AgentSettings> AgentSettings::FromOptions(const Options& options) {
  AgentSettings s;
  std::vector<std::string> errors;

  std::string node = options.Get("node");
  if (node.empty()) {
    errors.push_back("--node: required (HOST:PORT of the cache node)");
  } else {
    auto parsed = HostPort::Parse(node);
    if (parsed.ok()) s.node = *parsed;
    else errors.push_back("--node: " + parsed.status().message());
  }

  auto redis = RedisAddress::Parse(options.Get("redis"));
  if (redis.ok()) s.redis = *redis;
  else errors.push_back("--redis: " + redis.status().message());

  auto interval = options.GetInt("interval-ms", kMinIntervalMs, kMaxIntervalMs);
  if (interval.ok()) s.interval_ms = *interval;
  else errors.push_back(interval.status().message());

  s.prefix = options.Get("prefix");
  if (s.prefix.empty() || s.prefix.find_first_of(" \t\r\n") != std::string::npos)
    errors.push_back("--prefix: must be non-empty without whitespace, got '" + s.prefix + "'");

  s.id = options.Get("id");
  if (s.id.empty()) s.id = s.node.ToString();
  if (s.id.find_first_of(" \t\r\n") != std::string::npos)
    errors.push_back("--id: must not contain whitespace, got '" + s.id + "'");

  s.log_level = options.Get("log-level");

  if (errors.empty()) return s;
  std::string joined;
  for (const auto& e : errors) joined += (joined.empty() ? "" : "; ") + e;
  return Status::Invalid(joined);
}

}  // namespace mcscale
