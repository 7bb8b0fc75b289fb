// HttpResponse: one HTTP/1.1 reply as a handler returns it, and its wire form. Errors are
// JSON, {"error": "..."}, the same shape for the server's own refusals (a body over the
// limit, a malformed request) and the handlers' replies.
//
// Thread-compatible: a value type.
#ifndef MCSCALE_COMMON_HTTP_RESPONSE_H_
#define MCSCALE_COMMON_HTTP_RESPONSE_H_

#include <string>
#include <string_view>
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

  // The status line and fields: Content-Type and Content-Length (none for a bodiless
  // status), "Connection: <connection>" unless it is empty, then `headers` (a field whose
  // name or value holds CR or LF is left out and logged: it would split the head); ends with
  // the empty line. The body follows unless the request was HEAD or the status is bodiless.
  std::string Head(std::string_view connection = "") const;
  // 1xx, 204 and 304 replies have no body.
  static bool Bodiless(int status) { return status < 200 || status == 204 || status == 304; }
  static const char* Reason(int status);
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_HTTP_RESPONSE_H_
