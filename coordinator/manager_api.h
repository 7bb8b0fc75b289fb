// ManagerApi: the coordinator's HTTP API, on an HttpServer loop (a thread of its own).
//   GET  /api/pool                  the pool now (nodes, regions, state, per-node levels)
//   GET  /api/stats?minutes=30      per-bucket pool figures and resize marks
//   GET  /api/config                the config
//   PUT  /api/config                partial config (JSON object); 400 lists every bad field
//   POST /api/pool/resize           {"size": N} or {"delta": +1|-1}; 409 while migrating
//   POST /api/cache/clear           flush every node, cache.cleared
//   POST /api/data/clear            data.cleared, then a cache clear
//   POST /api/pool/retire           stop every node and agent, delete the pool
//   GET  /api/events?count=50       the latest events, newest first
//   GET  /healthz, GET /metrics     liveness; Prometheus text
// Every answer is JSON (but /metrics and the pages); errors are {"error": "..."}, the
// server's own refusals (a body over 1 MiB: 413, a malformed request: 400) too. With an admin token,
// every request that changes something needs "Authorization: Bearer TOKEN".
#ifndef MCSCALE_COORDINATOR_MANAGER_API_H_
#define MCSCALE_COORDINATOR_MANAGER_API_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/host_port.h"
#include "common/http_server.h"
#include "common/status.h"
#include "coordinator/coordinator.h"

namespace mcscale {

class ManagerApi {
 public:
  // Extra routes (e.g. the dashboard's page): exact path -> handler for GET.
  using PageHandler = std::function<HttpResponse()>;

  ManagerApi(Coordinator* coordinator, std::string admin_token);
  ~ManagerApi();  // Stop()s.

  void AddPage(const std::string& path, PageHandler handler) { pages_[path] = std::move(handler); }
  // Binds `address` and starts serving on a thread; fails when the address is taken.
  Status Start(const HostPort& address);
  void Stop();
  // Routes one request (method, path, query, body, Authorization header) to a reply:
  // the whole API without sockets.
  HttpResponse Handle(const std::string& method, const std::string& path, const std::string& query,
                      const std::string& body, const std::string& authorization);

 private:
  HttpResponse Resize(const std::string& body);

  Coordinator* coordinator_;
  std::string admin_token_;
  std::map<std::string, PageHandler> pages_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_MANAGER_API_H_
