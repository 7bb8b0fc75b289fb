// Unit tests of the file service's multipart/form-data parser (no sockets).
#include "frontend/file_service/multipart_parser.h"

#include <gtest/gtest.h>

namespace mcscale {
namespace {

std::string Form(const std::string& boundary, const std::vector<std::string>& parts) {
  std::string body;
  for (const std::string& p : parts) body += "--" + boundary + "\r\n" + p + "\r\n";
  return body + "--" + boundary + "--\r\n";
}

TEST(MultipartParser, BoundaryComesFromTheContentType) {
  EXPECT_EQ(*MultipartParser::BoundaryOf("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(*MultipartParser::BoundaryOf("Multipart/Form-Data;boundary=\"a b:c\""), "a b:c");
  EXPECT_EQ(*MultipartParser::BoundaryOf("multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundaryx"),
            "----WebKitFormBoundaryx");
  for (const char* bad : {"application/json", "multipart/form-data", "multipart/form-data; boundary=",
                          "multipart/form-data; boundary=\"unterminated", "multipart/mixed; boundary=x",
                          "multipart/form-data; boundary=a{b}", ""}) {
    auto r = MultipartParser::BoundaryOf(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().rfind("Content-Type: ", 0), 0u) << r.status().message();
    }
  }
  EXPECT_FALSE(MultipartParser::BoundaryOf("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
}

TEST(MultipartParser, ParsesFieldsAndFilesWithBinaryData) {
  std::string binary("\x00\x01\r\n--not-it\r\n\xff", 15);
  std::string body = Form("XyZ", {"Content-Disposition: form-data; name=\"key\"\r\n\r\nphotos/cat.png",
                                  "Content-Disposition: form-data; name=\"file\"; filename=\"cat.png\"\r\n"
                                  "Content-Type: image/png\r\n\r\n" + binary});
  auto parts = MultipartParser("XyZ").Parse(body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "key");
  EXPECT_EQ((*parts)[0].data, "photos/cat.png");
  EXPECT_FALSE((*parts)[0].has_filename);
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_TRUE((*parts)[1].has_filename);
  EXPECT_EQ((*parts)[1].filename, "cat.png");
  EXPECT_EQ((*parts)[1].content_type, "image/png");
  EXPECT_EQ((*parts)[1].data, binary);
}

TEST(MultipartParser, ToleratesPreamblePaddingEpilogueAndEmptyValues) {
  std::string body = "preamble text\r\n--b  \r\nContent-Disposition: form-data; name=k\r\n\r\n\r\n--b--\r\nepilogue";
  auto parts = MultipartParser("b").Parse(body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "k");
  EXPECT_TRUE((*parts)[0].data.empty());
  auto none = MultipartParser("b").Parse("--b--\r\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(MultipartParser, QuotedParametersKeepEscapes) {
  std::string body = Form("b", {"content-disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\"; b.txt\"\r\n\r\nx"});
  auto parts = MultipartParser("b").Parse(body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ((*parts)[0].filename, "a \"q\"; b.txt");
}

TEST(MultipartParser, RejectsMalformedBodiesNamingTheProblem) {
  const std::string cd = "Content-Disposition: form-data; name=\"key\"\r\n\r\n";
  struct Case {
    std::string body;
    std::string expect;
  } cases[] = {
      {"", "no opening boundary"},
      {"just some bytes", "no opening boundary"},
      {"--b\r\n" + cd + "value without a closing boundary", "not closed by a boundary"},
      {"--b\r\n" + cd + "v\r\n--b", "malformed boundary line"},
      {"--bx\r\n" + cd + "v\r\n--b--", "malformed boundary line"},
      {"--b\r\nContent-Disposition: form-data; name=\"key\"\r\nno end of headers", "not terminated"},
      {"--b\r\n\r\nv\r\n--b--", "no Content-Disposition"},
      {"--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--", "no Content-Disposition"},
      {"--b\r\nContent-Disposition: attachment; name=\"key\"\r\n\r\nv\r\n--b--", "not form-data"},
      {"--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--", "no field name"},
      {"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--b--", "unterminated quoted string"},
      {"--b\r\nbroken header line\r\n\r\nv\r\n--b--", "malformed part header line"},
      {"--b\r\nContent-Disposition: form-data; name=k\r\n folded\r\n\r\nv\r\n--b--", "folded"},
      {"--b\r\n" + std::string(9000, 'x') + ": y\r\n\r\nv\r\n--b--", "longer than 8192"},
  };
  for (const Case& c : cases) {
    auto r = MultipartParser("b").Parse(c.body);
    ASSERT_FALSE(r.ok()) << c.body.substr(0, 80);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().rfind("body: ", 0), 0u) << r.status().message();
  }
}

TEST(MultipartParser, LimitsTheNumberOfParts) {
  std::vector<std::string> parts(17, "Content-Disposition: form-data; name=\"x\"\r\n\r\nv");
  auto r = MultipartParser("b").Parse(Form("b", parts));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("more than 16 parts"), std::string::npos);
  parts.resize(16);
  EXPECT_TRUE(MultipartParser("b").Parse(Form("b", parts)).ok());
}

TEST(MultipartParser, ResultDoesNotDependOnWhereTheBodyIsCut) {
  // Every prefix of a valid body is either rejected or (at its end) the whole form: the
  // parser never reads past the buffer it is given and never accepts half a form.
  std::string body = Form("q", {"Content-Disposition: form-data; name=\"key\"\r\n\r\nk1",
                                "Content-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n0123456789"});
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = MultipartParser("q").Parse(std::string_view(body).substr(0, n));
    if (r.ok()) {
      EXPECT_GE(n, body.size() - 2) << "prefix " << n << " accepted";
    }
  }
  EXPECT_TRUE(MultipartParser("q").Parse(body).ok());
}

}  // namespace
}  // namespace mcscale
