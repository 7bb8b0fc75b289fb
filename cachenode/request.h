// Request: one parsed memcached text-protocol request, as ProtocolParser produces it and
// CommandHandler executes it. Every string_view points into the connection's read buffer
// (or into key_buf) and is valid until those bytes are consumed.
#ifndef MCSCALE_CACHENODE_REQUEST_H_
#define MCSCALE_CACHENODE_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mcscale {

enum class Command : uint8_t {
  kNone,  // nothing to execute: reply `error` (if any) and go on
  kGet, kGets, kGat, kGats,
  kSet, kAdd, kReplace, kAppend, kPrepend, kCas,
  kDelete, kIncr, kDecr, kTouch,
  kStats, kFlushAll, kVersion, kVerbosity, kQuit, kCacheMemlimit, kEvictionPolicy,
  kLruCrawlerMetadump, kLruCrawlerOk,
  kMetaGet, kMetaSet, kMetaDelete, kMetaArithmetic, kMetaNoop, kMetaDebug,
};

// memcached tokenizes at most 24 tokens, the last one being the unparsed rest.
constexpr size_t kMaxTokens = 24;
// memcached's KEY_MAX_LENGTH.
constexpr size_t kMaxKeyLength = 250;

// Flags of a meta command (mg, ms, md, ma), checked by the parser.
struct MetaFlags {
  uint64_t seen = 0;  // bit (c - 'A') for every flag letter given
  int32_t ttl = 0;            // T
  int32_t vivify_ttl = 0;     // N
  int32_t recache_ttl = 0;    // R
  uint32_t client_flags = 0;  // F
  uint64_t compare_cas = 0;   // C
  uint64_t initial = 0;       // J
  uint64_t delta = 1;         // D
  char mode = 0;              // M

  static uint64_t Bit(char c) { return (c >= 'A' && c <= 'z') ? (1ull << (c - 'A')) : 0; }
  bool Has(char c) const { return (seen & Bit(c)) != 0; }
};

struct Request {
  Command command = Command::kNone;
  // Tokens of the command line as memcached counts them: `ntokens` includes a final
  // terminal token, which is `rest` (the unparsed remainder, empty when none).
  std::string_view tokens[kMaxTokens];
  size_t ntokens = 0;
  std::string_view rest;

  std::string_view key;       // single-key commands; base64-decoded for meta `b`
  std::string_view keys;      // get/gets/gat/gats: the space-separated keys
  std::string_view data;      // storage commands: the value, without CRLF
  uint32_t flags = 0;         // client flags of a store
  int32_t exptime = 0;        // protocol exptime (store, touch, gat, flush_all delay)
  uint64_t number = 0;        // cas unique, incr/decr delta, verbosity, memlimit MB
  bool noreply = false;       // no reply wanted (classic `noreply`, or meta `q` for errors)
  bool too_large = false;     // a store refused because the item exceeds the size limit
  MetaFlags meta;

  // A complete reply line (without CRLF) to send instead of executing `command`, or null.
  const char* error = nullptr;
  // Bytes to discard after this request (the data block of a refused store).
  size_t swallow = 0;

  char key_buf[kMaxKeyLength + 1];  // holds a base64-decoded key
};

}  // namespace mcscale

#endif  // MCSCALE_CACHENODE_REQUEST_H_
