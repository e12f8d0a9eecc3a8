// Two people for every data grant (SPEC §4, G7): changes that let an account
// read personal data, and every new account, are stored as requests under
// request/<id> and applied only when a security officer other than the
// requester (and other than the account concerned) approves.
//
// A request is JSON: {id, kind, account, requested_by, requested_at, expires}
// plus what its kind needs (role, policy, ttl_seconds, enrol_a). Approval
// first claims the request (a compare-and-set delete), so two approvers racing
// apply it once.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "access/access_internal.h"
#include "access/account_store.h"
#include "access/administration.h"
#include "core/bytes.h"

namespace warden::access {

using nlohmann::json;
using namespace internal;  // NOLINT: this layer's own helpers

StatusOr<ChangeResult> Administration::FileRequest(const Principal& actor, std::string kind,
                                                   std::string account_id, json detail) {
  ChangeResult result;
  result.request_id = NewId("r_");
  result.account_id = account_id;
  if (kind == "create_account" || kind == "reset_credentials") {
    // The requester's half of the enrolment code; the approver makes the other.
    result.enrolment_part = NewToken(kEnrolmentPrefix);
    detail["enrol_a"] = accounts_.TokenHashHex(result.enrolment_part.view());
  }
  const int64_t now = clock_.NowMicros();
  detail["id"] = result.request_id;
  detail["kind"] = std::move(kind);
  detail["account"] = std::move(account_id);
  detail["requested_by"] = actor.account_id;
  detail["requested_at"] = now;
  detail["expires"] = now + std::chrono::microseconds(options_.grant_approval_ttl).count();
  WriteBatch batch;
  batch.Put(Space::kMeta, RequestKey(result.request_id), detail.dump());
  RETURN_IF_ERROR(store_.Write(batch));
  return result;
}

StatusOr<ApprovalResult> Administration::ApproveRequest(const Principal& actor,
                                                        std::string_view request_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  const std::string key = RequestKey(request_id);
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, key));
  if (!raw) return NotFound("no such pending request", "request_not_found");
  json request = json::parse(*raw, nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    return DataLoss("stored change request is malformed");
  }
  if (request.value("requested_by", "") == actor.account_id) {
    return PermissionDenied("a second security officer must approve this change",
                            "second_approver_required");
  }
  if (request.value("account", "") == actor.account_id) return SelfRefused();

  WriteBatch claim;
  claim.Expect(Space::kMeta, key, *raw);
  claim.Delete(Space::kMeta, key);
  Status claimed = store_.Write(claim);
  if (claimed.code() == StatusCode::kConflict) {
    return NotFound("the request was approved or rejected concurrently", "request_not_found");
  }
  RETURN_IF_ERROR(claimed);
  if (clock_.NowMicros() >= request.value("expires", int64_t{0})) {
    return Conflict("the request has expired; file it again", "request_expired");
  }
  StatusOr<ApprovalResult> applied = ApplyRequest(actor, request);
  if (!applied.ok()) {
    // Put the request back, so that a refusal (say, a role combination that
    // changed meanwhile) leaves it visible to be rejected.
    WriteBatch restore;
    restore.Expect(Space::kMeta, key, std::nullopt);
    restore.Put(Space::kMeta, key, *raw);
    store_.Write(restore).IgnoreError();  // best effort: the refusal is what the caller sees
  }
  return applied;
}

StatusOr<ApprovalResult> Administration::ApplyRequest(const Principal& actor, const json& request) {
  ApprovalResult result;
  result.kind = request.value("kind", "");
  result.account_id = request.value("account", "");
  const std::string& kind = result.kind;

  if (kind == "create_account" || kind == "reset_credentials") {
    SecretBytes part_b = NewToken(kEnrolmentPrefix);
    const std::string hash_b = accounts_.TokenHashHex(part_b.view());
    const int64_t expires =
        clock_.NowMicros() + std::chrono::microseconds(options_.enrolment_ttl).count();
    RETURN_IF_ERROR(accounts_.Update(result.account_id, [&](Account& a) -> Status {
      if (kind == "create_account" && a.state != Account::State::kAwaitingApproval) {
        return Conflict("the account was already approved", "already_approved");
      }
      // A reset voids the old credentials and every session at once.
      a.password_sealed.clear();
      a.totp_sealed.clear();
      a.state = Account::State::kAwaitingEnrolment;
      a.enrolment_hash_a = request.value("enrol_a", "");
      a.enrolment_hash_b = hash_b;
      a.enrolment_expires_micros = expires;
      ++a.credential_epoch;
      return Status::Ok();
    }));
    result.enrolment_part = std::move(part_b);
    return result;
  }
  if (kind == "create_service") {
    RETURN_IF_ERROR(accounts_.Update(result.account_id, [&](Account& a) -> Status {
      if (a.state != Account::State::kAwaitingApproval) {
        return Conflict("the account was already approved", "already_approved");
      }
      a.state = Account::State::kActive;
      return Status::Ok();
    }));
    return result;
  }
  if (kind == "grant_role") {
    std::optional<Role> role = ParseRole(request.value("role", ""));
    if (!role) return DataLoss("stored request names an unknown role");
    RETURN_IF_ERROR(accounts_.Update(result.account_id, [&](Account& a) {
      a.roles.Add(*role);
      return CheckRoleCombination(a.kind, a.roles);
    }));
    return result;
  }
  if (kind == "account_policy" || kind == "role_policy") {
    if (!request.contains("policy")) return DataLoss("stored request has no policy");
    ASSIGN_OR_RETURN(Policy policy, DecodePolicy(request["policy"].dump()));
    // The ceiling may have been lowered since the request was filed.
    RETURN_IF_ERROR(CheckPolicyCeiling(policy, options_.policy_ceiling));
    if (kind == "account_policy") {
      RETURN_IF_ERROR(accounts_.Update(result.account_id, [&](Account& a) {
        a.policy = policy;
        return Status::Ok();
      }));
      return result;
    }
    std::optional<Role> role = ParseRole(request.value("role", ""));
    if (!role) return DataLoss("stored request names an unknown role");
    if (actor.roles.Has(*role)) return SelfRefused();
    RETURN_IF_ERROR(accounts_.StoreRolePolicy(*role, policy));
    return result;
  }
  if (kind == "api_key") {
    ASSIGN_OR_RETURN(std::optional<Account> target, accounts_.Load(result.account_id));
    if (!target) return NotFound("no such account", "account_not_found");
    if (target->state != Account::State::kActive) {
      return Conflict("the service account itself awaits approval", "account_not_active");
    }
    ASSIGN_OR_RETURN(
        IssuedToken key,
        StoreApiKey(*target, std::chrono::seconds(request.value("ttl_seconds", int64_t{0}))));
    result.api_key = std::move(key);
    return result;
  }
  return DataLoss("stored request has an unknown kind");
}

Status Administration::RejectRequest(const Principal& actor, std::string_view request_id) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  const std::string key = RequestKey(request_id);
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_.Get(Space::kMeta, key));
  if (!raw) return NotFound("no such pending request", "request_not_found");
  json request = json::parse(*raw, nullptr, false);
  if (request.is_discarded()) return DataLoss("stored change request is malformed");
  WriteBatch batch;
  batch.Expect(Space::kMeta, key, *raw);
  batch.Delete(Space::kMeta, key);
  const std::string kind = request.value("kind", "");
  if (kind == "create_account" || kind == "create_service") {
    // An account that was never approved goes with its request.
    ASSIGN_OR_RETURN(std::optional<Account> target, accounts_.Load(request.value("account", "")));
    if (target && target->state == Account::State::kAwaitingApproval) {
      batch.Delete(Space::kMeta, AccountKey(target->id));
      batch.Delete(Space::kMeta, UserKey(target->username));
    }
  }
  Status st = accounts_.WriteAccessChange(std::move(batch));
  if (st.code() == StatusCode::kConflict) {
    return NotFound("the request was approved or rejected concurrently", "request_not_found");
  }
  return st;
}

StatusOr<std::vector<ChangeRequestInfo>> Administration::ListRequests(const Principal& actor) {
  RETURN_IF_ERROR(RequireAdmin(actor, ""));
  std::vector<ChangeRequestInfo> out;
  const int64_t now = clock_.NowMicros();
  std::string start = RequestKey("");
  const std::string end = PrefixEnd(start);
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<KeyValue> page, store_.Scan(Space::kMeta, start, end, 256));
    for (const KeyValue& kv : page) {
      json r = json::parse(kv.value, nullptr, false);
      if (r.is_discarded() || !r.is_object()) return DataLoss("stored change request is malformed");
      ChangeRequestInfo info;
      info.id = r.value("id", "");
      info.kind = r.value("kind", "");
      info.account_id = r.value("account", "");
      info.role = r.value("role", "");
      if (r.contains("policy")) info.policy_json = r["policy"].dump();
      info.requested_by = r.value("requested_by", "");
      info.requested_at_micros = r.value("requested_at", int64_t{0});
      info.expires_at_micros = r.value("expires", int64_t{0});
      if (now >= info.expires_at_micros) continue;
      if (!info.account_id.empty()) {
        ASSIGN_OR_RETURN(std::optional<Account> a, accounts_.Load(info.account_id));
        if (a) info.username = a->username;
      }
      out.push_back(std::move(info));
    }
    if (page.size() < 256) break;
    start = page.back().key + '\0';
  }
  std::sort(out.begin(), out.end(), [](const ChangeRequestInfo& x, const ChangeRequestInfo& y) {
    return x.requested_at_micros < y.requested_at_micros;
  });
  return out;
}

}  // namespace warden::access
