// ProtocolParser: frames and checks memcached text-protocol requests in a byte buffer, the
// way memcached's proto_text.c does, without touching a socket. It finds one complete
// request (a command line, plus the data block of a store), tokenizes it, validates every
// field and names the reply for a bad one (ERROR, CLIENT_ERROR ..., SERVER_ERROR object too
// large for cache), so the handler only executes well-formed requests.
//
// Stateless apart from its options; thread-compatible (one per connection or shared const).
#ifndef MCSCALE_CACHENODE_PROTOCOL_PARSER_H_
#define MCSCALE_CACHENODE_PROTOCOL_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cachenode/request.h"

namespace mcscale {

class ProtocolParser {
 public:
  enum class Status {
    kNeedMore,  // no complete request yet; read more bytes
    kRequest,   // *req is filled and `consumed` bytes belong to it
    kClose,     // the peer sent garbage memcached would hang up on
  };

  // Default: 1 MB (memcached -I), the largest item a store may create.
  explicit ProtocolParser(size_t item_size_max = 1u << 20) : item_size_max_(item_size_max) {}

  // Parses the first request in input[0, len). The buffer is read only; req's views point
  // into it. On kRequest, *consumed is the number of bytes the request took (the handler
  // must then also discard req->swallow further bytes). On kNeedMore, *consumed is a hint:
  // the total bytes needed when known (a store's data block), else 0.
  Status Parse(const char* input, size_t len, Request* req, size_t* consumed) const;

  size_t item_size_max() const { return item_size_max_; }

 private:
  // Longest command line buffered while waiting for its newline (only a get may be longer).
  static constexpr size_t kMaxLineWithoutNewline = 2048;
  // Longest multi-get line buffered before the connection is closed.
  static constexpr size_t kMaxGetLine = 64u << 20;

  void ParseStore(const char* input, size_t len, size_t line_bytes, Command cmd, Request* req,
                  Status* status, size_t* consumed) const;
  void ParseMetaSet(const char* input, size_t len, size_t line_bytes, Request* req, Status* status,
                    size_t* consumed) const;
  size_t item_size_max_;
};

// memcached's safe_strto* rules on one token (leading blanks, optional sign, digits, then the
// end or a blank). False on overflow or garbage.
bool ParseProtocolU64(std::string_view token, uint64_t* out);
bool ParseProtocolU32(std::string_view token, uint32_t* out);  // strtoul, truncated like memcached
bool ParseProtocolI32(std::string_view token, int32_t* out);

// Base64 (RFC 4648, padded) for meta keys. Decode returns 0 on invalid input.
size_t Base64Decode(std::string_view in, char* out, size_t out_cap);
void Base64Append(std::string_view in, std::string* out);

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_PROTOCOL_PARSER_H_
