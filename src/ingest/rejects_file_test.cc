#include "ingest/rejects_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "store/store_test_util.h"

namespace warden::ingest {
namespace {

class RejectsFileTest : public ::testing::Test {
 protected:
  std::string Contents() { return *fs_.ReadFile(path_); }

  ScratchDir scratch_;
  const std::string dir_ = scratch_.path();
  const std::string path_ = dir_ + "/rejects.jsonl";
  FileSystem& fs_ = FileSystem::Default();
};

TEST_F(RejectsFileTest, LinesReachTheFileAtSyncAndTheFileIsPrivate) {
  RejectsFile rejects;
  ASSERT_TRUE(rejects.Open(fs_, path_, 0).ok());
  rejects.Add("one\n");
  EXPECT_EQ(rejects.size(), 4u);
  EXPECT_EQ(Contents(), "");
  ASSERT_TRUE(rejects.Sync().ok());
  EXPECT_EQ(Contents(), "one\n");
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(RejectsFileTest, AResumedImportCutsWhatAStoppedRunWroteAfterItsProgress) {
  ASSERT_TRUE(fs_.WriteFileAtomic(path_, "kept\nwritten after the marker\n").ok());
  RejectsFile rejects;
  ASSERT_TRUE(rejects.Open(fs_, path_, 5).ok());
  EXPECT_EQ(rejects.size(), 5u);
  rejects.Add("next\n");
  ASSERT_TRUE(rejects.Sync().ok());
  EXPECT_EQ(Contents(), "kept\nnext\n");
}

TEST_F(RejectsFileTest, AFileShorterThanTheRecordedProgressIsDataLoss) {
  ASSERT_TRUE(fs_.WriteFileAtomic(path_, "abc").ok());
  RejectsFile rejects;
  Status s = rejects.Open(fs_, path_, 10);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.reason(), "rejects_truncated");
}

TEST_F(RejectsFileTest, AFailedWriteNamesTheRejectsFileAndLeavesTheSyncedLines) {
  FaultInjectingFileSystem faulty(fs_);
  RejectsFile rejects;
  ASSERT_TRUE(rejects.Open(faulty, path_, 0).ok());
  rejects.Add("synced\n");
  ASSERT_TRUE(rejects.Sync().ok());
  faulty.SetWritesFail(true);
  rejects.Add("lost\n");
  Status s = rejects.Sync();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("rejects file"), std::string::npos) << s.message();
  EXPECT_EQ(Contents(), "synced\n");
  EXPECT_EQ(rejects.size(), 7u);
  faulty.SetWritesFail(false);
  rejects.Add("later\n");
  ASSERT_TRUE(rejects.Sync().ok());
  EXPECT_EQ(Contents(), "synced\nlater\n");
}

TEST_F(RejectsFileTest, OpeningWhereNothingCanBeWrittenFails) {
  FaultInjectingFileSystem faulty(fs_);
  faulty.SetWritesFail(true);
  RejectsFile rejects;
  Status s = rejects.Open(faulty, path_, 0);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("rejects file"), std::string::npos) << s.message();
  EXPECT_EQ(rejects.Open(fs_, dir_ + "/missing/rejects.jsonl", 0).code(), StatusCode::kNotFound);
}

TEST_F(RejectsFileTest, RewindDropsUnsyncedLinesAndCutsBack) {
  RejectsFile rejects;
  ASSERT_TRUE(rejects.Open(fs_, path_, 0).ok());
  rejects.Add("a\nb\n");
  ASSERT_TRUE(rejects.Sync().ok());
  rejects.Add("c\n");
  ASSERT_TRUE(rejects.Rewind(2).ok());
  EXPECT_EQ(rejects.size(), 2u);
  EXPECT_EQ(Contents(), "a\n");
  ASSERT_TRUE(rejects.Rewind(100).ok());  // never past what was synced
  EXPECT_EQ(rejects.size(), 2u);
}

}  // namespace
}  // namespace warden::ingest
