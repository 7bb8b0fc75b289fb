// libFuzzer target: arbitrary bytes through ProtocolParser (checking its framing contract)
// and through a ProtocolSession with a real handler and storage, cut into reads at
// fuzzer-chosen points. Any crash, sanitizer report, leak or hang is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

#include "cachenode/command_handler.h"
#include "cachenode/node_context.h"
#include "cachenode/protocol_parser.h"
#include "cachenode/protocol_session.h"
#include "common/clock.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Within(std::string_view v, const char* begin, size_t len, const mcscale::Request& req) {
  if (v.data() == nullptr || v.empty()) return true;
  const char* b = v.data();
  const char* e = b + v.size();
  bool in_input = b >= begin && e <= begin + len;
  bool in_key_buf = b >= req.key_buf && e <= req.key_buf + sizeof(req.key_buf);
  return in_input || in_key_buf;
}

// The parser alone: every request it reports lies within the input and makes progress.
void FuzzParser(const char* data, size_t size) {
  static const mcscale::ProtocolParser parser(4096);  // a small item limit reaches too_large
  static mcscale::Request req;
  size_t pos = 0;
  while (pos < size) {
    size_t consumed = 0;
    auto st = parser.Parse(data + pos, size - pos, &req, &consumed);
    if (st != mcscale::ProtocolParser::Status::kRequest) {
      Check(st == mcscale::ProtocolParser::Status::kClose || consumed == 0 || consumed > size - pos);
      break;
    }
    Check(consumed >= 1 && consumed <= size - pos);
    Check(req.ntokens >= 1 && req.ntokens <= mcscale::kMaxTokens);
    for (size_t i = 0; i + 1 < req.ntokens; ++i) Check(Within(req.tokens[i], data + pos, consumed, req));
    for (std::string_view v : {req.key, req.keys, req.data, req.rest}) Check(Within(v, data + pos, consumed, req));
    Check(req.key.size() <= mcscale::kMaxKeyLength || req.error != nullptr || req.command == mcscale::Command::kEvictionPolicy ||
          req.command == mcscale::Command::kLruCrawlerMetadump);
    pos += consumed;
    pos += std::min(req.swallow, size - pos);
  }
}

struct Node {
  Node() { spdlog::set_level(spdlog::level::off); }
  mcscale::FakeClock clock;
  mcscale::NodeContext context{mcscale::NodeSettings(),
                               mcscale::StorageOptions{8u << 20, 64u << 10, mcscale::EvictionPolicy::kLru, &clock, 4}};
  mcscale::ProtocolParser parser{64u << 10};
  mcscale::CommandHandler handler{&context};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const char* data = reinterpret_cast<const char*>(bytes);
  FuzzParser(data, size);

  // The whole protocol stack, with the input cut into reads by its first byte.
  static Node* node = new Node();  // lives for the whole run (not a leak)
  node->clock.Advance(1000);
  mcscale::ProtocolSession session(&node->parser, &node->handler);
  const size_t step = size > 0 ? 1 + static_cast<uint8_t>(data[0]) % 64 : 1;
  std::string buffered, out;
  bool close = false;
  for (size_t pos = 0; pos < size && !close; pos += step) {
    buffered.append(data + pos, std::min(step, size - pos));
    size_t used = session.Process(buffered.data(), buffered.size(), &out, &close, 1u << 20);
    Check(used <= buffered.size());
    buffered.erase(0, used);
    if (out.size() > (1u << 20)) out.clear();  // a real server would write it out
  }
  return 0;
}
