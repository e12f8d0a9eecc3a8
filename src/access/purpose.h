// Purposes (SPEC §4): why a request reads or writes personal data.
//
//   Warden-Purpose: <kind>/<reference>    kind: case, subject-request,
//                                          correction, import, audit
//   Warden-Reason: <free text, at most 200 characters>   (optional)
//
// The parsed Purpose goes into the audit record of the request.
#ifndef WARDEN_ACCESS_PURPOSE_H_
#define WARDEN_ACCESS_PURPOSE_H_

#include <string>
#include <string_view>

#include "core/status.h"

namespace warden::access {

enum class PurposeKind { kCase, kSubjectRequest, kCorrection, kImport, kAudit };

std::string_view PurposeKindName(PurposeKind kind);

struct Purpose {
  PurposeKind kind = PurposeKind::kCase;
  std::string reference;  // 1-64 characters of [A-Za-z0-9._:/-]
  std::string reason;     // empty when no Warden-Reason was sent

  // "case/2024-310115-0042"
  std::string ToString() const;
  bool operator==(const Purpose&) const = default;
};

inline constexpr size_t kMaxPurposeReference = 64;
inline constexpr size_t kMaxReasonChars = 200;

// Parses the two headers. An empty `purpose_header` (absent or blank) is 400
// with reason "purpose_required"; anything malformed is 400 "purpose_invalid"
// naming the header and the rule ("kind", "format", "reference", "length",
// "utf8", "control_character"). Leading and trailing blanks are ignored.
StatusOr<Purpose> ParsePurpose(std::string_view purpose_header, std::string_view reason_header);

}  // namespace warden::access

#endif  // WARDEN_ACCESS_PURPOSE_H_
