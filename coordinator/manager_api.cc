#include "coordinator/manager_api.h"

#include <cstdlib>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace mcscale {

namespace {

HttpResponse Json(int code, const nlohmann::json& j) {
  HttpResponse r;
  r.status = code;
  r.body = j.dump();
  return r;
}
HttpResponse Error(int code, const std::string& message) { return HttpResponse::Error(code, message); }

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

// Compares in time that depends only on the lengths, so the token cannot be guessed byte
// by byte from answer times.
bool SameSecret(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  return diff == 0;
}

}  // namespace

ManagerApi::ManagerApi(Coordinator* coordinator, std::string admin_token)
    : coordinator_(coordinator), admin_token_(std::move(admin_token)) {}

ManagerApi::~ManagerApi() { Stop(); }

HttpResponse ManagerApi::Resize(const std::string& body) {
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

HttpResponse ManagerApi::Handle(const std::string& method, const std::string& path, const std::string& query,
                                const std::string& body, const std::string& authorization) {
  bool change = method != "GET" && method != "HEAD";
  if (change && !admin_token_.empty() && !SameSecret(authorization, "Bearer " + admin_token_))
    return Error(401, "this change needs the admin token (Authorization: Bearer TOKEN)");

  if (method == "GET") {
    if (path == "/healthz") return Json(200, {{"ok", true}, {"retired", coordinator_->retired()}});
    if (path == "/metrics") {
      HttpResponse r;
      r.body = coordinator_->PrometheusText();
      r.content_type = "text/plain; version=0.0.4";
      return r;
    }
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

Status ManagerApi::Start(const HostPort& address) {
  HttpServerOptions options;
  options.threads = 1;
  options.max_body_bytes = 1 << 20;
  options.body_limit_note = "the manager API takes bodies of up to 1 MiB";
  server_ = std::make_unique<HttpServer>(options, [this](const HttpRequestHead& head, std::string_view body) {
    const std::string* auth = head.Find("authorization");
    // HEAD is answered as GET; the server leaves the body out.
    HttpResponse r = Handle(head.method == "HEAD" ? "GET" : head.method, head.path, head.query, std::string(body),
                            auth ? *auth : "");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  });
  Status st = server_->Start(address);
  if (!st.ok()) {
    server_.reset();
    return st;
  }
  spdlog::info("manager API on http://{}:{}/", address.host, server_->port());
  return Status::Ok();
}

void ManagerApi::Stop() {
  if (server_) server_->Stop();
  server_.reset();
}

}  // namespace mcscale
