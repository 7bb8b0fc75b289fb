#include "common/status.h"

namespace mcscale {

std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk: return "ok";
    case Code::kInvalid: return "invalid: " + message_;
    case Code::kNotFound: return "not found: " + message_;
    case Code::kTimeout: return "timeout: " + message_;
    case Code::kIo: return "io error: " + message_;
    case Code::kProtocol: return "protocol error: " + message_;
    case Code::kBusy: return "busy: " + message_;
    case Code::kConflict: return "conflict: " + message_;
  }
  return message_;
}

}  // namespace mcscale
