#include "nodeagent/agent_settings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mcscale {
namespace {

Result<AgentSettings> ParseArgs(std::vector<const char*> args) {
  Options options("mcscale-agent", "mcscale-agent --node HOST:PORT");
  AgentSettings::Declare(&options);
  args.insert(args.begin(), "mcscale-agent");
  Status st = options.Parse(static_cast<int>(args.size()), args.data());
  if (!st.ok()) return st;
  return AgentSettings::FromOptions(options);
}

bool Mentions(const Status& st, const std::string& what) {
  return st.message().find(what) != std::string::npos;
}

TEST(AgentSettings, DefaultsAndIdFromNodeAddress) {
  auto s = ParseArgs({"--node", "127.0.0.1:11211"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->node.ToString(), "127.0.0.1:11211");
  EXPECT_EQ(s->id, "127.0.0.1:11211");
  EXPECT_EQ(s->interval_ms, 5000);
  EXPECT_EQ(s->prefix, "mcscale");
  EXPECT_EQ(s->redis.host, "127.0.0.1");
  EXPECT_EQ(s->redis.port, 6379);
  EXPECT_EQ(s->log_level, "info");
}

TEST(AgentSettings, EveryOptionIsRead) {
  auto s = ParseArgs({"--node=10.0.0.5:11311", "--redis", "redis://10.0.0.1:7000/2", "--id", "n1",
                      "--interval-ms", "200", "--prefix", "test42", "--log-level", "debug"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->node.port, 11311);
  EXPECT_EQ(s->redis.port, 7000);
  EXPECT_EQ(s->redis.db, 2);
  EXPECT_EQ(s->id, "n1");
  EXPECT_EQ(s->interval_ms, 200);
  EXPECT_EQ(s->prefix, "test42");
  EXPECT_EQ(s->log_level, "debug");
}

TEST(AgentSettings, MissingNodeIsNamed) {
  auto s = ParseArgs({});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Mentions(s.status(), "--node")) << s.status().message();
}

TEST(AgentSettings, BadNodeIsNamed) {
  auto s = ParseArgs({"--node", "localhost"});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Mentions(s.status(), "--node")) << s.status().message();
  EXPECT_TRUE(Mentions(s.status(), "localhost")) << s.status().message();
}

TEST(AgentSettings, BadRedisIsNamed) {
  auto s = ParseArgs({"--node", "127.0.0.1:1", "--redis", "http://x"});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Mentions(s.status(), "--redis")) << s.status().message();
}

TEST(AgentSettings, IntervalBelowMinimumIsNamed) {
  auto s = ParseArgs({"--node", "127.0.0.1:1", "--interval-ms", "99"});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Mentions(s.status(), "--interval-ms")) << s.status().message();
  EXPECT_TRUE(ParseArgs({"--node", "127.0.0.1:1", "--interval-ms", "100"}).ok());
}

TEST(AgentSettings, EveryProblemIsListed) {
  auto s = ParseArgs({"--node", "x", "--redis", "nope", "--interval-ms", "abc", "--prefix", ""});
  ASSERT_FALSE(s.ok());
  for (const char* name : {"--node", "--redis", "--interval-ms", "--prefix"})
    EXPECT_TRUE(Mentions(s.status(), name)) << name << " in: " << s.status().message();
}

TEST(AgentSettings, HelpListsEveryOptionWithItsDefault) {
  Options options("mcscale-agent", "mcscale-agent --node HOST:PORT");
  AgentSettings::Declare(&options);
  std::string usage = options.Usage();
  for (const char* text : {"--node", "--redis", "redis://127.0.0.1:6379", "--id", "--interval-ms", "5000",
                           "--prefix", "mcscale", "--log-level", "info"})
    EXPECT_NE(usage.find(text), std::string::npos) << text;
}

}  // namespace
}  // namespace mcscale
