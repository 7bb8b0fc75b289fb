#include "common/host_port.h"

#include <cstdlib>

namespace mcscale {

Result<HostPort> HostPort::Parse(const std::string& text) {
  std::string host;
  std::string port_text;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return Status::Invalid("expected [IPV6]:PORT, got '" + text + "'");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return Status::Invalid("missing port in '" + text + "' (expected HOST:PORT)");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) return Status::Invalid("missing host in '" + text + "' (expected HOST:PORT)");
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos)
    return Status::Invalid("bad port '" + port_text + "' in '" + text + "'");
  long port = std::strtol(port_text.c_str(), nullptr, 10);
  if (port < 1 || port > 65535) return Status::Invalid("port out of range in '" + text + "'");
  return HostPort{host, static_cast<uint16_t>(port)};
}

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace mcscale
