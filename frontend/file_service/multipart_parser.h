// MultipartParser: splits a multipart/form-data body (RFC 7578, RFC 2046 framing) into its
// parts. It works on a byte buffer that holds the whole body and never touches a socket;
// evhttp has no multipart support, and the file service hands it the request body.
//
//   auto boundary = MultipartParser::BoundaryOf(content_type_header);
//   MultipartParser parser(*boundary);
//   auto parts = parser.Parse(body);   // views into `body`
//
// Strict where strictness costs nothing (CRLF line ends, a closing delimiter, header
// syntax), tolerant where browsers differ (a preamble, transport padding after a
// delimiter, an epilogue). Every failure is Status::Invalid with a message a user can read.
//
// Thread-safe: const after construction.
#ifndef MCSCALE_FRONTEND_FILE_SERVICE_MULTIPART_PARSER_H_
#define MCSCALE_FRONTEND_FILE_SERVICE_MULTIPART_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mcscale {

struct MultipartPart {
  std::string name;              // Content-Disposition's name
  std::string filename;          // its filename, when has_filename
  bool has_filename = false;
  std::string content_type;      // the part's Content-Type header ("" when absent)
  std::string_view data;         // the part's bytes, a view into the parsed body
};

struct MultipartLimits {
  size_t max_parts = 16;          // Default: 16.
  size_t max_header_bytes = 8192; // Default: 8192 per part's header block.
};

class MultipartParser {
 public:
  explicit MultipartParser(std::string boundary, MultipartLimits limits = {});

  // The boundary parameter of a "multipart/form-data; boundary=..." header value (quoted or
  // not). Fails when the type is not multipart/form-data or the boundary is missing, empty,
  // longer than 70 bytes or has characters RFC 2046 does not allow.
  static Result<std::string> BoundaryOf(std::string_view content_type);

  // Parses a whole body. On success the parts are in body order and their `data` views
  // point into `body` (the caller keeps it alive). Fails on a missing opening or closing
  // delimiter, a malformed or oversized header block, a part without a form-data
  // Content-Disposition and name, or more than max_parts parts.
  Result<std::vector<MultipartPart>> Parse(std::string_view body) const;

 private:
  Status ParseHeaders(std::string_view block, MultipartPart* part) const;

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartLimits limits_;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_FILE_SERVICE_MULTIPART_PARSER_H_
