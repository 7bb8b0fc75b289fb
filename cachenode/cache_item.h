// CacheItem: one key and its value as CacheStorage holds it, in a single allocation (the
// header, then the key bytes, then the value bytes). The intrusive links belong to the
// storage; protocol code sees an item only inside a CacheStorage::Access callback, under
// the item's shard lock, and may change exptime, cas, stale and token_sent there.
#ifndef MCSCALE_CACHENODE_CACHE_ITEM_H_
#define MCSCALE_CACHENODE_CACHE_ITEM_H_

#include <cstdint>
#include <string_view>

namespace mcscale {

struct CacheItem {
  // Storage links.
  CacheItem* hash_next = nullptr;
  CacheItem* lru_prev = nullptr;
  CacheItem* lru_next = nullptr;
  uint64_t tick = 0;      // recency stamp, global order (LRU)
  uint32_t hash = 0;
  uint32_t slot = 0;      // index in the shard's item vector (random eviction)

  uint64_t cas = 0;
  int64_t exptime = 0;    // absolute unix seconds; 0 = never expires
  int64_t time = 0;       // last access or update, unix seconds
  uint32_t flags = 0;     // client flags
  uint32_t nvalue = 0;    // value length, without CRLF
  uint32_t total = 0;     // bytes charged against the memory limit
  uint8_t nkey = 0;
  bool fetched = false;     // read at least once since stored
  bool stale = false;       // meta: marked stale by `md ... I`
  bool token_sent = false;  // meta: a recache token (W) was handed out
  bool key_binary = false;  // meta: the key came base64-encoded

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view key() const { return {data(), nkey}; }
  std::string_view value() const { return {data() + nkey, nvalue}; }
  char* mutable_value() { return data() + nkey; }
};

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_CACHE_ITEM_H_
