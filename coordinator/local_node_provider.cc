#include "coordinator/local_node_provider.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/memcache_client.h"
#include "common/subprocess.h"

namespace mcscale {

namespace {

bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

// Polls until the node answers `version` or the deadline passes.
bool WaitForNode(const std::string& address, int64_t timeout_ms) {
  auto hp = HostPort::Parse(address);
  if (!hp.ok()) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    MemcacheClient mc(*hp, 500);
    auto v = mc.Command("version");
    if (v.ok() && v->rfind("VERSION", 0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::vector<std::string> JsonArgv(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& a : j)
      if (a.is_string()) out.push_back(a.get<std::string>());
  return out;
}

}  // namespace

bool ProcessMatches(pid_t pid, const std::vector<std::string>& argv) {
  if (pid <= 0 || argv.empty()) return false;
  auto cmd = ProcessCommandLine(pid);
  return cmd && *cmd == argv;
}

void TerminateProcess(pid_t pid, int64_t grace_ms) {
  if (pid <= 0) return;
  auto gone = [pid] {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return true;  // our child, reaped
    if (::kill(pid, 0) != 0) return true;
    return !ProcessCommandLine(pid).has_value();  // a zombie someone else will reap
  };
  ::kill(pid, SIGCONT);
  ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (!gone()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

LocalNodeProvider::LocalNodeProvider(LocalProviderOptions options, RedisClient* redis, RedisKeys keys)
    : options_(std::move(options)), redis_(redis), keys_(std::move(keys)) {
  if (options_.node_command.empty()) options_.node_command = DefaultNodeCommand();
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
}

std::string LocalNodeProvider::DefaultNodeCommand() {
  std::string cmd = "memcached -l {host} -p {port} -m {capacity_mb} -U 0 -c 4096";
  if (geteuid() == 0) cmd += " -u nobody";
  return cmd;
}

std::vector<std::string> LocalNodeProvider::NodeArgv(int port, int capacity_mb) const {
  std::string line = Replace(options_.node_command, "{host}", "127.0.0.1");
  line = Replace(line, "{port}", std::to_string(port));
  line = Replace(line, "{capacity_mb}", std::to_string(capacity_mb));
  std::vector<std::string> argv;
  std::istringstream in(line);
  for (std::string word; in >> word;) argv.push_back(word);
  return argv;
}

std::vector<std::string> LocalNodeProvider::AgentArgv(const NodeId& id, const std::string& address) const {
  return {options_.agent_binary, "--node", address, "--redis", options_.redis_url, "--id", id,
          "--interval-ms", std::to_string(options_.agent_interval_ms), "--prefix", options_.prefix,
          "--log-level", options_.log_level};
}

Result<int> LocalNodeProvider::PickPort() {
  std::set<int> taken;
  for (const auto& [_, r] : records_) taken.insert(r.value("port", 0));
  int span = options_.port_max - options_.port_min + 1;
  std::mt19937 rng(std::random_device{}());
  int start = static_cast<int>(rng() % static_cast<unsigned>(span));
  for (int i = 0; i < span; ++i) {
    int port = options_.port_min + (start + i) % span;
    if (!taken.count(port) && PortFree(port)) return port;
  }
  return Status::Busy("no free port in " + std::to_string(options_.port_min) + ".." +
                      std::to_string(options_.port_max));
}

Result<pid_t> LocalNodeProvider::SpawnLogged(const std::vector<std::string>& argv, const std::string& log_name) {
  SpawnOptions opts;
  opts.new_session = true;
  opts.log_path = options_.state_dir + "/" + log_name;
  auto p = Subprocess::Spawn(argv, opts);
  if (!p.ok()) return p.status();
  return p->pid();
}

Status LocalNodeProvider::SaveRecord(const NodeId& id, const nlohmann::json& record) {
  records_[id] = record;
  return redis_->HSet(keys_.provider(), {{id, record.dump()}});
}

Result<std::string> LocalNodeProvider::Start(const NodeId& id, const PoolConfig& config) {
  // A port can be taken between the check and the bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto port = PickPort();
    if (!port.ok()) return port.status();
    std::vector<std::string> argv = NodeArgv(*port, config.node_capacity_mb);
    auto pid = SpawnLogged(argv, id + ".node.log");
    if (!pid.ok()) return Status::Io("cannot start node " + id + ": " + pid.status().message());
    std::string address = "127.0.0.1:" + std::to_string(*port);
    if (!WaitForNode(address, 10000)) {
      spdlog::warn("node {} on {} did not answer within 10 s; retrying on another port", id, address);
      TerminateProcess(*pid, 1000);
      continue;
    }
    std::vector<std::string> agent_argv = AgentArgv(id, address);
    auto agent_pid = SpawnLogged(agent_argv, id + ".agent.log");
    if (!agent_pid.ok()) {
      TerminateProcess(*pid, 1000);
      return Status::Io("cannot start the agent of " + id + ": " + agent_pid.status().message());
    }
    nlohmann::json record = {{"address", address},   {"port", *port},
                             {"pid", *pid},          {"cmdline", argv},
                             {"agent_pid", *agent_pid}, {"agent_cmdline", agent_argv},
                             {"started_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count()}};
    Status st = SaveRecord(id, record);
    if (!st.ok()) spdlog::warn("node {}: could not record it in {}: {}", id, keys_.provider(), st.ToString());
    spdlog::info("started node {} on {} (pid {}, agent pid {})", id, address, *pid, *agent_pid);
    return address;
  }
  return Status::Io("node " + id + " did not come up after 5 attempts; see logs in " + options_.state_dir);
}

Status LocalNodeProvider::Stop(const NodeId& id) {
  auto it = records_.find(id);
  if (it == records_.end()) {
    (void)redis_->Command({"HDEL", keys_.provider(), id});
    return Status::Ok();
  }
  const nlohmann::json& r = it->second;
  pid_t agent_pid = r.value("agent_pid", 0);
  pid_t pid = r.value("pid", 0);
  if (ProcessMatches(agent_pid, JsonArgv(r["agent_cmdline"]))) TerminateProcess(agent_pid, 3000);
  if (ProcessMatches(pid, JsonArgv(r["cmdline"]))) TerminateProcess(pid, 3000);
  spdlog::info("stopped node {} ({}) and its agent", id, r.value("address", "?"));
  records_.erase(it);
  auto del = redis_->Command({"HDEL", keys_.provider(), id});
  return del.ok() ? Status::Ok() : del.status();
}

Result<std::map<NodeId, std::string>> LocalNodeProvider::Adopt() {
  auto all = redis_->HGetAll(keys_.provider());
  if (!all.ok()) return all.status();
  std::map<NodeId, std::string> alive;
  records_.clear();
  for (const auto& [id, text] : *all) {
    auto r = nlohmann::json::parse(text, nullptr, false);
    if (r.is_discarded() || !r.is_object()) {
      spdlog::warn("provider record of {} is not JSON; forgetting it", id);
      (void)redis_->Command({"HDEL", keys_.provider(), id});
      continue;
    }
    pid_t pid = r.value("pid", 0);
    pid_t agent_pid = r.value("agent_pid", 0);
    std::vector<std::string> argv = JsonArgv(r["cmdline"]);
    std::vector<std::string> agent_argv = JsonArgv(r["agent_cmdline"]);
    std::string port = std::to_string(r.value("port", 0));
    bool node_ok = ProcessMatches(pid, argv) &&
                   std::find(argv.begin(), argv.end(), port) != argv.end();
    if (!node_ok) {
      spdlog::warn("node {} (pid {}) no longer runs as recorded; not adopting it", id, pid);
      if (ProcessMatches(agent_pid, agent_argv)) TerminateProcess(agent_pid, 3000);
      (void)redis_->Command({"HDEL", keys_.provider(), id});
      continue;
    }
    records_[id] = r;
    alive[id] = r.value("address", "");
    if (!ProcessMatches(agent_pid, agent_argv)) {
      spdlog::warn("the agent of node {} is gone; restarting it", id);
      RestartAgent(id);
    }
    spdlog::info("adopted node {} on {} (pid {})", id, alive[id], pid);
  }
  return alive;
}

bool LocalNodeProvider::RestartAgent(const NodeId& id) {
  auto it = records_.find(id);
  if (it == records_.end()) return false;
  nlohmann::json r = it->second;
  pid_t old_agent = r.value("agent_pid", 0);
  if (ProcessMatches(old_agent, JsonArgv(r["agent_cmdline"]))) TerminateProcess(old_agent, 3000);
  std::vector<std::string> agent_argv = AgentArgv(id, r.value("address", ""));
  auto agent_pid = SpawnLogged(agent_argv, id + ".agent.log");
  if (!agent_pid.ok()) {
    spdlog::error("cannot restart the agent of {}: {}", id, agent_pid.status().ToString());
    return false;
  }
  r["agent_pid"] = *agent_pid;
  r["agent_cmdline"] = agent_argv;
  (void)SaveRecord(id, r);
  return true;
}

std::set<NodeId> LocalNodeProvider::Nodes() const {
  std::set<NodeId> out;
  for (const auto& [id, _] : records_) out.insert(id);
  return out;
}

}  // namespace mcscale
