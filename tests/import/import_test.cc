// End-to-end tests of the offline `warden import`: rejects (G9), duplicate
// policies, and resuming after kill -9 without losing or duplicating a row.
#include <gtest/gtest.h>

#include <chrono>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "import_test_util.h"
#include "schema/record.h"

namespace warden::import_test {
namespace {

using nlohmann::json;

struct ExpectedReject {
  std::string field;
  std::string rule;  // empty: any rule
};

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_ / "data";
    key_ = dir_ / "dev.key";
    RunResult init = InitDevDataDir(data_, key_);
    ASSERT_EQ(init.exit_code, 0) << init.output;
  }

  RunResult Import(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"import",  "--data",  data_, "--collection",
                                     "persons", "--quiet", file};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunWarden(args);
  }

  TempDir dir_;
  std::string data_;
  std::string key_;
};

std::string Csv(const schema::PersonRecord& p) {
  std::string out;
  p.AppendCsv(out);
  return out;
}

// Replaces the cell `column` (0-based, unquoted cells only) of a CSV line.
std::string WithCell(std::string line, int column, const std::string& value) {
  size_t start = 0;
  for (int i = 0; i < column; ++i) start = line.find(',', start) + 1;
  size_t end = line.find(',', start);
  if (end == std::string::npos) end = line.find('\n', start);
  return line.replace(start, end - start, value);
}

TEST_F(ImportTest, EveryKindOfBadRowIsRejectedWithLineFieldAndRule) {
  schema::PersonGenerator gen(11);
  std::vector<schema::PersonRecord> good(40);
  for (size_t i = 0; i < good.size(); ++i) gen.At(i, good[i]);
  auto bad = [&](size_t i) {
    schema::PersonRecord p;
    gen.At(1000 + i, p);
    return p;
  };

  std::string text(schema::CsvHeaderOf("persons"));
  uint64_t line = 1;
  std::map<uint64_t, ExpectedReject> expected;
  size_t next_good = 0;
  auto add_good = [&] {
    text += Csv(good[next_good++]);
    ++line;
  };
  auto add_bad = [&](const std::string& row, ExpectedReject why) {
    expected[line + 1] = why;  // a row is reported at the line it starts on
    text += row;
    line += static_cast<uint64_t>(std::count(row.begin(), row.end(), '\n'));
  };

  add_good();
  {  // a wrong check character
    schema::PersonRecord p = bad(0);
    char& c = p.national_id.back();
    c = c == '1' ? '2' : '1';
    add_bad(Csv(p), {"national_id", "checksum"});
  }
  add_good();
  {  // too short
    schema::PersonRecord p = bad(1);
    add_bad(WithCell(Csv(p), 0, "11010519491231"), {"national_id", "length"});
  }
  {  // birth date disagrees with the number
    schema::PersonRecord p = bad(2);
    add_bad(WithCell(Csv(p), 3, "1901-01-01"), {"birth_date", "national_id_mismatch"});
  }
  add_good();
  {  // gender disagrees with the number
    schema::PersonRecord p = bad(3);
    add_bad(WithCell(Csv(p), 2, p.gender == "male" ? "female" : "male"),
            {"gender", "national_id_mismatch"});
  }
  {  // not a phone number
    schema::PersonRecord p = bad(4);
    add_bad(WithCell(Csv(p), 8, "12345"), {"phones[0]", ""});
  }
  add_good();
  {  // a required field missing
    schema::PersonRecord p = bad(5);
    add_bad(WithCell(Csv(p), 1, ""), {"name", "required"});
  }
  {  // a name too long
    schema::PersonRecord p = bad(6);
    add_bad(WithCell(Csv(p), 1, std::string(70, 'A')), {"name", "length"});
  }
  {  // not a number
    schema::PersonRecord p = bad(7);
    add_bad(WithCell(Csv(p), 9, "tall"), {"height_cm", ""});
  }
  add_good();
  {  // not one of the enum's values
    schema::PersonRecord p = bad(8);
    add_bad(WithCell(Csv(p), 10, "wizardry"), {"education", "enum"});
  }
  {  // a division code that does not exist
    schema::PersonRecord p = bad(9);
    add_bad(WithCell(Csv(p), 5, "999999"), {"birthplace", ""});
  }
  {  // too few cells
    add_bad("110105194912310021,Zhang\n", {"", "bad_record"});
  }
  add_good();
  {  // a stray quote
    schema::PersonRecord p = bad(10);
    add_bad(WithCell(Csv(p), 4, "Ha\"n"), {"", "bad_record"});
  }
  text += "\n";  // a blank line is not a row
  ++line;
  {  // the same key as an earlier good row
    add_bad(Csv(good[0]), {"national_id", "duplicate_key"});
  }
  while (next_good < good.size() - 1) add_good();
  {  // a quoted cell that spans lines and then is never closed
    schema::PersonRecord p = bad(11);
    add_bad(WithCell(Csv(p), 6, "\"Room 1\nRoom 2"), {"", "bad_record"});
  }
  const std::string file = dir_ / "persons.csv";
  WriteAll(file, text);

  RunResult r = Import(file, {"--rejects", dir_ / "rejects.jsonl"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const uint64_t good_rows = next_good;
  EXPECT_NE(r.output.find("read " + std::to_string(good_rows + expected.size()) + ", imported " +
                          std::to_string(good_rows) + ", replaced 0, rejected " +
                          std::to_string(expected.size())),
            std::string::npos)
      << r.output;

  std::vector<json> rejects = ReadRejects(dir_ / "rejects.jsonl");
  ASSERT_EQ(rejects.size(), expected.size());
  std::set<uint64_t> seen;
  for (const json& j : rejects) {
    const uint64_t at = j["line"].get<uint64_t>();
    ASSERT_TRUE(expected.count(at)) << "unexpected reject " << j.dump();
    EXPECT_TRUE(seen.insert(at).second) << "listed twice: " << at;
    const ExpectedReject& want = expected[at];
    EXPECT_EQ(j["field"], want.field) << j.dump();
    if (!want.rule.empty()) {
      EXPECT_EQ(j["rule"], want.rule) << j.dump();
    }
    EXPECT_FALSE(j["message"].get<std::string>().empty());
  }

  StatusOr<OpenDataDir> d = OpenDataDir::Open(data_);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->CountRecords("persons"), good_rows);
  const schema::CollectionSchema& persons = *d->schema.Find("persons");
  for (size_t i = 0; i < good_rows; ++i) {
    auto got = d->services->barrier->Get(persons, good[i].national_id);
    ASSERT_TRUE(got.ok() && got->has_value()) << i;
    EXPECT_EQ((**got)["name"], good[i].name);
  }
  // Found through its index too.
  auto found = d->services->barrier->Search(
      persons, *schema::QueryTerm(persons, "phones", {{"phone", good[3].phones[0]}}), 10);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->records.size(), 1u);
  EXPECT_EQ(found->records[0]["national_id"], good[3].national_id);
}

TEST_F(ImportTest, JsonLinesRowsThatAreNotObjectsAreRejected) {
  schema::PersonGenerator gen(3);
  schema::PersonRecord a, b;
  gen.At(0, a);
  gen.At(1, b);
  json extra = a.ToJson();
  extra["shoe_size"] = 44;
  std::string text;
  text += b.ToJson().dump() + "\n";      // 1 good
  text += "{\"national_id\": \"1101\n";  // 2 not JSON
  text += "[1,2,3]\n";                   // 3 not an object
  text += extra.dump() + "\n";           // 4 unknown field
  const std::string file = dir_ / "persons.jsonl";
  WriteAll(file, text);
  RunResult r = Import(file);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  std::vector<json> rejects = ReadRejects(file + ".rejects.jsonl");
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(rejects[0]["line"], 2);
  EXPECT_EQ(rejects[0]["rule"], "bad_record");
  EXPECT_EQ(rejects[1]["line"], 3);
  EXPECT_EQ(rejects[2]["line"], 4);
  EXPECT_EQ(rejects[2]["field"], "shoe_size");
  EXPECT_EQ(rejects[2]["rule"], "unknown_field");
}

TEST_F(ImportTest, AnUnreadableCsvHeaderFailsTheImportAndWritesNothing) {
  const std::string file = dir_ / "persons.csv";
  WriteAll(file, "national_id,,name\n110105194912310021,,Zhang San\n");
  RunResult r = Import(file);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  StatusOr<OpenDataDir> d = OpenDataDir::Open(data_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->CountRecords("persons"), 0u);
}

TEST_F(ImportTest, LastWinsReplacesAStoredRecordAndDropsItsOldIndexEntries) {
  schema::PersonGenerator gen(5);
  std::vector<schema::PersonRecord> people(20);
  for (size_t i = 0; i < people.size(); ++i) gen.At(i, people[i]);
  std::string first(schema::CsvHeaderOf("persons"));
  for (const auto& p : people) first += Csv(p);
  WriteAll(dir_ / "first.csv", first);
  ASSERT_EQ(Import(dir_ / "first.csv").exit_code, 0);

  // Person 0 gets person 19's phones, twice in the file (the later row
  // wins); person 1 again with its own data.
  schema::PersonRecord changed = people[0];
  changed.phones = {"+8613800000001", ""};
  changed.phone_count = 1;
  schema::PersonRecord changed_again = people[0];
  changed_again.phones = {"+8613800000002", ""};
  changed_again.phone_count = 1;
  std::string second(schema::CsvHeaderOf("persons"));
  second += Csv(changed) + Csv(people[1]) + Csv(changed_again);
  schema::PersonRecord fresh;
  gen.At(100, fresh);
  second += Csv(fresh);
  WriteAll(dir_ / "second.csv", second);

  RunResult rejected = Import(dir_ / "second.csv", {"--rejects", dir_ / "r1.jsonl"});
  EXPECT_EQ(rejected.exit_code, 1) << rejected.output;
  EXPECT_EQ(ReadRejects(dir_ / "r1.jsonl").size(), 3u);  // the default policy

  RunResult r = Import(dir_ / "second.csv", {"--on-duplicate", "last-wins", "--no-resume"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("read 4, imported 0, replaced 4, rejected 0"), std::string::npos)
      << r.output;

  StatusOr<OpenDataDir> d = OpenDataDir::Open(data_);
  ASSERT_TRUE(d.ok());
  const schema::CollectionSchema& persons = *d->schema.Find("persons");
  EXPECT_EQ(d->CountRecords("persons"), 21u);
  auto by_phone = [&](const std::string& phone) {
    auto found = d->services->barrier->Search(
        persons, *schema::QueryTerm(persons, "phones", {{"phone", phone}}), 10);
    EXPECT_TRUE(found.ok());
    return found.ok() ? found->records.size() : 0;
  };
  EXPECT_EQ(by_phone(people[0].phones[0]), 0u) << "a stale index entry survived";
  EXPECT_EQ(by_phone("+8613800000001"), 0u) << "the overwritten row's entry survived";
  EXPECT_EQ(by_phone("+8613800000002"), 1u);
  EXPECT_EQ(by_phone(fresh.phones[0]), 1u);
}

TEST_F(ImportTest, ARunAfterCompletionDoesNothing) {
  WritePersonsCsv(dir_ / "p.csv", 50);
  ASSERT_EQ(Import(dir_ / "p.csv").exit_code, 0);
  RunResult again = Import(dir_ / "p.csv");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("already imported"), std::string::npos) << again.output;
}

TEST_F(ImportTest, KilledMidwayAndRerunNeitherLosesNorDuplicatesARow) {
  const uint64_t n = Scaled(300'000);
  const std::string file = dir_ / "persons.csv";
  std::vector<schema::PersonRecord> people = WritePersonsCsv(file, n, 21);
  // Bad rows deep in the file: every 9973rd row gets a broken ID, and every
  // 7919th repeats the first person.
  std::string text(schema::CsvHeaderOf("persons"));
  std::set<uint64_t> bad_lines;
  uint64_t line = 1;
  uint64_t good = 0;
  uint64_t rows = 0;
  for (uint64_t i = 0; i < n; ++i) {
    std::string row = Csv(people[i]);
    ++line;
    if (i > 0 && i % 9973 == 0) {
      row = WithCell(row, 0, "1234567");
      bad_lines.insert(line);
    } else {
      ++good;
    }
    text += row;
    ++rows;
    if (i > 0 && i % 7919 == 0) {
      text += Csv(people[0]);
      bad_lines.insert(++line);
      ++rows;
    }
  }
  WriteAll(file, text);

  const std::string rejects = dir_ / "rejects.jsonl";
  const std::vector<std::string> args = {"import",  "--data",      data_, "--collection",
                                         "persons", "--quiet",     file,  "--rejects",
                                         rejects,   "--commit-mb", "1"};
  // The kill must land between two commits. The first try guesses; a try
  // that missed times the full run that followed it, and the next kills at
  // a fraction of that time, so a slow machine (or a sanitizer build) still
  // gets killed mid-way.
  bool resumed = false;
  auto kill_after = std::chrono::milliseconds(1500);
  const double kFractions[] = {0.5, 0.3, 0.7, 0.4, 0.6};
  for (int attempt = 0; attempt < 6 && !resumed; ++attempt) {
    pid_t pid = StartWarden(args, dir_ / "killed.log");
    std::this_thread::sleep_for(kill_after);
    kill(pid, SIGKILL);
    WaitExit(pid);
    const auto rerun_start = std::chrono::steady_clock::now();
    RunResult rerun = RunWarden(args);
    const auto full_run = std::chrono::steady_clock::now() - rerun_start;
    ASSERT_EQ(rerun.exit_code, 1) << rerun.output;
    resumed = rerun.output.find("resumed at line") != std::string::npos;
    EXPECT_NE(
        rerun.output.find("read " + std::to_string(rows) + ", imported " + std::to_string(good) +
                          ", replaced 0, rejected " + std::to_string(bad_lines.size())),
        std::string::npos)
        << rerun.output;
    if (!resumed) {
      // Killed before the first commit, or after the last: start again.
      kill_after = std::chrono::duration_cast<std::chrono::milliseconds>(
          full_run * kFractions[attempt % std::size(kFractions)]);
      std::filesystem::remove_all(data_);
      ASSERT_EQ(InitDevDataDir(data_, key_).exit_code, 0);
    }
  }
  ASSERT_TRUE(resumed) << "never killed between two commits";

  std::vector<json> listed = ReadRejects(rejects);
  std::set<uint64_t> listed_lines;
  for (const json& j : listed) {
    EXPECT_TRUE(listed_lines.insert(j["line"].get<uint64_t>()).second) << j.dump();
  }
  EXPECT_EQ(listed_lines, bad_lines);

  StatusOr<OpenDataDir> d = OpenDataDir::Open(data_);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->CountRecords("persons"), good);
  const schema::CollectionSchema& persons = *d->schema.Find("persons");
  for (uint64_t i = 0; i < n; i += 997) {
    if (i > 0 && i % 9973 == 0) continue;
    auto got = d->services->barrier->Get(persons, people[i].national_id);
    ASSERT_TRUE(got.ok() && got->has_value()) << "row " << i << " lost";
  }
}

}  // namespace
}  // namespace warden::import_test
