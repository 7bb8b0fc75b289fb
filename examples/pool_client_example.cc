#include <iostream>
#include <optional>
#include <string>

#include "frontend/pool_client.h"

// Stores a key in the pool and reads it back. Returns 0 on a hit.
int RunExample(const std::string& redis_url) {
  mcscale::PoolClientOptions options;
  options.redis_url = redis_url;                        // where the pool's Redis runs
  auto client = mcscale::PoolClient::Create(options);  // fails only on invalid options
  if (!client.ok() || !(*client)->WaitReady(5000)) return 1;
  mcscale::Status stored = (*client)->Set("user:42", "Ada", /*flags=*/0, /*ttl=*/300);
  if (!stored.ok()) std::cerr << "not stored: " << stored.ToString() << "\n";
  std::optional<mcscale::CacheItem> item = (*client)->Get("user:42");  // nullopt: a miss
  if (item) std::cout << "user:42 = " << item->value << "\n";
  return item ? 0 : 1;
}
