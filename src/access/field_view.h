// FieldView: which fields of a collection one principal sees in the clear,
// masked, or not at all, and which masked fields it may reveal.
//
// This decides *whether* a field is masked; *how* it is masked is the schema's
// mask rule (SPEC §3: national ID first 3 + last 4, surname only, free text
// withheld...). A mask rule of "none" in the schema (non-personal fields such
// as a case's status) leaves a kMasked field readable as it is.
//
//   role                        fields            reveal
//   officer, registrar          masked            never
//   investigator                masked            every field, counted against the quota
//   service                     masked, except the policy's clear_fields   never
//   operator, security_officer,
//   auditor                     hidden            never
//
// Thread safety: an immutable value.
#ifndef WARDEN_ACCESS_FIELD_VIEW_H_
#define WARDEN_ACCESS_FIELD_VIEW_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "access/policy.h"
#include "access/roles.h"
#include "schema/record.h"
#include "schema/schema.h"

namespace warden::access {

enum class FieldDisposition {
  kClear,   // the stored value as it is
  kMasked,  // the schema's mask of the value
  kHidden,  // left out of the response altogether
};

class FieldView {
 public:
  // What `roles` under `policy` see of `collection`.
  static FieldView For(const RoleSet& roles, const EffectivePolicy& policy,
                       std::string_view collection);

  FieldDisposition Disposition(std::string_view field) const;
  // Whether a reveal of `field` is allowed (it is then counted against the
  // read quota, one unit per field).
  bool CanReveal(std::string_view field) const;
  // What this view shows of `record` (a normalised record of `collection`):
  // clear fields as stored, masked ones through the schema's mask rule,
  // hidden ones left out. This is the only way a record leaves the server.
  nlohmann::json Present(const schema::CollectionSchema& collection,
                         const schema::Record& record) const;
  // Whether this view can reveal anything at all.
  bool reveals_anything() const { return reveal_all_; }

 private:
  FieldDisposition default_ = FieldDisposition::kHidden;
  bool reveal_all_ = false;
  std::set<std::string, std::less<>> clear_;
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_FIELD_VIEW_H_
