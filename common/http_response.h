// HttpResponse: one HTTP/1.1 reply as a handler returns it, and its wire form. Errors are
// JSON, {"error": "..."}, the same shape for the server's own refusals (a body over the
// limit, a malformed request) and the handlers' replies.
//
// Thread-compatible: a value type.
#ifndef MCSCALE_COMMON_HTTP_RESPONSE_H_
#define MCSCALE_COMMON_HTTP_RESPONSE_H_

#include <string>
#include <utility>
#include <vector>

namespace mcscale {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // more fields, in order
  std::string body;

  // {"error": message} with `status`.
  static HttpResponse Error(int status, const std::string& message);

  // The status line and fields: Content-Type and Content-Length (none for 1xx, 204 and
  // 304), "Connection: close" when `close`, then `headers`; ends with the empty line. The
  // body follows unless the request was HEAD.
  std::string Head(bool close) const;
  static const char* Reason(int status);
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_HTTP_RESPONSE_H_
