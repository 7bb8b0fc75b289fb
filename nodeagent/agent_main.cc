// mcscale-agent: runs beside one cache node; see nodeagent/node_agent.h.
#include <pthread.h>
#include <signal.h>

#include <spdlog/spdlog.h>

#include <thread>

#include "common/logging.h"
#include "common/options.h"
#include "nodeagent/agent_settings.h"
#include "nodeagent/node_agent.h"

int main(int argc, char** argv) {
  mcscale::Options options("mcscale-agent",
                           "mcscale-agent --node HOST:PORT [options]\n\n"
                           "Publishes the cache node's stats to Redis every interval, keeps its registration "
                           "alive, applies the pool's node configuration (capacity, policy) and moves the keys "
                           "of the regions that leave the node (the orders on <prefix>:moves:<id>).");
  mcscale::AgentSettings::Declare(&options);
  options.ParseOrExit(argc, argv);
  auto settings = mcscale::AgentSettings::FromOptions(options);
  if (!settings.ok()) options.Fail(settings.status().message());
  mcscale::Status logging = mcscale::SetupLogging("mcscale-agent", settings->log_level);
  if (!logging.ok()) options.Fail(logging.message());

  // SIGTERM and SIGINT are taken by a thread of their own (so stopping is not done inside a
  // signal handler); every thread started later inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a node or Redis closing its socket is an error value, not a death

  mcscale::NodeAgent agent(std::move(settings.value()));
  std::thread signal_waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("signal {}: stopping", sig);
    agent.Stop();
  });
  agent.Run();
  signal_waiter.join();
  return 0;
}
