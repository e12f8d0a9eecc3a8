// G2, no plaintext at rest: import generated persons offline, then search
// every file the store left on disk — RocksDB tables, WAL, MANIFEST, logs,
// staging files, the audit checkpoints, and with WARDEN_TEST_PG_DATA the
// PostgreSQL data directory — for every name, ID number and phone number of
// the input: raw, as UTF-16LE and UTF-16BE, and as lower- and upper-case hex.
// Zero hits.
//
// Patterns shorter than kMinPattern bytes are left out: in a few hundred MB
// of ciphertext a given 4-byte string occurs by chance. Every ID (18 bytes)
// and phone (11+ bytes) is searched in every form; a two-character Han name
// in UTF-8 is 6 bytes.
#include <gtest/gtest.h>

#include <libpq-fe.h>

#include <array>
#include <unordered_map>

#include "import_test_util.h"
#include "store/store_test_util.h"

namespace warden::import_test {
namespace {

constexpr size_t kMinPattern = 6;
constexpr size_t kWindow = kMinPattern;  // bytes hashed per position

std::string Utf16(std::string_view utf8, bool big_endian) {
  std::string out;
  size_t i = 0;
  while (i < utf8.size()) {
    auto c = static_cast<unsigned char>(utf8[i]);
    uint32_t cp;
    int extra;
    if (c < 0x80) {
      cp = c, extra = 0;
    } else if (c < 0xE0) {
      cp = c & 0x1F, extra = 1;
    } else if (c < 0xF0) {
      cp = c & 0x0F, extra = 2;
    } else {
      cp = c & 0x07, extra = 3;
    }
    for (int k = 1; k <= extra && i + static_cast<size_t>(k) < utf8.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + static_cast<size_t>(k)]) & 0x3F);
    }
    i += static_cast<size_t>(extra) + 1;
    auto put = [&](uint16_t unit) {
      if (big_endian) {
        out.push_back(static_cast<char>(unit >> 8));
        out.push_back(static_cast<char>(unit & 0xFF));
      } else {
        out.push_back(static_cast<char>(unit & 0xFF));
        out.push_back(static_cast<char>(unit >> 8));
      }
    };
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(static_cast<uint16_t>(0xD800 + (cp >> 10)));
      put(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      put(static_cast<uint16_t>(cp));
    }
  }
  return out;
}

std::string Hex(std::string_view bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

uint64_t WindowKey(const char* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, kWindow);
  return v * 0x9E3779B97F4A7C15ull;
}

// Many fixed patterns at once: a bitmap of hashed 6-byte prefixes filters
// positions; the few that pass are checked against the patterns sharing that
// prefix.
class PatternSet {
 public:
  PatternSet() : bitmap_(size_t{1} << 27 >> 6, 0) {}

  void Add(std::string pattern, std::string label) {
    if (pattern.size() < kMinPattern) return;
    const uint64_t key = WindowKey(pattern.data());
    bitmap_[Bit(key) >> 6] |= uint64_t{1} << (Bit(key) & 63);
    by_prefix_[key].push_back(patterns_.size());
    patterns_.push_back({std::move(pattern), std::move(label)});
  }
  size_t size() const { return patterns_.size(); }

  // Labels of the patterns found in `data` (at most `limit`).
  std::vector<std::string> Find(std::string_view data, size_t limit) const {
    std::vector<std::string> hits;
    if (data.size() < kWindow) return hits;
    for (size_t i = 0; i + kWindow <= data.size(); ++i) {
      const uint64_t key = WindowKey(data.data() + i);
      if ((bitmap_[Bit(key) >> 6] & (uint64_t{1} << (Bit(key) & 63))) == 0) continue;
      auto it = by_prefix_.find(key);
      if (it == by_prefix_.end()) continue;
      for (size_t p : it->second) {
        const std::string& pattern = patterns_[p].text;
        if (data.substr(i, pattern.size()) == pattern) {
          hits.push_back(patterns_[p].label);
          if (hits.size() >= limit) return hits;
        }
      }
    }
    return hits;
  }

 private:
  struct Pattern {
    std::string text;
    std::string label;  // which kind and form, never the value
  };
  static uint64_t Bit(uint64_t key) { return key >> (64 - 27); }

  std::vector<uint64_t> bitmap_;
  std::unordered_map<uint64_t, std::vector<size_t>> by_prefix_;
  std::vector<Pattern> patterns_;
};

void AddForms(PatternSet& set, const std::string& value, const std::string& kind) {
  set.Add(value, kind + " raw");
  set.Add(Utf16(value, false), kind + " utf-16le");
  set.Add(Utf16(value, true), kind + " utf-16be");
  set.Add(Hex(value, false), kind + " hex");
  set.Add(Hex(value, true), kind + " HEX");
}

PatternSet PatternsOf(const std::vector<schema::PersonRecord>& people) {
  PatternSet set;
  for (const schema::PersonRecord& p : people) {
    AddForms(set, p.national_id, "national_id");
    AddForms(set, p.name, "name");
    for (int i = 0; i < p.phone_count; ++i) {
      const std::string& phone = p.phones[static_cast<size_t>(i)];
      AddForms(set, phone, "phone");
      // Also the national form, without +86.
      if (phone.starts_with("+86")) AddForms(set, phone.substr(3), "phone");
    }
  }
  return set;
}

struct ScanResult {
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::vector<std::string> hits;  // "file: kind form"
};

ScanResult ScanTree(const std::string& root, const PatternSet& patterns) {
  ScanResult result;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied)) {
    if (!entry.is_regular_file()) continue;
    const std::string data = ReadAll(entry.path().string());
    ++result.files;
    result.bytes += data.size();
    for (const std::string& hit : patterns.Find(data, 5)) {
      result.hits.push_back(entry.path().string() + ": " + hit);
    }
  }
  return result;
}

TEST(PatternSetTest, FindsEveryFormOfAPlantedValue) {
  std::vector<schema::PersonRecord> people(3);
  schema::PersonGenerator gen(1);
  for (size_t i = 0; i < people.size(); ++i) gen.At(i, people[i]);
  PatternSet set = PatternsOf(people);
  for (const std::string& planted :
       {people[1].national_id, Utf16(people[2].national_id, false),
        Utf16(people[0].phones[0], true), Hex(people[2].phones[0], true),
        Hex(people[0].name, false), people[1].name}) {
    std::string data(5000, '\x5a');
    data.insert(1234, planted);
    // Digits have the same hex in both cases, so a value may match twice.
    EXPECT_GE(set.Find(data, 5).size(), 1u);
  }
  EXPECT_TRUE(set.Find(std::string(100000, '\0'), 5).empty());
}

class PlaintextScanTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(PlaintextScanTest, NoInputValueAppearsInAnyFileOfTheDataDirectory) {
  const uint64_t n = Scaled(100'000);
  const std::string input = dir_ / "persons.csv";
  std::vector<schema::PersonRecord> people = WritePersonsCsv(input, n, 99);
  const std::string data = dir_ / "data";
  ASSERT_EQ(InitDevDataDir(data, dir_ / "dev.key").exit_code, 0);
  RunResult r = RunWarden(
      {"import", "--data", data, "--collection", "persons", "--quiet", "--commit-mb", "8", input});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_NE(r.output.find("imported " + std::to_string(n)), std::string::npos) << r.output;

  PatternSet patterns = PatternsOf(people);
  ASSERT_GT(patterns.size(), 10 * n);
  // The scan can find: the input itself holds every value.
  ASSERT_FALSE(patterns.Find(ReadAll(input), 1).empty());
  ScanResult scan = ScanTree(data, patterns);
  EXPECT_GT(scan.files, 3u);
  EXPECT_GT(scan.bytes, 100 * n) << "the records are not in the data directory";
  EXPECT_TRUE(scan.hits.empty()) << scan.hits.size() << " hits, first: " << scan.hits[0];
}

TEST_F(PlaintextScanTest, NoInputValueAppearsInThePostgresDataDirectory) {
  const char* conn = std::getenv("WARDEN_TEST_PG");
  const char* pg_data = std::getenv("WARDEN_TEST_PG_DATA");
  WARDEN_REQUIRE_OR_SKIP(conn != nullptr && pg_data != nullptr,
                         "WARDEN_TEST_PG or WARDEN_TEST_PG_DATA is unset; scripts/test sets them");
  // A database of its own.
  const std::string db = "warden_import_scan_" + std::to_string(getpid());
  {
    PGconn* pg = PQconnectdb(conn);
    ASSERT_EQ(PQstatus(pg), CONNECTION_OK);
    PQclear(PQexec(pg, ("DROP DATABASE IF EXISTS " + db).c_str()));
    PGresult* res = PQexec(pg, ("CREATE DATABASE " + db).c_str());
    ASSERT_EQ(PQresultStatus(res), PGRES_COMMAND_OK) << PQerrorMessage(pg);
    PQclear(res);
    PQfinish(pg);
  }
  const std::string spec = std::string(conn) + " dbname=" + db;
  const uint64_t n = Scaled(100'000);
  const std::string input = dir_ / "persons.csv";
  std::vector<schema::PersonRecord> people = WritePersonsCsv(input, n, 98);
  const std::string data = dir_ / "data";
  ASSERT_EQ(InitDevDataDir(data, dir_ / "dev.key", spec).exit_code, 0);
  RunResult r = RunWarden({"import", "--data", data, "--collection", "persons", "--quiet", input});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_NE(r.output.find("imported " + std::to_string(n)), std::string::npos) << r.output;
  {
    PGconn* pg = PQconnectdb(conn);
    PQclear(PQexec(pg, "CHECKPOINT"));  // table files on disk, not only in the WAL
    PQfinish(pg);
  }

  PatternSet patterns = PatternsOf(people);
  ScanResult scan = ScanTree(pg_data, patterns);
  EXPECT_GT(scan.bytes, 100 * n);
  EXPECT_TRUE(scan.hits.empty()) << scan.hits.size() << " hits, first: " << scan.hits[0];
  ScanResult local = ScanTree(data, patterns);
  EXPECT_TRUE(local.hits.empty()) << local.hits[0];
}

}  // namespace
}  // namespace warden::import_test
