// ProtocolSession: the protocol state of one client connection: feeds the bytes read so
// far to the parser, runs each complete request through the handler, and remembers how much
// of a refused data block is still to be discarded. Sockets stay outside: the server (or a
// test, or the fuzzer) hands in bytes and writes out what comes back.
//
// Not thread-safe: one per connection, used by the connection's worker only.
#ifndef MCSCALE_CACHENODE_PROTOCOL_SESSION_H_
#define MCSCALE_CACHENODE_PROTOCOL_SESSION_H_

#include <cstddef>
#include <string>

#include "cachenode/command_handler.h"
#include "cachenode/protocol_parser.h"
#include "cachenode/request.h"

namespace mcscale {

class ProtocolSession {
 public:
  // Both must outlive the session.
  ProtocolSession(const ProtocolParser* parser, CommandHandler* handler) : parser_(parser), handler_(handler) {}

  // Processes as many complete requests of input[0, len) as it can, appending replies to
  // *out, and returns the bytes consumed (the caller keeps the rest for the next call).
  // Stops early once *out holds more than `out_limit` bytes, so a slow reader cannot make
  // the node buffer without bound. Sets *close when the connection must close after *out is
  // written (quit, or garbage memcached would hang up on).
  size_t Process(const char* input, size_t len, std::string* out, bool* close, size_t out_limit = 4u << 20);

  // When the last Process stopped at an incomplete store, the total bytes that request needs
  // (so the caller can size its buffer); else 0.
  size_t bytes_needed() const { return bytes_needed_; }

 private:
  const ProtocolParser* parser_;
  CommandHandler* handler_;
  size_t swallow_ = 0;
  size_t bytes_needed_ = 0;
  Request req_;
};

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_PROTOCOL_SESSION_H_
