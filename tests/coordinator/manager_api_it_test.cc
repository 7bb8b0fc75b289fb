// The manager API over real sockets: every error it gives, the HTTP server's own refusals
// included (a body over 1 MiB, a malformed request), is JSON, and HEAD works.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/harness/test_pool.h"

namespace mcscale {
namespace {

using testing::TestPool;

std::string ErrorOf(const std::string& raw) {
  size_t split = raw.find("\r\n\r\n");
  if (split == std::string::npos) return "";
  auto j = nlohmann::json::parse(raw.substr(split + 4), nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "";
}

TEST(ManagerApiIt, EveryErrorIsJsonIncludingTheServersOwnRefusals) {
  TestPool pool;
  ASSERT_TRUE(pool.WaitForSize(1, 60000));
  const uint16_t port = pool.http_port();

  // A body over the 1 MiB limit: 413 as soon as the head is read.
  std::string big = "PUT /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n";
  std::string raw = testing::RawExchange(port, big, "\x01never", 20000);
  EXPECT_EQ(raw.rfind("HTTP/1.1 413 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("Content-Type: application/json"), std::string::npos) << raw;
  EXPECT_NE(ErrorOf(raw).find("2000000 bytes, over the limit of 1048576 bytes"), std::string::npos) << raw;

  // A malformed request line: 400 naming it.
  raw = testing::RawExchange(port, "HELLO THERE\r\n\r\n", "\x01never", 20000);
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
  EXPECT_NE(ErrorOf(raw).find("request line"), std::string::npos) << raw;

  // The API's own errors, unchanged.
  auto bad = pool.Api("PUT", "/api/config", "{\"max_nodes\": 0}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(nlohmann::json::parse(bad.body).contains("fields")) << bad.body;
  EXPECT_EQ(pool.Api("GET", "/api/nothing").status, 404);
  EXPECT_EQ(pool.Api("DELETE", "/api/pool").status, 405);

  // HEAD: the status and the length of the GET body, without the body.
  raw = testing::RawExchange(port, "HEAD /api/pool HTTP/1.0\r\n\r\n", "\x01never", 20000);
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("Content-Length: "), std::string::npos) << raw;
  EXPECT_EQ(raw.substr(raw.find("\r\n\r\n") + 4), "") << "no body after HEAD";

  EXPECT_EQ(pool.Api("GET", "/api/pool").status, 200) << "still serving";
}

}  // namespace
}  // namespace mcscale
