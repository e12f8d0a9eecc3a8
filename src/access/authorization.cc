// Authorisation: roles, the policy's collections and division scope, field views.
#include "access/authorization.h"

#include <string>

#include "access/policy.h"

namespace warden::access {
namespace {

bool CollectionAllows(const CollectionGrants& grants, std::string_view collection, Operation op) {
  for (std::string_view name : {collection, std::string_view("*")}) {
    auto it = grants.find(name);
    if (it != grants.end() && it->second.contains(op)) return true;
  }
  return false;
}

}  // namespace

Status Authorize(const Principal& who, Operation op, std::string_view collection) {
  bool role_allows = false;
  for (Role r : who.roles.ToVector()) {
    if (RoleAllows(r, op)) role_allows = true;
    if (r == Role::kService && IsPersonalDataOperation(op) && who.policy.collections &&
        CollectionAllows(*who.policy.collections, collection, op)) {
      role_allows = true;
    }
  }
  if (!role_allows) {
    std::string message = "the account's roles do not allow ";
    message += OperationName(op);
    return PermissionDenied(std::move(message), "role_forbidden");
  }
  if (IsPersonalDataOperation(op) && who.policy.collections &&
      !CollectionAllows(*who.policy.collections, collection, op)) {
    std::string message = "the account's policy does not allow ";
    message += OperationName(op);
    message += " on this collection";
    return PermissionDenied(std::move(message), "collection_forbidden");
  }
  return Status::Ok();
}

Status CheckDivision(const Principal& who, std::string_view record_division_code) {
  if (DivisionInScope(who.policy.division_scope, record_division_code)) return Status::Ok();
  return PermissionDenied("the record is outside the account's division scope",
                          "division_forbidden");
}

FieldView ViewFor(const Principal& who, std::string_view collection) {
  return FieldView::For(who.roles, who.policy, collection);
}

}  // namespace warden::access
