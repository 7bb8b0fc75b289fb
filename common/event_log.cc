#include "common/event_log.h"

#include <ctime>

namespace mcscale {

Status EventLog::Publish(PoolEvent* event) {
  event->seq.clear();
  auto id = redis_->XAdd(keys_.history(), {{"event", event->Encode()}}, kHistoryMax);
  if (!id.ok()) return id.status();
  event->seq = *id;
  // Best effort: history already has it.
  (void)redis_->Publish(keys_.events(), event->Encode());
  return Status::Ok();
}

Result<PoolEvent> EventLog::FromEntry(const StreamEntry& entry) {
  auto text = entry.Get("event");
  if (!text) return Status::Invalid("history entry " + entry.id + " has no 'event' field");
  auto ev = PoolEvent::Decode(*text);
  if (!ev.ok()) return Status::Invalid("history entry " + entry.id + ": " + ev.status().message());
  ev->seq = entry.id;
  return ev;
}

Result<std::vector<PoolEvent>> EventLog::ReadAfter(const std::string& after_seq, int64_t count, int* skipped) {
  std::string start = after_seq.empty() ? "-" : "(" + after_seq;
  if (after_seq == "0-0") start = "-";
  auto entries = redis_->XRange(keys_.history(), start, "+", count);
  if (!entries.ok()) return entries.status();
  std::vector<PoolEvent> out;
  for (const auto& e : *entries) {
    auto ev = FromEntry(e);
    if (ev.ok()) {
      out.push_back(std::move(*ev));
    } else if (skipped) {
      ++*skipped;
    }
  }
  return out;
}

Result<std::vector<PoolEvent>> EventLog::Latest(int64_t count) {
  auto reply = redis_->Command({"XREVRANGE", keys_.history(), "+", "-", "COUNT", std::to_string(count)});
  if (!reply.ok()) return reply.status();
  auto entries = RedisClient::ParseEntries(*reply);
  if (!entries.ok()) return entries.status();
  std::vector<PoolEvent> out;
  for (const auto& e : *entries) {
    auto ev = FromEntry(e);
    if (ev.ok()) out.push_back(std::move(*ev));
  }
  return out;
}

std::string EventLog::OneLine(const PoolEvent& event) {
  std::time_t secs = static_cast<std::time_t>(event.ts / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line = std::string(when) + " " + EventTypeName(event.type) + " epoch " +
                     std::to_string(event.epoch);
  if (event.type == EventType::kPoolResized || event.type == EventType::kNodeFailed) {
    line += " nodes " + std::to_string(event.old_nodes.size()) + "->" + std::to_string(event.new_nodes.size());
    if (!event.old_regions.empty() && !event.new_regions.empty())
      line += " moves " + std::to_string(RegionMap::Moves(event.old_regions, event.new_regions).size());
  }
  if (!event.node.empty()) line += " node " + event.node;
  if (!event.reason.empty()) line += ": " + event.reason;
  line += " (seq " + event.seq + ")";
  return line;
}

}  // namespace mcscale
