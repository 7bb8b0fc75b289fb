// FileServiceHttp: the file service's HTTP server on libevent's evhttp. Several loops (one
// thread each) accept on one listening socket, so a request blocked on the disk, SQLite or a
// cache node does not hold up the others. Each callback only gathers the request, hands it
// to FileService::Handle() and sends the reply.
//
// Every reply the service makes is JSON (but files, the page and /metrics). evhttp itself
// still answers a request it refuses before any callback runs (a body over
// `max_body_bytes`: 413; a malformed request line: 400) with its own HTML page: libevent
// 2.1 has no hook for those (2.2's evhttp_set_errorcb would be one), so the cap is set well
// above the upload limit and the service answers over-limit files itself, in JSON.
//
// Thread-safe: Start() and Stop() from one thread; the service must outlive Stop().
#ifndef MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_HTTP_H_
#define MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_HTTP_H_

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/host_port.h"
#include "common/status.h"
#include "frontend/file_service/file_service.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct event;

namespace mcscale {

class FileServiceHttp {
 public:
  // `max_body_bytes` is evhttp's body cap (requests over it get evhttp's 413 before the
  // service sees them); `threads` the number of loops (at least 1).
  FileServiceHttp(FileService* service, int64_t max_body_bytes, int threads);
  ~FileServiceHttp();  // Stop()s.
  FileServiceHttp(const FileServiceHttp&) = delete;
  FileServiceHttp& operator=(const FileServiceHttp&) = delete;

  // Binds `address` and starts the loops; fails (Io) when the address is taken.
  Status Start(const HostPort& address);
  void Stop();

 private:
  struct Loop {
    event_base* base = nullptr;
    evhttp* http = nullptr;
    event* stop_event = nullptr;
    std::thread thread;
  };
  static void OnRequest(evhttp_request* req, void* self);

  FileService* service_;
  int64_t max_body_bytes_;
  int threads_;
  std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace mcscale

#endif  // MCSCALE_FRONTEND_FILE_SERVICE_FILE_SERVICE_HTTP_H_
