// RedisKeys: the names of every key of the Redis contract (DESIGN.md), under a prefix
// ("mcscale" by default). One place builds them so no component spells a key by hand.
#ifndef MCSCALE_COMMON_REDIS_KEYS_H_
#define MCSCALE_COMMON_REDIS_KEYS_H_

#include <cstdint>
#include <string>

namespace mcscale {

class RedisKeys {
 public:
  explicit RedisKeys(std::string prefix = "mcscale") : p_(std::move(prefix)) {}
  const std::string& prefix() const { return p_; }
  std::string metrics() const { return p_ + ":metrics"; }
  std::string agent(const std::string& node) const { return p_ + ":agent:" + node; }
  std::string agent_pattern() const { return p_ + ":agent:*"; }
  std::string figures() const { return p_ + ":figures"; }
  std::string pool() const { return p_ + ":pool"; }
  std::string config() const { return p_ + ":config"; }
  std::string provider() const { return p_ + ":provider"; }
  std::string events() const { return p_ + ":events"; }
  std::string history() const { return p_ + ":history"; }
  std::string frontend(const std::string& id) const { return p_ + ":frontend:" + id; }
  std::string frontend_pattern() const { return p_ + ":frontend:*"; }
  std::string migration(int64_t epoch) const { return p_ + ":migration:" + std::to_string(epoch); }
  std::string migration_claim(int64_t epoch) const { return p_ + ":migration:" + std::to_string(epoch) + ":claim"; }
  std::string moves(const std::string& node) const { return p_ + ":moves:" + node; }
  std::string coordinator() const { return p_ + ":coordinator"; }
  std::string node_seq() const { return p_ + ":node_seq"; }

 private:
  std::string p_;
};

}  // namespace mcscale

#endif  // MCSCALE_COMMON_REDIS_KEYS_H_
