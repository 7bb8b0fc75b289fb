// MemcacheTarget: load against one memcached-protocol server (stock memcached or
// mcscale-node), text protocol `get` and `set`. Each load thread runs its own epoll loop
// over non-blocking sockets, one per connection, keeping `pipeline` requests in flight on
// each: a reply frees a slot, and the slots freed by one read are refilled with one write.
// The loop only moves bytes; ReplyParser splits them into replies. Latency is measured from
// the write that carried a request to the read that completed its reply.
//
// Thread-safe: RunThread may run concurrently; the object itself is immutable.
#ifndef MCSCALE_BENCH_MEMCACHE_TARGET_H_
#define MCSCALE_BENCH_MEMCACHE_TARGET_H_

#include <sys/socket.h>

#include <memory>
#include <string>

#include "bench/load_target.h"
#include "common/host_port.h"
#include "common/status.h"

namespace mcscale::bench {

class MemcacheTarget : public LoadTarget {
 public:
  // Resolves the address; fails (naming it) when the host does not resolve.
  static Result<std::unique_ptr<MemcacheTarget>> Create(const HostPort& address);

  std::string Name() const override { return address_.ToString(); }
  Status RunThread(const ThreadShare& share, OpSource* ops, LoadStats* stats) override;

 private:
  MemcacheTarget(HostPort address, const sockaddr_storage& addr, socklen_t addr_len)
      : address_(std::move(address)), addr_(addr), addr_len_(addr_len) {}

  HostPort address_;
  sockaddr_storage addr_;
  socklen_t addr_len_;
};

}  // namespace mcscale::bench

#endif  // MCSCALE_BENCH_MEMCACHE_TARGET_H_
