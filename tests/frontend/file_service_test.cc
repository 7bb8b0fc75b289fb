// Unit tests of FileService::Handle without sockets and without a cache (no pool client):
// uploads, reads, listing, clearing and every kind of bad input.
#include "frontend/file_service/file_service.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/harness/test_servers.h"

namespace mcscale {
namespace {

using testing::TempDir;

const std::string kBoundary = "----mcscaleTestBoundary7";

struct FormPart {
  FormPart(std::string n, std::string v, std::string f = "", std::string t = "")
      : name(std::move(n)), value(std::move(v)), filename(std::move(f)), content_type(std::move(t)) {}
  std::string name;
  std::string value;
  std::string filename;  // non-empty: a file part
  std::string content_type;
};

std::string FormBody(const std::vector<FormPart>& parts) {
  std::string body;
  for (const FormPart& p : parts) {
    body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) body += "; filename=\"" + p.filename + "\"";
    body += "\r\n";
    if (!p.content_type.empty()) body += "Content-Type: " + p.content_type + "\r\n";
    body += "\r\n" + p.value + "\r\n";
  }
  return body + "--" + kBoundary + "--\r\n";
}

class FileServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FileServiceOptions o;
    o.data_dir = dir_.path() + "/data";
    o.max_upload_bytes = 1000;
    auto s = FileService::Open(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    service_ = std::move(*s);
  }

  ServiceReply Call(const std::string& method, const std::string& path, const std::string& query = "",
                    const std::string& body = "", const std::string& type = "") {
    ServiceRequest r{method, path, query, type, body};
    return service_->Handle(r);
  }
  ServiceReply Upload(const std::vector<FormPart>& parts,
                      const std::string& type = "multipart/form-data; boundary=" + kBoundary) {
    body_ = FormBody(parts);
    return Call("POST", "/api/upload", "", body_, type);
  }
  size_t StoredFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path() + "/data/files"))
      if (e.is_regular_file()) ++n;
    return n;
  }
  static std::string ErrorOf(const ServiceReply& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "(not a JSON error: " + r.body + ")";
  }

  TempDir dir_;
  std::unique_ptr<FileService> service_;
  std::string body_;
};

TEST_F(FileServiceTest, UploadThenGetReturnsTheBytesAndContentType) {
  std::string png("\x89PNG\r\n\x1a\n\0\0", 10);
  auto up = Upload({{"key", "img/a.png"}, {"file", png, "a.png", "image/png"}});
  ASSERT_EQ(up.code, 200) << up.body;
  auto j = nlohmann::json::parse(up.body);
  EXPECT_EQ(j["size"], 10);
  EXPECT_EQ(j["replaced"], false);
  auto got = Call("GET", "/api/key/img%2Fa.png");
  ASSERT_EQ(got.code, 200) << got.body;
  EXPECT_EQ(got.body, png);
  EXPECT_EQ(got.content_type, "image/png");
  EXPECT_EQ(Call("GET", "/api/key/img/a.png").body, png) << "an unescaped slash names the same key";
  // No part content type: guessed from the file name, else octet-stream.
  ASSERT_EQ(Upload({{"key", "t"}, {"file", "hello", "notes.TXT"}}).code, 200);
  EXPECT_EQ(Call("GET", "/api/key/t").content_type, "text/plain");
  ASSERT_EQ(Upload({{"key", "u"}, {"file", "hello", "blob"}}).code, 200);
  EXPECT_EQ(Call("GET", "/api/key/u").content_type, "application/octet-stream");
}

TEST_F(FileServiceTest, ReuploadReplacesTheFileAndDeletesTheOldOne) {
  ASSERT_EQ(Upload({{"key", "k"}, {"file", "first", "f"}}).code, 200);
  auto second = Upload({{"key", "k"}, {"file", "second version", "f"}});
  ASSERT_EQ(second.code, 200);
  EXPECT_EQ(nlohmann::json::parse(second.body)["replaced"], true);
  EXPECT_EQ(Call("GET", "/api/key/k").body, "second version");
  EXPECT_EQ(StoredFiles(), 1u);
}

TEST_F(FileServiceTest, UnknownKeyIs404Json) {
  auto r = Call("GET", "/api/key/nope");
  EXPECT_EQ(r.code, 404);
  EXPECT_NE(ErrorOf(r).find("no file stored under 'nope'"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/nothing").code, 404);
  EXPECT_EQ(Call("POST", "/api/list_keys").code, 405);
}

TEST_F(FileServiceTest, EveryBadUploadIs400NamingTheProblemAndStoresNothing) {
  const std::string form = "multipart/form-data; boundary=" + kBoundary;
  struct Case {
    std::string what;
    std::vector<FormPart> parts;
    std::string type;
    std::string expect;
  } cases[] = {
      {"no key", {{"file", "x", "f"}}, form, "key: missing"},
      {"empty key", {{"key", ""}, {"file", "x", "f"}}, form, "key: missing or empty"},
      {"no file", {{"key", "k"}}, form, "file: missing"},
      {"empty file", {{"key", "k"}, {"file", "", "f"}}, form, "file: empty"},
      {"file over the limit", {{"key", "k"}, {"file", std::string(1001, 'x'), "f"}}, form, "over the limit of 1000"},
      {"long key", {{"key", std::string(251, 'k')}, {"file", "x", "f"}}, form, "key: 251 bytes, longer than 250"},
      {"key with a space", {{"key", "a b"}, {"file", "x", "f"}}, form, "key: whitespace"},
      {"key with a tab", {{"key", "a\tb"}, {"file", "x", "f"}}, form, "key: control character"},
      {"key with a newline", {{"key", "a\nb"}, {"file", "x", "f"}}, form, "key: control character"},
      {"key with DEL", {{"key", "a\x7f"}, {"file", "x", "f"}}, form, "key: control character"},
      {"key with a no-break space", {{"key", "a\xC2\xA0"}, {"file", "x", "f"}}, form, "key: whitespace"},
      {"key not UTF-8", {{"key", "a\xff"}, {"file", "x", "f"}}, form, "key: not valid UTF-8"},
      {"two keys", {{"key", "a"}, {"key", "b"}, {"file", "x", "f"}}, form, "key: given more than once"},
      {"not multipart", {{"key", "k"}, {"file", "x", "f"}}, "application/json", "Content-Type: expected multipart"},
      {"no boundary", {{"key", "k"}, {"file", "x", "f"}}, "multipart/form-data", "Content-Type: no boundary"},
      {"wrong boundary", {{"key", "k"}, {"file", "x", "f"}}, "multipart/form-data; boundary=other", "body: "},
  };
  for (const Case& c : cases) {
    auto r = Upload(c.parts, c.type);
    EXPECT_EQ(r.code, 400) << c.what << ": " << r.body;
    EXPECT_NE(ErrorOf(r).find(c.expect), std::string::npos) << c.what << ": " << ErrorOf(r);
  }
  // A body cut short (no closing boundary).
  std::string cut = FormBody({{"key", "k"}, {"file", "xyz", "f"}});
  cut.resize(cut.size() - 12);
  auto r = Call("POST", "/api/upload", "", cut, form);
  EXPECT_EQ(r.code, 400);
  EXPECT_NE(ErrorOf(r).find("body: "), std::string::npos) << ErrorOf(r);
  EXPECT_EQ(StoredFiles(), 0u);
  EXPECT_EQ(nlohmann::json::parse(Call("GET", "/api/list_keys").body)["total"], 0);
  // Reads validate the key the same way.
  EXPECT_EQ(Call("GET", "/api/key/" + std::string(251, 'k')).code, 400);
  EXPECT_EQ(Call("GET", "/api/key/a%20b").code, 400);
  EXPECT_EQ(Call("GET", "/api/key/a%2").code, 400);
  EXPECT_EQ(Call("GET", "/api/key/").code, 400);
}

TEST_F(FileServiceTest, CheckKeyAcceptsUtf8AndPunctuation) {
  EXPECT_TRUE(FileService::CheckKey("photos/2024/cat-1.png").ok());
  EXPECT_TRUE(FileService::CheckKey("\xE7\x8C\xAB.png").ok());  // 猫.png
  EXPECT_TRUE(FileService::CheckKey(std::string(250, 'k')).ok());
  EXPECT_FALSE(FileService::CheckKey("\xE2\x80\x83").ok());     // em space
  EXPECT_FALSE(FileService::CheckKey("\xC0\xAF").ok());         // overlong '/'
}

TEST_F(FileServiceTest, ListKeysPagesWithSizeTypeAndTime) {
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(Upload({{"key", "k" + std::to_string(i)}, {"file", std::string(i + 1, 'x'), "f.png"}}).code, 200);
  auto j = nlohmann::json::parse(Call("GET", "/api/list_keys", "offset=1&limit=2").body);
  EXPECT_EQ(j["total"], 5);
  ASSERT_EQ(j["keys"].size(), 2u);
  EXPECT_EQ(j["keys"][0]["key"], "k1");
  EXPECT_EQ(j["keys"][0]["size"], 2);
  EXPECT_EQ(j["keys"][0]["content_type"], "image/png");
  EXPECT_TRUE(j["keys"][0]["uploaded"].get<std::string>().find('T') != std::string::npos);
  EXPECT_EQ(Call("GET", "/api/list_keys", "limit=0").code, 400);
  EXPECT_EQ(Call("GET", "/api/list_keys", "offset=-1").code, 400);
  EXPECT_EQ(Call("GET", "/api/list_keys", "limit=abc").code, 400);
}

TEST_F(FileServiceTest, ClearDataDeletesEveryFileAndRow) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Upload({{"key", "k" + std::to_string(i)}, {"file", "x", "f"}}).code, 200);
  EXPECT_EQ(StoredFiles(), 3u);
  auto r = Call("DELETE", "/api/clear/data");
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["files_deleted"], 3);
  EXPECT_EQ(StoredFiles(), 0u);
  EXPECT_EQ(Call("GET", "/api/key/k0").code, 404);
  EXPECT_EQ(Call("DELETE", "/api/clear/cache").code, 200);
  EXPECT_EQ(Call("GET", "/api/clear/data").code, 405);
}

TEST_F(FileServiceTest, PageHealthAndMetrics) {
  auto page = Call("GET", "/");
  EXPECT_EQ(page.code, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<form id=\"upload\""), std::string::npos);
  EXPECT_EQ(page.body.find("http://"), std::string::npos) << "the page loads nothing from elsewhere";
  EXPECT_EQ(Call("GET", "/healthz").code, 200);
  ASSERT_EQ(Upload({{"key", "k"}, {"file", "abc", "f"}}).code, 200);
  Call("GET", "/api/key/k");
  auto m = Call("GET", "/metrics");
  EXPECT_NE(m.body.find("mcscale_files_bytes_served_total 3"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("mcscale_files_requests_total{route=\"get\",code=\"200\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("mcscale_files_cache_bypass_total 1"), std::string::npos);
}

}  // namespace
}  // namespace mcscale
