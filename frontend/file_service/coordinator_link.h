// CoordinatorLink: the file service's calls to the coordinator's manager API
// (POST /api/cache/clear, POST /api/data/clear): one blocking HTTP/1.0 request per call,
// bounded by a timeout, over a fresh loopback-or-LAN connection.
//
// Thread-safe: holds only its configuration.
#ifndef MCSCALE_FRONTEND_FILE_SERVICE_COORDINATOR_LINK_H_
#define MCSCALE_FRONTEND_FILE_SERVICE_COORDINATOR_LINK_H_

#include <cstdint>
#include <string>

#include "common/host_port.h"
#include "common/status.h"

namespace mcscale {

class CoordinatorLink {
 public:
  // `url` is "http://HOST:PORT" (a trailing "/" allowed) or "HOST:PORT"; `admin_token` is
  // sent as "Authorization: Bearer TOKEN" when not empty. Fails on a malformed URL.
  static Result<CoordinatorLink> Parse(const std::string& url, std::string admin_token, int64_t timeout_ms = 30000);

  // POSTs an empty body to `path`. Ok on a 2xx answer; otherwise the status names the
  // coordinator's answer (its {"error": ...} message) or the connection failure.
  Status Post(const std::string& path) const;
  std::string ToString() const { return "http://" + address_.ToString(); }

 private:
  CoordinatorLink(HostPort address, std::string admin_token, int64_t timeout_ms)
      : address_(std::move(address)), admin_token_(std::move(admin_token)), timeout_ms_(timeout_ms) {}

  HostPort address_;
  std::string admin_token_;
  int64_t timeout_ms_;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_FILE_SERVICE_COORDINATOR_LINK_H_
