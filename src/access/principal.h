// Principal: who is asking, as Authenticator::Authenticate resolves a bearer
// credential for one request. Every decision of the access layer (the
// functions of authorization.h, Limits, Tripwires, Administration) is taken
// on a Principal; it is read again from the store for every request, so a
// suspension or a changed policy applies to the next one.
//
// Thread safety: a plain value. It holds no secret.
#ifndef WARDEN_ACCESS_PRINCIPAL_H_
#define WARDEN_ACCESS_PRINCIPAL_H_

#include <string>

#include "access/policy.h"
#include "access/roles.h"

namespace warden::access {

struct Principal {
  std::string account_id;
  std::string username;
  AccountKind kind = AccountKind::kHuman;
  RoleSet roles;
  EffectivePolicy policy;
  // Names the session or API key in audit records ("s_…" / "k_…"); not a secret.
  std::string session_id;
  std::string client_addr;
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_PRINCIPAL_H_
