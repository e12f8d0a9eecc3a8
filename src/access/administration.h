// Administration: the security officer's changes to accounts, roles, API
// keys and policies (SPEC §4, G4, G7).
//
// Every change that lets an account read personal data, and every new
// account or security officer, is a change request that a second security
// officer approves (ApproveRequest); narrowing changes apply at once. No one
// changes their own account, roles or policy (403 "self_grant"), and no
// administrator ever receives a usable credential of another account: a new
// person enrols with a code whose two halves go to the requesting and the
// approving officer, and an API key is shown once, to the approver.
//
// Layout, in Space::kMeta (accounts and role policies through AccountStore):
//   request/<id>   a change awaiting a second security officer (JSON)
//   key/<hex keyed hash of API key>, keyid/<key id> -> keyed hash, for
//                  revocation by id
//
// Every method is for a security officer and answers 403 "role_forbidden" to
// anyone else.
//
// Thread safety: all methods may be called concurrently. The Store, Clock and
// AccountStore must outlive this object.
#ifndef WARDEN_ACCESS_ADMINISTRATION_H_
#define WARDEN_ACCESS_ADMINISTRATION_H_

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/access_options.h"
#include "access/authenticator.h"
#include "access/policy.h"
#include "access/principal.h"
#include "access/roles.h"
#include "core/clock.h"
#include "core/secret.h"
#include "core/status.h"
#include "store/store.h"

namespace warden::access {

class AccountStore;
struct Account;

struct AccountInfo {
  std::string account_id;
  std::string username;
  AccountKind kind = AccountKind::kHuman;
  RoleSet roles;
  bool suspended = false;
  std::string suspended_reason;
  std::string state;  // active, awaiting_approval, awaiting_enrolment
  // The limits in force, resolved over the account's own policy and its
  // roles' (what the console's quota boxes show).
  int64_t daily_read_quota = 0;
  int64_t result_cap = 0;
};

// Who an account id in the audit trail is: what an auditor needs to read
// the trail, and nothing more of the account.
struct AccountName {
  std::string account_id;
  std::string username;
  RoleSet roles;
};

// An API key as listed: never the key itself, which is shown once.
struct ApiKeyInfo {
  std::string key_id;
  std::string account_id;
  int64_t created_micros = 0;
  int64_t expires_at_micros = 0;
  int64_t last_used_micros = 0;  // to within AccessOptions::last_seen_resolution
};

// The outcome of an administrative change: applied at once, or waiting for
// a second security officer (SPEC §4 "two people for every data grant").
struct ChangeResult {
  bool applied = false;
  std::string request_id;  // set when a second security officer must approve
  std::string account_id;  // the account concerned (new accounts: its id)
  // Half of a new account's (or a reset's) enrolment code, for the requesting
  // officer to hand to the holder; the approver gets the other half.
  SecretBytes enrolment_part;
};

// What a second security officer's approval released. The enrolment part or
// the API key is shown once, to the approver.
struct ApprovalResult {
  std::string kind;  // ChangeRequestInfo::kind
  std::string account_id;
  SecretBytes enrolment_part;          // create_account, reset_credentials
  std::optional<IssuedToken> api_key;  // api_key
};

// A change awaiting approval, as listed (no secrets).
struct ChangeRequestInfo {
  std::string id;
  // create_account, create_service, grant_role, account_policy, role_policy,
  // api_key, reset_credentials
  std::string kind;
  std::string account_id;   // empty for role_policy
  std::string username;     // of account_id, when it has one
  std::string role;         // grant_role, role_policy
  std::string policy_json;  // account_policy, role_policy, create_service
  std::string requested_by;
  int64_t requested_at_micros = 0;
  int64_t expires_at_micros = 0;
};

class Administration {
 public:
  Administration(Store& store, const Clock& clock, AccountStore& accounts, AccessOptions options);
  Administration(const Administration&) = delete;
  Administration& operator=(const Administration&) = delete;

  // ---- Accounts ----
  // A person's account with `roles`, unusable until approved and then
  // enrolled by its holder: the result carries one half of the enrolment
  // code, the approval the other. 409 "username_taken".
  StatusOr<ChangeResult> CreateHumanAccount(const Principal& actor, std::string_view username,
                                            const RoleSet& roles);
  // A service account (role `service`) with `policy` naming its collections;
  // usable once approved. 422 "ceiling" for a policy above the server's
  // ceiling; 409 "username_taken".
  StatusOr<ChangeResult> CreateServiceAccount(const Principal& actor, std::string_view name,
                                              const Policy& policy);
  StatusOr<std::vector<AccountInfo>> ListAccounts(const Principal& actor);
  // Every account's id, username and roles, for auditors (and security
  // officers) reading the trail; 403 for any other role.
  StatusOr<std::vector<AccountName>> ListAccountNames(const Principal& actor);
  Status SuspendAccount(const Principal& actor, std::string_view account_id,
                        std::string_view reason);
  Status ReinstateAccount(const Principal& actor, std::string_view account_id);
  // A holder who lost their password or authenticator: once approved, the
  // account's password and second factor are void, its sessions end, and it
  // must be enrolled again with a new two-half code.
  StatusOr<ChangeResult> ResetCredentials(const Principal& actor, std::string_view account_id);

  // ---- Roles and policies ----
  // Data roles (registrar, officer, investigator) and security_officer wait
  // for approval; operator and auditor apply at once.
  StatusOr<ChangeResult> GrantRole(const Principal& actor, std::string_view account_id, Role role);
  Status RevokeRole(const Principal& actor, std::string_view account_id, Role role);
  // A policy that widens what the role or account may take (PolicyWidens)
  // waits for approval; one that only narrows applies at once. 422 "ceiling"
  // above the server's policy ceiling.
  StatusOr<ChangeResult> SetRolePolicy(const Principal& actor, Role role, const Policy& policy);
  StatusOr<ChangeResult> SetAccountPolicy(const Principal& actor, std::string_view account_id,
                                          const Policy& policy);

  // ---- API keys ----
  // An API key ("wdn_k_…") for a service account, issued when a second
  // security officer approves and shown once in the approval; `ttl` defaults
  // to the options'.
  StatusOr<ChangeResult> IssueApiKey(const Principal& actor, std::string_view account_id,
                                     std::optional<std::chrono::seconds> ttl = std::nullopt);
  Status RevokeApiKey(const Principal& actor, std::string_view key_id);
  // Every live API key, or those of one account (`account_id` non-empty).
  StatusOr<std::vector<ApiKeyInfo>> ListApiKeys(const Principal& actor,
                                                std::string_view account_id);

  // ---- Change requests (change_requests.cc) ----
  // Applies a pending request. 403 "second_approver_required" when `actor`
  // asked for it, "self_grant" when it concerns `actor`; 404
  // "request_not_found"; 409 "request_expired".
  StatusOr<ApprovalResult> ApproveRequest(const Principal& actor, std::string_view request_id);
  // Drops a pending request (any security officer, the requester included); a
  // new account that was never approved is removed with it.
  Status RejectRequest(const Principal& actor, std::string_view request_id);
  // Pending, unexpired requests, oldest first.
  StatusOr<std::vector<ChangeRequestInfo>> ListRequests(const Principal& actor);

 private:
  // Stores `account` (awaiting approval) and files the request that approves
  // it. 409 "username_taken", naming `name_field`.
  StatusOr<ChangeResult> FileNewAccount(const Principal& actor, Account account,
                                        std::string_view name_field, std::string kind,
                                        nlohmann::json detail);
  StatusOr<ChangeResult> FileRequest(const Principal& actor, std::string kind,
                                     std::string account_id, nlohmann::json detail);
  StatusOr<ApprovalResult> ApplyRequest(const Principal& actor, const nlohmann::json& request);
  StatusOr<IssuedToken> StoreApiKey(const Account& account, std::chrono::seconds ttl);

  Store& store_;
  const Clock& clock_;
  AccountStore& accounts_;
  const AccessOptions options_;
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_ADMINISTRATION_H_
