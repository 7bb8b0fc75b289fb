// FileServiceHttp: the file service on HTTP. It turns each request HttpServer has read into
// a ServiceRequest for FileService::Handle() and the ServiceReply into the response; the
// sockets, keep-alive and the server's own refusals (413 for a body over the limit, 400 for
// a malformed request, 431 for huge headers, ...) are HttpServer's, and JSON like the rest.
//
// Thread-safe: Start() and Stop() from one thread; the service must outlive Stop().
#ifndef MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_HTTP_H_
#define MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_HTTP_H_

#include <cstdint>

#include "common/host_port.h"
#include "common/http_server.h"
#include "common/status.h"
#include "frontend/file_service/file_service.h"

namespace mcscale {

class FileServiceHttp {
 public:
  // `threads` loops (at least 1) serve requests. A request body (the multipart form) may be
  // up to the service's file limit plus FileService::kFormOverheadBytes; a larger one gets
  // 413 before it is read.
  FileServiceHttp(FileService* service, int threads);
  FileServiceHttp(const FileServiceHttp&) = delete;
  FileServiceHttp& operator=(const FileServiceHttp&) = delete;

  // Binds `address` (port 0: a free port) and starts serving; fails (Io) when the address
  // is taken or not local.
  Status Start(const HostPort& address);
  void Stop() { server_.Stop(); }
  uint16_t port() const { return server_.port(); }

 private:
  HttpResponse Serve(const HttpRequestHead& head, std::string_view body);

  FileService* service_;
  HttpServer server_;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_HTTP_H_
