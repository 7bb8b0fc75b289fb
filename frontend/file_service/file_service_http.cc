#include "frontend/file_service/file_service_http.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace mcscale {

namespace {

const char* MethodName(evhttp_cmd_type t) {
  switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    default: return "OTHER";
  }
}

}  // namespace

FileServiceHttp::FileServiceHttp(FileService* service, int64_t max_body_bytes, int threads)
    : service_(service), max_body_bytes_(max_body_bytes), threads_(threads < 1 ? 1 : threads) {}

FileServiceHttp::~FileServiceHttp() { Stop(); }

void FileServiceHttp::OnRequest(evhttp_request* req, void* arg) {
  auto* self = static_cast<FileServiceHttp*>(arg);
  ServiceRequest request;
  request.method = MethodName(evhttp_request_get_command(req));
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
  const char* query = uri ? evhttp_uri_get_query(uri) : nullptr;
  request.path = path && *path ? path : "/";
  request.query = query ? query : "";
  const char* type = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
  request.content_type = type ? type : "";
  evbuffer* in = evhttp_request_get_input_buffer(req);
  size_t length = evbuffer_get_length(in);
  // One contiguous view of the body (evbuffer_pullup linearizes it in place, no copy out).
  if (length > 0) request.body = std::string_view(reinterpret_cast<const char*>(evbuffer_pullup(in, -1)), length);

  ServiceReply reply = self->service_->Handle(request);
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", reply.content_type.c_str());
  bool has_cache_control = false;
  for (const auto& [name, value] : reply.headers) {
    evhttp_add_header(headers, name.c_str(), value.c_str());
    has_cache_control = has_cache_control || name == "Cache-Control";
  }
  if (!has_cache_control) evhttp_add_header(headers, "Cache-Control", "no-store");
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, reply.body.data(), reply.body.size());
  evhttp_send_reply(req, reply.code, nullptr, out);
  evbuffer_free(out);
}

Status FileServiceHttp::Start(const HostPort& address) {
  static bool threads_ready = (evthread_use_pthreads() == 0);
  (void)threads_ready;
  evutil_socket_t listen_fd = -1;
  for (int i = 0; i < threads_; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->base = event_base_new();
    loop->http = evhttp_new(loop->base);
    evhttp_set_max_body_size(loop->http, max_body_bytes_);
    evhttp_set_max_headers_size(loop->http, 64 * 1024);
    evhttp_set_timeout(loop->http, 60);
    evhttp_set_allowed_methods(loop->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                               EVHTTP_REQ_DELETE);
    evhttp_set_gencb(loop->http, &FileServiceHttp::OnRequest, this);
    bool bound;
    if (i == 0) {
      evhttp_bound_socket* handle = evhttp_bind_socket_with_handle(loop->http, address.host.c_str(), address.port);
      bound = handle != nullptr;
      if (bound) listen_fd = evhttp_bound_socket_get_fd(handle);
    } else {
      // The other loops accept on the same socket (each through a descriptor of its own,
      // which its evhttp closes); the kernel gives each connection to one of them.
      evutil_socket_t fd = ::dup(listen_fd);
      bound = fd >= 0 && evhttp_accept_socket(loop->http, fd) == 0;
      if (!bound && fd >= 0) ::close(fd);
    }
    if (!bound) {
      evhttp_free(loop->http);
      event_base_free(loop->base);
      Stop();
      return Status::Io("cannot listen on " + address.ToString() + " (address in use or not local)");
    }
    // Keeps the loop alive with no connections; Stop() activates it to break the loop.
    loop->stop_event = event_new(loop->base, -1, EV_PERSIST, [](evutil_socket_t, short, void* b) {
      event_base_loopbreak(static_cast<event_base*>(b));
    }, loop->base);
    timeval forever{3600 * 24 * 365, 0};
    event_add(loop->stop_event, &forever);
    loops_.push_back(std::move(loop));
  }
  for (auto& loop : loops_) loop->thread = std::thread([b = loop->base] { event_base_dispatch(b); });
  spdlog::info("file service on http://{}/ ({} threads)", address.ToString(), threads_);
  return Status::Ok();
}

void FileServiceHttp::Stop() {
  for (auto& loop : loops_)
    if (loop->thread.joinable()) event_active(loop->stop_event, EV_TIMEOUT, 0);
  for (auto& loop : loops_)
    if (loop->thread.joinable()) loop->thread.join();
  for (auto& loop : loops_) {
    event_free(loop->stop_event);
    evhttp_free(loop->http);
    event_base_free(loop->base);
  }
  loops_.clear();
}

}  // namespace mcscale
