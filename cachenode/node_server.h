// NodeServer: mcscale-node's network side. One accept loop (on the thread that calls Run)
// hands each new connection round-robin to one of N worker threads, each running its own
// libevent base. Workers only move bytes: read into the connection's buffer, pass it to the
// connection's ProtocolSession, write what comes back. Output beyond a few MB pauses reading
// until the client catches up.
//
// Thread-safe: Stop() may be called from any thread (or a signal callback); everything else
// from the owner thread.
#ifndef MCSCALE_CACHENODE_NODE_SERVER_H_
#define MCSCALE_CACHENODE_NODE_SERVER_H_

#include <atomic>
#include <memory>
#include <vector>

#include "cachenode/node_context.h"
#include "cachenode/protocol_parser.h"
#include "common/status.h"

struct event_base;
struct evconnlistener;
struct event;
struct sockaddr;

namespace mcscale {

class NodeServer {
 public:
  explicit NodeServer(NodeContext* context);  // context must outlive the server
  ~NodeServer();
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // Binds interface:port (port 0 picks one) and starts the workers. Fails (with the
  // address and errno text) when the address cannot be bound.
  Status Start();
  // Accepts connections until Stop(), SIGTERM or SIGINT; then stops the workers.
  void Run();
  void Stop();
  int port() const { return port_; }

  struct Worker;

 private:
  static void OnAccept(evconnlistener* listener, int fd, ::sockaddr* addr, int socklen, void* arg);
  static void OnSignal(int sig, short what, void* arg);
  // Tells every running worker to leave its loop and joins it.
  void StopWorkers();

  NodeContext* ctx_;
  ProtocolParser parser_;
  event_base* base_ = nullptr;
  evconnlistener* listener_ = nullptr;
  event* sigterm_ = nullptr;
  event* sigint_ = nullptr;
  std::vector<std::unique_ptr<Worker>> workers_;
  size_t next_worker_ = 0;
  int port_ = 0;
};

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_NODE_SERVER_H_
