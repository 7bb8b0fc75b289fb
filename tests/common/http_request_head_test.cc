#include "common/http_request_head.h"

#include <gtest/gtest.h>

#include <string>

namespace mcscale {
namespace {

using Outcome = HttpHeadParse::Outcome;

HttpHeadParse Parse(const std::string& data, size_t max_head = 8192) { return HttpRequestHead::Parse(data, max_head); }

void ExpectRefused(const std::string& data, int status, const std::string& message_part, size_t max_head = 8192) {
  HttpHeadParse p = Parse(data, max_head);
  ASSERT_EQ(p.outcome, Outcome::kRefused) << data;
  EXPECT_EQ(p.status, status) << data;
  EXPECT_NE(p.error.find(message_part), std::string::npos) << "'" << p.error << "' lacks '" << message_part << "'";
}

TEST(HttpRequestHead, ParsesRequestLineFieldsAndBodyLength) {
  std::string head =
      "POST /api/upload?x=1&y=%20 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type:  multipart/form-data; boundary=b \r\n"
      "Content-Length: 42\r\n\r\n";
  HttpHeadParse p = Parse(head + "body bytes follow");
  ASSERT_EQ(p.outcome, Outcome::kComplete) << p.error;
  EXPECT_EQ(p.head_bytes, head.size());
  EXPECT_EQ(p.head.method, "POST");
  EXPECT_EQ(p.head.target, "/api/upload?x=1&y=%20");
  EXPECT_EQ(p.head.path, "/api/upload");
  EXPECT_EQ(p.head.query, "x=1&y=%20");
  EXPECT_EQ(p.head.minor_version, 1);
  EXPECT_EQ(p.head.content_length, 42);
  EXPECT_TRUE(p.head.keep_alive);
  EXPECT_FALSE(p.head.expect_continue);
  ASSERT_NE(p.head.Find("content-type"), nullptr);
  EXPECT_EQ(*p.head.Find("content-type"), "multipart/form-data; boundary=b") << "trimmed, case kept";
  EXPECT_EQ(p.head.Find("Content-Type"), nullptr) << "names are looked up lower-cased";
  EXPECT_EQ(p.head.fields.size(), 3u);
}

TEST(HttpRequestHead, IncompleteUntilTheEmptyLineArrives) {
  std::string full = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_EQ(Parse(full.substr(0, n)).outcome, Outcome::kIncomplete) << n;
  EXPECT_EQ(Parse(full).outcome, Outcome::kComplete);
}

TEST(HttpRequestHead, AcceptsBareLineFeedsAndSkipsLeadingEmptyLines) {
  HttpHeadParse p = Parse("\r\n\nGET /x HTTP/1.0\nA: b\n\n");
  ASSERT_EQ(p.outcome, Outcome::kComplete) << p.error;
  EXPECT_EQ(p.head.path, "/x");
  EXPECT_EQ(p.head_bytes, std::string("\r\n\nGET /x HTTP/1.0\nA: b\n\n").size());
  EXPECT_EQ(*p.head.Find("a"), "b");
}

TEST(HttpRequestHead, KeepAliveFollowsVersionAndConnectionField) {
  EXPECT_TRUE(Parse("GET / HTTP/1.1\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.keep_alive);
}

TEST(HttpRequestHead, AbsoluteFormTargetKeepsThePath) {
  HttpHeadParse p = Parse("GET http://127.0.0.1:5000/api/key/k?a=b HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.outcome, Outcome::kComplete) << p.error;
  EXPECT_EQ(p.head.path, "/api/key/k");
  EXPECT_EQ(p.head.query, "a=b");
  EXPECT_EQ(Parse("GET http://host HTTP/1.1\r\n\r\n").head.path, "/");
}

TEST(HttpRequestHead, ExpectContinue) {
  HttpHeadParse p = Parse("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n");
  ASSERT_EQ(p.outcome, Outcome::kComplete);
  EXPECT_TRUE(p.head.expect_continue);
  ExpectRefused("POST / HTTP/1.1\r\nExpect: something-else\r\n\r\n", 417, "Expect:");
  // HTTP/1.0 knows no expectations: ignored, never answered with 100 or 417.
  HttpHeadParse old = Parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  ASSERT_EQ(old.outcome, Outcome::kComplete);
  EXPECT_FALSE(old.head.expect_continue);
  EXPECT_EQ(Parse("POST / HTTP/1.0\r\nExpect: something-else\r\n\r\n").outcome, Outcome::kComplete);
}

TEST(HttpRequestHead, RefusesMalformedRequestLines) {
  ExpectRefused("GET\r\n\r\n", 400, "request line: expected");
  ExpectRefused("GET /a\r\n\r\n", 400, "request line: expected");
  ExpectRefused("GET  /a HTTP/1.1\r\n\r\n", 400, "request line");
  ExpectRefused("GET /a HTTP/1.1 extra\r\n\r\n", 400, "request line: expected");
  ExpectRefused("G(T /a HTTP/1.1\r\n\r\n", 400, "method 'G(T' is not a token");
  ExpectRefused("GET a HTTP/1.1\r\n\r\n", 400, "does not start with '/'");
  ExpectRefused("GET /a\x01 HTTP/1.1\r\n\r\n", 400, "control character");
  ExpectRefused("GET /a HTTP/1.x\r\n\r\n", 400, "version 'HTTP/1.x'");
  ExpectRefused("GET /a FTP/1.1\r\n\r\n", 400, "version");
  ExpectRefused("GET /a HTTP/2.0\r\n\r\n", 505, "not supported");
  ExpectRefused("GET /a HTTP/1.2\r\n\r\n", 505, "not supported");
}

TEST(HttpRequestHead, RefusesMalformedFields) {
  ExpectRefused("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "has no ':'");
  ExpectRefused("GET / HTTP/1.1\r\nName : v\r\n\r\n", 400, "name 'Name ' is not a token");
  ExpectRefused("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, "obsolete line folding");
  ExpectRefused("GET / HTTP/1.1\r\nA: b\x01""c\r\n\r\n", 400, "A: value has a control character");
  ExpectRefused("GET / HTTP/1.1\r\n: v\r\n\r\n", 400, "is not a token");
}

TEST(HttpRequestHead, RefusesBadOrAmbiguousBodyLengths) {
  ExpectRefused("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length: '-1'");
  ExpectRefused("POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 400, "Content-Length");
  ExpectRefused("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 400, "Content-Length");
  ExpectRefused("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "Content-Length");
  ExpectRefused("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, "Content-Length");
  ExpectRefused("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400, "twice");
  HttpHeadParse same = Parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
  ASSERT_EQ(same.outcome, Outcome::kComplete);
  EXPECT_EQ(same.head.content_length, 5);
  ExpectRefused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, "send Content-Length");
  ExpectRefused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Transfer-Encoding: 'gzip'");
  ExpectRefused("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                "sent with Content-Length");
}

TEST(HttpRequestHead, RefusesHeadsOverTheLimitEvenBeforeTheyEnd) {
  std::string line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n";
  ExpectRefused(line.substr(0, 60), 414, "longer than 50 bytes", 50);
  ExpectRefused(line, 414, "request line", 50);
  std::string fields = "GET / HTTP/1.1\r\nA: " + std::string(100, 'b');
  ExpectRefused(fields, 431, "longer than 64 bytes in all", 64);
  // Exactly at the limit is fine.
  std::string exact = "GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(Parse(exact, exact.size()).outcome, Outcome::kComplete);
  EXPECT_EQ(Parse(exact, exact.size() - 1).outcome, Outcome::kRefused);
}

TEST(HttpRequestHead, MessagesQuoteWhatWasSentPrintably) {
  HttpHeadParse p = Parse("GET / HTTP/1.1\r\nContent-Length: \xff\xfe'\r\n\r\n");
  ASSERT_EQ(p.outcome, Outcome::kRefused);
  EXPECT_NE(p.error.find("'\\xff\\xfe\\x27'"), std::string::npos) << p.error;
}

}  // namespace
}  // namespace mcscale
