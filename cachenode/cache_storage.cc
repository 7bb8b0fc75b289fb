#include "cachenode/cache_storage.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <thread>

namespace mcscale {
namespace {

constexpr int64_t kRelativeMax = 60 * 60 * 24 * 30;  // memcached REALTIME_MAXDELTA
constexpr uint64_t kNoTail = std::numeric_limits<uint64_t>::max();

// A small fast generator per thread for random eviction.
uint64_t NextRandom() {
  thread_local uint64_t state = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ 0x9E3779B97F4A7C15ull;
  }();
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

// memcached's safe_strtoull on an item value: leading blanks, digits, then the end or a
// blank; no overflow; no negative number.
bool ParseCounter(std::string_view value, uint64_t* out) {
  size_t i = 0;
  while (i < value.size() && std::isspace(static_cast<unsigned char>(value[i]))) ++i;
  bool negative = false;
  if (i < value.size() && (value[i] == '+' || value[i] == '-')) {
    negative = value[i] == '-';
    ++i;
  }
  size_t digits = 0;
  uint64_t v = 0;
  for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i, ++digits) {
    uint64_t d = static_cast<uint64_t>(value[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  if (digits == 0) return false;
  if (i < value.size() && !std::isspace(static_cast<unsigned char>(value[i]))) return false;
  if (negative) {
    // strtoull negates; memcached refuses a '-' whose result looks negative.
    v = 0 - v;
    if (static_cast<int64_t>(v) < 0) return false;
  }
  *out = v;
  return true;
}

}  // namespace

struct CacheStorage::Shard {
  std::mutex mu;
  std::vector<CacheItem*> buckets;
  std::vector<CacheItem*> items;  // for random eviction; item->slot indexes it
  CacheItem* head = nullptr;      // most recent
  CacheItem* tail = nullptr;      // least recent
  std::atomic<uint64_t> tail_tick{kNoTail};
  std::atomic<uint64_t> count{0};
  uint64_t bytes = 0;
  uint64_t total_items = 0;
  uint64_t evictions = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t reclaimed = 0;

  void UpdateTailTick() { tail_tick.store(tail ? tail->tick : kNoTail, std::memory_order_relaxed); }
};

CacheStorage::CacheStorage(const StorageOptions& options)
    : clock_(options.clock ? options.clock : Clock::Real()),
      item_size_max_(options.item_size_max),
      started_(clock_->NowMs() / 1000),
      limit_(options.memory_limit),
      policy_(options.policy) {
  int n = 1;
  while (n < options.shards) n <<= 1;
  shard_mask_ = static_cast<uint32_t>(n - 1);
  for (int i = 0; i < n; ++i) {
    auto s = std::make_unique<Shard>();
    s->buckets.assign(1024, nullptr);
    shards_.push_back(std::move(s));
  }
}

CacheStorage::~CacheStorage() {
  for (auto& s : shards_) {
    for (CacheItem* it : s->items) std::free(it);
  }
}

size_t CacheStorage::ItemTotal(size_t nkey, size_t nvalue, uint32_t flags) {
  // memcached: 48-byte header + 8 cas + key + NUL + value + CRLF (+ 4 for non-zero flags).
  return 48 + 8 + nkey + 1 + nvalue + 2 + (flags != 0 ? 4 : 0);
}

bool CacheStorage::FitsItemLimit(size_t nkey, size_t nvalue, uint32_t flags) const {
  return ItemTotal(nkey, nvalue, flags) <= item_size_max_;
}

int64_t CacheStorage::Now() const { return clock_->NowMs() / 1000; }

int64_t CacheStorage::ExpiryFromProtocol(int64_t exptime) const {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1;  // long past: expired at once
  if (exptime > kRelativeMax) {
    if (exptime <= started_) return 1;
    return exptime;
  }
  return Now() + exptime;
}

uint32_t CacheStorage::Hash(std::string_view key) {
  uint64_t h = std::hash<std::string_view>{}(key);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

CacheStorage::Shard& CacheStorage::ShardOf(uint32_t hash) const {
  return *shards_[(hash >> 24) & shard_mask_];
}

bool CacheStorage::IsDead(const CacheItem& it, int64_t now) const {
  if (it.exptime != 0 && it.exptime <= now) return true;
  int64_t oldest = oldest_live_.load(std::memory_order_relaxed);
  return oldest != 0 && oldest <= now && it.time <= oldest;
}

CacheItem* CacheStorage::FindLive(Shard& s, std::string_view key, uint32_t hash, int64_t now,
                                  LookupResult* why) {
  CacheItem* it = s.buckets[hash & (s.buckets.size() - 1)];
  while (it != nullptr && !(it->hash == hash && it->key() == key)) it = it->hash_next;
  if (it == nullptr) {
    if (why) *why = LookupResult::kMiss;
    return nullptr;
  }
  if (IsDead(*it, now)) {
    bool expired = it->exptime != 0 && it->exptime <= now;
    if (why) *why = expired ? LookupResult::kExpired : LookupResult::kFlushed;
    if (expired && !it->fetched) ++s.expired_unfetched;
    ++s.reclaimed;
    Unlink(s, it);
    return nullptr;
  }
  if (why) *why = LookupResult::kHit;
  return it;
}

CacheItem* CacheStorage::NewItem(std::string_view key, size_t nvalue, uint32_t flags, int64_t exptime) {
  void* mem = std::malloc(sizeof(CacheItem) + key.size() + nvalue);
  if (mem == nullptr) return nullptr;
  auto* it = new (mem) CacheItem();
  it->nkey = static_cast<uint8_t>(key.size());
  it->nvalue = static_cast<uint32_t>(nvalue);
  it->flags = flags;
  it->exptime = exptime;
  it->hash = Hash(key);
  it->total = static_cast<uint32_t>(ItemTotal(key.size(), nvalue, flags));
  if (!key.empty()) std::memcpy(it->data(), key.data(), key.size());
  return it;
}

void CacheStorage::Link(Shard& s, CacheItem* it, CacheItem* old, int64_t now) {
  if (old != nullptr) Unlink(s, old);
  it->time = now;
  it->tick = tick_.fetch_add(1, std::memory_order_relaxed) + 1;
  // Grow the table when it gets crowded.
  if (s.count.load(std::memory_order_relaxed) + 1 > s.buckets.size() + s.buckets.size() / 2) {
    std::vector<CacheItem*> bigger(s.buckets.size() * 2, nullptr);
    for (CacheItem* head : s.buckets) {
      while (head != nullptr) {
        CacheItem* next = head->hash_next;
        CacheItem*& b = bigger[head->hash & (bigger.size() - 1)];
        head->hash_next = b;
        b = head;
        head = next;
      }
    }
    s.buckets.swap(bigger);
  }
  CacheItem*& bucket = s.buckets[it->hash & (s.buckets.size() - 1)];
  it->hash_next = bucket;
  bucket = it;
  it->lru_prev = nullptr;
  it->lru_next = s.head;
  if (s.head) s.head->lru_prev = it;
  s.head = it;
  if (s.tail == nullptr) {
    s.tail = it;
    s.UpdateTailTick();
  }
  it->slot = static_cast<uint32_t>(s.items.size());
  s.items.push_back(it);
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.bytes += it->total;
  ++s.total_items;
}

void CacheStorage::Unlink(Shard& s, CacheItem* it) {
  CacheItem** pp = &s.buckets[it->hash & (s.buckets.size() - 1)];
  while (*pp != it) pp = &(*pp)->hash_next;
  *pp = it->hash_next;
  if (it->lru_prev) it->lru_prev->lru_next = it->lru_next; else s.head = it->lru_next;
  if (it->lru_next) {
    it->lru_next->lru_prev = it->lru_prev;
  } else {
    s.tail = it->lru_prev;
    s.UpdateTailTick();
  }
  CacheItem* last = s.items.back();
  s.items[it->slot] = last;
  last->slot = it->slot;
  s.items.pop_back();
  s.count.fetch_sub(1, std::memory_order_relaxed);
  s.bytes -= it->total;
  Release(it->total);
  std::free(it);
}

void CacheStorage::Bump(Shard& s, CacheItem* it) {
  it->tick = tick_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (s.head == it) {
    if (s.tail == it) s.UpdateTailTick();
    return;
  }
  // Detach (it is not the head, so it has a prev).
  it->lru_prev->lru_next = it->lru_next;
  if (it->lru_next) {
    it->lru_next->lru_prev = it->lru_prev;
  } else {
    s.tail = it->lru_prev;
    s.UpdateTailTick();
  }
  it->lru_prev = nullptr;
  it->lru_next = s.head;
  s.head->lru_prev = it;
  s.head = it;
}

bool CacheStorage::EvictOne() {
  Shard* victim_shard = nullptr;
  if (policy() == EvictionPolicy::kLru) {
    uint64_t best = kNoTail;
    for (auto& s : shards_) {
      uint64_t t = s->tail_tick.load(std::memory_order_relaxed);
      if (t < best) {
        best = t;
        victim_shard = s.get();
      }
    }
  } else {
    uint64_t total = 0;
    for (auto& s : shards_) total += s->count.load(std::memory_order_relaxed);
    if (total > 0) {
      uint64_t r = NextRandom() % total;
      for (auto& s : shards_) {
        uint64_t c = s->count.load(std::memory_order_relaxed);
        if (r < c) {
          victim_shard = s.get();
          break;
        }
        r -= c;
      }
    }
  }
  if (victim_shard == nullptr) return false;
  Shard& s = *victim_shard;
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.items.empty()) return true;  // raced with another evictor; let the caller retry
  CacheItem* victim = policy() == EvictionPolicy::kLru ? s.tail : s.items[NextRandom() % s.items.size()];
  int64_t now = Now();
  if (IsDead(*victim, now)) {
    ++s.reclaimed;
    if (!victim->fetched && victim->exptime != 0 && victim->exptime <= now) ++s.expired_unfetched;
  } else {
    ++s.evictions;
    if (!victim->fetched) ++s.evicted_unfetched;
  }
  Unlink(s, victim);
  return true;
}

bool CacheStorage::Reserve(size_t bytes) {
  int idle = 0;
  for (;;) {
    size_t used = used_.load(std::memory_order_relaxed);
    size_t limit = limit_.load(std::memory_order_relaxed);
    if (bytes > limit) return false;
    if (used + bytes <= limit) {
      if (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed)) continue;
      // The limit may have shrunk meanwhile (cache_memlimit); then give the bytes back.
      if (used + bytes <= limit_.load(std::memory_order_relaxed)) return true;
      Release(bytes);
      continue;
    }
    bool evicted = false;
    for (auto& s : shards_) {
      if (s->count.load(std::memory_order_relaxed) > 0) {
        evicted = EvictOne();
        break;
      }
    }
    if (!evicted) {
      // Everything left is reserved by stores in flight; give them a moment.
      if (++idle > 1000) return false;
      std::this_thread::yield();
    }
  }
}

StoreResult CacheStorage::Store(StoreMode mode, std::string_view key, std::string_view value, uint32_t flags,
                                int64_t exptime, uint64_t req_cas, uint64_t* cas_out, bool key_binary) {
  if (!FitsItemLimit(key.size(), value.size(), flags)) return StoreResult::kTooLarge;
  uint32_t hash = Hash(key);
  Shard& s = ShardOf(hash);

  if (mode == StoreMode::kAppend || mode == StoreMode::kPrepend) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      uint64_t seen_cas;
      size_t new_len;
      uint32_t old_flags;
      {
        std::lock_guard<std::mutex> lock(s.mu);
        CacheItem* old = FindLive(s, key, hash, Now(), nullptr);
        if (old == nullptr) return StoreResult::kNotStored;
        if (req_cas != 0 && old->cas != req_cas) return StoreResult::kExists;
        seen_cas = old->cas;
        new_len = old->nvalue + value.size();
        old_flags = old->flags;
      }
      if (!FitsItemLimit(key.size(), new_len, old_flags)) return StoreResult::kTooLarge;
      size_t total = ItemTotal(key.size(), new_len, old_flags);
      if (!Reserve(total)) return StoreResult::kNoMemory;
      std::lock_guard<std::mutex> lock(s.mu);
      int64_t now = Now();
      CacheItem* old = FindLive(s, key, hash, now, nullptr);
      if (old == nullptr || old->cas != seen_cas) {
        Release(total);
        if (old == nullptr) return StoreResult::kNotStored;
        continue;  // changed meanwhile; start over
      }
      CacheItem* it = NewItem(key, new_len, old->flags, old->exptime);
      if (it == nullptr) {
        Release(total);
        return StoreResult::kNoMemory;
      }
      char* dst = it->mutable_value();
      std::string_view first = mode == StoreMode::kAppend ? old->value() : value;
      std::string_view second = mode == StoreMode::kAppend ? value : old->value();
      if (!first.empty()) std::memcpy(dst, first.data(), first.size());
      if (!second.empty()) std::memcpy(dst + first.size(), second.data(), second.size());
      it->key_binary = old->key_binary;
      it->cas = NextCas();
      if (cas_out) *cas_out = it->cas;
      Link(s, it, old, now);
      return StoreResult::kStored;
    }
    return StoreResult::kNotStored;
  }

  CacheItem* it = NewItem(key, value.size(), flags, exptime);
  if (it == nullptr) return StoreResult::kNoMemory;
  if (!value.empty()) std::memcpy(it->mutable_value(), value.data(), value.size());
  it->key_binary = key_binary;
  if (!Reserve(it->total)) {
    std::free(it);
    return StoreResult::kNoMemory;
  }
  StoreResult result = StoreResult::kStored;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t now = Now();
    CacheItem* old = FindLive(s, key, hash, now, nullptr);
    switch (mode) {
      case StoreMode::kAdd:
        if (old != nullptr) result = StoreResult::kNotStored;
        break;
      case StoreMode::kReplace:
        if (old == nullptr) result = StoreResult::kNotStored;
        break;
      case StoreMode::kCas:
        if (old == nullptr) result = StoreResult::kNotFound;
        else if (old->cas != req_cas) result = StoreResult::kExists;
        break;
      default:
        break;
    }
    if (result == StoreResult::kStored) {
      it->cas = NextCas();
      if (cas_out) *cas_out = it->cas;
      Link(s, it, old, now);
      return result;
    }
  }
  Release(it->total);
  std::free(it);
  return result;
}

LookupResult CacheStorage::Access(std::string_view key, bool bump, FunctionRef<AccessAction(CacheItem&)> fn) {
  uint32_t hash = Hash(key);
  Shard& s = ShardOf(hash);
  std::lock_guard<std::mutex> lock(s.mu);
  int64_t now = Now();
  LookupResult why;
  CacheItem* it = FindLive(s, key, hash, now, &why);
  if (it == nullptr) return why;
  if (fn(*it) == AccessAction::kUnlink) {
    Unlink(s, it);
    return LookupResult::kHit;
  }
  if (bump) {
    it->fetched = true;
    it->time = now;
    Bump(s, it);
  }
  return LookupResult::kHit;
}

bool CacheStorage::Delete(std::string_view key) {
  return Access(key, false, [](CacheItem&) { return AccessAction::kUnlink; }) == LookupResult::kHit;
}

DeltaResult CacheStorage::Delta(std::string_view key, bool incr, uint64_t delta, uint64_t req_cas, uint64_t* result,
                                FunctionRef<void(CacheItem&)> after) {
  uint32_t hash = Hash(key);
  Shard& s = ShardOf(hash);
  for (int attempt = 0; attempt < 100; ++attempt) {
    char buf[24];
    size_t len;
    uint64_t seen_cas;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      int64_t now = Now();
      CacheItem* it = FindLive(s, key, hash, now, nullptr);
      if (it == nullptr) return DeltaResult::kNotFound;
      if (req_cas != 0 && it->cas != req_cas) return DeltaResult::kCasMismatch;
      uint64_t v;
      if (it->nvalue == 0 || !ParseCounter(it->value(), &v)) return DeltaResult::kNonNumeric;
      if (incr) {
        v += delta;
      } else {
        v = delta > v ? 0 : v - delta;
      }
      *result = v;
      len = static_cast<size_t>(std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(v)));
      if (len <= it->nvalue) {
        char* dst = it->mutable_value();
        std::memcpy(dst, buf, len);
        std::memset(dst + len, ' ', it->nvalue - len);
        it->cas = NextCas();
        it->time = now;
        Bump(s, it);
        after(*it);
        return DeltaResult::kOk;
      }
      seen_cas = it->cas;
    }
    // The number grew: store it as a new item.
    size_t total = ItemTotal(key.size(), len, 0);
    if (!Reserve(total + 4)) return DeltaResult::kNoMemory;
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t now = Now();
    CacheItem* old = FindLive(s, key, hash, now, nullptr);
    if (old == nullptr || old->cas != seen_cas) {
      Release(total + 4);
      if (old == nullptr) return DeltaResult::kNotFound;
      continue;
    }
    CacheItem* it = NewItem(key, len, old->flags, old->exptime);
    if (it == nullptr) {
      Release(total + 4);
      return DeltaResult::kNoMemory;
    }
    Release(total + 4 - it->total);
    std::memcpy(it->mutable_value(), buf, len);
    it->key_binary = old->key_binary;
    it->fetched = old->fetched;
    it->cas = NextCas();
    Link(s, it, old, now);
    after(*it);
    return DeltaResult::kOk;
  }
  return DeltaResult::kNoMemory;
}

void CacheStorage::FlushAll(int64_t delay_s) {
  if (delay_s > 0) {
    // memcached: once oldest_live is reached, every item last touched at or before that
    // second is dead, even one stored later within it (so `flush_all 1` also kills what is
    // stored in the rest of the current second).
    oldest_live_.store(ExpiryFromProtocol(delay_s) - 1, std::memory_order_relaxed);
    return;
  }
  // An immediate flush also cancels a pending delayed one (memcached resets oldest_live).
  oldest_live_.store(0, std::memory_order_relaxed);
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    while (!s->items.empty()) Unlink(*s, s->items.back());
  }
}

void CacheStorage::SetMemoryLimit(size_t bytes) {
  limit_.store(bytes, std::memory_order_relaxed);
  while (used_.load(std::memory_order_relaxed) > bytes) {
    if (!EvictOne()) break;
  }
}

StorageStats CacheStorage::Stats() const {
  StorageStats st;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    st.curr_items += s->items.size();
    st.bytes += s->bytes;
    st.total_items += s->total_items;
    st.evictions += s->evictions;
    st.evicted_unfetched += s->evicted_unfetched;
    st.expired_unfetched += s->expired_unfetched;
    st.reclaimed += s->reclaimed;
  }
  st.limit_maxbytes = limit_.load(std::memory_order_relaxed);
  return st;
}

void CacheStorage::ForEach(FunctionRef<void(const CacheItem&)> fn) {
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    int64_t now = Now();
    for (CacheItem* it = s->head; it != nullptr; it = it->lru_next) {
      if (!IsDead(*it, now)) fn(*it);
    }
  }
}

}  // namespace mcscale
