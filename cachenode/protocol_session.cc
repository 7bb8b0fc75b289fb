#include "cachenode/protocol_session.h"

#include <algorithm>

namespace mcscale {

size_t ProtocolSession::Process(const char* input, size_t len, std::string* out, bool* close, size_t out_limit) {
  size_t pos = 0;
  bytes_needed_ = 0;
  *close = false;
  for (;;) {
    if (swallow_ > 0) {
      size_t n = std::min(swallow_, len - pos);
      pos += n;
      swallow_ -= n;
      if (swallow_ > 0) break;
    }
    if (pos == len || out->size() > out_limit) break;
    size_t consumed = 0;
    ProtocolParser::Status st = parser_->Parse(input + pos, len - pos, &req_, &consumed);
    if (st == ProtocolParser::Status::kNeedMore) {
      bytes_needed_ = consumed;
      break;
    }
    if (st == ProtocolParser::Status::kClose) {
      *close = true;
      break;
    }
    pos += consumed;
    swallow_ = req_.swallow;
    if (handler_->Execute(req_, out) == CommandHandler::Next::kClose) {
      *close = true;
      break;
    }
  }
  return pos;
}

}  // namespace mcscale
