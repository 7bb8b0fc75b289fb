// mcscale-coordinator: pool figures, the scaling policy, node provisioning, pool events
// and the manager API. See README.md and ../shared/DESIGN.md.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/options.h"
#include "coordinator/coordinator.h"
#include "coordinator/dashboard/dashboard_assets.h"
#include "coordinator/manager_api.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

std::string SelfDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return std::filesystem::path(buf).parent_path().string();
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mcscale;
  Options opts("mcscale-coordinator",
               "mcscale-coordinator [options]\n\n"
               "Keeps the memcached pool the right size: reads node metrics from Redis, decides\n"
               "from the miss rate, starts and stops nodes, publishes pool events, serves the\n"
               "manager API and dashboard.");
  opts.Add("redis", "redis://127.0.0.1:6379", "Redis URL redis://[:password@]host:port[/db]")
      .Add("prefix", "mcscale", "prefix of every Redis key")
      .Add("http", "127.0.0.1:8080", "manager API and dashboard address HOST:PORT")
      .Add("admin-token", "", "token every change through the API needs (required off loopback)")
      .Add("provider", "local", "node provider: local (child processes) or exec (operator script)")
      .Add("node-command", "", "local provider: node command line with {host} {port} {capacity_mb} "
                               "(default: memcached -l {host} -p {port} -m {capacity_mb} ...)")
      .Add("agent-binary", "", "local provider: mcscale-agent to run beside each node (default: beside this binary)")
      .Add("agent-interval-ms", "5000", "local provider: the agents' sampling interval")
      .Add("port-range", "21000-21999", "local provider: ports for nodes, FIRST-LAST")
      .Add("state-dir", "", "local provider: folder for node and agent logs (default: /tmp/mcscale-PREFIX)")
      .Add("exec-script", "", "exec provider: script run as SCRIPT up|down|check|agent ID ...")
      .Add("config", "{}", "initial pool config as JSON, used only when Redis has none, e.g. "
                           "'{\"interval_s\":5,\"max_nodes\":4}'")
      .Add("tick-ms", "250", "loop period")
      .Add("log-level", "info", "trace, debug, info, warn or error")
      .AddFlag("no-migration", "resize by remapping only (keys of moving regions are lost), as the anchors do")
      .Add("claim-grace-ms", "2000", "issue an epoch's moves when no frontend claimed them within this time")
      .Add("drain-timeout-s", "600", "cancel a migration that is not done after this many seconds")
      .Add("cancel-wait-s", "30", "after a cancel, restart the agents of movers that did not stop within this time")
      .AddFlag("retire-on-exit", "stop every node and delete the pool when stopped (SIGTERM/SIGINT)");
  opts.ParseOrExit(argc, argv);

  Status log_st = SetupLogging("coordinator", opts.Get("log-level"));
  if (!log_st.ok()) opts.Fail(log_st.message());

  CoordinatorOptions co;
  co.redis_url = opts.Get("redis");
  if (auto r = RedisAddress::Parse(co.redis_url); !r.ok()) opts.Fail("--redis: " + r.status().message());
  co.prefix = opts.Get("prefix");
  if (co.prefix.empty()) opts.Fail("--prefix: must not be empty");
  auto http = HostPort::Parse(opts.Get("http"));
  if (!http.ok()) opts.Fail("--http: " + http.status().message());
  std::string token = opts.Get("admin-token");
  if (!IsLoopback(http->host) && token.empty())
    opts.Fail("--http " + http->ToString() + " is not loopback: set --admin-token so changes need it");
  co.provider = opts.Get("provider");
  if (co.provider != "local" && co.provider != "exec") opts.Fail("--provider: expected local or exec, got '" + co.provider + "'");
  co.exec_script = opts.Get("exec-script");
  if (co.provider == "exec" && co.exec_script.empty()) opts.Fail("--provider exec needs --exec-script");
  co.local.node_command = opts.Get("node-command");
  co.local.agent_binary = opts.Get("agent-binary").empty() ? SelfDir() + "/mcscale-agent" : opts.Get("agent-binary");
  co.local.agent_interval_ms = static_cast<int>(opts.IntOrExit("agent-interval-ms", 100, 3600 * 1000));
  co.local.log_level = opts.Get("log-level");
  std::string range = opts.Get("port-range");
  int lo = 0, hi = 0;
  if (sscanf(range.c_str(), "%d-%d", &lo, &hi) != 2 || lo < 1024 || hi > 65535 || lo > hi)
    opts.Fail("--port-range: expected FIRST-LAST within 1024..65535, got '" + range + "'");
  co.local.port_min = lo;
  co.local.port_max = hi;
  co.local.state_dir = opts.Get("state-dir").empty() ? "/tmp/mcscale-" + co.prefix : opts.Get("state-dir");
  co.initial_config = nlohmann::json::parse(opts.Get("config"), nullptr, false);
  if (co.initial_config.is_discarded() || !co.initial_config.is_object())
    opts.Fail("--config: expected a JSON object, got '" + opts.Get("config") + "'");
  co.tick_ms = static_cast<int>(opts.IntOrExit("tick-ms", 10, 10000));
  co.live_migration = !opts.GetFlag("no-migration");
  co.claim_grace_ms = opts.IntOrExit("claim-grace-ms", 0, 3600 * 1000);
  co.drain_timeout_ms = opts.IntOrExit("drain-timeout-s", 1, 7 * 24 * 3600) * 1000;
  co.cancel_wait_ms = opts.IntOrExit("cancel-wait-s", 1, 3600) * 1000;

  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  Coordinator coordinator(co, Clock::Real());
  Status st = coordinator.Start();
  if (!st.ok()) {
    spdlog::critical("cannot start: {}", st.ToString());
    return 1;
  }
  ManagerApi api(&coordinator, token);
  // The dashboard at "/": every file it needs is embedded in this binary.
  for (const DashboardAsset& asset : DashboardAssets()) {
    api.AddPage(asset.path, [asset] {
      HttpResponse page;
      page.body.assign(reinterpret_cast<const char*>(asset.data), asset.size);
      page.content_type = asset.content_type;
      return page;
    });
  }
  st = api.Start(*http);
  if (!st.ok()) {
    spdlog::critical("--http: {}", st.ToString());
    return 1;
  }
  coordinator.Run(&g_stop);
  api.Stop();
  if (coordinator.retired()) {
    spdlog::info("pool retired; exiting");
  } else if (opts.GetFlag("retire-on-exit")) {
    Status rt = coordinator.Retire();
    if (!rt.ok()) spdlog::error("retire on exit: {}", rt.ToString());
  } else {
    spdlog::info("stopping; the nodes keep running and the next coordinator re-adopts them");
  }
  return 0;
}
