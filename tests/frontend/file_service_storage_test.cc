// Unit tests of the file service's storage: FileStore (files on disk) and FileIndex (SQLite).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "frontend/file_service/file_index.h"
#include "frontend/file_service/file_store.h"
#include "tests/harness/test_servers.h"

namespace mcscale {
namespace {

using testing::TempDir;

size_t CountFiles(const std::string& dir) {
  size_t n = 0;
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) ++n;
  return n;
}

TEST(FileStore, WritesUnderHashNamesAndReadsBack) {
  TempDir dir;
  auto store = FileStore::Open(dir.path() + "/data");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::string bytes("binary\0data", 11);
  std::string digest = Sha256Hex({"text/plain", "\n", bytes});
  EXPECT_EQ(digest.size(), 64u);
  auto a = (*store)->Write(bytes, digest);
  auto b = (*store)->Write(bytes, digest);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b) << "every upload gets a file of its own";
  EXPECT_EQ(a->substr(0, 3), digest.substr(0, 2) + "/");
  EXPECT_EQ(*(*store)->Read(*a), bytes);
  EXPECT_EQ(CountFiles(dir.path() + "/data/files"), 2u);
  EXPECT_EQ(CountFiles(dir.path() + "/data/tmp"), 0u);
  ASSERT_TRUE((*store)->Remove(*a).ok());
  ASSERT_TRUE((*store)->Remove(*a).ok()) << "removing twice is fine";
  EXPECT_EQ((*store)->Read(*a).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(*(*store)->Read(*b), bytes);
}

TEST(FileStore, RefusesNamesItDidNotMake) {
  TempDir dir;
  auto store = FileStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  for (const char* name : {"../../etc/passwd", "/etc/passwd", "ab/../../x", "", "ab/cd"}) {
    EXPECT_EQ((*store)->Read(name).status().code(), Status::Code::kInvalid) << name;
    EXPECT_EQ((*store)->Remove(name).code(), Status::Code::kInvalid) << name;
  }
  EXPECT_FALSE((*store)->Write("x", "../evil").ok());
}

TEST(FileStore, SweepsOldTempFilesOnly) {
  TempDir dir;
  auto store = FileStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  std::ofstream(dir.path() + "/tmp/old.part") << "x";
  std::ofstream(dir.path() + "/tmp/new.part") << "x";
  std::ofstream(dir.path() + "/tmp/other") << "x";
  auto old_time = std::filesystem::file_time_type::clock::now() - std::chrono::hours(2);
  std::filesystem::last_write_time(dir.path() + "/tmp/old.part", old_time);
  EXPECT_EQ((*store)->SweepTemp(3600), 1);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/tmp/old.part"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/tmp/new.part"));
}

FileRecord Record(const std::string& key, const std::string& file) {
  FileRecord r;
  r.key = key;
  r.file = file;
  r.size = 3;
  r.content_type = "image/png";
  r.digest = std::string(64, 'a');
  r.uploaded_ms = 1700000000123;
  return r;
}

TEST(FileIndex, PutReplacesAtomicallyAndReturnsTheOldRow) {
  TempDir dir;
  auto index = FileIndex::Open(dir.path() + "/index.sqlite");
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  FileRecord a = Record("k", "f1");
  auto old = (*index)->Put(&a);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->has_value());
  FileRecord b = Record("k", "f2");
  old = (*index)->Put(&b);
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_EQ((**old).file, "f1");
  EXPECT_GT(b.version, a.version);
  auto got = (*index)->Get("k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((**got).file, "f2");
  EXPECT_EQ((**got).version, b.version);
  EXPECT_EQ((**got).uploaded_ms, 1700000000123);
  EXPECT_FALSE((*(*index)->Get("missing")).has_value());
}

TEST(FileIndex, ListsPagesInKeyOrderAndClears) {
  TempDir dir;
  auto index = FileIndex::Open(dir.path() + "/index.sqlite");
  ASSERT_TRUE(index.ok());
  for (int i = 9; i >= 0; --i) {
    FileRecord r = Record("key-" + std::to_string(i), "f" + std::to_string(i));
    ASSERT_TRUE((*index)->Put(&r).ok());
  }
  auto page = (*index)->List(3, 4);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 10);
  ASSERT_EQ(page->records.size(), 4u);
  EXPECT_EQ(page->records[0].key, "key-3");
  EXPECT_EQ(page->records[3].key, "key-6");
  EXPECT_EQ((*index)->List(8, 100)->records.size(), 2u);
  FileRecord later = Record("later", "fl");
  later.uploaded_ms += 1000;
  ASSERT_TRUE((*index)->Put(&later).ok());
  auto until = (*index)->Clear(later.uploaded_ms - 1);
  ASSERT_TRUE(until.ok());
  EXPECT_EQ(until->size(), 10u) << "rows uploaded until the given time only";
  EXPECT_EQ(*(*index)->Count(), 1);
  auto cleared = (*index)->Clear();
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->size(), 1u);
  EXPECT_EQ(*(*index)->Count(), 0);
}

TEST(FileIndex, UsesWalAndTwoConnectionsSeeEachOthersCommits) {
  TempDir dir;
  std::string path = dir.path() + "/index.sqlite";
  auto a = FileIndex::Open(path);
  auto b = FileIndex::Open(path);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
  // Two writers racing on one key: every Put succeeds (the busy timeout waits out the
  // other's write lock) and versions never repeat.
  std::vector<int64_t> versions_a, versions_b;
  auto writer = [](FileIndex* index, const std::string& file, std::vector<int64_t>* versions) {
    for (int i = 0; i < 100; ++i) {
      FileRecord r = Record("same", file);
      ASSERT_TRUE(index->Put(&r).ok());
      versions->push_back(r.version);
    }
  };
  std::thread ta(writer, a->get(), "fa", &versions_a);
  std::thread tb(writer, b->get(), "fb", &versions_b);
  ta.join();
  tb.join();
  std::set<int64_t> all(versions_a.begin(), versions_a.end());
  all.insert(versions_b.begin(), versions_b.end());
  EXPECT_EQ(all.size(), 200u);
  EXPECT_EQ(*(*a)->Count(), 1);
  auto last = (*b)->Get("same");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((**last).version, *all.rbegin());
}

}  // namespace
}  // namespace mcscale
