// Resident identity numbers of the People's Republic of China (GB 11643-1999).
//
// An 18-character number: a six-digit GB/T 2260 division code, the birth date
// as YYYYMMDD, a three-digit sequence (odd for men, even for women) and a
// check character computed by ISO 7064 MOD 11-2 ('0'-'9' or upper-case 'X').
// Fifteen-digit numbers issued before 1999 (YYMMDD, no check character) are
// converted by inserting "19" before the year and appending the check
// character.
//
// All functions are pure and thread-safe. Errors are FieldInvalid statuses
// naming the field and one of the rules below; messages never contain the
// number itself.
#ifndef WARDEN_SCHEMA_RESIDENT_ID_H_
#define WARDEN_SCHEMA_RESIDENT_ID_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace warden::schema {

// Rule names reported by ParseResidentId.
inline constexpr std::string_view kRuleLength = "length";
inline constexpr std::string_view kRuleFormat = "format";
inline constexpr std::string_view kRuleLowercaseX = "lowercase_x";
inline constexpr std::string_view kRuleChecksum = "checksum";
inline constexpr std::string_view kRuleDivisionCode = "division_code";
inline constexpr std::string_view kRuleDate = "date";
inline constexpr std::string_view kRuleFutureDate = "future_date";

struct CivilDate {
  int year = 0;
  int month = 0;
  int day = 0;
  bool operator==(const CivilDate&) const = default;
  auto operator<=>(const CivilDate&) const = default;
};

// True if y-m-d is a date of the proleptic Gregorian calendar, years 1-9999.
bool IsValidCivilDate(int year, int month, int day);
// Days since 1970-01-01 (negative before) and back.
int64_t DaysFromCivil(const CivilDate& d);
CivilDate CivilFromDays(int64_t days);
// The UTC calendar date of a Unix time in microseconds.
CivilDate CivilDateOfMicros(int64_t unix_micros);
// "YYYY-MM-DD".
std::string FormatIsoDate(const CivilDate& d);

struct ResidentId {
  std::string number;     // the 18-character canonical form
  uint32_t division = 0;  // positions 1-6
  CivilDate birth_date;   // positions 7-14
  bool male = false;      // position 17 odd
};

// The check character for the first 17 digits of a number.
// Precondition: `first17` holds exactly 17 ASCII digits.
char ResidentIdCheckChar(std::string_view first17);

// Parses and validates an 18-character number, or converts a 15-digit one.
// `today` is the current date; a birth date after it is rejected. Surrounding
// white space is not accepted (callers trim). `field` names the field in
// errors.
StatusOr<ResidentId> ParseResidentId(std::string_view text, const CivilDate& today,
                                     std::string_view field = "national_id");

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_RESIDENT_ID_H_
