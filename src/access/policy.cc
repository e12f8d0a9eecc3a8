#include "access/policy.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace warden::access {
namespace {

using nlohmann::json;

template <typename T>
void MaxInto(std::optional<T>& into, const std::optional<T>& v) {
  if (v && (!into || *v > *into)) into = v;
}

void Overlay(Policy& into, const Policy& over) {
  if (over.collections) into.collections = over.collections;
  if (over.result_cap) into.result_cap = over.result_cap;
  if (over.rate_per_second) into.rate_per_second = over.rate_per_second;
  if (over.burst) into.burst = over.burst;
  if (over.daily_read_quota) into.daily_read_quota = over.daily_read_quota;
  if (over.daily_write_quota) into.daily_write_quota = over.daily_write_quota;
  if (over.division_scope) into.division_scope = over.division_scope;
  if (over.clear_fields) into.clear_fields = over.clear_fields;
}

StatusOr<int64_t> NonNegativeInt(const json& j, const char* field, int64_t max) {
  if (!j.is_number_integer()) return FieldInvalid(field, "integer", "must be an integer");
  int64_t v = j.get<int64_t>();
  if (v < 0 || v > max) return FieldInvalid(field, "range", "out of range");
  return v;
}

}  // namespace

Policy DefaultPolicy(Role role) {
  Policy p;
  switch (role) {
    case Role::kOperator:
    case Role::kSecurityOfficer:
    case Role::kAuditor:
      p.result_cap = 0;
      p.rate_per_second = 20;
      p.burst = 40;
      p.daily_read_quota = 0;
      p.daily_write_quota = 0;
      break;
    case Role::kRegistrar:
      p.result_cap = 20;
      p.rate_per_second = 50;
      p.burst = 100;
      p.daily_read_quota = 1'000;
      p.daily_write_quota = 10'000;
      break;
    case Role::kOfficer:
      p.result_cap = 20;
      p.rate_per_second = 5;
      p.burst = 20;
      p.daily_read_quota = 500;
      p.daily_write_quota = 0;
      break;
    case Role::kInvestigator:
      p.result_cap = 50;
      p.rate_per_second = 10;
      p.burst = 30;
      p.daily_read_quota = 2'000;
      p.daily_write_quota = 0;
      break;
    case Role::kService:
      p.collections = CollectionGrants{};
      p.result_cap = 20;
      p.rate_per_second = 100;
      p.burst = 200;
      p.daily_read_quota = 10'000;
      p.daily_write_quota = 10'000;
      break;
  }
  return p;
}

Status CheckPolicyCeiling(const Policy& p, const PolicyCeiling& c) {
  auto above = [](const char* field) {
    return FieldInvalid(field, "ceiling", "above the server's configured ceiling");
  };
  if (p.result_cap && *p.result_cap > c.result_cap) return above("result_cap");
  if (p.rate_per_second && *p.rate_per_second > c.rate_per_second) return above("rate_per_second");
  if (p.burst && *p.burst > c.burst) return above("burst");
  if (p.daily_read_quota && *p.daily_read_quota > c.daily_read_quota) {
    return above("daily_read_quota");
  }
  if (p.daily_write_quota && *p.daily_write_quota > c.daily_write_quota) {
    return above("daily_write_quota");
  }
  return Status::Ok();
}

namespace {

bool GrantsAllow(const CollectionGrants& grants, const std::string& collection, Operation op) {
  for (const std::string& name : {collection, std::string("*")}) {
    auto it = grants.find(name);
    if (it != grants.end() && it->second.contains(op)) return true;
  }
  return false;
}

}  // namespace

bool PolicyWidens(const EffectivePolicy& before, const EffectivePolicy& after) {
  if (after.result_cap > before.result_cap || after.rate_per_second > before.rate_per_second ||
      after.burst > before.burst || after.daily_read_quota > before.daily_read_quota ||
      after.daily_write_quota > before.daily_write_quota) {
    return true;
  }
  // No list means the role table itself, the widest a person's policy can be.
  if (!after.collections) {
    if (before.collections) return true;
  } else if (before.collections) {
    for (const auto& [name, ops] : *after.collections) {
      for (Operation op : ops) {
        if (!GrantsAllow(*before.collections, name, op)) return true;
      }
    }
  }
  for (const std::string& field : after.clear_fields) {
    if (std::find(before.clear_fields.begin(), before.clear_fields.end(), field) ==
        before.clear_fields.end()) {
      return true;
    }
  }
  // An empty scope covers everything.
  if (!before.division_scope.empty()) {
    if (after.division_scope.empty()) return true;
    for (const std::string& code : after.division_scope) {
      if (!DivisionInScope(before.division_scope, code)) return true;
    }
  }
  return false;
}

EffectivePolicy ResolvePolicy(const RoleSet& roles, const std::map<Role, Policy>& role_policies,
                              const std::optional<Policy>& account_policy) {
  Policy merged;
  for (Role r : roles.ToVector()) {
    Policy p = DefaultPolicy(r);
    if (auto it = role_policies.find(r); it != role_policies.end()) Overlay(p, it->second);
    // Several roles: the most permissive limit of any of them.
    MaxInto(merged.result_cap, p.result_cap);
    MaxInto(merged.rate_per_second, p.rate_per_second);
    MaxInto(merged.burst, p.burst);
    MaxInto(merged.daily_read_quota, p.daily_read_quota);
    MaxInto(merged.daily_write_quota, p.daily_write_quota);
    if (p.collections) {
      if (!merged.collections) merged.collections = CollectionGrants{};
      for (const auto& [name, ops] : *p.collections)
        (*merged.collections)[name].insert(ops.begin(), ops.end());
    }
    if (p.division_scope) merged.division_scope = p.division_scope;
    if (p.clear_fields) merged.clear_fields = p.clear_fields;
  }
  if (account_policy) Overlay(merged, *account_policy);

  EffectivePolicy e;
  e.collections = merged.collections;
  e.result_cap = merged.result_cap.value_or(0);
  e.rate_per_second = merged.rate_per_second.value_or(0);
  e.burst = merged.burst.value_or(0);
  e.daily_read_quota = merged.daily_read_quota.value_or(0);
  e.daily_write_quota = merged.daily_write_quota.value_or(0);
  e.division_scope = merged.division_scope.value_or(std::vector<std::string>{});
  e.clear_fields = merged.clear_fields.value_or(std::vector<std::string>{});
  return e;
}

std::string EncodePolicy(const Policy& p) {
  json j = json::object();
  if (p.collections) {
    json c = json::object();
    for (const auto& [name, ops] : *p.collections) {
      json list = json::array();
      for (Operation op : ops) list.push_back(std::string(OperationName(op)));
      c[name] = std::move(list);
    }
    j["collections"] = std::move(c);
  }
  if (p.result_cap) j["result_cap"] = *p.result_cap;
  if (p.rate_per_second) j["rate_per_second"] = *p.rate_per_second;
  if (p.burst) j["burst"] = *p.burst;
  if (p.daily_read_quota) j["daily_read_quota"] = *p.daily_read_quota;
  if (p.daily_write_quota) j["daily_write_quota"] = *p.daily_write_quota;
  if (p.division_scope) j["division_scope"] = *p.division_scope;
  if (p.clear_fields) j["clear_fields"] = *p.clear_fields;
  return j.dump();
}

StatusOr<Policy> DecodePolicy(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return FieldInvalid("policy", "json_object", "policy must be a JSON object");
  }
  constexpr int64_t kMaxLimit = int64_t{1} << 40;
  Policy p;
  for (const auto& [field, v] : j.items()) {
    if (field == "collections") {
      if (!v.is_object())
        return FieldInvalid(field, "object", "must map collections to operations");
      CollectionGrants grants;
      for (const auto& [name, ops] : v.items()) {
        std::string path = "collections." + name;
        bool name_ok =
            !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            });
        if (!name_ok && name != "*") return FieldInvalid(path, "collection_name", "bad name");
        if (!ops.is_array()) return FieldInvalid(path, "array", "must list operations");
        std::set<Operation>& set = grants[name];
        for (const auto& op : ops) {
          std::optional<Operation> parsed =
              op.is_string() ? ParseOperation(op.get<std::string>()) : std::nullopt;
          if (!parsed) return FieldInvalid(path, "operation", "unknown operation");
          set.insert(*parsed);
        }
      }
      p.collections = std::move(grants);
    } else if (field == "rate_per_second") {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1e6) {
        return FieldInvalid(field, "range", "must be a number from 0 to 1e6");
      }
      p.rate_per_second = v.get<double>();
    } else if (field == "result_cap") {
      ASSIGN_OR_RETURN(p.result_cap, NonNegativeInt(v, "result_cap", 10'000));
    } else if (field == "burst") {
      ASSIGN_OR_RETURN(p.burst, NonNegativeInt(v, "burst", 1'000'000));
    } else if (field == "daily_read_quota") {
      ASSIGN_OR_RETURN(p.daily_read_quota, NonNegativeInt(v, "daily_read_quota", kMaxLimit));
    } else if (field == "daily_write_quota") {
      ASSIGN_OR_RETURN(p.daily_write_quota, NonNegativeInt(v, "daily_write_quota", kMaxLimit));
    } else if (field == "division_scope" || field == "clear_fields") {
      if (!v.is_array() || v.size() > 1000) return FieldInvalid(field, "array", "must be a list");
      std::vector<std::string> list;
      for (const auto& item : v) {
        if (!item.is_string()) return FieldInvalid(field, "string", "items must be strings");
        std::string s = item.get<std::string>();
        if (field == "division_scope" && !IsDivisionCodeSyntax(s)) {
          return FieldInvalid(field, "division_code", "items must be six-digit division codes");
        }
        if (field == "clear_fields" && (s.find('.') == std::string::npos || s.size() > 128)) {
          return FieldInvalid(field, "collection_field", "items must read collection.field");
        }
        list.push_back(std::move(s));
      }
      if (field == "division_scope") {
        p.division_scope = std::move(list);
      } else {
        p.clear_fields = std::move(list);
      }
    } else {
      return FieldInvalid(field, "unknown_field", "not a policy field");
    }
  }
  return p;
}

bool IsDivisionCodeSyntax(std::string_view code) {
  return code.size() == 6 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool DivisionInScope(const std::vector<std::string>& scope, std::string_view record_code) {
  if (scope.empty()) return true;
  if (!IsDivisionCodeSyntax(record_code)) return false;
  for (const std::string& s : scope) {
    std::string_view prefix = s;
    // Province "310000" covers "31xxxx"; city "310100" covers "3101xx".
    if (prefix.ends_with("0000")) {
      prefix = prefix.substr(0, 2);
    } else if (prefix.ends_with("00")) {
      prefix = prefix.substr(0, 4);
    }
    if (record_code.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace warden::access
