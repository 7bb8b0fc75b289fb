// libFuzzer target: HttpRequestHead::Parse on arbitrary bytes, with the properties the
// server relies on checked, not just "does not crash":
//   - a complete head took at most the bytes given, and parsing exactly those bytes again
//     gives the same head; one byte fewer is never complete;
//   - a refusal carries a status the server answers with and a message, and the JSON error
//     built from that message parses back to the same message;
//   - nothing over the head limit is ever accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/http_request_head.h"
#include "common/http_response.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using mcscale::HttpHeadParse;
  using mcscale::HttpRequestHead;
  if (size == 0) return 0;
  // The first byte picks the head limit, so the limit checks get exercised too.
  const size_t limit = 16 + static_cast<size_t>(bytes[0]) * 8;
  std::string_view data(reinterpret_cast<const char*>(bytes + 1), size - 1);
  HttpHeadParse p = HttpRequestHead::Parse(data, limit);
  switch (p.outcome) {
    case HttpHeadParse::Outcome::kIncomplete:
      break;
    case HttpHeadParse::Outcome::kComplete: {
      Check(p.head_bytes > 0 && p.head_bytes <= data.size());
      Check(p.head.content_length >= 0);
      size_t leading = 0;  // empty lines before the request line do not count against the limit
      while (leading < data.size() && (data[leading] == '\r' || data[leading] == '\n')) ++leading;
      Check(p.head_bytes - leading <= limit);
      Check(!p.head.method.empty() && !p.head.path.empty());
      HttpHeadParse again = HttpRequestHead::Parse(data.substr(0, p.head_bytes), limit);
      Check(again.outcome == HttpHeadParse::Outcome::kComplete && again.head_bytes == p.head_bytes);
      Check(again.head.fields == p.head.fields && again.head.target == p.head.target);
      Check(HttpRequestHead::Parse(data.substr(0, p.head_bytes - 1), limit).outcome !=
            HttpHeadParse::Outcome::kComplete);
      break;
    }
    case HttpHeadParse::Outcome::kRefused: {
      Check(!p.error.empty());
      const int s = p.status;
      Check(s == 400 || s == 411 || s == 414 || s == 417 || s == 431 || s == 501 || s == 505);
      mcscale::HttpResponse r = mcscale::HttpResponse::Error(s, p.error);
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      Check(j.is_object() && j["error"].get<std::string>() == p.error);
      break;
    }
  }
  return 0;
}
