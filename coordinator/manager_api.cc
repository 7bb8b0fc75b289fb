#include "coordinator/manager_api.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include <cstdlib>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace mcscale {

namespace {

HttpReply Json(int code, const nlohmann::json& j) { return {code, j.dump(), "application/json"}; }
HttpReply Error(int code, const std::string& message) { return Json(code, {{"error", message}}); }

int CodeFor(const Status& st) {
  switch (st.code()) {
    case Status::Code::kOk: return 200;
    case Status::Code::kInvalid: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kConflict: return 409;
    default: return 503;
  }
}

std::string QueryParam(const std::string& query, const std::string& name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string part = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = part.find('=');
    if (part.substr(0, eq) == name) return eq == std::string::npos ? "" : part.substr(eq + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return "";
}

// Parses a positive integer query parameter, or returns `fallback` when absent.
Result<int> IntParam(const std::string& query, const std::string& name, int fallback, int max) {
  std::string text = QueryParam(query, name);
  if (text.empty()) return fallback;
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || v < 1 || v > max)
    return Status::Invalid(name + ": expected an integer 1.." + std::to_string(max) + ", got '" + text + "'");
  return static_cast<int>(v);
}

}  // namespace

ManagerApi::ManagerApi(Coordinator* coordinator, std::string admin_token)
    : coordinator_(coordinator), admin_token_(std::move(admin_token)) {}

ManagerApi::~ManagerApi() { Stop(); }

HttpReply ManagerApi::Resize(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error(400, "body: expected a JSON object with size or delta");
  int size;
  std::string reason;
  if (j.contains("size")) {
    if (!j["size"].is_number_integer()) return Error(400, "size: expected an integer");
    size = j["size"].get<int>();
    reason = "operator set the size to " + std::to_string(size);
  } else if (j.contains("delta")) {
    if (!j["delta"].is_number_integer() || (j["delta"] != 1 && j["delta"] != -1))
      return Error(400, "delta: expected +1 or -1");
    int delta = j["delta"].get<int>();
    size = coordinator_->PoolSize() + delta;
    reason = delta > 0 ? "operator added a node" : "operator removed a node";
  } else {
    return Error(400, "body: expected {\"size\": N} or {\"delta\": +1|-1}");
  }
  Status st = coordinator_->Resize(size, reason);
  if (!st.ok()) return Error(CodeFor(st), st.message());
  return Json(200, coordinator_->PoolView());
}

HttpReply ManagerApi::Handle(const std::string& method, const std::string& path, const std::string& query,
                             const std::string& body, const std::string& authorization) {
  bool change = method != "GET" && method != "HEAD";
  if (change && !admin_token_.empty() && authorization != "Bearer " + admin_token_)
    return Error(401, "this change needs the admin token (Authorization: Bearer TOKEN)");

  if (method == "GET") {
    if (path == "/healthz") return Json(200, {{"ok", true}, {"retired", coordinator_->retired()}});
    if (path == "/metrics") return {200, coordinator_->PrometheusText(), "text/plain; version=0.0.4"};
    if (path == "/api/pool") return Json(200, coordinator_->PoolView());
    if (path == "/api/config") return Json(200, coordinator_->ConfigView());
    if (path == "/api/stats") {
      auto minutes = IntParam(query, "minutes", 30, 24 * 60);
      if (!minutes.ok()) return Error(400, minutes.status().message());
      return Json(200, coordinator_->StatsView(*minutes));
    }
    if (path == "/api/events") {
      auto count = IntParam(query, "count", 50, 1000);
      if (!count.ok()) return Error(400, count.status().message());
      return Json(200, coordinator_->EventsView(*count));
    }
    auto page = pages_.find(path);
    if (page != pages_.end()) return page->second();
  }
  if (method == "PUT" && path == "/api/config") {
    auto patch = nlohmann::json::parse(body, nullptr, false);
    if (patch.is_discarded() || !patch.is_object())
      return Json(400, {{"error", "body: expected a JSON object of config fields"}, {"fields", nlohmann::json::array()}});
    std::vector<FieldError> errors;
    auto next = coordinator_->UpdateConfig(patch, &errors);
    if (!next.ok()) {
      if (errors.empty()) return Error(CodeFor(next.status()), next.status().message());
      return Json(400, {{"error", JoinFieldErrors(errors)}, {"fields", FieldErrorsToJson(errors)}});
    }
    return Json(200, next->ToJson());
  }
  if (method == "POST") {
    if (path == "/api/pool/resize") return Resize(body);
    if (path == "/api/cache/clear") {
      Status st = coordinator_->ClearCache("operator cleared the cache");
      return st.ok() ? Json(200, {{"ok", true}}) : Error(CodeFor(st), st.message());
    }
    if (path == "/api/data/clear") {
      Status st = coordinator_->ClearData("operator deleted all data");
      return st.ok() ? Json(200, {{"ok", true}}) : Error(CodeFor(st), st.message());
    }
    if (path == "/api/pool/retire") {
      Status st = coordinator_->Retire();
      return st.ok() ? Json(200, {{"ok", true}, {"retired", true}}) : Error(CodeFor(st), st.message());
    }
  }
  bool known = path == "/api/pool" || path == "/api/config" || path == "/api/stats" || path == "/api/events" ||
               path == "/api/pool/resize" || path == "/api/cache/clear" || path == "/api/data/clear" ||
               path == "/api/pool/retire" || path == "/healthz" || path == "/metrics" || pages_.count(path);
  if (known) return Error(405, "method " + method + " not allowed on " + path);
  return Error(404, "no such endpoint: " + path);
}

void ManagerApi::OnRequest(evhttp_request* req, void* arg) {
  auto* self = static_cast<ManagerApi*>(arg);
  std::string method;
  switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: method = "GET"; break;
    case EVHTTP_REQ_HEAD: method = "HEAD"; break;
    case EVHTTP_REQ_POST: method = "POST"; break;
    case EVHTTP_REQ_PUT: method = "PUT"; break;
    case EVHTTP_REQ_DELETE: method = "DELETE"; break;
    default: method = "OTHER"; break;
  }
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
  const char* query = uri ? evhttp_uri_get_query(uri) : nullptr;
  evbuffer* in = evhttp_request_get_input_buffer(req);
  std::string body(evbuffer_get_length(in), '\0');
  if (!body.empty()) evbuffer_copyout(in, body.data(), body.size());
  const char* auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");

  HttpReply reply = self->Handle(method, path && *path ? path : "/", query ? query : "", body, auth ? auth : "");
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", reply.content_type.c_str());
  evhttp_add_header(headers, "Cache-Control", "no-store");
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, reply.body.data(), reply.body.size());
  evhttp_send_reply(req, reply.code, nullptr, out);
  evbuffer_free(out);
}

Status ManagerApi::Start(const HostPort& address) {
  static bool threads_ready = (evthread_use_pthreads() == 0);
  (void)threads_ready;
  base_ = event_base_new();
  http_ = evhttp_new(base_);
  evhttp_set_max_body_size(http_, 1 << 20);
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                        EVHTTP_REQ_DELETE);
  evhttp_set_gencb(http_, &ManagerApi::OnRequest, this);
  if (evhttp_bind_socket_with_handle(http_, address.host.c_str(), address.port) == nullptr) {
    evhttp_free(http_);
    event_base_free(base_);
    http_ = nullptr;
    base_ = nullptr;
    return Status::Io("cannot listen on " + address.ToString() + " (address in use or not local)");
  }
  // Keeps the loop alive with no connections; Stop() activates it to break the loop.
  stop_event_ = event_new(base_, -1, EV_PERSIST, [](evutil_socket_t, short, void* b) {
    event_base_loopbreak(static_cast<event_base*>(b));
  }, base_);
  timeval forever{3600 * 24 * 365, 0};
  event_add(stop_event_, &forever);
  thread_ = std::thread([this] { event_base_dispatch(base_); });
  spdlog::info("manager API on http://{}/", address.ToString());
  return Status::Ok();
}

void ManagerApi::Stop() {
  if (!base_) return;
  event_active(stop_event_, EV_TIMEOUT, 0);
  if (thread_.joinable()) thread_.join();
  event_free(stop_event_);
  evhttp_free(http_);
  event_base_free(base_);
  base_ = nullptr;
  http_ = nullptr;
  stop_event_ = nullptr;
}

}  // namespace mcscale
