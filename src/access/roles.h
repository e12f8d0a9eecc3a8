// Roles and operations of SPEC §4, and the separation-of-duties rules of G7.
//
// A role names what an account is for; an operation names what one request
// does. RoleAllows() is the fixed table of which role may perform which
// operation; policies (policy.h) can narrow it per role and per account, never
// widen it, except for `service` accounts, whose policy names their
// collections and operations explicitly.
//
// Thread safety: everything here is immutable or pure.
#ifndef WARDEN_ACCESS_ROLES_H_
#define WARDEN_ACCESS_ROLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace warden::access {

enum class Role : uint8_t {
  kOperator = 0,         // runs the service; never personal data
  kSecurityOfficer = 1,  // manages accounts, keys, policies, alerts; never personal data
  kAuditor = 2,          // reads the audit trail; never records
  kRegistrar = 3,        // creates, corrects, erases, imports records
  kOfficer = 4,          // looks up by national ID, phone, or name + birth date; sees masks
  kInvestigator = 5,     // officer + reveal + name-only search
  kService = 6,          // an API-key account whose policy names its collections and operations
};
inline constexpr int kRoleCount = 7;

std::string_view RoleName(Role role);
// Parses a role name as written in SPEC §4 ("security_officer"); nullopt otherwise.
std::optional<Role> ParseRole(std::string_view name);

// The duties of G7: an account holds at most one of them and nothing else.
bool IsDutyRole(Role role);

// A set of roles as a bit mask.
class RoleSet {
 public:
  RoleSet() = default;
  RoleSet(std::initializer_list<Role> roles);
  bool Has(Role role) const { return (bits_ >> static_cast<int>(role)) & 1U; }
  void Add(Role role) { bits_ |= 1U << static_cast<int>(role); }
  void Remove(Role role) { bits_ &= ~(1U << static_cast<int>(role)); }
  bool empty() const { return bits_ == 0; }
  std::vector<Role> ToVector() const;
  std::vector<std::string> Names() const;
  bool operator==(const RoleSet&) const = default;

 private:
  uint32_t bits_ = 0;
};

enum class AccountKind : uint8_t { kHuman = 0, kService = 1 };

// Whether an account of `kind` may hold `roles`: at most one duty role and,
// if it holds one, no other role (an operator who is also an officer would read
// personal data); `service` only and always on service accounts.
// kPermissionDenied with reason "separation_of_duties" otherwise.
Status CheckRoleCombination(AccountKind kind, const RoleSet& roles);

enum class Operation : uint8_t {
  kLookup = 0,      // GET one record by key
  kSearch,          // search by national ID, phone, or name + birth date
  kSearchByName,    // name-only search
  kReveal,          // unmask fields of one record
  kWrite,           // create, replace, update, batch, import
  kErase,           // delete a record and its index entries
  kExportRequest,   // ask for an export job
  kReadAudit,       // audit entries, verification, trace, access reports
  kManageAccounts,  // accounts, roles, API keys, policies, alerts, export approval
  kOperate,         // metrics, seal, rotate, canary registration
};
inline constexpr int kOperationCount = 10;

std::string_view OperationName(Operation op);
std::optional<Operation> ParseOperation(std::string_view name);

// Whether the operation touches personal data (then a purpose is required
// and quotas apply).
bool IsPersonalDataOperation(Operation op);

// The fixed role table. `service` allows nothing here: its policy decides.
bool RoleAllows(Role role, Operation op);

}  // namespace warden::access

#endif  // WARDEN_ACCESS_ROLES_H_
