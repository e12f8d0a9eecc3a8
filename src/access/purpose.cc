#include "access/purpose.h"

#include <array>
#include <utility>

namespace warden::access {
namespace {

constexpr std::array<std::pair<std::string_view, PurposeKind>, 5> kKinds = {{
    {"case", PurposeKind::kCase},
    {"subject-request", PurposeKind::kSubjectRequest},
    {"correction", PurposeKind::kCorrection},
    {"import", PurposeKind::kImport},
    {"audit", PurposeKind::kAudit},
}};

constexpr std::string_view kPurposeHeader = "Warden-Purpose";
constexpr std::string_view kReasonHeader = "Warden-Reason";

Status PurposeInvalid(std::string_view header, std::string rule, std::string message) {
  return Status(StatusCode::kInvalidArgument, "purpose_invalid", std::move(message),
                {FieldViolation{std::string(header), std::move(rule)}});
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsReferenceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '-';
}

// Validates UTF-8 (shortest form, no surrogates) and counts code points;
// rejects control characters. Returns the code-point count or a rule name.
std::variant<size_t, const char*> CountReasonChars(std::string_view s) {
  size_t count = 0;
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if ((b & 0xE0) == 0xC0) {
      cp = b & 0x1F;
      len = 2;
    } else if ((b & 0xF0) == 0xE0) {
      cp = b & 0x0F;
      len = 3;
    } else if ((b & 0xF8) == 0xF0) {
      cp = b & 0x07;
      len = 4;
    } else {
      return "utf8";
    }
    if (i + len > s.size()) return "utf8";
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return "utf8";
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return "utf8";
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029) {
      return "control_character";
    }
    i += len;
    ++count;
  }
  return count;
}

}  // namespace

std::string_view PurposeKindName(PurposeKind kind) {
  for (const auto& [name, k] : kKinds) {
    if (k == kind) return name;
  }
  return "case";
}

std::string Purpose::ToString() const {
  std::string out(PurposeKindName(kind));
  out += '/';
  out += reference;
  return out;
}

StatusOr<Purpose> ParsePurpose(std::string_view purpose_header, std::string_view reason_header) {
  std::string_view value = Trim(purpose_header);
  if (value.empty()) {
    return Status(StatusCode::kInvalidArgument, "purpose_required",
                  "personal data requires a Warden-Purpose header: <kind>/<reference>",
                  {FieldViolation{std::string(kPurposeHeader), "required"}});
  }
  size_t slash = value.find('/');
  if (slash == std::string_view::npos) {
    return PurposeInvalid(kPurposeHeader, "format", "Warden-Purpose must read <kind>/<reference>");
  }
  std::string_view kind_text = value.substr(0, slash);
  std::string_view reference = value.substr(slash + 1);
  Purpose purpose;
  bool known = false;
  for (const auto& [name, k] : kKinds) {
    if (name == kind_text) {
      purpose.kind = k;
      known = true;
    }
  }
  if (!known) {
    return PurposeInvalid(kPurposeHeader, "kind",
                          "purpose kind must be one of case, subject-request, correction, "
                          "import, audit");
  }
  if (reference.empty() || reference.size() > kMaxPurposeReference) {
    return PurposeInvalid(kPurposeHeader, "reference",
                          "purpose reference must be 1 to 64 characters");
  }
  for (char c : reference) {
    if (!IsReferenceChar(c)) {
      return PurposeInvalid(kPurposeHeader, "reference",
                            "purpose reference may hold only letters, digits and . _ : / -");
    }
  }
  purpose.reference = std::string(reference);

  std::string_view reason = Trim(reason_header);
  auto counted = CountReasonChars(reason);
  if (const char* const* rule = std::get_if<const char*>(&counted)) {
    return PurposeInvalid(kReasonHeader, *rule,
                          "Warden-Reason must be UTF-8 text without control characters");
  }
  if (std::get<size_t>(counted) > kMaxReasonChars) {
    return PurposeInvalid(kReasonHeader, "length", "Warden-Reason is at most 200 characters");
  }
  purpose.reason = std::string(reason);
  return purpose;
}

}  // namespace warden::access
