#include "access/roles.h"

#include <array>

namespace warden::access {
namespace {

constexpr std::array<std::string_view, kRoleCount> kRoleNames = {
    "operator", "security_officer", "auditor", "registrar", "officer", "investigator", "service",
};

constexpr std::array<std::string_view, kOperationCount> kOperationNames = {
    "lookup", "search",         "search_by_name", "reveal",          "write",
    "erase",  "export_request", "read_audit",     "manage_accounts", "operate",
};

constexpr uint32_t Bit(Operation op) { return 1U << static_cast<int>(op); }

// Which operations each role may perform, indexed by Role.
constexpr std::array<uint32_t, kRoleCount> kRoleOperations = {
    /*operator=*/Bit(Operation::kOperate),
    /*security_officer=*/Bit(Operation::kManageAccounts),
    /*auditor=*/Bit(Operation::kReadAudit),
    /*registrar=*/Bit(Operation::kLookup) | Bit(Operation::kSearch) | Bit(Operation::kWrite) |
        Bit(Operation::kErase) | Bit(Operation::kExportRequest),
    /*officer=*/Bit(Operation::kLookup) | Bit(Operation::kSearch),
    /*investigator=*/Bit(Operation::kLookup) | Bit(Operation::kSearch) |
        Bit(Operation::kSearchByName) | Bit(Operation::kReveal) | Bit(Operation::kExportRequest),
    /*service=*/0,
};

}  // namespace

std::string_view RoleName(Role role) { return kRoleNames[static_cast<size_t>(role)]; }

std::optional<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

bool IsDutyRole(Role role) {
  return role == Role::kOperator || role == Role::kSecurityOfficer || role == Role::kAuditor;
}

RoleSet::RoleSet(std::initializer_list<Role> roles) {
  for (Role r : roles) Add(r);
}

std::vector<Role> RoleSet::ToVector() const {
  std::vector<Role> out;
  for (int i = 0; i < kRoleCount; ++i) {
    if (Has(static_cast<Role>(i))) out.push_back(static_cast<Role>(i));
  }
  return out;
}

std::vector<std::string> RoleSet::Names() const {
  std::vector<std::string> out;
  for (Role r : ToVector()) out.emplace_back(RoleName(r));
  return out;
}

Status CheckRoleCombination(AccountKind kind, const RoleSet& roles) {
  int duties = 0;
  int others = 0;
  for (Role r : roles.ToVector()) {
    if (IsDutyRole(r)) {
      ++duties;
    } else {
      ++others;
    }
    if ((r == Role::kService) != (kind == AccountKind::kService)) {
      return PermissionDenied("the service role belongs to service accounts only",
                              "separation_of_duties");
    }
  }
  if (duties > 1) {
    return PermissionDenied("an account holds at most one of operator, security_officer, auditor",
                            "separation_of_duties");
  }
  if (duties == 1 && others > 0) {
    return PermissionDenied("operator, security_officer and auditor accounts hold no other role",
                            "separation_of_duties");
  }
  return Status::Ok();
}

std::string_view OperationName(Operation op) { return kOperationNames[static_cast<size_t>(op)]; }

std::optional<Operation> ParseOperation(std::string_view name) {
  for (size_t i = 0; i < kOperationNames.size(); ++i) {
    if (kOperationNames[i] == name) return static_cast<Operation>(i);
  }
  return std::nullopt;
}

bool IsPersonalDataOperation(Operation op) {
  switch (op) {
    case Operation::kLookup:
    case Operation::kSearch:
    case Operation::kSearchByName:
    case Operation::kReveal:
    case Operation::kWrite:
    case Operation::kErase:
    case Operation::kExportRequest:
      return true;
    case Operation::kReadAudit:
    case Operation::kManageAccounts:
    case Operation::kOperate:
      return false;
  }
  return true;
}

bool RoleAllows(Role role, Operation op) {
  return (kRoleOperations[static_cast<size_t>(role)] & Bit(op)) != 0;
}

}  // namespace warden::access
