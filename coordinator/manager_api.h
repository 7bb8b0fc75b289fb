// ManagerApi: the coordinator's HTTP API on libevent's evhttp, on a thread of its own.
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
// Every answer is JSON (but /metrics); errors are {"error": "..."}. With an admin token,
// every request that changes something needs "Authorization: Bearer TOKEN".
#ifndef MCSCALE_COORDINATOR_MANAGER_API_H_
#define MCSCALE_COORDINATOR_MANAGER_API_H_

#include <functional>
#include <map>
#include <string>
#include <thread>

#include "common/host_port.h"
#include "common/status.h"
#include "coordinator/coordinator.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct event;

namespace mcscale {

struct HttpReply {
  int code = 200;
  std::string body;
  std::string content_type = "application/json";
};

class ManagerApi {
 public:
  // Extra routes (e.g. the dashboard's page): exact path -> handler for GET.
  using PageHandler = std::function<HttpReply()>;

  ManagerApi(Coordinator* coordinator, std::string admin_token);
  ~ManagerApi();  // Stop()s.

  void AddPage(const std::string& path, PageHandler handler) { pages_[path] = std::move(handler); }
  // Binds `address` and starts serving on a thread; fails when the address is taken.
  Status Start(const HostPort& address);
  void Stop();
  // Routes one request (method, path, query, body, Authorization header) to a reply:
  // the whole API without sockets.
  HttpReply Handle(const std::string& method, const std::string& path, const std::string& query,
                   const std::string& body, const std::string& authorization);

 private:
  static void OnRequest(evhttp_request* req, void* self);
  HttpReply Resize(const std::string& body);

  Coordinator* coordinator_;
  std::string admin_token_;
  std::map<std::string, PageHandler> pages_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  event* stop_event_ = nullptr;
  std::thread thread_;
};

}  // namespace mcscale

#endif  // MCSCALE_COORDINATOR_MANAGER_API_H_
