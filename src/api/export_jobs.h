// Export jobs (SPEC G4): the only way to take many records out. A registrar or
// investigator asks; security officers who are not the requester approve; the
// requester downloads once a file encrypted to a registered recipient; every
// step is on the audit trail.
//
//   recipient  registered by a security officer: a name, an organisation, an
//              owner and an age X25519 public key ("age1...")
//   pending ─approve × N─▶ approved ─download─▶ generating ─▶ downloaded
//      │                      │                    └─(failure, or a process
//      └─reject─▶ rejected    │                       killed mid-way)─▶ failed
//      └──────────(expiry)────┴─▶ expired
//
// The file is made when the requester downloads it, in that request, so the
// records are read as the requester's own reads are: their current roles,
// division scope and masks, canary tripwires, the stated purpose. Each record
// becomes one JSON line streamed through the age writer into
// <export dir>/<id>.age.partial (mode 0600); plaintext exists only in memory.
// Tracers, synthetic records made for this export alone and registered as
// canaries, are mixed in among the lines. Once the file is complete it is
// synced and renamed to <id>.age, the generation is audited (action export,
// the requester as actor, every exported identifier hashed, the key list's
// SHA-256 and the recipient and approvers in the sealed detail), and the file
// is sent and deleted.
//
// A job found "generating" by another server process (the previous one was
// killed) is failed with reason "generation_interrupted" and its partial file
// deleted; the requester asks again. A job past its expiry (default 24 h from
// the request) that was not downloaded becomes "expired" and its file, if
// any, is deleted.
//
// Store layout (Space::kMeta):
//   export/recipient/<rc_id>  JSON: id, name, organisation, owner, public key,
//                             who registered it and when (no personal data)
//   export/job/<ex_id>        JSON: the job's state; the record keys, purpose
//                             reference and reason are sealed under the
//                             collection's data key (KeyRing::SealRecord)
// State changes are written guarded by the previous value, so two approvals
// or two downloads racing each other cannot both succeed.
//
// Thread safety: an ExportJobs is a view for one request over shared,
// thread-safe parts; the services must outlive it.
#ifndef WARDEN_API_EXPORT_JOBS_H_
#define WARDEN_API_EXPORT_JOBS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/api_context.h"

namespace warden::api {

struct ExportRecipient {
  std::string id;
  std::string name;
  std::string organisation;
  std::string owner;
  std::string public_key;  // "age1..."
  std::string registered_by;
  int64_t registered_at_micros = 0;
};

// A recipient as stored (`registered_at` in microseconds).
nlohmann::json RecipientToJson(const ExportRecipient& r);

struct ExportJob {
  std::string id;
  std::string collection;
  std::vector<std::string> fields;
  std::string requester;       // account id
  std::string requester_role;  // as the audit trail names roles
  std::string purpose_kind;
  std::string recipient_id;
  std::string state;  // pending, approved, rejected, generating, downloaded, failed, expired
  std::vector<std::string> approvers;  // account ids, in order
  std::string rejected_by;
  std::string failure;  // a stable reason when failed
  size_t approvals_required = 1;
  size_t key_count = 0;
  std::string key_list_sha256;  // hex, over the normalised keys joined by '\n'
  int64_t created_at_micros = 0;
  int64_t expires_at_micros = 0;
  uint64_t exported_records = 0;  // set once generated
  uint64_t tracer_records = 0;
  std::string generation_instance;  // the process generating it
  std::string sealed;               // the sealed private part (keys, purpose reference, reason)
};

// The sealed part of a job.
struct ExportSecrets {
  std::vector<std::string> keys;  // normalised record keys
  std::string purpose_reference;
  std::string reason;
};

// A completed download: the age file's bytes.
struct ExportFile {
  std::string ciphertext;
  uint64_t records = 0;
};

class ExportJobs {
 public:
  explicit ExportJobs(const RequestScope& scope);

  // ---- Recipients (security officer) ----
  // 400 "recipient_malformed"/"recipient_low_order" for the key, 422 for a
  // missing name, organisation or owner.
  StatusOr<ExportRecipient> RegisterRecipient(const nlohmann::json& body);
  StatusOr<std::vector<ExportRecipient>> ListRecipients();
  // 404 "unknown_recipient".
  StatusOr<ExportRecipient> GetRecipient(std::string_view id);

  // ---- Jobs ----
  // A new pending job from a request body (collection, keys, fields,
  // recipient_id) under the scope's purpose. 400 "invalid_keys" with one
  // field violation per bad key ("keys[i]", the key rule) and nothing
  // stored; 403 "export_limit" above the role's row or field limit.
  StatusOr<ExportJob> Request(const nlohmann::json& body, audit::AuditEvent& event);
  // The job, with its expiry applied. 404 "unknown_export".
  StatusOr<ExportJob> Get(std::string_view id);
  // Pending jobs (security officer) or the caller's own jobs.
  StatusOr<std::vector<ExportJob>> List();
  // 403 "self_approval" for the requester, 409 "already_approved" for a
  // second approval by one officer, 409 "export_not_pending" otherwise.
  StatusOr<ExportJob> Approve(std::string_view id);
  StatusOr<ExportJob> Reject(std::string_view id);
  // The requester's one download (see above). 403 "not_requester"; 409
  // "export_not_approved", "already_downloaded", "export_expired".
  StatusOr<ExportFile> Download(std::string_view id, audit::AuditEvent& event);

  // This server process's identity, recorded in a job while it generates, so
  // a later process knows the generation was cut short.
  static std::string_view ProcessInstance();

 private:
  // The job with its expiry applied; `stored` receives its stored encoding,
  // which guards the next Save.
  StatusOr<ExportJob> Load(std::string_view id, std::string* stored);
  // Writes `job` guarded by `previous` (its stored encoding); 409
  // "concurrent_update" if another request changed it first.
  Status Save(const ExportJob& job, const std::optional<std::string>& previous);
  // Expires or fails an abandoned job in place (with its audit entry),
  // updating `stored` to what it wrote.
  StatusOr<ExportJob> Settle(ExportJob job, std::string& stored);
  StatusOr<ExportFile> Generate(ExportJob& job, const ExportRecipient& recipient,
                                audit::AuditEvent& event);
  std::string FilePath(std::string_view id, bool partial) const;
  void DeleteFiles(std::string_view id) const;

  const RequestScope& scope_;
  ::warden::Store& store_;
};

}  // namespace warden::api

#endif  // WARDEN_API_EXPORT_JOBS_H_
