// Policies: the limits that bound what one account can take (G4).
//
// A Policy is a set of optional overrides. The effective policy of an account
// is built in layers: the built-in defaults of each of its roles (the most
// permissive of them when it holds several), then the stored policy of each
// role, then the account's own policy; a later layer replaces the fields it
// sets. Policies narrow the role table of roles.h, never widen it — except for
// `service` accounts, whose `collections` is the only thing that lets them do
// anything.
//
// Thread safety: plain values.
#ifndef WARDEN_ACCESS_POLICY_H_
#define WARDEN_ACCESS_POLICY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "access/roles.h"
#include "core/status.h"

namespace warden::access {

// Collection name -> the operations allowed on it. The name "*" stands for
// every collection.
using CollectionGrants = std::map<std::string, std::set<Operation>, std::less<>>;

struct Policy {
  std::optional<CollectionGrants> collections;
  std::optional<int64_t> result_cap;         // most records one search returns
  std::optional<double> rate_per_second;     // token-bucket refill rate
  std::optional<int64_t> burst;              // token-bucket depth
  std::optional<int64_t> daily_read_quota;   // records and revealed fields read per UTC day
  std::optional<int64_t> daily_write_quota;  // records written or erased per UTC day
  // GB/T 2260 division codes; a code ending in "00" or "0000" covers its city
  // or province. Empty or unset: no scope restriction.
  std::optional<std::vector<std::string>> division_scope;
  // Fields a service account sees in the clear, as "collection.field".
  std::optional<std::vector<std::string>> clear_fields;

  bool operator==(const Policy&) const = default;
};

// A fully resolved policy: every limit set.
struct EffectivePolicy {
  std::optional<CollectionGrants> collections;  // nullopt: no narrowing beyond the role table
  int64_t result_cap = 0;
  double rate_per_second = 0;
  int64_t burst = 0;
  int64_t daily_read_quota = 0;
  int64_t daily_write_quota = 0;
  std::vector<std::string> division_scope;
  std::vector<std::string> clear_fields;
};

// Limits no stored policy may pass, whoever approves it. They come from the
// server's configuration, not from the API, so that two security officers
// together still cannot open the whole register to one account.
struct PolicyCeiling {
  int64_t result_cap = 200;
  double rate_per_second = 1'000;
  int64_t burst = 2'000;
  int64_t daily_read_quota = 1'000'000;
  int64_t daily_write_quota = 10'000'000;
};

// kInvalidArgument naming the first field above `ceiling` (rule "ceiling").
Status CheckPolicyCeiling(const Policy& policy, const PolicyCeiling& ceiling);

// Whether `after` lets an account take anything `before` did not: a higher
// limit, an operation on a collection, a clear field, or a division outside
// the earlier scope. Such a change needs a second security officer.
bool PolicyWidens(const EffectivePolicy& before, const EffectivePolicy& after);

// The built-in defaults of one role (documented in docs/access.md).
Policy DefaultPolicy(Role role);

// Resolves the layers described above. `role_policies` holds the stored policy
// per role (absent: none stored).
EffectivePolicy ResolvePolicy(const RoleSet& roles, const std::map<Role, Policy>& role_policies,
                              const std::optional<Policy>& account_policy);

// JSON text <-> Policy. Parsing validates every field: FieldInvalid naming the
// field ("daily_read_quota", "collections.persons") and the rule.
std::string EncodePolicy(const Policy& policy);
StatusOr<Policy> DecodePolicy(std::string_view json);

// Whether a record of division `record_code` is inside `scope`. An empty scope
// covers everything; a record without a division code is outside any
// non-empty scope (fail closed).
bool DivisionInScope(const std::vector<std::string>& scope, std::string_view record_code);

// Whether `code` is six ASCII digits.
bool IsDivisionCodeSyntax(std::string_view code);

}  // namespace warden::access

#endif  // WARDEN_ACCESS_POLICY_H_
