// The README's example of the frontend library (examples/pool_client_example.cc): the README
// shows that file verbatim, and it works against a real pool (TestPool).
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/memcache_client.h"
#include "tests/harness/test_pool.h"

// Defined in examples/pool_client_example.cc (linked by examples/CMakeLists.txt).
int RunExample(const std::string& redis_url);

namespace mcscale {
namespace {

std::string ReadSource(const std::string& path) {
  std::ifstream in(std::string(MCSCALE_SOURCE_DIR) + "/" + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ReadmeExample, ReadmeShowsTheExampleFileVerbatim) {
  std::string readme = ReadSource("README.md");
  std::string example = ReadSource("examples/pool_client_example.cc");
  ASSERT_FALSE(example.empty());
  EXPECT_NE(readme.find("```cpp\n" + example + "```\n"), std::string::npos)
      << "README.md's C++ block must be examples/pool_client_example.cc exactly; the file is:\n"
      << example;
  for (const char* line : {"## Using the frontend library", "add_subdirectory(mcscale",
                           "target_link_libraries(app PRIVATE mcscale::frontend)"})
    EXPECT_NE(readme.find(line), std::string::npos) << line;
}

TEST(ReadmeExample, RunsAgainstARealPool) {
  testing::TestPoolOptions options;
  options.config["mode"] = "manual";
  testing::TestPool pool(options);
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  EXPECT_EQ(RunExample(pool.redis().url()), 0);
  // The key is on the pool's node, as the example stored it.
  PoolState state = *pool.Pool();
  MemcacheClient node(*HostPort::Parse(state.nodes.begin()->second));
  auto item = node.Get("user:42");
  ASSERT_TRUE(item.ok() && item->has_value());
  EXPECT_EQ((*item)->value, "Ada");
}

}  // namespace
}  // namespace mcscale
