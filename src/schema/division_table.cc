#include "schema/division_table.h"

#include <algorithm>

namespace warden::schema {
namespace embedded {
extern const std::string_view kDivisionTableTsv;
}  // namespace embedded

namespace {

std::optional<uint32_t> ParseDigits(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

}  // namespace

bool IsPlaceholderDivisionName(std::string_view name) {
  return name == "市辖区" || name == "县" ||
         name.find("直辖县级行政区划") != std::string_view::npos;
}

DivisionTable::DivisionTable(std::string_view tsv) {
  size_t pos = 0;
  while (pos < tsv.size()) {
    size_t end = tsv.find('\n', pos);
    if (end == std::string_view::npos) end = tsv.size();
    std::string_view line = tsv.substr(pos, end - pos);
    pos = end + 1;
    size_t t1 = line.find('\t');
    if (t1 == std::string_view::npos) continue;
    size_t t2 = line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos || t2 != t1 + 2) continue;
    std::string_view code_text = line.substr(0, t1);
    char kind = line[t1 + 1];
    std::string_view name = line.substr(t2 + 1);
    std::optional<uint32_t> code = ParseDigits(code_text);
    if (!code || name.empty()) continue;
    if (kind == 'T') {
      if (code_text.size() != 9) continue;
      townships_.push_back({*code / 1000, name});
      continue;
    }
    if (code_text.size() != 6) continue;
    Division d{*code, DivisionLevel::kCounty, false, name};
    switch (kind) {
      case 'P':
        d.level = DivisionLevel::kProvince;
        break;
      case 'C':
        d.level = DivisionLevel::kPrefecture;
        break;
      case 'D':
        break;
      case 'H':
        d.historical = true;
        break;
      default:
        continue;
    }
    divisions_.push_back(d);
  }
  std::sort(divisions_.begin(), divisions_.end(),
            [](const Division& a, const Division& b) { return a.code < b.code; });
  divisions_.erase(
      std::unique(divisions_.begin(), divisions_.end(),
                  [](const Division& a, const Division& b) { return a.code == b.code; }),
      divisions_.end());
  std::stable_sort(townships_.begin(), townships_.end(),
                   [](const Township& a, const Township& b) { return a.county < b.county; });
  for (const Division& d : divisions_) {
    if (d.level == DivisionLevel::kCounty && !d.historical) counties_.push_back(&d);
    if (d.level == DivisionLevel::kProvince) provinces_.push_back(&d);
  }
}

const DivisionTable& DivisionTable::Get() {
  static const DivisionTable* table = new DivisionTable(embedded::kDivisionTableTsv);
  return *table;
}

const Division* DivisionTable::Find(uint32_t code) const {
  auto it = std::lower_bound(divisions_.begin(), divisions_.end(), code,
                             [](const Division& d, uint32_t c) { return d.code < c; });
  if (it == divisions_.end() || it->code != code) return nullptr;
  return &*it;
}

const Division* DivisionTable::Find(std::string_view code) const {
  if (code.size() != 6) return nullptr;
  std::optional<uint32_t> v = ParseDigits(code);
  return v ? Find(*v) : nullptr;
}

std::span<const Township> DivisionTable::TownshipsOf(uint32_t county) const {
  auto lo = std::lower_bound(townships_.begin(), townships_.end(), county,
                             [](const Township& t, uint32_t c) { return t.county < c; });
  auto hi = lo;
  while (hi != townships_.end() && hi->county == county) ++hi;
  return {lo, hi};
}

std::string DivisionTable::FullName(uint32_t code) const {
  const Division* self = Find(code);
  if (self == nullptr) return {};
  std::string out;
  if (const Division* p = Find(code / 10000 * 10000)) out += p->name;
  if (self->level == DivisionLevel::kProvince) return out;
  const Division* c = Find(code / 100 * 100);
  if (c != nullptr && !IsPlaceholderDivisionName(c->name)) out += c->name;
  if (self->level == DivisionLevel::kCounty) out += self->name;
  return out;
}

std::optional<DivisionTable::AddressMatch> DivisionTable::MatchAddress(
    std::string_view address) const {
  // Provinces: codes xx0000. The table is small enough for a linear scan of
  // the ~30 provinces; prefectures and counties are scanned within the
  // matched province's code range only.
  std::optional<AddressMatch> best;
  auto range = [this](uint32_t lo, uint32_t hi) {
    auto b = std::lower_bound(divisions_.begin(), divisions_.end(), lo,
                              [](const Division& d, uint32_t c) { return d.code < c; });
    auto e = std::lower_bound(b, divisions_.end(), hi,
                              [](const Division& d, uint32_t c) { return d.code < c; });
    return std::span<const Division>(b, e);
  };
  for (const Division* province : provinces_) {
    const Division& p = *province;
    if (!address.starts_with(p.name)) continue;
    best = AddressMatch{p.code, p.name.size()};
    std::string_view rest = address.substr(p.name.size());
    for (const Division& c : range(p.code, p.code + 10000)) {
      if (c.level != DivisionLevel::kPrefecture) continue;
      bool placeholder = IsPlaceholderDivisionName(c.name);
      size_t used = 0;
      if (!placeholder) {
        if (!rest.starts_with(c.name)) continue;
        used = c.name.size();
      }
      std::string_view after = rest.substr(used);
      for (const Division& d : range(c.code + 1, c.code + 100)) {
        if (d.historical || !after.starts_with(d.name)) continue;
        return AddressMatch{d.code, p.name.size() + used + d.name.size()};
      }
      if (!placeholder) return AddressMatch{c.code, p.name.size() + used};
    }
    return best;
  }
  return best;
}

}  // namespace warden::schema
