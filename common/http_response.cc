#include "common/http_response.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace mcscale {

HttpResponse HttpResponse::Error(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  // Replacement characters for invalid UTF-8: a message may quote what the client sent.
  r.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::string HttpResponse::Head(std::string_view connection) const {
  auto splits = [](std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; };
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  if (!Bodiless(status)) {
    if (splits(content_type)) spdlog::error("http: a reply's Content-Type holds CR or LF; left out");
    else h += "Content-Type: " + content_type + "\r\n";
    h += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (!connection.empty()) h += "Connection: " + std::string(connection) + "\r\n";
  for (const auto& [name, value] : headers) {
    if (splits(name) || splits(value)) {
      spdlog::error("http: reply field '{}' holds CR or LF; left out", name.substr(0, 40));
      continue;
    }
    h += name + ": " + value + "\r\n";
  }
  return h + "\r\n";
}

const char* HttpResponse::Reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

}  // namespace mcscale
