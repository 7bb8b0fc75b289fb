#include "common/options.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

Options MakeOptions() {
  Options o("prog", "prog [options]");
  o.Add("node", "127.0.0.1:11211", "node address").Add("interval-ms", "5000", "interval");
  o.AddFlag("verbose", "more logs").Alias("-p", "node");
  return o;
}

TEST(Options, DefaultsFlagsAndEqualsForm) {
  Options o = MakeOptions();
  const char* argv[] = {"prog", "--interval-ms=200", "--verbose"};
  ASSERT_TRUE(o.Parse(3, argv).ok());
  EXPECT_EQ(o.Get("node"), "127.0.0.1:11211");
  EXPECT_EQ(*o.GetInt("interval-ms", 100, 100000), 200);
  EXPECT_TRUE(o.GetFlag("verbose"));
}

TEST(Options, AliasAndSeparateValue) {
  Options o = MakeOptions();
  const char* argv[] = {"prog", "-p", "10.0.0.1:1"};
  ASSERT_TRUE(o.Parse(3, argv).ok());
  EXPECT_EQ(o.Get("node"), "10.0.0.1:1");
}

TEST(Options, UnknownOptionIsNamed) {
  Options o = MakeOptions();
  const char* argv[] = {"prog", "--bogus", "1"};
  Status st = o.Parse(3, argv);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("--bogus"), std::string::npos);
}

TEST(Options, MissingValueAndRangeErrorsNameTheOption) {
  Options o = MakeOptions();
  const char* argv[] = {"prog", "--interval-ms"};
  Status st = o.Parse(2, argv);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("interval-ms"), std::string::npos);
  const char* argv2[] = {"prog", "--interval-ms", "50"};
  ASSERT_TRUE(o.Parse(3, argv2).ok());
  auto r = o.GetInt("interval-ms", 100, 100000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--interval-ms"), std::string::npos);
  const char* argv3[] = {"prog", "--interval-ms", "abc"};
  ASSERT_TRUE(o.Parse(3, argv3).ok());
  EXPECT_FALSE(o.GetInt("interval-ms", 100, 100000).ok());
}

TEST(Options, EnvironmentBetweenDefaultAndFlag) {
  Options o = MakeOptions();
  setenv("MCSCALE_INTERVAL_MS", "300", 1);
  const char* argv[] = {"prog"};
  ASSERT_TRUE(o.Parse(1, argv).ok());
  EXPECT_EQ(o.Get("interval-ms"), "300");
  const char* argv2[] = {"prog", "--interval-ms", "400"};
  ASSERT_TRUE(o.Parse(3, argv2).ok());
  EXPECT_EQ(o.Get("interval-ms"), "400");
  unsetenv("MCSCALE_INTERVAL_MS");
}

TEST(Options, UsageListsEveryOptionWithDefault) {
  Options o = MakeOptions();
  std::string u = o.Usage();
  EXPECT_NE(u.find("--node"), std::string::npos);
  EXPECT_NE(u.find("default: 5000"), std::string::npos);
  EXPECT_NE(u.find("--help"), std::string::npos);
}

}  // namespace
}  // namespace mcscale
