#include "coordinator/exec_node_provider.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/host_port.h"

namespace mcscale {

namespace {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t start = s.find_first_not_of(" \n\r\t");
  return start == std::string::npos ? "" : s.substr(start);
}

}  // namespace

ExecNodeProvider::ExecNodeProvider(std::string script, std::string redis_url, RedisClient* redis, RedisKeys keys)
    : script_(std::move(script)), redis_url_(std::move(redis_url)), redis_(redis), keys_(std::move(keys)) {}

Result<std::string> ExecNodeProvider::Run(const std::vector<std::string>& args) const {
  std::string cmd = "MCSCALE_REDIS=" + ShellQuote(redis_url_) + " MCSCALE_PREFIX=" + ShellQuote(keys_.prefix()) +
                    " " + ShellQuote(script_);
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return Status::Io("cannot run " + script_);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Status::Io(script_ + " " + (args.empty() ? "" : args[0]) + " failed (status " +
                      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "): " + Trim(out));
  return Trim(out);
}

Result<std::string> ExecNodeProvider::Start(const NodeId& id, const PoolConfig& config) {
  auto out = Run({"up", id, std::to_string(config.node_capacity_mb)});
  if (!out.ok()) return out.status();
  // The address is the last line printed (scripts may log before it).
  std::string last = *out;
  auto nl = last.rfind('\n');
  if (nl != std::string::npos) last = last.substr(nl + 1);
  auto hp = HostPort::Parse(Trim(last));
  if (!hp.ok())
    return Status::Protocol(script_ + " up " + id + " printed '" + last + "', not HOST:PORT: " + hp.status().message());
  nodes_[id] = hp->ToString();
  (void)redis_->HSet(keys_.provider(), {{id, nlohmann::json{{"address", hp->ToString()}}.dump()}});
  spdlog::info("exec provider started node {} on {}", id, hp->ToString());
  return hp->ToString();
}

Status ExecNodeProvider::Stop(const NodeId& id) {
  auto out = Run({"down", id});
  nodes_.erase(id);
  (void)redis_->Command({"HDEL", keys_.provider(), id});
  return out.ok() ? Status::Ok() : out.status();
}

Result<std::map<NodeId, std::string>> ExecNodeProvider::Adopt() {
  auto all = redis_->HGetAll(keys_.provider());
  if (!all.ok()) return all.status();
  nodes_.clear();
  for (const auto& [id, text] : *all) {
    auto r = nlohmann::json::parse(text, nullptr, false);
    std::string address = r.is_object() ? r.value("address", "") : "";
    if (address.empty() || !Run({"check", id}).ok()) {
      spdlog::warn("exec provider: node {} is gone; not adopting it", id);
      (void)redis_->Command({"HDEL", keys_.provider(), id});
      continue;
    }
    nodes_[id] = address;
  }
  return nodes_;
}

bool ExecNodeProvider::RestartAgent(const NodeId& id) { return Run({"agent", id}).ok(); }

std::set<NodeId> ExecNodeProvider::Nodes() const {
  std::set<NodeId> out;
  for (const auto& [id, _] : nodes_) out.insert(id);
  return out;
}

}  // namespace mcscale
