// libFuzzer target: arbitrary bytes through MultipartParser. The input's first line is the
// Content-Type header (through BoundaryOf), the rest the body; the body is also parsed
// with a fixed boundary so that inputs need not find a valid header first. Any crash,
// sanitizer report, uncaught exception, leak or hang is a bug, and so is a broken
// contract: every part's data lies within the body, every part has a name, and no more
// parts than the limit come back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "frontend/file_service/multipart_parser.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void ParseAndCheck(const std::string& boundary, std::string_view body) {
  mcscale::MultipartLimits limits;
  limits.max_parts = 8;
  limits.max_header_bytes = 512;
  auto parts = mcscale::MultipartParser(boundary, limits).Parse(body);
  if (!parts.ok()) {
    Check(!parts.status().message().empty());
    return;
  }
  Check(parts->size() <= limits.max_parts);
  for (const mcscale::MultipartPart& p : *parts) {
    Check(!p.name.empty());
    Check(p.data.empty() || (p.data.data() >= body.data() && p.data.data() + p.data.size() <= body.data() + body.size()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t eol = input.find('\n');
  std::string_view header = input.substr(0, eol);
  std::string_view body = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
  auto boundary = mcscale::MultipartParser::BoundaryOf(header);
  if (boundary.ok()) {
    Check(!boundary->empty() && boundary->size() <= 70);
    ParseAndCheck(*boundary, body);
  }
  ParseAndCheck("b", input);
  return 0;
}
