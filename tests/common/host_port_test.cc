#include "common/host_port.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

TEST(HostPort, ParsesHostAndPort) {
  auto r = HostPort::Parse("127.0.0.1:11211");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->host, "127.0.0.1");
  EXPECT_EQ(r->port, 11211);
  EXPECT_EQ(r->ToString(), "127.0.0.1:11211");
}

TEST(HostPort, RejectsBadInputWithReason) {
  for (const char* bad : {"", "host", ":11211", "host:", "host:0", "host:70000", "host:12ab"}) {
    auto r = HostPort::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_NE(HostPort::Parse("host").status().message().find("missing port"), std::string::npos);
}

}  // namespace
}  // namespace mcscale
