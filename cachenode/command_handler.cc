#include "cachenode/command_handler.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string_view>

#include <event2/event.h>
#include <spdlog/spdlog.h>

#include "cachenode/protocol_parser.h"

namespace mcscale {

const char kNodeVersion[] = "1.6.18-mcscale";

namespace {

void AppendNumber(std::string* out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

void AppendSigned(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

void Line(std::string* out, std::string_view line) {
  out->append(line);
  out->append("\r\n", 2);
}

// memcached's META_KEY: " k<key>", base64 with " b" for a binary key.
void AppendMetaKey(std::string* out, std::string_view key, bool binary) {
  out->append(" k", 2);
  if (binary) {
    Base64Append(key, out);
    out->append(" b", 2);
  } else {
    out->append(key);
  }
}

// Slab class memcached would give an item of `size` bytes (factor 1.25 from 96 bytes).
unsigned SlabClass(uint32_t size) {
  unsigned cls = 1;
  uint32_t chunk = 96;
  while (chunk < size && cls < 63) {
    chunk = ((chunk * 5 / 4) + 7) & ~7u;
    ++cls;
  }
  return cls;
}

// memcached's metadump URL encoding: keep alphanumerics and -._~.
void AppendUrlEncoded(std::string* out, std::string_view key) {
  static const char kHex[] = "0123456789ABCDEF";
  for (char ch : key) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

void Stat(std::string* out, std::string_view name, std::string_view value) {
  out->append("STAT ", 5);
  out->append(name);
  out->push_back(' ');
  out->append(value);
  out->append("\r\n", 2);
}

void Stat(std::string* out, std::string_view name, uint64_t value) {
  out->append("STAT ", 5);
  out->append(name);
  out->push_back(' ');
  AppendNumber(out, value);
  out->append("\r\n", 2);
}

}  // namespace

CommandHandler::CommandHandler(NodeContext* context)
    : ctx_(context), storage_(context->storage()), stats_(context->NewThreadStats()) {}

CommandHandler::Next CommandHandler::Execute(const Request& req, std::string* out) {
  if (req.error != nullptr) {
    if (!req.noreply) Line(out, req.error);
    return Next::kContinue;
  }
  switch (req.command) {
    case Command::kNone:
      break;
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats:
      Get(req, out);
      break;
    case Command::kSet:
    case Command::kAdd:
    case Command::kReplace:
    case Command::kAppend:
    case Command::kPrepend:
    case Command::kCas:
      Store(req, out);
      break;
    case Command::kDelete: {
      bool hit = storage_.Delete(req.key);
      Bump(hit ? stats_->delete_hits : stats_->delete_misses);
      if (!req.noreply) Line(out, hit ? "DELETED" : "NOT_FOUND");
      break;
    }
    case Command::kIncr:
    case Command::kDecr:
      Arithmetic(req, out);
      break;
    case Command::kTouch: {
      int64_t exptime = storage_.ExpiryFromProtocol(req.exptime);
      LookupResult r = storage_.Access(req.key, true, [&](CacheItem& it) {
        it.exptime = exptime;
        return AccessAction::kKeep;
      });
      Bump(stats_->cmd_touch);
      Bump(r == LookupResult::kHit ? stats_->touch_hits : stats_->touch_misses);
      if (!req.noreply) Line(out, r == LookupResult::kHit ? "TOUCHED" : "NOT_FOUND");
      break;
    }
    case Command::kStats:
      Stats(req, out);
      break;
    case Command::kFlushAll:
      Bump(stats_->cmd_flush);
      storage_.FlushAll(req.exptime > 0 ? req.exptime : 0);
      if (!req.noreply) Line(out, "OK");
      break;
    case Command::kVersion:
      out->append("VERSION ");
      Line(out, kNodeVersion);
      break;
    case Command::kVerbosity:
      ctx_->verbosity().store(req.number > 2 ? 2 : static_cast<int>(req.number));
      if (!req.noreply) Line(out, "OK");
      break;
    case Command::kQuit:
      return Next::kClose;
    case Command::kCacheMemlimit:
      storage_.SetMemoryLimit(static_cast<size_t>(req.number) << 20);
      spdlog::info("cache_memlimit set to {} MB", req.number);
      if (!req.noreply) Line(out, "OK");
      break;
    case Command::kEvictionPolicy: {
      auto policy = ParseEvictionPolicy(req.key);
      if (!policy) {
        if (!req.noreply) Line(out, "CLIENT_ERROR unknown policy");
        break;
      }
      if (*policy != storage_.policy()) spdlog::info("eviction policy set to {}", EvictionPolicyName(*policy));
      storage_.SetPolicy(*policy);
      if (!req.noreply) Line(out, "OK");
      break;
    }
    case Command::kLruCrawlerMetadump:
      Metadump(req, out);
      break;
    case Command::kLruCrawlerOk:
      Line(out, "OK");
      break;
    case Command::kMetaGet:
      MetaGet(req, out);
      break;
    case Command::kMetaSet:
      MetaSet(req, out);
      break;
    case Command::kMetaDelete:
      MetaDelete(req, out);
      break;
    case Command::kMetaArithmetic:
      MetaArithmetic(req, out);
      break;
    case Command::kMetaNoop:
      Line(out, "MN");
      break;
    case Command::kMetaDebug:
      MetaDebug(req, out);
      break;
  }
  return Next::kContinue;
}

void CommandHandler::Get(const Request& req, std::string* out) {
  const bool with_cas = req.command == Command::kGets || req.command == Command::kGats;
  const bool touch = req.command == Command::kGat || req.command == Command::kGats;
  const int64_t exptime = touch ? storage_.ExpiryFromProtocol(req.exptime) : 0;
  std::string_view keys = req.keys;
  size_t i = 0;
  while (i < keys.size()) {
    while (i < keys.size() && keys[i] == ' ') ++i;
    size_t j = i;
    while (j < keys.size() && keys[j] != ' ') ++j;
    if (j == i) break;
    std::string_view key = keys.substr(i, j - i);
    i = j;
    LookupResult r = storage_.Access(key, true, [&](CacheItem& it) {
      if (touch) it.exptime = exptime;
      out->append("VALUE ", 6);
      out->append(key);
      out->push_back(' ');
      AppendNumber(out, it.flags);
      out->push_back(' ');
      AppendNumber(out, it.nvalue);
      if (with_cas) {
        out->push_back(' ');
        AppendNumber(out, it.cas);
      }
      out->append("\r\n", 2);
      out->append(it.value());
      out->append("\r\n", 2);
      return AccessAction::kKeep;
    });
    if (touch) {
      Bump(stats_->cmd_touch);
      Bump(r == LookupResult::kHit ? stats_->touch_hits : stats_->touch_misses);
    } else {
      Bump(stats_->cmd_get);
      Bump(r == LookupResult::kHit ? stats_->get_hits : stats_->get_misses);
      if (r == LookupResult::kExpired) Bump(stats_->get_expired);
      if (r == LookupResult::kFlushed) Bump(stats_->get_flushed);
    }
  }
  out->append("END\r\n", 5);
}

void CommandHandler::Store(const Request& req, std::string* out) {
  if (req.too_large) {
    Bump(stats_->store_too_large);
    // memcached drops the old value so a failed set leaves no stale data behind.
    if (req.command == Command::kSet) storage_.Delete(req.key);
    if (!req.noreply) Line(out, "SERVER_ERROR object too large for cache");
    return;
  }
  StoreMode mode = StoreMode::kSet;
  switch (req.command) {
    case Command::kAdd: mode = StoreMode::kAdd; break;
    case Command::kReplace: mode = StoreMode::kReplace; break;
    case Command::kAppend: mode = StoreMode::kAppend; break;
    case Command::kPrepend: mode = StoreMode::kPrepend; break;
    case Command::kCas: mode = StoreMode::kCas; break;
    default: break;
  }
  Bump(stats_->cmd_set);
  StoreResult r = storage_.Store(mode, req.key, req.data, req.flags, storage_.ExpiryFromProtocol(req.exptime),
                                 mode == StoreMode::kCas ? req.number : 0);
  if (mode == StoreMode::kCas) {
    if (r == StoreResult::kStored) Bump(stats_->cas_hits);
    else if (r == StoreResult::kExists) Bump(stats_->cas_badval);
    else if (r == StoreResult::kNotFound) Bump(stats_->cas_misses);
  }
  const char* reply = "STORED";
  switch (r) {
    case StoreResult::kStored: reply = "STORED"; break;
    case StoreResult::kNotStored: reply = "NOT_STORED"; break;
    case StoreResult::kExists: reply = "EXISTS"; break;
    case StoreResult::kNotFound: reply = "NOT_FOUND"; break;
    case StoreResult::kTooLarge: reply = "NOT_STORED"; break;  // append/prepend beyond -I, as memcached
    case StoreResult::kNoMemory:
      Bump(stats_->store_no_memory);
      reply = "SERVER_ERROR out of memory storing object";
      break;
  }
  if (!req.noreply) Line(out, reply);
}

void CommandHandler::Arithmetic(const Request& req, std::string* out) {
  const bool incr = req.command == Command::kIncr;
  uint64_t value = 0;
  DeltaResult r = storage_.Delta(req.key, incr, req.number, 0, &value, [](CacheItem&) {});
  switch (r) {
    case DeltaResult::kOk:
      Bump(incr ? stats_->incr_hits : stats_->decr_hits);
      if (!req.noreply) {
        AppendNumber(out, value);
        out->append("\r\n", 2);
      }
      break;
    case DeltaResult::kNotFound:
    case DeltaResult::kCasMismatch:
      Bump(incr ? stats_->incr_misses : stats_->decr_misses);
      if (!req.noreply) Line(out, "NOT_FOUND");
      break;
    case DeltaResult::kNonNumeric:
      if (!req.noreply) Line(out, "CLIENT_ERROR cannot increment or decrement non-numeric value");
      break;
    case DeltaResult::kNoMemory:
      if (!req.noreply) Line(out, "SERVER_ERROR out of memory");
      break;
  }
}

void CommandHandler::Stats(const Request& req, std::string* out) {
  const NodeSettings& s = ctx_->settings();
  if (req.ntokens == 2) {
    StorageStats st = storage_.Stats();
    std::vector<uint64_t> t = ctx_->SumThreadStats();
    int64_t now = storage_.Now();
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    char buf[64];
    Stat(out, "pid", static_cast<uint64_t>(getpid()));
    Stat(out, "uptime", static_cast<uint64_t>(now - ctx_->started()));
    Stat(out, "time", static_cast<uint64_t>(now));
    Stat(out, "version", kNodeVersion);
    Stat(out, "libevent", event_get_version());
    Stat(out, "pointer_size", static_cast<uint64_t>(8 * sizeof(void*)));
    std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(usage.ru_utime.tv_sec),
                  static_cast<long>(usage.ru_utime.tv_usec));
    Stat(out, "rusage_user", buf);
    std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(usage.ru_stime.tv_sec),
                  static_cast<long>(usage.ru_stime.tv_usec));
    Stat(out, "rusage_system", buf);
    Stat(out, "max_connections", static_cast<uint64_t>(s.max_connections));
    Stat(out, "curr_connections", ctx_->curr_connections().load());
    Stat(out, "total_connections", ctx_->total_connections().load());
    Stat(out, "rejected_connections", ctx_->rejected_connections().load());
    Stat(out, "connection_structures", ctx_->curr_connections().load());
    size_t i = 0;
    // cmd_get .. touch_misses, store_too_large, store_no_memory in memcached's order.
#define MCSCALE_EMIT_STAT(name)                                            \
  if (std::string_view(#name) == "bytes_read") {                          \
    Stat(out, "auth_cmds", uint64_t{0});                                   \
    Stat(out, "auth_errors", uint64_t{0});                                 \
  }                                                                        \
  Stat(out, #name, t[i++]);
    MCSCALE_THREAD_STATS(MCSCALE_EMIT_STAT)
#undef MCSCALE_EMIT_STAT
    Stat(out, "limit_maxbytes", st.limit_maxbytes);
    Stat(out, "accepting_conns", uint64_t{1});
    Stat(out, "threads", static_cast<uint64_t>(s.threads));
    Stat(out, "bytes", st.bytes);
    Stat(out, "curr_items", st.curr_items);
    Stat(out, "total_items", st.total_items);
    Stat(out, "expired_unfetched", st.expired_unfetched);
    Stat(out, "evicted_unfetched", st.evicted_unfetched);
    Stat(out, "evictions", st.evictions);
    Stat(out, "reclaimed", st.reclaimed);
    out->append("END\r\n", 5);
    return;
  }
  std::string_view sub = req.tokens[1];
  if (sub == "settings") {
    Stat(out, "maxbytes", static_cast<uint64_t>(storage_.memory_limit()));
    Stat(out, "maxconns", static_cast<uint64_t>(s.max_connections));
    Stat(out, "tcpport", static_cast<uint64_t>(s.port));
    Stat(out, "udpport", uint64_t{0});
    Stat(out, "inter", s.interface);
    Stat(out, "verbosity", static_cast<uint64_t>(ctx_->verbosity().load()));
    int64_t oldest = storage_.oldest_live();
    Stat(out, "oldest", static_cast<uint64_t>(oldest > ctx_->started() ? oldest - ctx_->started() : 0));
    Stat(out, "evictions", "on");
    Stat(out, "num_threads", static_cast<uint64_t>(s.threads));
    Stat(out, "cas_enabled", "yes");
    Stat(out, "item_size_max", static_cast<uint64_t>(storage_.item_size_max()));
    Stat(out, "flush_enabled", "yes");
    Stat(out, "dump_enabled", "yes");
    Stat(out, "eviction_policy", EvictionPolicyName(storage_.policy()));
    out->append("END\r\n", 5);
  } else if (sub == "reset") {
    ctx_->ResetThreadStats();
    Line(out, "RESET");
  } else if (sub == "detail") {
    std::string_view arg = req.ntokens >= 4 ? req.tokens[2] : std::string_view();
    if (arg == "on" || arg == "off") Line(out, "OK");
    else if (arg == "dump") Line(out, "END");
    else Line(out, "CLIENT_ERROR usage: stats detail on|off|dump");
  } else if (sub == "items" || sub == "slabs" || sub == "sizes" || sub == "conns") {
    Line(out, "END");
  } else {
    Line(out, "ERROR");
  }
}

void CommandHandler::Metadump(const Request& req, std::string* out) {
  int only_class = 0;
  if (req.key != "all" && req.key != "hash") {
    uint32_t cls = 0;
    if (!ParseProtocolU32(req.key, &cls) || cls == 0 || cls > 63) {
      Line(out, "BADCLASS invalid class id");
      return;
    }
    only_class = static_cast<int>(cls);
  }
  storage_.ForEach([&](const CacheItem& it) {
    unsigned cls = SlabClass(it.total);
    if (only_class != 0 && cls != static_cast<unsigned>(only_class)) return;
    out->append("key=", 4);
    AppendUrlEncoded(out, it.key());
    out->append(" exp=", 5);
    AppendSigned(out, it.exptime == 0 ? -1 : it.exptime);
    out->append(" la=", 4);
    AppendSigned(out, it.time);
    out->append(" cas=", 5);
    AppendNumber(out, it.cas);
    out->append(it.fetched ? " fetch=yes" : " fetch=no");
    out->append(" cls=", 5);
    AppendNumber(out, cls);
    out->append(" size=", 6);
    AppendNumber(out, it.total);
    out->push_back('\n');
  });
  out->append("END\r\n", 5);
}

void CommandHandler::MetaGet(const Request& req, std::string* out) {
  const MetaFlags& f = req.meta;
  const bool binary = f.Has('b');
  bool created = false;
  bool ttl_set = false;
  LookupResult r = LookupResult::kMiss;
  for (int attempt = 0; attempt < 2; ++attempt) {
    r = storage_.Access(req.key, !f.Has('u'), [&](CacheItem& it) {
      const int64_t now = storage_.Now();
      bool won = false;
      if (f.Has('v')) {
        out->append("VA ", 3);
        AppendNumber(out, it.nvalue);
      } else {
        out->append("HD", 2);
      }
      for (size_t i = 2; i + 1 < req.ntokens; ++i) {
        std::string_view t = req.tokens[i];
        switch (t[0]) {
          case 'T':
            ttl_set = true;
            it.exptime = storage_.ExpiryFromProtocol(f.ttl);
            break;
          case 'N':
            if (created) {
              it.exptime = storage_.ExpiryFromProtocol(f.vivify_ttl);
              won = true;
            }
            break;
          case 'R':
            if (!it.token_sent && !created && it.exptime != 0 &&
                it.exptime < storage_.ExpiryFromProtocol(f.recache_ttl)) {
              won = true;
            }
            break;
          case 's':
            out->append(" s", 2);
            AppendNumber(out, it.nvalue);
            break;
          case 't':
            out->append(" t", 2);
            if (it.exptime == 0) out->append("-1", 2);
            else AppendSigned(out, it.exptime - now);
            break;
          case 'c':
            out->append(" c", 2);
            AppendNumber(out, it.cas);
            break;
          case 'f':
            out->append(" f", 2);
            AppendNumber(out, it.flags);
            break;
          case 'l':
            out->append(" l", 2);
            AppendSigned(out, now - it.time);
            break;
          case 'h':
            out->append(it.fetched ? " h1" : " h0", 3);
            break;
          case 'O':
            out->push_back(' ');
            out->append(t);
            break;
          case 'k':
            AppendMetaKey(out, it.key(), it.key_binary);
            break;
          default:
            break;
        }
      }
      if (it.token_sent) out->append(" Z", 2);
      if (it.stale) {
        out->append(" X", 2);
        if (!it.token_sent) won = true;
      }
      if (won) {
        out->append(" W", 2);
        it.token_sent = true;
      }
      out->append("\r\n", 2);
      if (f.Has('v')) {
        out->append(it.value());
        out->append("\r\n", 2);
      }
      return AccessAction::kKeep;
    });
    if (r == LookupResult::kHit || !f.Has('N') || attempt > 0) break;
    // Miss with N: create an empty item (autovivify) and read it back as its creator.
    created = storage_.Store(StoreMode::kAdd, req.key, std::string_view(), 0, 0, 0, nullptr, binary) ==
              StoreResult::kStored;
  }
  if (r == LookupResult::kHit) {
    if (ttl_set) {
      Bump(stats_->cmd_touch);
      Bump(stats_->touch_hits);
    } else {
      Bump(stats_->cmd_get);
      Bump(stats_->get_hits);
    }
    return;
  }
  if (ttl_set || f.Has('T')) {
    Bump(stats_->cmd_touch);
    Bump(stats_->touch_misses);
  } else {
    Bump(stats_->cmd_get);
    Bump(stats_->get_misses);
    if (r == LookupResult::kExpired) Bump(stats_->get_expired);
    if (r == LookupResult::kFlushed) Bump(stats_->get_flushed);
  }
  if (!req.noreply) Line(out, "EN");
}

void CommandHandler::MetaSet(const Request& req, std::string* out) {
  const MetaFlags& f = req.meta;
  if (req.too_large) {
    Bump(stats_->store_too_large);
    storage_.Delete(req.key);
    Line(out, "SERVER_ERROR object too large for cache");
    return;
  }
  StoreMode mode = StoreMode::kSet;
  switch (f.mode) {
    case 'E': mode = StoreMode::kAdd; break;
    case 'A': mode = StoreMode::kAppend; break;
    case 'P': mode = StoreMode::kPrepend; break;
    case 'R': mode = StoreMode::kReplace; break;
    default: break;
  }
  uint64_t req_cas = 0;
  if (f.Has('C')) {
    if (mode == StoreMode::kSet || mode == StoreMode::kReplace) mode = StoreMode::kCas;
    if (mode != StoreMode::kAdd) req_cas = f.compare_cas;
  }
  Bump(stats_->cmd_set);
  uint64_t cas = 0;
  int64_t exptime = f.Has('T') ? storage_.ExpiryFromProtocol(f.ttl) : 0;
  StoreResult r = storage_.Store(mode, req.key, req.data, req.flags, exptime, req_cas, &cas, f.Has('b'));
  if (mode == StoreMode::kCas) {
    if (r == StoreResult::kStored) Bump(stats_->cas_hits);
    else if (r == StoreResult::kExists) Bump(stats_->cas_badval);
    else if (r == StoreResult::kNotFound) Bump(stats_->cas_misses);
  }
  switch (r) {
    case StoreResult::kStored:
      if (req.noreply) return;
      out->append("HD", 2);
      break;
    case StoreResult::kExists: out->append("EX", 2); break;
    case StoreResult::kNotFound: out->append("NF", 2); break;
    case StoreResult::kNotStored:
    case StoreResult::kTooLarge:  // append/prepend beyond -I, as memcached
      out->append("NS", 2);
      break;
    case StoreResult::kNoMemory:
      Bump(stats_->store_no_memory);
      Line(out, "SERVER_ERROR out of memory storing object");
      return;
  }
  for (size_t i = 3; i + 1 < req.ntokens; ++i) {
    std::string_view t = req.tokens[i];
    switch (t[0]) {
      case 'O':
        out->push_back(' ');
        out->append(t);
        break;
      case 'k':
        AppendMetaKey(out, req.key, f.Has('b'));
        break;
      case 'c':
        out->append(" c", 2);
        AppendNumber(out, r == StoreResult::kStored ? cas : 0);
        break;
      default:
        break;
    }
  }
  out->append("\r\n", 2);
}

void CommandHandler::MetaDelete(const Request& req, std::string* out) {
  const MetaFlags& f = req.meta;
  const char* code = "NF";
  LookupResult r = storage_.Access(req.key, false, [&](CacheItem& it) {
    if (f.Has('C') && it.cas != f.compare_cas) {
      code = "EX";
      return AccessAction::kKeep;
    }
    code = "HD";
    if (f.Has('I')) {
      if (f.Has('T')) it.exptime = storage_.ExpiryFromProtocol(f.ttl);
      it.stale = true;
      it.token_sent = false;
      it.cas = storage_.NextCas();
      return AccessAction::kKeep;
    }
    return AccessAction::kUnlink;
  });
  std::string_view c(code);
  if (r == LookupResult::kHit && c == "HD" && !f.Has('I')) Bump(stats_->delete_hits);
  if (c != "HD") Bump(stats_->delete_misses);
  if (c == "HD" && req.noreply) return;
  out->append(c);
  for (size_t i = 2; i + 1 < req.ntokens; ++i) {
    std::string_view t = req.tokens[i];
    if (t[0] == 'O') {
      out->push_back(' ');
      out->append(t);
    } else if (t[0] == 'k') {
      AppendMetaKey(out, req.key, f.Has('b'));
    }
  }
  out->append("\r\n", 2);
}

void CommandHandler::MetaArithmetic(const Request& req, std::string* out) {
  const MetaFlags& f = req.meta;
  const bool incr = !(f.mode == 'D' || f.mode == '-');
  const bool binary = f.Has('b');
  uint64_t value = 0;
  std::string flags_out;
  // The return flags of an item that exists (after the update or creation).
  auto item_flags = [&](uint64_t cas, int64_t* exptime) {
    const int64_t now = storage_.Now();
    for (size_t i = 2; i + 1 < req.ntokens; ++i) {
      std::string_view t = req.tokens[i];
      switch (t[0]) {
        case 'c':
          flags_out.append(" c");
          AppendNumber(&flags_out, cas);
          break;
        case 't':
          flags_out.append(" t");
          if (*exptime == 0) flags_out.append("-1");
          else AppendSigned(&flags_out, *exptime - now);
          break;
        case 'T':
          *exptime = storage_.ExpiryFromProtocol(f.ttl);
          break;
        case 'O':
          flags_out.push_back(' ');
          flags_out.append(t);
          break;
        case 'k':
          AppendMetaKey(&flags_out, req.key, binary);
          break;
        default:
          break;
      }
    }
  };
  DeltaResult r = storage_.Delta(req.key, incr, f.delta, f.Has('C') ? f.compare_cas : 0, &value,
                                 [&](CacheItem& it) { item_flags(it.cas, &it.exptime); });
  bool have_item = false;
  const char* code = nullptr;
  switch (r) {
    case DeltaResult::kOk:
      Bump(incr ? stats_->incr_hits : stats_->decr_hits);
      if (req.noreply) return;
      have_item = true;
      break;
    case DeltaResult::kNonNumeric:
      Line(out, "CLIENT_ERROR cannot increment or decrement non-numeric value");
      return;
    case DeltaResult::kNoMemory:
      Line(out, "SERVER_ERROR out of memory");
      return;
    case DeltaResult::kCasMismatch:
      code = "EX";
      break;
    case DeltaResult::kNotFound:
      if (f.Has('N')) {
        char buf[24];
        auto end = std::to_chars(buf, buf + sizeof(buf), f.initial).ptr;
        int64_t exptime = storage_.ExpiryFromProtocol(f.vivify_ttl);
        uint64_t cas = 0;
        StoreResult s = storage_.Store(StoreMode::kAdd, req.key, std::string_view(buf, static_cast<size_t>(end - buf)),
                                       0, exptime, 0, &cas, binary);
        if (s == StoreResult::kStored) {
          value = f.initial;
          int64_t exp_copy = exptime;
          item_flags(cas, &exp_copy);
          if (exp_copy != exptime) {
            storage_.Access(req.key, false, [&](CacheItem& it) {
              it.exptime = exp_copy;
              return AccessAction::kKeep;
            });
          }
          have_item = true;
        } else {
          code = "NS";
        }
      } else {
        Bump(incr ? stats_->incr_misses : stats_->decr_misses);
        code = "NF";
      }
      break;
  }
  if (have_item) {
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof(buf), value).ptr;
    std::string_view number(buf, static_cast<size_t>(end - buf));
    if (f.Has('v')) {
      out->append("VA ", 3);
      AppendNumber(out, number.size());
    } else {
      out->append("HD", 2);
    }
    out->append(flags_out);
    out->append("\r\n", 2);
    if (f.Has('v')) {
      out->append(number);
      out->append("\r\n", 2);
    }
    return;
  }
  out->append(code);
  for (size_t i = 2; i + 1 < req.ntokens; ++i) {
    std::string_view t = req.tokens[i];
    if (t[0] == 'O') {
      out->push_back(' ');
      out->append(t);
    } else if (t[0] == 'k') {
      AppendMetaKey(out, req.key, binary);
    }
  }
  out->append("\r\n", 2);
}

void CommandHandler::MetaDebug(const Request& req, std::string* out) {
  Bump(stats_->cmd_meta);
  LookupResult r = storage_.Access(req.key, false, [&](CacheItem& it) {
    const int64_t now = storage_.Now();
    out->append("ME ", 3);
    if (it.key_binary) Base64Append(it.key(), out);
    else out->append(it.key());
    out->append(" exp=", 5);
    AppendSigned(out, it.exptime == 0 ? -1 : now - it.exptime);
    out->append(" la=", 4);
    AppendSigned(out, now - it.time);
    out->append(" cas=", 5);
    AppendNumber(out, it.cas);
    out->append(it.fetched ? " fetch=yes" : " fetch=no");
    out->append(" cls=", 5);
    AppendNumber(out, SlabClass(it.total));
    out->append(" size=", 6);
    AppendNumber(out, it.total);
    out->append("\r\n", 2);
    return AccessAction::kKeep;
  });
  if (r != LookupResult::kHit) Line(out, "EN");
}

}  // namespace mcscale
