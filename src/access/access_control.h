// AccessControl: who is asking, for what, and how much they may see (SPEC §4,
// G1, G4, G5, G7, G10). It owns the parts of the access layer, wired on one
// Store, and hands them out; each part's header states its contract:
//
//   authenticator()   bootstrap, enrolment, login, sessions, API-key
//                     verification: a bearer credential -> Principal
//   limits()          request rate and daily record quotas
//   tripwires()       canaries, volume and miss-rate alerts, the alert list
//   administration()  accounts, roles, change requests, API keys, policies
//   authorization.h   Authorize, CheckDivision, ViewFor, ResultCap: pure
//                     decisions on a Principal
//
// The HTTP layer calls, per request and in this order:
//
//   ASSIGN_OR_RETURN(Principal who, access.authenticator().Authenticate(bearer, peer)); // 401, 423
//   RETURN_IF_ERROR(access.limits().CheckRate(who));                      // 429 rate_limited
//   ASSIGN_OR_RETURN(Purpose why, ParsePurpose(purpose_hdr, reason_hdr)); // 400
//   RETURN_IF_ERROR(Authorize(who, Operation::kLookup, "persons"));       // 403
//   ... read the record ...
//   RETURN_IF_ERROR(access.tripwires().CheckCanary(who, "persons", key)); // 423, account suspended
//   RETURN_IF_ERROR(CheckDivision(who, division_of_record));              // 403
//   ASSIGN_OR_RETURN(int64_t left,
//                    access.limits().ChargeRecords(who, QuotaKind::kRead, 1)); // 429
//   FieldView view = ViewFor(who, "persons");   // mask per field
//   ... audit (durable), then respond ...
//
// Every record is checked and charged before any byte of it is sent, so a
// canary suspends the account before a further record is served and a scraping
// loop stops at exactly its quota.
//
// Everything persistent is in the Store (Space::kMeta and Space::kCounters;
// each part's header lists its keys), so several servers sharing one store
// enforce one quota and one lockout per account. Tokens, API keys, passwords
// and TOTP secrets never appear in the Store, in errors or in alerts in the
// clear.
//
// Thread safety: the parts may be used concurrently (see their headers).
// The Clock and Store must outlive this object; the parts live as long as it.
#ifndef WARDEN_ACCESS_ACCESS_CONTROL_H_
#define WARDEN_ACCESS_ACCESS_CONTROL_H_

#include <memory>

#include "access/access_options.h"
#include "access/administration.h"
#include "access/authenticator.h"
#include "access/authorization.h"
#include "access/limits.h"
#include "access/principal.h"
#include "access/tripwires.h"
#include "core/clock.h"
#include "core/secret.h"
#include "core/status.h"
#include "store/store.h"

namespace warden::access {

class AccountStore;

class AccessControl {
 public:
  // kInvalidArgument if a key is not 32 bytes.
  static StatusOr<std::unique_ptr<AccessControl>> Create(Store& store, const Clock& clock,
                                                         AccessKeys keys,
                                                         AccessOptions options = {});
  ~AccessControl();
  AccessControl(const AccessControl&) = delete;
  AccessControl& operator=(const AccessControl&) = delete;

  Authenticator& authenticator() { return authenticator_; }
  Limits& limits() { return limits_; }
  Tripwires& tripwires() { return tripwires_; }
  Administration& administration() { return administration_; }

 private:
  AccessControl(Store& store, const Clock& clock, AccessKeys keys, const AccessOptions& options,
                const SecretBytes& canary_key, const SecretBytes& lockout_key);

  // Declared in the order of their dependencies: each part refers only to
  // those above it. The account store is the layer's own, never handed out.
  std::unique_ptr<AccountStore> accounts_;
  Tripwires tripwires_;
  Limits limits_;
  Authenticator authenticator_;
  Administration administration_;
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_ACCESS_CONTROL_H_
