#include "nodeagent/mover.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <utility>

#include "common/json_fields.h"
#include "common/region_map.h"

namespace mcscale {

namespace {

constexpr int64_t kReadCount = 1024;  // entries per XREADGROUP: every order of an epoch at once

// KEYS[1] the migration hash, KEYS[2] the moves stream; ARGV: the r<R>.done field, the group,
// the entry id. Marks the region done, counts it once, acks the entry: all or nothing.
const char* kFinishRegionScript = R"LUA(
local first = redis.call('HSETNX', KEYS[1], ARGV[1], 1)
if first == 1 then redis.call('HINCRBY', KEYS[1], 'regions_done', 1) end
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
return first
)LUA";

// KEYS[1] the migration hash, KEYS[2] the moves stream; ARGV: the r<R>.stopped field, the
// group, the entry id, the time. Records that this mover will store nothing more of the
// region (the coordinator waits for it before it ends a cancelled migration) and acks.
const char* kStopRegionScript = R"LUA(
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
return 1
)LUA";

std::string RegionField(int region, const char* what) { return "r" + std::to_string(region) + "." + what; }

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// Runs `requests` as one pipelined call. When the node answers one of them with an error
// reply (Protocol) or the batch is refused (Invalid), they are run one at a time so only
// the offending ones fail (nullopt). Other failures (Io, Timeout) fail the whole call.
Result<std::vector<std::optional<MetaReply>>> RunEach(const MetaCall& call, const std::vector<MetaRequest>& requests) {
  std::vector<std::optional<MetaReply>> out;
  if (requests.empty()) return out;
  auto all = call(requests);
  if (all.ok()) {
    if (all->size() != requests.size()) return Status::Protocol("meta batch: reply count differs from request count");
    out.reserve(all->size());
    for (auto& r : *all) out.emplace_back(std::move(r));
    return out;
  }
  if (all.status().code() != Status::Code::kProtocol && all.status().code() != Status::Code::kInvalid)
    return all.status();
  out.reserve(requests.size());
  for (const auto& req : requests) {
    auto one = call({req});
    if (one.ok() && one->size() == 1) {
      out.emplace_back(std::move((*one)[0]));
    } else if (!one.ok() && (one.status().code() == Status::Code::kProtocol ||
                             one.status().code() == Status::Code::kInvalid)) {
      out.emplace_back(std::nullopt);
    } else {
      return one.ok() ? Status::Protocol("meta call: no reply") : one.status();
    }
  }
  return out;
}

}  // namespace

MoveCounts& MoveCounts::operator+=(const MoveCounts& o) {
  moved += o.moved;
  bytes += o.bytes;
  skipped_newer += o.skipped_newer;
  tombstones += o.tombstones;
  expiring += o.expiring;
  gone += o.gone;
  failed += o.failed;
  return *this;
}

SourceItem Mover::Classify(const MetaReply& reply) {
  SourceItem item;
  if (reply.code != "VA" || !reply.value) return item;  // kGone
  auto f = reply.flags.find('f');
  if (f != reply.flags.end()) {
    auto flags = ParseDecimalUint(f->second);
    item.flags = flags && *flags <= 0xffffffffu ? static_cast<uint32_t>(*flags) : 0;
  }
  auto t = reply.flags.find('t');
  if (t != reply.flags.end()) {
    auto ttl = ParseDecimalInt(t->second);
    item.ttl_s = ttl ? *ttl : -1;
  }
  if (item.flags & kTombstoneFlag) {
    item.kind = SourceItem::Kind::kTombstone;
  } else if (item.ttl_s >= 0 && item.ttl_s <= 1) {
    item.kind = SourceItem::Kind::kExpiring;
  } else {
    item.kind = SourceItem::Kind::kCopy;
  }
  return item;
}

std::string Mover::StoreFlags(const SourceItem& item, int64_t now_unix_s) {
  int64_t exptime = 0;
  if (item.ttl_s > kMaxRelativeTtlS) exptime = now_unix_s + item.ttl_s;  // memcached reads it as absolute
  else if (item.ttl_s > 0) exptime = item.ttl_s;
  return "F" + std::to_string(item.flags) + " T" + std::to_string(exptime) + " ME";
}

namespace {

using Replies = std::vector<std::optional<MetaReply>>;

void AddRequests(MetaRequest::Verb verb, const std::vector<std::string>& keys, std::vector<MetaRequest>* out) {
  const char* flags = verb == MetaRequest::Verb::kGet ? "v f t" : "";
  for (const auto& k : keys) out->push_back(MetaRequest{verb, k, flags, ""});
}

// The stores for a batch, from the replies to its gets; counts what is not copied.
std::vector<MetaRequest> Stores(const std::vector<std::string>& keys, Replies* got, int64_t now_unix_s,
                                MoveCounts* counts) {
  std::vector<MetaRequest> sets;
  sets.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto& reply = (*got)[i];
    if (!reply) {
      ++counts->failed;
      continue;
    }
    SourceItem item = Mover::Classify(*reply);
    switch (item.kind) {
      case SourceItem::Kind::kGone: ++counts->gone; break;
      case SourceItem::Kind::kTombstone: ++counts->tombstones; break;
      case SourceItem::Kind::kExpiring: ++counts->expiring; break;
      case SourceItem::Kind::kCopy:
        sets.push_back(MetaRequest{MetaRequest::Verb::kSet, keys[i], Mover::StoreFlags(item, now_unix_s),
                                   std::move(*reply->value)});
        break;
    }
  }
  return sets;
}

void CountStores(const std::vector<MetaRequest>& sets, const Replies& stored, MoveCounts* counts) {
  for (size_t j = 0; j < sets.size(); ++j) {
    const auto& reply = stored[j];
    if (reply && reply->code == "HD") {
      ++counts->moved;
      counts->bytes += static_cast<int64_t>(sets[j].value.size());
    } else if (reply && reply->code == "NS") {
      ++counts->skipped_newer;
    } else {
      ++counts->failed;
    }
  }
}

}  // namespace

bool Mover::MoveKeys(const std::vector<std::vector<std::string>>& batches, const MetaCall& source,
                     const MetaCall& destination, const std::function<int64_t()>& now_unix_s,
                     const MoveHooks& hooks) {
  std::optional<Replies> fetched;  // the replies to the gets of batches[next]
  for (size_t next = 0; next < batches.size();) {
    if (!fetched) {
      std::vector<MetaRequest> gets;
      AddRequests(MetaRequest::Verb::kGet, batches[next], &gets);
      auto r = RunEach(source, gets);
      if (!r.ok()) {
        if (!hooks.failed(MoveSide::kSource, r.status())) return false;
        continue;
      }
      hooks.succeeded(MoveSide::kSource);
      fetched = std::move(*r);
    }
    MoveCounts counts;
    std::vector<MetaRequest> sets = Stores(batches[next], &*fetched, now_unix_s(), &counts);
    fetched.reset();
    auto stored = RunEach(destination, sets);
    if (!stored.ok()) {
      // Nothing of this batch is deleted; it is read again after the back-off.
      if (!hooks.failed(MoveSide::kDestination, stored.status())) return false;
      continue;
    }
    hooks.succeeded(MoveSide::kDestination);
    CountStores(sets, *stored, &counts);

    // One source call deletes this batch and reads the next.
    std::vector<MetaRequest> requests;
    AddRequests(MetaRequest::Verb::kDelete, batches[next], &requests);
    const size_t deletes = requests.size();
    if (next + 1 < batches.size()) AddRequests(MetaRequest::Verb::kGet, batches[next + 1], &requests);
    auto r = RunEach(source, requests);
    while (!r.ok()) {
      if (!hooks.failed(MoveSide::kSource, r.status())) return false;
      requests.resize(deletes);  // the deletes are retried; the next batch is read later
      r = RunEach(source, requests);
    }
    hooks.succeeded(MoveSide::kSource);
    if (r->size() > deletes)
      fetched = Replies(std::make_move_iterator(r->begin() + static_cast<std::ptrdiff_t>(deletes)),
                        std::make_move_iterator(r->end()));
    if (!hooks.batch_done(counts)) return false;
    ++next;
  }
  return true;
}

std::vector<std::vector<std::string>> Mover::Batches(const std::vector<ListedKey>& keys, int max_keys,
                                                     int64_t max_bytes) {
  std::vector<std::vector<std::string>> out;
  int64_t bytes = 0;
  for (const auto& k : keys) {
    if (out.empty() || static_cast<int>(out.back().size()) >= max_keys ||
        (!out.back().empty() && bytes + k.size > max_bytes)) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(k.key);
    bytes += k.size;
  }
  return out;
}

std::string Mover::FormatCount(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Mover::RegionSummary(const MoveOrder& order, const MoveCounts& c, int64_t elapsed_ms) {
  std::string s = "epoch " + std::to_string(order.epoch) + ": region " + std::to_string(order.region) + " -> " +
                  order.to + " (" + order.to_address + "): " + FormatCount(c.moved) + " keys moved, " +
                  FormatCount(c.skipped_newer) + " skipped as newer";
  if (c.tombstones) s += ", " + FormatCount(c.tombstones) + " tombstones dropped";
  if (c.expiring) s += ", " + FormatCount(c.expiring) + " expiring not copied";
  if (c.gone) s += ", " + FormatCount(c.gone) + " gone meanwhile";
  if (c.failed) s += ", " + FormatCount(c.failed) + " refused by a node (dropped)";
  char secs[32];
  std::snprintf(secs, sizeof(secs), ", %.1f s", Seconds(elapsed_ms));
  return s + secs;
}

bool Mover::OrderObsolete(int64_t order_epoch, const std::string& pool_epoch, const std::string& pool_state,
                          bool cancelled) {
  if (cancelled) return true;
  if (pool_epoch.empty()) return false;  // no pool (yet): nothing says the order is over
  auto epoch = ParseDecimalInt(pool_epoch);
  if (!epoch) return false;
  if (*epoch != order_epoch) return true;
  return pool_state == "stable";
}

Mover::Mover(std::string id, HostPort node, RedisAddress redis, RedisKeys keys, Clock* clock, MoverOptions options)
    : id_(std::move(id)),
      node_address_(std::move(node)),
      keys_(std::move(keys)),
      stream_(keys_.moves(id_)),
      clock_(clock),
      options_(options),
      redis_(std::move(redis), std::max(options.redis_timeout_ms, options.block_ms + 1000)),
      source_(node_address_, options.node_timeout_ms) {}

Mover::~Mover() { Stop(); }

void Mover::Start() { thread_ = std::thread([this] { Loop(); }); }

void Mover::RequestStop() {
  stopping_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

void Mover::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

bool Mover::Stopping() { return stopping_.load(); }

bool Mover::Pause(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
  return !stop_;
}

bool Mover::FailedAndWait(Peer* peer, const std::string& what, const Status& st) {
  if (!peer->down) {
    peer->down = true;
    peer->since_ms = clock_->MonoMs();
    peer->backoff_ms = options_.first_backoff_ms;
    spdlog::warn("mover: {} failed: {}; retrying with back-off, nothing is deleted or acknowledged meanwhile", what,
                 st.ToString());
  } else {
    peer->backoff_ms = std::min(peer->backoff_ms * 2, options_.max_backoff_ms);
    spdlog::debug("mover: {} still failing: {}", what, st.ToString());
  }
  return Pause(peer->backoff_ms);
}

void Mover::Succeeded(Peer* peer, const std::string& what) {
  if (!peer->down) return;
  peer->down = false;
  spdlog::info("mover: {} answers again after {:.1f} s", what, Seconds(clock_->MonoMs() - peer->since_ms));
}

std::string Mover::ObsoleteWhy(int64_t order_epoch, const std::string& pool_epoch, const std::string& pool_state,
                               bool cancelled) {
  if (!OrderObsolete(order_epoch, pool_epoch, pool_state, cancelled)) return "";
  if (cancelled) return "the coordinator cancelled the migration of epoch " + std::to_string(order_epoch);
  return "the pool is at epoch " + pool_epoch + " (" + (pool_state.empty() ? "no state" : pool_state) +
         "), so this migration is over";
}

void Mover::Loop() {
  spdlog::info("mover: consuming {} in group {} as consumer {}, batches of up to {} keys and {} KB", stream_, kGroup,
               id_, options_.batch_keys, options_.batch_bytes / 1024);
  const std::string redis_what = "Redis " + redis_.address().ToString();
  bool group_ready = false;
  bool pending = true;  // our own entries delivered before a restart come first
  while (!Stopping()) {
    if (!group_ready) {
      Status st = EnsureGroup();
      if (!st.ok()) {
        FailedAndWait(&redis_peer_, redis_what, st);
        continue;
      }
      group_ready = true;
    }
    auto entries = ReadEntries(pending);
    if (!entries.ok()) {
      if (entries.status().message().find("NOGROUP") != std::string::npos) group_ready = false;
      pending = true;
      FailedAndWait(&redis_peer_, redis_what, entries.status());
      continue;
    }
    Succeeded(&redis_peer_, redis_what);
    if (entries->empty()) {
      pending = false;
      continue;
    }
    HandleEntries(*entries);
    // Whatever could not be finished (stopping, or an order left pending) is read again.
    pending = true;
  }
  spdlog::info("mover: stopped");
}

Status Mover::EnsureGroup() {
  auto r = redis_.Command({"XGROUP", "CREATE", stream_, kGroup, "0", "MKSTREAM"});
  if (r.ok() || r.status().message().find("BUSYGROUP") != std::string::npos) return Status::Ok();
  return r.status();
}

Result<std::vector<StreamEntry>> Mover::ReadEntries(bool pending) {
  std::vector<std::string> args = {"XREADGROUP", "GROUP", kGroup, id_, "COUNT", std::to_string(kReadCount)};
  if (!pending) args.insert(args.end(), {"BLOCK", std::to_string(options_.block_ms)});
  args.insert(args.end(), {"STREAMS", stream_, pending ? "0" : ">"});
  auto r = redis_.Command(args);
  if (!r.ok()) return r.status();
  if (r->is_nil()) return std::vector<StreamEntry>();
  if (r->type != RedisValue::Type::kArray) return Status::Protocol("XREADGROUP: reply not an array");
  for (const auto& stream : r->elements) {
    if (stream.type != RedisValue::Type::kArray || stream.elements.size() != 2)
      return Status::Protocol("XREADGROUP: stream not a [key, entries] pair");
    if (stream.elements[0].str == stream_) return RedisClient::ParseEntries(stream.elements[1]);
  }
  return std::vector<StreamEntry>();
}

void Mover::HandleEntries(const std::vector<StreamEntry>& entries) {
  // Orders grouped by (epoch, region count), in stream order.
  std::vector<std::pair<std::pair<int64_t, int>, std::vector<Order>>> groups;
  for (const auto& e : entries) {
    auto order = MoveOrder::FromFields(e.fields);
    std::string problem;
    if (e.fields.empty()) {
      problem = "deleted from the stream while pending";
    } else if (!order.ok()) {
      problem = order.status().message();
    } else if (order->from != id_) {
      problem = "names " + order->from + " as the source, not this node (" + id_ + ")";
    } else {
      auto to = HostPort::Parse(order->to_address);
      if (!to.ok()) problem = "to_address: " + to.status().message();
      else if (*to == node_address_) problem = "the destination " + order->to_address + " is this node";
    }
    if (!problem.empty()) {
      spdlog::error("mover: skipping entry {} of {}: {}", e.id, stream_, problem);
      if (!Ack(e.id)) return;
      continue;
    }
    std::pair<int64_t, int> key{order->epoch, order->regions};
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) {
      groups.push_back({key, {}});
      it = groups.end() - 1;
    }
    it->second.push_back(Order{e.id, *order});
  }
  for (const auto& [key, orders] : groups) {
    HandleEpoch(key.first, orders);
    if (Stopping()) return;
  }
}

void Mover::HandleEpoch(int64_t epoch, const std::vector<Order>& orders) {
  const std::string migration = keys_.migration(epoch);
  const std::string redis_what = "Redis " + redis_.address().ToString();
  // Regions a previous run finished (it stopped before the ack) are acked, not redone.
  std::vector<Order> todo;
  while (true) {
    std::vector<std::string> args = {"HMGET", migration};
    for (const auto& o : orders) args.push_back(RegionField(o.order.region, "done"));
    auto r = redis_.Command(args);
    if (r.ok() && r->elements.size() == orders.size()) {
      Succeeded(&redis_peer_, redis_what);
      for (size_t i = 0; i < orders.size(); ++i) {
        if (r->elements[i].is_nil()) {
          todo.push_back(orders[i]);
        } else {
          spdlog::info("mover: epoch {}: region {} was already done; acknowledging entry {}", epoch,
                       orders[i].order.region, orders[i].entry_id);
          if (!Ack(orders[i].entry_id)) return;
        }
      }
      break;
    }
    if (!FailedAndWait(&redis_peer_, redis_what, r.ok() ? Status::Protocol("HMGET: unexpected reply") : r.status()))
      return;
  }
  if (todo.empty()) return;

  std::string why;
  auto obsolete = Obsolete(epoch, &why);
  if (obsolete.ok() && *obsolete) {
    std::optional<EpochScan> scan;
    if (EndedInItsEpoch(epoch)) {
      std::set<int> regions;
      for (const auto& o : todo) regions.insert(o.order.region);
      scan = Enumerate(epoch, todo.front().order.regions, regions);
      if (!scan) return;  // stopping
    }
    for (const auto& o : todo) {
      if (scan) Purge(o, scan->buckets[o.order.region]);
      if (!Abandon(o, MoveCounts{}, why)) return;
    }
    return;
  }

  std::set<int> regions;
  for (const auto& o : todo) regions.insert(o.order.region);
  auto scan = Enumerate(epoch, todo.front().order.regions, regions);
  if (!scan) return;  // stopping
  for (const auto& o : todo) {
    if (!MoveRegion(o, scan->buckets[o.order.region])) return;
  }
}

std::optional<Mover::EpochScan> Mover::Enumerate(int64_t epoch, int region_count, const std::set<int>& regions) {
  const std::string source_what = "source node " + node_address_.ToString();
  std::vector<char> wanted(static_cast<size_t>(region_count), 0);
  for (int r : regions) wanted[static_cast<size_t>(r)] = 1;
  EpochScan scan;
  int64_t invalid = 0;
  int64_t started = 0;
  while (true) {
    if (Stopping()) return std::nullopt;
    scan = EpochScan{};
    invalid = 0;
    started = clock_->MonoMs();
    Status st = source_.MetadumpHash([&](const MetadumpEntry& e) {
      ++scan.keys_seen;
      if (!ValidCacheKey(e.key)) {
        ++invalid;
        return;
      }
      int region = RegionMap::RegionOf(e.key, region_count);
      if (wanted[static_cast<size_t>(region)]) scan.buckets[region].push_back(ListedKey{e.key, e.size});
    });
    if (st.ok()) break;
    if (!FailedAndWait(&source_peer_, source_what + " (lru_crawler metadump hash)", st)) return std::nullopt;
  }
  Succeeded(&source_peer_, source_what);
  int64_t moving = 0;
  for (auto& [region, keys] : scan.buckets) {
    // A key listed twice (the table grew during the dump) is moved once.
    auto by_key = [](const ListedKey& a, const ListedKey& b) { return a.key < b.key; };
    std::sort(keys.begin(), keys.end(), by_key);
    auto same_key = [](const ListedKey& a, const ListedKey& b) { return a.key == b.key; };
    keys.erase(std::unique(keys.begin(), keys.end(), same_key), keys.end());
    moving += static_cast<int64_t>(keys.size());
  }
  spdlog::info("mover: epoch {}: {} keys on {} (enumerated in {:.1f} s); {} region(s) to move hold {} keys", epoch,
               FormatCount(scan.keys_seen), node_address_.ToString(), Seconds(clock_->MonoMs() - started),
               regions.size(), FormatCount(moving));
  if (invalid > 0)
    spdlog::warn("mover: epoch {}: {} keys listed by the dump are not valid text-protocol keys; left in place", epoch,
                 FormatCount(invalid));

  // r<R>.found is the first enumeration's count: a restarted agent finds only what is left.
  const std::string redis_what = "Redis " + redis_.address().ToString();
  std::vector<std::vector<std::string>> cmds;
  for (int region : regions)
    cmds.push_back({"HSETNX", keys_.migration(epoch), RegionField(region, "found"),
                    std::to_string(scan.buckets[region].size())});
  while (true) {
    auto r = redis_.Pipeline(cmds);
    if (r.ok()) break;
    if (!FailedAndWait(&redis_peer_, redis_what, r.status())) return std::nullopt;
  }
  Succeeded(&redis_peer_, redis_what);
  return scan;
}

MemcacheClient* Mover::Destination(const std::string& address, Status* error) {
  auto it = destinations_.find(address);
  if (it != destinations_.end()) return it->second.get();
  auto hp = HostPort::Parse(address);
  if (!hp.ok()) {
    *error = hp.status();
    return nullptr;
  }
  auto client = std::make_unique<MemcacheClient>(*hp, options_.node_timeout_ms);
  MemcacheClient* raw = client.get();
  destinations_[address] = std::move(client);
  return raw;
}

bool Mover::MoveRegion(const Order& o, const std::vector<ListedKey>& keys) {
  const MoveOrder& order = o.order;
  const int64_t started = clock_->MonoMs();
  const std::string source_what = "source node " + node_address_.ToString();
  const std::string dest_what = "destination " + order.to + " (" + order.to_address + ")";
  Status error;
  MemcacheClient* dest = Destination(order.to_address, &error);
  if (!dest) return Abandon(o, MoveCounts{}, "to_address: " + error.message());
  Peer& dest_peer = destination_peers_[order.to_address];

  MoveCounts total;
  std::string why;  // set when the migration is over
  // Checked before each region too: after a cancel, the regions still queued stop at once
  // instead of each waiting out a failing destination first.
  auto over = Obsolete(order.epoch, &why);
  if (over.ok() && *over) {
    if (EndedInItsEpoch(order.epoch)) Purge(o, keys);
    return Abandon(o, total, why);
  }
  MoveHooks hooks;
  hooks.failed = [&](MoveSide side, const Status& st) {
    bool source = side == MoveSide::kSource;
    if (!FailedAndWait(source ? &source_peer_ : &dest_peer, source ? source_what : dest_what, st)) return false;
    // A long outage may outlast the migration (the coordinator ends it after its drain
    // timeout, or a node failure re-plans): then the order is over.
    auto obsolete = Obsolete(order.epoch, &why);
    return !(obsolete.ok() && *obsolete);
  };
  hooks.succeeded = [&](MoveSide side) {
    if (side == MoveSide::kSource) Succeeded(&source_peer_, source_what);
    else Succeeded(&dest_peer, dest_what);
  };
  hooks.batch_done = [&](const MoveCounts& counts) {
    total += counts;
    return RecordProgress(order, counts, &why) && why.empty() && !Stopping();
  };
  MetaCall source_call = [this](const std::vector<MetaRequest>& r) { return source_.MetaBatch(r); };
  MetaCall dest_call = [dest](const std::vector<MetaRequest>& r) { return dest->MetaBatch(r); };
  bool finished = MoveKeys(Batches(keys, options_.batch_keys, options_.batch_bytes), source_call, dest_call,
                           [this] { return clock_->NowMs() / 1000; }, hooks);
  if (!finished) {
    if (why.empty()) return false;
    if (EndedInItsEpoch(order.epoch)) Purge(o, keys);
    return Abandon(o, total, why);
  }
  if (!FinishRegion(o)) return false;
  std::string summary = RegionSummary(order, total, clock_->MonoMs() - started);
  if (total.failed > 0) spdlog::warn("{}", summary);
  else spdlog::info("{}", summary);
  return true;
}

bool Mover::RecordProgress(const MoveOrder& order, const MoveCounts& c, std::string* obsolete_why) {
  const std::string migration = keys_.migration(order.epoch);
  const std::vector<std::vector<std::string>> cmds = {
      {"HINCRBY", migration, "keys_moved", std::to_string(c.moved)},
      {"HINCRBY", migration, "bytes_moved", std::to_string(c.bytes)},
      {"HINCRBY", migration, "keys_skipped", std::to_string(c.skipped_newer)},
      {"HINCRBY", migration, RegionField(order.region, "moved"), std::to_string(c.moved)},
      {"HMGET", keys_.pool(), "epoch", "state"},
      {"HEXISTS", migration, kMigrationCancelField},
  };
  const std::string redis_what = "Redis " + redis_.address().ToString();
  while (true) {
    auto r = redis_.Pipeline(cmds);
    if (r.ok()) {
      Succeeded(&redis_peer_, redis_what);
      const auto& pool = (*r)[r->size() - 2];
      const auto& cancelled = r->back();
      obsolete_why->clear();
      if (pool.ok() && pool->elements.size() == 2)
        *obsolete_why = ObsoleteWhy(order.epoch, pool->elements[0].str, pool->elements[1].str,
                                    cancelled.ok() && cancelled->integer == 1);
      return true;
    }
    if (!FailedAndWait(&redis_peer_, redis_what, r.status())) return false;
  }
}

bool Mover::FinishRegion(const Order& o) {
  const std::string redis_what = "Redis " + redis_.address().ToString();
  while (true) {
    auto r = redis_.Command({"EVAL", kFinishRegionScript, "2", keys_.migration(o.order.epoch), stream_,
                             RegionField(o.order.region, "done"), kGroup, o.entry_id});
    if (r.ok()) {
      Succeeded(&redis_peer_, redis_what);
      if (r->integer == 0)
        spdlog::info("mover: epoch {}: region {} had been counted done already; entry {} acknowledged",
                     o.order.epoch, o.order.region, o.entry_id);
      return true;
    }
    if (!FailedAndWait(&redis_peer_, redis_what, r.status())) return false;
  }
}

bool Mover::EndedInItsEpoch(int64_t epoch) {
  auto r = redis_.Command({"HGET", keys_.pool(), "epoch"});
  return r.ok() && r->str == std::to_string(epoch);
}

void Mover::Purge(const Order& o, const std::vector<ListedKey>& keys) {
  std::vector<std::string> names;
  size_t purged = 0;
  for (size_t i = 0; i <= keys.size(); ++i) {
    if (i < keys.size()) names.push_back(keys[i].key);
    if (names.size() == 500 || (i == keys.size() && !names.empty())) {
      auto r = source_.DeleteMany(names);
      if (!r.ok()) {
        spdlog::error("mover: epoch {}: region {}: could not purge the keys left on this node: {}", o.order.epoch,
                      o.order.region, r.status().ToString());
        return;
      }
      purged += names.size();
      names.clear();
    }
  }
  spdlog::warn("mover: epoch {}: region {} was ended before it moved; deleted its {} remaining key(s) here so "
               "they cannot come back stale",
               o.order.epoch, o.order.region, purged);
}

bool Mover::Abandon(const Order& o, const MoveCounts& so_far, const std::string& why) {
  spdlog::error("mover: epoch {}: region {} -> {} ({}) abandoned after {} keys moved: {}", o.order.epoch,
                o.order.region, o.order.to, o.order.to_address, FormatCount(so_far.moved), why);
  const std::string redis_what = "Redis " + redis_.address().ToString();
  while (true) {
    auto r = redis_.Command({"EVAL", kStopRegionScript, "2", keys_.migration(o.order.epoch), stream_,
                             RegionField(o.order.region, "stopped"), kGroup, o.entry_id,
                             std::to_string(clock_->NowMs())});
    if (r.ok()) {
      Succeeded(&redis_peer_, redis_what);
      return true;
    }
    if (!FailedAndWait(&redis_peer_, redis_what, r.status())) return false;
  }
}

Result<bool> Mover::Obsolete(int64_t epoch, std::string* why) {
  auto r = redis_.Pipeline({{"HMGET", keys_.pool(), "epoch", "state"}, {"HEXISTS", keys_.migration(epoch), kMigrationCancelField}});
  if (!r.ok()) return r.status();
  if (!(*r)[0].ok()) return (*r)[0].status();
  if (!(*r)[1].ok()) return (*r)[1].status();
  const RedisValue& pool = *(*r)[0];
  if (pool.elements.size() != 2) return Status::Protocol("HMGET: unexpected reply");
  *why = ObsoleteWhy(epoch, pool.elements[0].str, pool.elements[1].str, (*r)[1]->integer == 1);
  return !why->empty();
}

bool Mover::Ack(const std::string& entry_id) {
  const std::string redis_what = "Redis " + redis_.address().ToString();
  while (true) {
    auto r = redis_.Command({"XACK", stream_, kGroup, entry_id});
    if (r.ok()) {
      Succeeded(&redis_peer_, redis_what);
      return true;
    }
    if (!FailedAndWait(&redis_peer_, redis_what, r.status())) return false;
  }
}

}  // namespace mcscale
