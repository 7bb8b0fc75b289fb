#include "nodeagent/node_agent.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "common/pool_event.h"

namespace mcscale {

int64_t NodeAgent::NextDue(int64_t due_ms, int64_t interval_ms, int64_t now_ms) {
  if (now_ms < due_ms) return due_ms;
  return due_ms + interval_ms * ((now_ms - due_ms) / interval_ms + 1);
}

NodeAgent::NodeAgent(AgentSettings settings, Clock* clock)
    : settings_(std::move(settings)),
      clock_(clock),
      keys_(settings_.prefix),
      node_(settings_.node, kNodeTimeoutMs),
      redis_(settings_.redis),
      publisher_(settings_.id, &node_, &redis_, keys_, settings_.interval_ms, clock_),
      configurator_(&node_, &redis_, keys_),
      registration_(AgentIdentity{settings_.id, settings_.node.ToString(), static_cast<int64_t>(getpid()),
                                  MCSCALE_VERSION, clock_->NowMs(), settings_.interval_ms},
                    &redis_, keys_, clock_),
      mover_(settings_.id, settings_.node, settings_.redis, keys_, clock_) {
  subscriber_ = std::make_unique<RedisSubscriber>(
      settings_.redis, std::vector<std::string>{keys_.events()},
      [this](const std::string&, const std::string& message) { OnEvent(message); },
      [this](bool) { MarkConfigStale(); });
}

NodeAgent::~NodeAgent() { subscriber_->Stop(); }

void NodeAgent::Stop() {
  mover_.RequestStop();  // it finishes its call in progress while the loop winds down
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

void NodeAgent::MarkConfigStale() {
  config_stale_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = true;
  cv_.notify_all();
}

void NodeAgent::OnEvent(const std::string& message) {
  auto event = PoolEvent::Decode(message);
  if (!event.ok()) {
    spdlog::warn("ignoring a malformed event on {}: {}", keys_.events(), event.status().message());
    return;
  }
  if (event->type != EventType::kConfigChanged) return;
  spdlog::debug("config.changed (seq {}): re-reading {}", event->seq, keys_.config());
  MarkConfigStale();
}

void NodeAgent::Run() {
  spdlog::info("mcscale-agent {} for node {} (id {}): sampling every {} ms into {} (MAXLEN ~ {}), "
               "registration {} (TTL {} s), Redis {}",
               MCSCALE_VERSION, settings_.node.ToString(), settings_.id, settings_.interval_ms, keys_.metrics(),
               MetricsPublisher::StreamMaxLen(settings_.interval_ms), registration_.key(),
               AgentRegistration::TtlSeconds(settings_.interval_ms), settings_.redis.ToString());
  subscriber_->Start();
  mover_.Start();
  int64_t due = clock_->MonoMs();
  int64_t config_due = due + kConfigRefreshMs;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
      wake_ = false;
    }
    int64_t now = clock_->MonoMs();
    bool sampled = false;
    if (now >= due) {
      auto tick = publisher_.Tick();
      if (tick.node_change == NodeHealth::Change::kCameUp || tick.node_change == NodeHealth::Change::kRestarted) {
        // A node that was away or restarted has lost its limit and policy.
        configurator_.ForgetApplied();
        node_needs_config_ = true;
        config_stale_ = true;
      }
      sampled = true;
      due = NextDue(due, settings_.interval_ms, clock_->MonoMs());
    }
    if (now >= config_due) {
      config_stale_ = true;
      config_due = NextDue(config_due, kConfigRefreshMs, now);
    }
    Configure();
    if (sampled && publisher_.redis_up()) RefreshRegistration();

    std::unique_lock<std::mutex> lock(mu_);
    int64_t wait_ms = due - clock_->MonoMs();
    if (wait_ms > 0)
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stop_ || wake_; });
  }
  mover_.Stop();
  subscriber_->Stop();
  Status st = registration_.Deregister();
  if (st.ok()) spdlog::info("stopped; {} deleted", registration_.key());
  else spdlog::warn("stopped; could not delete {} ({}), it expires by itself", registration_.key(), st.ToString());
}

void NodeAgent::Configure() {
  if (config_stale_ && publisher_.redis_up()) {
    config_stale_ = false;
    Status st = configurator_.Reload();
    if (st.ok()) {
      node_needs_config_ = true;
    } else if (st.code() != Status::Code::kInvalid) {
      // Redis did not answer: try again at the next sample. An invalid config waits for
      // the next change (Reload logged it).
      config_stale_ = true;
      spdlog::debug("reading {} failed: {}", keys_.config(), st.ToString());
    }
  }
  if (node_needs_config_ && publisher_.node_up()) {
    if (configurator_.ApplyToNode().ok()) node_needs_config_ = false;
  }
}

void NodeAgent::RefreshRegistration() {
  Status st = registration_.Refresh(configurator_.supports_policy(), configurator_.policy_note());
  std::string error = st.ok() ? "" : st.ToString();
  if (!st.ok() && error != last_registration_error_)
    spdlog::warn("renewing {} failed: {}", registration_.key(), error);
  last_registration_error_ = error;
}

}  // namespace mcscale
