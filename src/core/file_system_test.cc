#include "core/file_system.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

namespace warden {
namespace {

class FileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/warden-fs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
  FileSystem& fs_ = FileSystem::Default();
};

TEST_F(FileSystemTest, AtomicWriteReplacesAndIsPrivate) {
  std::string path = dir_ + "/f";
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "one").ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "two").ok());
  EXPECT_EQ(*fs_.ReadFile(path), "two");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs_.Exists(path + ".tmp"));
}

TEST_F(FileSystemTest, MissingFileIsNotFound) {
  EXPECT_EQ(fs_.ReadFile(dir_ + "/nope").status().code(), StatusCode::kNotFound);
}

TEST_F(FileSystemTest, AppendAndList) {
  ASSERT_TRUE(fs_.CreateDirs(dir_ + "/a/b").ok());
  auto file = fs_.OpenAppendable(dir_ + "/a/b/log");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("x").ok());
  ASSERT_TRUE((*file)->Append("y").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(*fs_.ReadFile(dir_ + "/a/b/log"), "xy");
  EXPECT_EQ(*fs_.ListDir(dir_ + "/a/b"), std::vector<std::string>{"log"});
}

TEST_F(FileSystemTest, RandomAccessReadsAtAnyOffsetAndStopsAtTheEnd) {
  std::string path = dir_ + "/f";
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "0123456789").ok());
  auto file = fs_.OpenRandomAccess(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::string out = ">";
  EXPECT_EQ(*(*file)->ReadAt(3, 4, out), 4u);
  EXPECT_EQ(*(*file)->ReadAt(8, 100, out), 2u);
  EXPECT_EQ(*(*file)->ReadAt(10, 5, out), 0u);
  EXPECT_EQ(out, ">345689");
  EXPECT_EQ((*file)->Stat()->size, 10u);
  EXPECT_EQ(fs_.OpenRandomAccess(dir_ + "/nope").status().code(), StatusCode::kNotFound);
}

TEST_F(FileSystemTest, StatAndTruncate) {
  std::string path = dir_ + "/f";
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "0123456789").ok());
  StatusOr<FileInfo> info = fs_.Stat(path);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 10u);
  EXPECT_GT(info->mtime_ns, int64_t{1'600'000'000} * 1'000'000'000);
  ASSERT_TRUE(fs_.Truncate(path, 4).ok());
  EXPECT_EQ(*fs_.ReadFile(path), "0123");
  EXPECT_EQ(fs_.Stat(dir_ + "/nope").status().code(), StatusCode::kNotFound);
}

TEST_F(FileSystemTest, InjectedFailureLeavesOldContents) {
  FaultInjectingFileSystem faulty(fs_);
  std::string path = dir_ + "/f";
  ASSERT_TRUE(faulty.WriteFileAtomic(path, "old", 0600).ok());
  auto file = faulty.OpenAppendable(dir_ + "/log", 0600);
  ASSERT_TRUE(file.ok());
  faulty.SetWritesFail(true);
  EXPECT_EQ(faulty.WriteFileAtomic(path, "new", 0600).code(), StatusCode::kUnavailable);
  EXPECT_EQ((*file)->Append("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ((*file)->Sync().code(), StatusCode::kUnavailable);
  EXPECT_EQ(faulty.Truncate(path, 1).code(), StatusCode::kUnavailable);
  EXPECT_EQ(*faulty.ReadFile(path), "old");
  faulty.SetWritesFail(false);
  EXPECT_TRUE((*file)->Append("x").ok());
}

}  // namespace
}  // namespace warden
