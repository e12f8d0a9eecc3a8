// DivisionTable: the GB/T 2260 administrative division codes that Warden
// knows, embedded in the binary from data/gbt2260.tsv (see
// scripts/gen-division-table and docs/data_model.md).
//
// The table holds provinces (xx0000), prefectures (xxxx00), current counties
// and abolished ("historical") counties that still appear on ID numbers, and
// a few township-level names per county used only by the synthetic data
// generator. It is immutable after construction; Get() is thread-safe.
#ifndef WARDEN_SCHEMA_DIVISION_TABLE_H_
#define WARDEN_SCHEMA_DIVISION_TABLE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warden::schema {

enum class DivisionLevel : uint8_t { kProvince, kPrefecture, kCounty };

struct Division {
  uint32_t code;  // six digits, e.g. 310115
  DivisionLevel level;
  bool historical;        // abolished; valid on old ID numbers only
  std::string_view name;  // UTF-8, points into the embedded table
};

struct Township {
  uint32_t county;        // the county's six-digit code
  std::string_view name;  // e.g. "东华门街道"
};

class DivisionTable {
 public:
  // The embedded table. Parsed once, on first use; never destroyed.
  static const DivisionTable& Get();

  // The entry for a six-digit code, or nullptr.
  const Division* Find(uint32_t code) const;
  // Parses six ASCII digits; nullptr for anything else or an unknown code.
  const Division* Find(std::string_view code) const;

  // Current county-level divisions, sorted by code.
  std::span<const Division* const> Counties() const { return counties_; }
  // Township names of a county (possibly empty).
  std::span<const Township> TownshipsOf(uint32_t county) const;

  // "上海市浦东新区", the names from province down to `code`, leaving out
  // placeholder prefecture names such as "市辖区". Empty for an unknown code.
  std::string FullName(uint32_t code) const;

  // If `address` starts with division names (province, then optionally a
  // prefecture, then a county of that prefecture), the deepest matched code
  // and the length in bytes of the matched prefix.
  struct AddressMatch {
    uint32_t code;
    size_t prefix_bytes;
  };
  std::optional<AddressMatch> MatchAddress(std::string_view address) const;

  // Number of entries (for tests).
  size_t size() const { return divisions_.size(); }

  // Builds a table from TSV text in the format of data/gbt2260.tsv.
  // Malformed lines are skipped. Public for tests.
  explicit DivisionTable(std::string_view tsv);

 private:
  std::vector<Division> divisions_;  // sorted by code
  std::vector<const Division*> counties_;
  std::vector<const Division*> provinces_;  // where an address match starts
  std::vector<Township> townships_;         // sorted by county
};

// True for the placeholder prefecture names that are not part of addresses.
bool IsPlaceholderDivisionName(std::string_view name);

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_DIVISION_TABLE_H_
