// The offline import against an in-memory store, with faults injected into
// the rejects file and into the store: a run that fails stops with a clear
// error and leaves exactly its committed part (records, progress marker and
// the rejects of those rows), and a re-run completes it without losing or
// repeating a row.
#include "ingest/bulk_import.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "schema/generator.h"
#include "store/memory_store.h"
#include "store/store_test_util.h"

namespace warden::ingest {
namespace {

using nlohmann::json;

constexpr int kRows = 400;
constexpr int kEveryBad = 5;  // rows 0, 5, 10, ... carry a wrong check character

class BulkImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty());
    auto services = node::OpenServices(store_, schema_, SecretBytes::Random(32), clock_, {},
                                       /*create=*/true);
    ASSERT_TRUE(services.ok()) << services.status().ToString();
    services_ = *services;

    std::string text(schema::CsvHeaderOf("persons"));
    schema::PersonGenerator gen(17);
    schema::PersonRecord p;
    for (int i = 0; i < kRows; ++i) {
      gen.Next(p);
      if (i % kEveryBad == 0) {
        p.national_id.back() = p.national_id.back() == '0' ? '1' : '0';
        bad_lines_.insert(static_cast<uint64_t>(i) + 2);  // after the header, 1-based
      }
      p.AppendCsv(text);
    }
    ASSERT_TRUE(FileSystem::Default().WriteFileAtomic(input(), text).ok());

    options_.input_path = input();
    options_.collection = "persons";
    options_.rejects_path = dir_ + "/rejects.jsonl";
    options_.workers = 2;
    options_.unit_bytes = 4096;  // about 16 rows
    options_.commit_bytes = 1;   // a commit after every unit
  }

  std::string input() const { return dir_ + "/persons.csv"; }

  StatusOr<ImportSummary> Import(FileSystem& fs = FileSystem::Default()) {
    return RunBulkImport(store_, schema_, *services_, clock_, options_, fs);
  }

  uint64_t StoredPersons() {
    auto rows = store_.Scan(Space::kRecords, "persons/", PrefixEnd("persons/"), 100000);
    return rows.ok() ? rows->size() : 0;
  }

  // The progress marker of the import, as stored.
  json Marker() {
    auto markers = store_.Scan(Space::kMeta, "import/", PrefixEnd("import/"), 10);
    if (!markers.ok() || markers->size() != 1) return json();
    return json::parse(markers->front().value);
  }

  // The line numbers in the rejects file; fails the test on a line that is
  // not a whole rejects line.
  std::multiset<uint64_t> RejectedLines() {
    std::multiset<uint64_t> lines;
    std::string text = *FileSystem::Default().ReadFile(options_.rejects_path);
    EXPECT_TRUE(text.empty() || text.ends_with('\n')) << "a rejects line is cut short";
    for (size_t at = 0; at < text.size();) {
      size_t end = text.find('\n', at);
      json j = json::parse(text.substr(at, end - at), nullptr, /*allow_exceptions=*/false);
      EXPECT_TRUE(j.is_object()) << text.substr(at, end - at);
      if (j.is_object()) lines.insert(j["line"].get<uint64_t>());
      at = end + 1;
    }
    return lines;
  }

  // What a stopped run left must be exactly its committed part.
  void ExpectOnlyTheCommittedPart() {
    json marker = Marker();
    ASSERT_TRUE(marker.is_object()) << "no progress marker: nothing was committed";
    EXPECT_FALSE(marker["complete"].get<bool>());
    const uint64_t next_line = marker["line"];
    EXPECT_GT(next_line, 2u);
    EXPECT_LT(next_line, static_cast<uint64_t>(kRows) + 2);
    EXPECT_EQ(StoredPersons(), marker["imported"].get<uint64_t>());
    EXPECT_EQ(FileSystem::Default().Stat(options_.rejects_path)->size,
              marker["rejects_bytes"].get<uint64_t>());
    std::multiset<uint64_t> committed_bad;
    for (uint64_t line : bad_lines_) {
      if (line < next_line) committed_bad.insert(line);
    }
    EXPECT_EQ(RejectedLines(), committed_bad);
  }

  void ExpectEveryRowOnce(const ImportSummary& summary) {
    EXPECT_EQ(summary.counts.read, static_cast<uint64_t>(kRows));
    EXPECT_EQ(summary.counts.rejected, bad_lines_.size());
    EXPECT_EQ(summary.counts.imported, kRows - bad_lines_.size());
    EXPECT_EQ(StoredPersons(), kRows - bad_lines_.size());
    EXPECT_EQ(RejectedLines(), std::multiset<uint64_t>(bad_lines_.begin(), bad_lines_.end()));
    EXPECT_TRUE(Marker()["complete"].get<bool>());
  }

  ScratchDir scratch_;
  const std::string dir_ = scratch_.path();
  MemoryStore store_;
  const schema::Schema& schema_ = schema::Schema::Registry();
  FakeClock clock_{1'717'200'000'000'000};  // 2024-06-01
  std::shared_ptr<node::UnsealedServices> services_;
  std::set<uint64_t> bad_lines_;
  BulkImportOptions options_;
};

TEST_F(BulkImportTest, GoodRowsAreStoredAndBadOnesRejectedWithTheirLines) {
  StatusOr<ImportSummary> summary = Import();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_GT(summary->commits, 10u);
  ExpectEveryRowOnce(*summary);
}

TEST_F(BulkImportTest, AFailedRejectsWriteStopsTheImportWithOnlyItsCommittedPartLeft) {
  FaultInjectingFileSystem faulty(FileSystem::Default());
  int units = 0;
  options_.on_progress = [&](const ImportProgress&) {
    if (++units == 3) faulty.SetWritesFail(true);  // the 4th unit's commit fails
  };
  StatusOr<ImportSummary> failed = Import(faulty);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("writing the rejects file"), std::string::npos)
      << failed.status().message();
  ExpectOnlyTheCommittedPart();

  faulty.SetWritesFail(false);
  options_.on_progress = nullptr;
  StatusOr<ImportSummary> resumed = Import(faulty);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_GT(resumed->resumed_at_line, 2u);
  ExpectEveryRowOnce(*resumed);
}

TEST_F(BulkImportTest, AFailedStoreWriteStopsTheImportWithOnlyItsCommittedPartLeft) {
  int units = 0;
  options_.on_progress = [&](const ImportProgress&) {
    if (++units == 3) store_.SetWritesFail(true);
  };
  StatusOr<ImportSummary> failed = Import();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  // The rejects of the unit whose commit failed were synced before the store
  // refused it; the stopped run cut them off again.
  store_.SetWritesFail(false);
  ExpectOnlyTheCommittedPart();

  options_.on_progress = nullptr;
  StatusOr<ImportSummary> resumed = Import();
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ExpectEveryRowOnce(*resumed);
}

TEST_F(BulkImportTest, ARejectsFileThatCannotBeOpenedStopsBeforeAnythingIsWritten) {
  FaultInjectingFileSystem faulty(FileSystem::Default());
  faulty.SetWritesFail(true);
  StatusOr<ImportSummary> failed = Import(faulty);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("rejects file"), std::string::npos)
      << failed.status().message();
  EXPECT_EQ(StoredPersons(), 0u);
  EXPECT_TRUE(Marker().is_null());
}

TEST_F(BulkImportTest, AMissingInputIsNotFound) {
  options_.input_path = dir_ + "/nope.csv";
  StatusOr<ImportSummary> failed = Import();
  EXPECT_EQ(failed.status().code(), StatusCode::kNotFound);
  EXPECT_NE(failed.status().message().find("input file"), std::string::npos);
}

}  // namespace
}  // namespace warden::ingest
