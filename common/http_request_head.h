// HttpRequestHead: the head of one HTTP/1.x request (request line and header fields) and
// its parser. The parser works on a byte buffer and never touches a socket: HttpServer feeds
// it what it has read so far and learns whether the head is complete, how many bytes it
// took, and what the request asks for; or, for a request it refuses, the status to answer
// and a message naming the field and the reason.
//
// What it accepts (RFC 9112, strictly where leniency would let a request be read two ways):
//   - CRLF or bare LF line ends; empty lines before the request line are skipped;
//   - HTTP/1.0 and HTTP/1.1 (another 1.x: 505; anything else: 400);
//   - a body only by Content-Length: Transfer-Encoding chunked gets 411 (send the length),
//     another transfer coding 501, and both headers together 400 (request smuggling);
//   - no obsolete line folding, no whitespace before a field's colon, no control
//     characters in values: 400.
//
// Thread-compatible: a pure function on its arguments.
#ifndef MCSCALE_COMMON_HTTP_REQUEST_HEAD_H_
#define MCSCALE_COMMON_HTTP_REQUEST_HEAD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcscale {

struct HttpHeadParse;

struct HttpRequestHead {
  std::string method;      // as sent ("GET"; methods are case-sensitive)
  std::string target;      // the request target as sent ("/api/key/a%20b?x=1")
  std::string path;        // the target's path, still %-encoded ("/api/key/a%20b")
  std::string query;       // after '?', without it; empty when there is none
  int minor_version = 1;   // HTTP/1.<minor_version>
  // Header fields in order, names lower-cased, values without surrounding whitespace.
  std::vector<std::pair<std::string, std::string>> fields;
  int64_t content_length = 0;   // bytes of body that follow the head (0: none)
  bool keep_alive = true;       // false after "Connection: close", or HTTP/1.0 without keep-alive
  bool expect_continue = false; // "Expect: 100-continue" (HTTP/1.1; 1.0 ignores Expect)

  // The first field named `lower_name` (lower case), or nullptr.
  const std::string* Find(std::string_view lower_name) const;

  // Parses the head at the start of `data`. A head longer than `max_head_bytes` (request
  // line and fields, with line ends) is refused with 431 (414 while still in the request
  // line), whether or not its end has arrived yet.
  static HttpHeadParse Parse(std::string_view data, size_t max_head_bytes);
};

struct HttpHeadParse {
  enum class Outcome { kIncomplete, kComplete, kRefused };
  Outcome outcome = Outcome::kIncomplete;
  HttpRequestHead head;     // kComplete: the request
  size_t head_bytes = 0;    // kComplete: bytes taken, up to and including the empty line
  int status = 0;           // kRefused: the status to answer (400, 411, 414, 417, 431, 501, 505)
  std::string error;        // kRefused: what is wrong, naming the field ("Content-Length: ...")
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_HTTP_REQUEST_HEAD_H_
