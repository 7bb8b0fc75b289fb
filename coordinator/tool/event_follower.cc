#include "coordinator/tool/event_follower.h"

namespace mcscale {

namespace {

constexpr int64_t kPage = 1000;

}  // namespace

EventFollower::EventFollower(RedisClient* redis, const RedisKeys& keys, PrintFn print, WarnFn warn)
    : log_(redis, keys), print_(std::move(print)), warn_(std::move(warn)) {}

Status EventFollower::StartAtEnd() {
  std::lock_guard<std::mutex> lock(mu_);
  auto newest = log_.Latest(1);
  if (!newest.ok()) return newest.status();
  if (!newest->empty() && CompareSeq(newest->front().seq, last_seq_) > 0) last_seq_ = newest->front().seq;
  return Status::Ok();
}

Result<int> EventFollower::CatchUp() {
  std::lock_guard<std::mutex> lock(mu_);
  return CatchUpLocked();
}

Result<int> EventFollower::CatchUpLocked() {
  int printed = 0;
  while (true) {
    int skipped = 0;
    auto events = log_.ReadAfter(last_seq_, kPage, &skipped);
    if (!events.ok()) {
      behind_ = true;
      return events.status();
    }
    if (skipped > 0) warn_(std::to_string(skipped) + " history entries did not decode; skipped");
    for (const auto& ev : *events) {
      PrintLocked(ev);
      ++printed;
    }
    // A short page is the end; a page of undecodable entries only cannot move last_seq_.
    if (static_cast<int64_t>(events->size()) + skipped < kPage || events->empty()) break;
  }
  behind_ = false;
  return printed;
}

void EventFollower::OnMessage(const std::string& message) {
  auto ev = PoolEvent::Decode(message);
  std::lock_guard<std::mutex> lock(mu_);
  if (!ev.ok()) {
    warn_("undecodable event skipped: " + ev.status().message());
    return;
  }
  if (ev->seq.empty()) {  // published outside the history; nothing to order it by
    print_(*ev);
    return;
  }
  if (CompareSeq(ev->seq, last_seq_) <= 0) return;
  auto caught = CatchUpLocked();
  if (!caught.ok()) warn_("could not read history: " + caught.status().ToString());
  if (CompareSeq(ev->seq, last_seq_) > 0) PrintLocked(*ev);
}

std::string EventFollower::last_seq() {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_;
}

bool EventFollower::behind() {
  std::lock_guard<std::mutex> lock(mu_);
  return behind_;
}

void EventFollower::PrintLocked(const PoolEvent& event) {
  if (CompareSeq(event.seq, last_seq_) <= 0) return;
  last_seq_ = event.seq;
  print_(event);
}

}  // namespace mcscale
