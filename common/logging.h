// Logging setup shared by every binary: spdlog to stderr with the component's name, time
// with milliseconds and the level; `level` is one of trace, debug, info, warn, error.
#ifndef MCSCALE_COMMON_LOGGING_H_
#define MCSCALE_COMMON_LOGGING_H_

#include <string>

#include "common/status.h"

namespace mcscale {

// Installs the default logger for this process. Returns Invalid for an unknown level.
Status SetupLogging(const std::string& component, const std::string& level);

}  // namespace mcscale

#endif  // MCSCALE_COMMON_LOGGING_H_
