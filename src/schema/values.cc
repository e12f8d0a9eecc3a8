#include "schema/values.h"

#include <phonenumbers/phonenumberutil.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <atomic>
#include <charconv>

#include "schema/division_table.h"

namespace warden::schema {
namespace {

using nlohmann::json;

Status Invalid(const std::string& path, std::string_view rule, std::string_view what) {
  return FieldInvalid(path, std::string(rule), path + ": " + std::string(what));
}

std::string_view RuleOfFirst(const Status& s) {
  return s.fields().empty() ? std::string_view() : std::string_view(s.fields()[0].rule);
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Decodes UTF-8; false on ill-formed input.
template <typename F>
bool ForEachCodePoint(std::string_view s, F&& f) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int32_t i = 0;
  const auto n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) return false;
    f(c);
  }
  return true;
}

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool IsSpace(UChar32 c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Trims ASCII white space at both ends and collapses inner runs to one space.
std::string CollapseSpaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending = !out.empty();
      continue;
    }
    if (pending) out.push_back(' ');
    pending = false;
    out.push_back(c);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && IsSpace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool HasControl(std::string_view s, bool allow_newlines) {
  bool found = false;
  ForEachCodePoint(s, [&](UChar32 c) {
    if (allow_newlines && (c == '\n' || c == '\t')) return;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029) found = true;
  });
  return found;
}

// Look-alikes of the middle dot of minority and foreign names.
std::string FoldMiddleDots(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  ForEachCodePoint(s, [&](UChar32 c) {
    if (c == 0x2022 || c == 0x2027 || c == 0x30FB || c == 0x2219 || c == 0x22C5 || c == 0x0387) {
      c = 0x00B7;
    }
    char buf[4];
    int32_t len = 0;
    U8_APPEND_UNSAFE(buf, len, c);
    out.append(buf, static_cast<size_t>(len));
  });
  return out;
}

StatusOr<std::string> RequireString(const json& in, const std::string& path) {
  if (in.is_string()) return in.get<std::string>();
  if (in.is_number_integer()) return in.dump();  // IDs and codes sent as numbers
  return Invalid(path, "type", "must be a string");
}

StatusOr<json> NormaliseName(const FieldSchema& f, std::string_view text, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, NormaliseNfkc(text, path));
  s = CollapseSpaces(FoldMiddleDots(s));
  size_t max = f.max_length ? f.max_length : kMaxNameLength;
  size_t n = CodePointCount(s);
  if (n < std::max<size_t>(1, f.min_length) || n > max) {
    return Invalid(path, "length", "a name has 1 to " + std::to_string(max) + " characters");
  }
  bool ok = true;
  UChar32 prev = ' ';
  ForEachCodePoint(s, [&](UChar32 c) {
    bool sep = c == ' ' || c == 0x00B7 || c == '-' || c == '\'';
    if (sep) {
      if (prev == ' ' || prev == 0x00B7 || prev == '-' || prev == '\'') ok = false;
    } else {
      UErrorCode err = U_ZERO_ERROR;
      UScriptCode script = uscript_getScript(c, &err);
      if (U_FAILURE(err) || (script != USCRIPT_HAN && script != USCRIPT_LATIN)) ok = false;
    }
    prev = c;
  });
  if (ok && (prev == 0x00B7 || prev == '-' || prev == '\'')) ok = false;
  if (!ok) {
    return Invalid(
        path, "charset",
        "a name has Han or Latin letters, with single spaces or middle dots between parts");
  }
  return json(std::move(s));
}

StatusOr<json> NormaliseDate(const FieldSchema& f, std::string_view s, const std::string& path,
                             const CivilDate& today) {
  auto digits = [&](size_t at, size_t len, int& out) {
    out = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  CivilDate d;
  bool shape = false;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    shape = digits(0, 4, d.year) && digits(5, 2, d.month) && digits(8, 2, d.day);
  } else if (s.size() == 8) {
    shape = digits(0, 4, d.year) && digits(4, 2, d.month) && digits(6, 2, d.day);
  }
  if (!shape) return Invalid(path, "format", "a date is written YYYY-MM-DD");
  if (!IsValidCivilDate(d.year, d.month, d.day)) {
    return Invalid(path, "date", "not a real calendar date");
  }
  if (f.not_future && d > today) return Invalid(path, "future_date", "the date is in the future");
  return json(FormatIsoDate(d));
}

}  // namespace

namespace {

// The code points of the Basic Multilingual Plane that are NFKC-inert in
// ICU's data (Normalizer2::isInert: unchanged by NFKC and never combined with
// a neighbour), one bit each, taken from ICU once. A string of inert code
// points is in NFKC.
class NfkcInertBmp {
 public:
  explicit NfkcInertBmp(const icu::Normalizer2& nfkc) {
    for (UChar32 c = 0; c < 0x10000; ++c) {
      if (!U_IS_SURROGATE(c) && nfkc.isInert(c)) bits_[c >> 6] |= uint64_t{1} << (c & 63);
    }
  }
  bool Has(UChar32 c) const { return c < 0x10000 && (bits_[c >> 6] >> (c & 63) & 1) != 0; }

 private:
  uint64_t bits_[0x10000 / 64] = {};
};

}  // namespace

StatusOr<std::string> NormaliseNfkc(std::string_view text, std::string_view field) {
  if (IsAscii(text)) return std::string(text);  // ASCII is NFKC already
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(err);
  if (U_FAILURE(err)) return Internal("ICU NFKC normaliser unavailable");
  static const NfkcInertBmp* inert = new NfkcInertBmp(*nfkc);
  bool all_inert = true;
  if (!ForEachCodePoint(text, [&](UChar32 c) { all_inert = all_inert && inert->Has(c); })) {
    return Invalid(std::string(field), "utf8", "not well-formed UTF-8");
  }
  if (all_inert) return std::string(text);
  // ICU's own check: its quick-check table, then a full check only where
  // that table says "maybe".
  icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  if (nfkc->isNormalizedUTF8(piece, err) && U_SUCCESS(err)) return std::string(text);
  return NormaliseNfkcSlow(text, field);
}

StatusOr<std::string> NormaliseNfkcSlow(std::string_view text, std::string_view field) {
  if (!ForEachCodePoint(text, [](UChar32) {})) {
    return Invalid(std::string(field), "utf8", "not well-formed UTF-8");
  }
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(err);
  if (U_FAILURE(err)) return Internal("ICU NFKC normaliser unavailable");
  icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  nfkc->normalizeUTF8(0, piece, sink, nullptr, err);
  if (U_FAILURE(err)) return Invalid(std::string(field), "utf8", "cannot be normalised (NFKC)");
  return out;
}

namespace {

// libphonenumber's regular expressions cost microseconds per number. Chinese
// mobile numbers (11 digits, 13x-19x) are by far the most common input. In
// libphonenumber's CN metadata only the mobile pattern covers such numbers,
// and it decides by the first five digits at most (e.g. 1740[0-5]); so its
// verdict is cached per five-digit prefix. 179xx00 and 11x/12x are carrier
// selection prefixes whose handling depends on later digits: they always take
// the slow path. values_test.cc checks every prefix in every spelling against
// libphonenumber, and schema_phone_fuzz compares both paths on any input.
class MobilePrefixCache {
 public:
  // The 11 national digits of a plain mobile number, else false. Accepted:
  // an optional "+86", "0086" or "86", then digits in groups separated by
  // single spaces or hyphens (also after the prefix), nothing else.
  static bool PlainMobile(std::string_view text, char (&national)[11]) {
    if (text.starts_with("+86")) {
      text.remove_prefix(3);
    } else if (text.starts_with("0086")) {
      text.remove_prefix(4);
    } else if (text.starts_with("86") && text.size() > 11) {
      text.remove_prefix(2);
    }
    if (!text.empty() && (text.front() == ' ' || text.front() == '-')) text.remove_prefix(1);
    size_t n = 0;
    bool after_digit = false;
    for (char c : text) {
      if (c >= '0' && c <= '9') {
        if (n == 11) return false;
        national[n++] = c;
        after_digit = true;
      } else if ((c == ' ' || c == '-') && after_digit) {
        after_digit = false;
      } else {
        return false;
      }
    }
    std::string_view digits(national, n);
    return n == 11 && after_digit && digits[0] == '1' && digits[1] >= '3' &&
           !digits.starts_with("179");
  }
  // 1 valid, 0 invalid, -1 not known yet.
  int Lookup(std::string_view national) const {
    return static_cast<int>(state_[Slot(national)].load(std::memory_order_relaxed)) - 1;
  }
  void Store(std::string_view national, bool valid) {
    state_[Slot(national)].store(valid ? 2 : 1, std::memory_order_relaxed);
  }

 private:
  static size_t Slot(std::string_view national) {
    size_t v = 0;
    for (size_t i = 1; i < 5; ++i) v = v * 10 + static_cast<size_t>(national[i] - '0');
    return v;
  }
  std::atomic<uint8_t> state_[10'000] = {};
};

MobilePrefixCache& Mobiles() {
  static MobilePrefixCache* cache = new MobilePrefixCache();
  return *cache;
}

StatusOr<std::string> ParsePhone(std::string_view text, const std::string& path) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util->Parse(std::string(text), "CN", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return Invalid(path, "format", "not a phone number");
  }
  if (!util->IsValidNumber(number)) {
    return Invalid(path, "invalid_number", "not a valid phone number (libphonenumber)");
  }
  std::string out;
  util->Format(number, PhoneNumberUtil::E164, &out);
  return out;
}

}  // namespace

StatusOr<std::string> NormalisePhone(std::string_view text, std::string_view field) {
  std::string path(field);
  if (text.empty() || text.size() > 64) return Invalid(path, "format", "not a phone number");
  char digits[11];
  if (!MobilePrefixCache::PlainMobile(text, digits)) return ParsePhone(text, path);
  std::string_view national(digits, sizeof digits);
  MobilePrefixCache& cache = Mobiles();
  int known = cache.Lookup(national);
  if (known == 1) return "+86" + std::string(national);
  if (known == 0) {
    return Invalid(path, "invalid_number", "not a valid phone number (libphonenumber)");
  }
  StatusOr<std::string> slow = ParsePhone(text, path);
  if (slow.ok() || RuleOfFirst(slow.status()) == "invalid_number") cache.Store(national, slow.ok());
  return slow;
}

StatusOr<std::string> NormalisePhoneSlow(std::string_view text, std::string_view field) {
  std::string path(field);
  if (text.empty() || text.size() > 64) return Invalid(path, "format", "not a phone number");
  return ParsePhone(text, path);
}

StatusOr<json> NormaliseScalar(const FieldSchema& f, FieldType type, const json& in,
                               const std::string& path, const CivilDate& today) {
  switch (type) {
    case FieldType::kBool: {
      if (in.is_boolean()) return in;
      if (in.is_string()) {
        std::string_view s = Trim(in.get_ref<const std::string&>());
        if (s == "true" || s == "1") return json(true);
        if (s == "false" || s == "0") return json(false);
      }
      return Invalid(path, "format", "must be true or false");
    }
    case FieldType::kInt: {
      int64_t v = 0;
      if (in.is_number_integer()) {
        if (in.is_number_unsigned() && in.get<uint64_t>() > INT64_MAX) {
          return Invalid(path, "range", "out of range");
        }
        v = in.get<int64_t>();
      } else if (in.is_string()) {
        std::string_view s = Trim(in.get_ref<const std::string&>());
        if (!s.empty() && s[0] == '+') s.remove_prefix(1);
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
          return Invalid(path, "format", "must be an integer");
        }
      } else {
        return Invalid(path, "format", "must be an integer");
      }
      if (v < f.min || v > f.max) {
        return Invalid(
            path, "range",
            "must be between " + std::to_string(f.min) + " and " + std::to_string(f.max));
      }
      return json(v);
    }
    case FieldType::kObject:
    case FieldType::kList:
      return Internal("NormaliseScalar called for a composite type");
    default:
      break;
  }
  ASSIGN_OR_RETURN(std::string raw, RequireString(in, path));
  std::string_view s = Trim(raw);
  switch (type) {
    case FieldType::kCnResidentId: {
      std::string folded;
      if (!IsAscii(s)) {  // full-width digits and letters
        ASSIGN_OR_RETURN(folded, NormaliseNfkc(s, path));
        s = Trim(folded);
      }
      ASSIGN_OR_RETURN(ResidentId id, ParseResidentId(s, today, path));
      return json(std::move(id.number));
    }
    case FieldType::kPhone: {
      ASSIGN_OR_RETURN(std::string e164, NormalisePhone(s, path));
      return json(std::move(e164));
    }
    case FieldType::kName:
      return NormaliseName(f, s, path);
    case FieldType::kAddress: {
      ASSIGN_OR_RETURN(std::string a, NormaliseNfkc(s, path));
      if (HasControl(a, false)) return Invalid(path, "control_char", "control characters");
      a = CollapseSpaces(a);
      size_t max = f.max_length ? f.max_length : kMaxAddressLength;
      size_t n = CodePointCount(a);
      if (n < std::max<size_t>(1, f.min_length) || n > max) {
        return Invalid(path, "length",
                       "an address has 1 to " + std::to_string(max) + " characters");
      }
      return json(std::move(a));
    }
    case FieldType::kDivisionCode: {
      std::string folded;
      if (!IsAscii(s)) {
        ASSIGN_OR_RETURN(folded, NormaliseNfkc(s, path));
        s = Trim(folded);
      }
      const Division* division = DivisionTable::Get().Find(s);
      if (division == nullptr) {
        return Invalid(path, "division_code", "not a GB/T 2260 division code");
      }
      // Resident ID numbers and fields marked `historical` (a place of birth)
      // keep the codes of abolished divisions; elsewhere a new record is
      // placed in today's divisions.
      if (division->historical && !f.historical) {
        return Invalid(path, "abolished_division",
                       "an abolished GB/T 2260 division code; a new record uses a current code");
      }
      return json(std::string(s));
    }
    case FieldType::kDate:
      return NormaliseDate(f, s, path, today);
    case FieldType::kEnum: {
      std::string v(s);
      if (IsAscii(v)) {
        for (char& c : v) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
      for (const std::string& allowed : f.values) {
        if (allowed == v) return json(std::move(v));
      }
      return Invalid(path, "enum", "not one of the allowed values");
    }
    case FieldType::kText: {
      if (!ForEachCodePoint(s, [](UChar32) {})) {
        return Invalid(path, "utf8", "not well-formed UTF-8");
      }
      if (HasControl(s, true)) return Invalid(path, "control_char", "control characters");
      size_t max = f.max_length ? f.max_length : kMaxTextLength;
      size_t n = CodePointCount(s);
      if (n < f.min_length || n > max) {
        return Invalid(path, "length", "at most " + std::to_string(max) + " characters");
      }
      if (f.key_charset) {
        if (s.empty()) return Invalid(path, "length", "must not be empty");
        for (char c : s) {
          bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
          if (!ok) return Invalid(path, "charset", "letters, digits, - and _ only");
        }
      }
      return json(std::string(s));
    }
    default:
      return Internal("unhandled field type");
  }
}

StatusOr<std::string> NormaliseValue(FieldType type, std::string_view text, const Clock& clock) {
  std::string name(FieldTypeName(type));
  if (type == FieldType::kEnum || type == FieldType::kObject || type == FieldType::kList) {
    return InvalidArgument("type " + name + " cannot be checked on its own", "unsupported_type");
  }
  FieldSchema f;
  f.name = name;
  f.type = type;
  CivilDate today = CivilDateOfMicros(clock.NowMicros());
  ASSIGN_OR_RETURN(json v, NormaliseScalar(f, type, json(std::string(text)), name, today));
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace warden::schema
