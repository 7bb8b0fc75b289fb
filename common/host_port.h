// HostPort: a node address "HOST:PORT" (IPv4 or name; "[v6]:port" accepted).
#ifndef MCSCALE_COMMON_HOST_PORT_H_
#define MCSCALE_COMMON_HOST_PORT_H_

#include <cstdint>
#include <string>

#include "common/status.h"

namespace mcscale {

struct HostPort {
  std::string host;
  uint16_t port = 0;

  // Parses "HOST:PORT"; the error names what is wrong ("missing port in 'x'").
  static Result<HostPort> Parse(const std::string& text);
  std::string ToString() const;
  bool operator==(const HostPort& o) const { return host == o.host && port == o.port; }
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_HOST_PORT_H_
