// CommandHandler: executes parsed requests against the node's storage and appends the
// memcached reply bytes. This is the one place that turns storage result codes into wire
// replies (memcached 1.6.18's, byte for byte where the protocol fixes them).
//
// One per worker thread (it owns that worker's counters); not thread-safe itself, but any
// number of handlers may share one NodeContext.
#ifndef MCSCALE_CACHENODE_COMMAND_HANDLER_H_
#define MCSCALE_CACHENODE_COMMAND_HANDLER_H_

#include <string>

#include "cachenode/node_context.h"
#include "cachenode/request.h"

namespace mcscale {

// The version string mcscale-node reports (memcached's, marked as ours).
extern const char kNodeVersion[];

class CommandHandler {
 public:
  enum class Next { kContinue, kClose };

  explicit CommandHandler(NodeContext* context);

  // Executes `req` and appends its reply (if any) to *out. kClose asks the connection to
  // close once *out is written (quit).
  Next Execute(const Request& req, std::string* out);

  ThreadStats& stats() { return *stats_; }

 private:
  void Get(const Request& req, std::string* out);
  void Store(const Request& req, std::string* out);
  void Arithmetic(const Request& req, std::string* out);
  void Stats(const Request& req, std::string* out);
  void Metadump(const Request& req, std::string* out);
  void MetaGet(const Request& req, std::string* out);
  void MetaSet(const Request& req, std::string* out);
  void MetaDelete(const Request& req, std::string* out);
  void MetaArithmetic(const Request& req, std::string* out);
  void MetaDebug(const Request& req, std::string* out);

  NodeContext* ctx_;
  CacheStorage& storage_;
  ThreadStats* stats_;
};

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_COMMAND_HANDLER_H_
