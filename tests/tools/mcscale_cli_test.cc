// Runs the built `mcscale` binary (build/bin/mcscale) and checks what it prints and its exit
// status.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/region_map.h"
#include "tests/harness/test_servers.h"

namespace mcscale {
namespace {

struct ToolRun {
  int status = -1;  // exit status
  std::string out;  // stdout, and stderr too when `with_stderr`
};

// Runs `mcscale ARGS` through the shell; ARGS is shell text.
ToolRun Mcscale(const std::string& args, bool with_stderr = false) {
  std::string command = "'" + testing::BinPath("mcscale") + "' " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  testing::ShellRun shell = testing::RunShell(command);
  ToolRun run;
  run.status = shell.status;
  run.out = std::move(shell.out);
  return run;
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line, nullptr, false));
  return lines;
}

class McscaleCli : public ::testing::Test {
 protected:
  void SetUp() override {
    FILE* f = std::fopen(testing::BinPath("mcscale").c_str(), "r");
    ASSERT_NE(f, nullptr) << "build the target 'mcscale' first: " << testing::BinPath("mcscale");
    std::fclose(f);
  }
};

TEST_F(McscaleCli, RegionPrintsOneObjectPerKey) {
  // md5("hello") = 5d41..., md5("mcscale") = bc09...
  ToolRun run = Mcscale("region hello mcscale 'user:42'");
  ASSERT_EQ(run.status, 0);
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run.out;
  EXPECT_EQ(lines[0], (nlohmann::json{{"key", "hello"}, {"region", 5}}));
  EXPECT_EQ(lines[1], (nlohmann::json{{"key", "mcscale"}, {"region", 11}}));
  EXPECT_EQ(lines[2], (nlohmann::json{{"key", "user:42"}, {"region", 5}}));
  EXPECT_EQ(run.out.substr(0, run.out.find('\n')), R"({"key":"hello","region":5})");
}

TEST_F(McscaleCli, RegionWithMoreRegions) {
  ToolRun run = Mcscale("region --regions 1024 hello");
  ASSERT_EQ(run.status, 0);
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["region"], 0x5d4 >> 2);
}

TEST_F(McscaleCli, PlanPrintsMapMovesAndCounts) {
  ToolRun run = Mcscale("plan --regions 16 --from A,B,C --to A,B,D");
  ASSERT_EQ(run.status, 0) << run.out;
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.out;
  auto old_map = *RegionMap::Initial(16, {"A", "B", "C"});
  auto new_map = *RegionMap::Rebalance(old_map, {"A", "B", "D"});
  EXPECT_EQ(j["regions"], new_map.ToJson());
  EXPECT_EQ(j["moved"], 5);  // C's five regions, all to D
  ASSERT_EQ(j["moves"].size(), 5u);
  for (const auto& move : j["moves"]) {
    EXPECT_EQ(move["from"], "C");
    EXPECT_EQ(move["to"], "D");
    EXPECT_EQ(old_map.owner(move["region"].get<int>()), "C");
  }
  EXPECT_EQ(j["counts"], (nlohmann::json{{"A", 6}, {"B", 5}, {"D", 5}}));
}

TEST_F(McscaleCli, PlanGrowthMovesTheMinimum) {
  ToolRun run = Mcscale("plan --from n1,n2,n3,n4,n5,n6,n7 --to n1,n2,n3,n4,n5,n6,n7,n8");
  ASSERT_EQ(run.status, 0) << run.out;
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_EQ(j["moved"], 2);
  EXPECT_EQ(j["counts"]["n8"], 2);
}

TEST_F(McscaleCli, HelpExitsZero) {
  ToolRun run = Mcscale("--help");
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.out.find("region"), std::string::npos);
  EXPECT_NE(run.out.find("plan"), std::string::npos);
  run = Mcscale("plan --help");
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.out.find("--from"), std::string::npos);
  EXPECT_NE(run.out.find("--regions"), std::string::npos);
  run = Mcscale("region --help");
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.out.find("KEY"), std::string::npos);
  run = Mcscale("--version");
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.out.find("mcscale "), std::string::npos);
}

TEST_F(McscaleCli, BadArgumentsExitTwoNamingTheProblem) {
  struct Case {
    const char* args;
    const char* named;
  };
  const Case cases[] = {
      {"", "no subcommand"},
      {"frobnicate", "unknown subcommand 'frobnicate'"},
      {"region --regions 17 k", "--regions"},
      {"region --regions abc k", "--regions"},
      {"region --regions 2048 k", "--regions"},
      {"region", "no KEY"},
      {"region --bogus k", "--bogus"},
      {"plan --from A,B --to ''", "--to: empty node list"},
      {"plan --from '' --to A", "--from: empty node list"},
      {"plan --to A", "--from: empty node list"},
      {"plan --from A,A --to B", "--from: duplicate node id 'A'"},
      {"plan --from A --to A,,B", "--to: empty node id"},
      {"plan --regions 8 --from A --to B", "--regions"},
  };
  for (const auto& c : cases) {
    ToolRun run = Mcscale(c.args, /*with_stderr=*/true);
    EXPECT_EQ(run.status, 2) << c.args << "\n" << run.out;
    EXPECT_NE(run.out.find(c.named), std::string::npos) << c.args << "\n" << run.out;
  }
}

}  // namespace
}  // namespace mcscale
