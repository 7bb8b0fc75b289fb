// ReplyParser: splits the bytes a memcached-protocol server sent into complete replies to
// get and set (text protocol). It never touches a socket: the caller hands it the unparsed
// bytes and drops what it consumed, so a reply split across reads is simply "need more".
//
// Stateless; safe to use from any thread.
#ifndef MCSCALE_BENCH_REPLY_PARSER_H_
#define MCSCALE_BENCH_REPLY_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mcscale::bench {

class ReplyParser {
 public:
  enum class Kind {
    kValues,       // a get reply: zero or more VALUE blocks, then END
    kStored,
    kNotStored,
    kExists,
    kNotFound,
    kError,        // ERROR
    kClientError,  // CLIENT_ERROR <text>
    kServerError,  // SERVER_ERROR <text>
  };

  struct Reply {
    Kind kind = Kind::kError;
    uint32_t values = 0;    // kValues: how many VALUE blocks (0 is a miss)
    std::string_view line;  // the reply's first line without CRLF (points into the buffer)
  };

  enum class Outcome { kReply, kNeedMore, kInvalid };

  // Parses the reply at the front of `buf`.
  // kReply: *reply describes it and *consumed is its length in bytes.
  // kNeedMore: the reply is not complete yet; nothing consumed.
  // kInvalid: the bytes are not a reply this parser knows; *error says what it saw (the
  // stream position is lost, so the caller drops the connection).
  static Outcome Parse(std::string_view buf, Reply* reply, size_t* consumed, std::string* error);

  // True for the kinds that mean the server refused or failed the request.
  static bool IsError(Kind kind) {
    return kind == Kind::kError || kind == Kind::kClientError || kind == Kind::kServerError;
  }
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_REPLY_PARSER_H_
