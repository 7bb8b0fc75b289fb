#include "frontend/file_service/file_service_http.h"

#include <spdlog/spdlog.h>

namespace mcscale {

namespace {

HttpServerOptions ServerOptions(const FileService& service, int threads) {
  HttpServerOptions o;
  o.threads = threads;
  int64_t limit = service.options().max_upload_bytes;
  o.max_body_bytes = limit + FileService::kFormOverheadBytes;
  std::string mib = limit % (1 << 20) == 0 ? std::to_string(limit >> 20) + " MiB" : std::to_string(limit) + " bytes";
  o.body_limit_note = "files are limited to " + mib + " (--max-upload-mb)";
  return o;
}

}  // namespace

FileServiceHttp::FileServiceHttp(FileService* service, int threads)
    : service_(service),
      server_(ServerOptions(*service, threads),
              [this](const HttpRequestHead& head, std::string_view body) { return Serve(head, body); }) {}

HttpResponse FileServiceHttp::Serve(const HttpRequestHead& head, std::string_view body) {
  ServiceRequest request;
  // HEAD is answered as GET; HttpServer leaves the body out.
  request.method = head.method == "HEAD" ? "GET" : head.method;
  request.path = head.path;
  request.query = head.query;
  const std::string* type = head.Find("content-type");
  request.content_type = type ? *type : "";
  request.body = body;
  ServiceReply reply = service_->Handle(request);
  HttpResponse response;
  response.status = reply.code;
  response.content_type = std::move(reply.content_type);
  response.headers = std::move(reply.headers);
  response.body = std::move(reply.body);
  bool has_cache_control = false;
  for (const auto& field : response.headers) has_cache_control = has_cache_control || field.first == "Cache-Control";
  if (!has_cache_control) response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Status FileServiceHttp::Start(const HostPort& address) {
  Status st = server_.Start(address);
  if (st.ok())
    spdlog::info("file service on http://{}:{}/", address.host, server_.port());
  return st;
}

}  // namespace mcscale
