#include "schema/resident_id.h"

#include <string>

#include "schema/division_table.h"

namespace warden::schema {
namespace {

Status Invalid(std::string_view field, std::string_view rule, std::string message) {
  return FieldInvalid(std::string(field), std::string(rule), std::string(field) + ": " + message);
}

int TwoDigits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool IsValidCivilDate(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max;
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(const CivilDate& d) {
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (d.month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m),
                   static_cast<int>(d)};
}

CivilDate CivilDateOfMicros(int64_t unix_micros) {
  int64_t secs = unix_micros / 1'000'000;
  int64_t days = secs / 86400 - (secs % 86400 < 0 ? 1 : 0);
  return CivilFromDays(days);
}

std::string FormatIsoDate(const CivilDate& d) {
  char buf[16];
  buf[0] = static_cast<char>('0' + d.year / 1000 % 10);
  buf[1] = static_cast<char>('0' + d.year / 100 % 10);
  buf[2] = static_cast<char>('0' + d.year / 10 % 10);
  buf[3] = static_cast<char>('0' + d.year % 10);
  buf[4] = '-';
  buf[5] = static_cast<char>('0' + d.month / 10);
  buf[6] = static_cast<char>('0' + d.month % 10);
  buf[7] = '-';
  buf[8] = static_cast<char>('0' + d.day / 10);
  buf[9] = static_cast<char>('0' + d.day % 10);
  return std::string(buf, 10);
}

char ResidentIdCheckChar(std::string_view first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheck[sum % 11];
}

StatusOr<ResidentId> ParseResidentId(std::string_view text, const CivilDate& today,
                                     std::string_view field) {
  std::string number;
  if (text.size() == 15) {
    if (!AllDigits(text)) {
      return Invalid(field, kRuleFormat, "a 15-digit resident ID number has digits only");
    }
    number.reserve(18);
    number.append(text.substr(0, 6)).append("19").append(text.substr(6));
    number.push_back(ResidentIdCheckChar(number));
  } else if (text.size() == 18) {
    if (!AllDigits(text.substr(0, 17))) {
      return Invalid(field, kRuleFormat, "the first 17 characters must be digits");
    }
    char last = text[17];
    if (last == 'x') {
      return Invalid(field, kRuleLowercaseX,
                     "the check character X must be upper case (GB 11643-1999)");
    }
    if (!(last >= '0' && last <= '9') && last != 'X') {
      return Invalid(field, kRuleFormat, "the check character must be a digit or X");
    }
    number.assign(text);
  } else {
    return Invalid(field, kRuleLength, "a resident ID number has 18 characters (or 15 digits)");
  }

  // The date and division are checked before the checksum so that a
  // mistyped date gets the more helpful message.
  ResidentId id;
  id.birth_date.year = TwoDigits(number, 6) * 100 + TwoDigits(number, 8);
  id.birth_date.month = TwoDigits(number, 10);
  id.birth_date.day = TwoDigits(number, 12);
  if (!IsValidCivilDate(id.birth_date.year, id.birth_date.month, id.birth_date.day) ||
      id.birth_date.year < 1800) {
    return Invalid(field, kRuleDate, "positions 7-14 are not a real date");
  }
  if (id.birth_date > today) {
    return Invalid(field, kRuleFutureDate, "the birth date (positions 7-14) is in the future");
  }
  const Division* division = DivisionTable::Get().Find(std::string_view(number).substr(0, 6));
  if (division == nullptr || division->level == DivisionLevel::kProvince) {
    return Invalid(field, kRuleDivisionCode,
                   "positions 1-6 are not a GB/T 2260 division code (current or historical)");
  }
  if (ResidentIdCheckChar(number) != number[17]) {
    return Invalid(field, kRuleChecksum, "the check character does not match (ISO 7064 MOD 11-2)");
  }
  id.division = division->code;
  id.male = (number[16] - '0') % 2 == 1;
  id.number = std::move(number);
  return id;
}

}  // namespace warden::schema
