// The audit trail's data model and its fixed, versioned serialisation
// (docs/audit_format.md).
//
// An AuditEvent is what a caller reports: it carries identifiers (record keys,
// national IDs, phones) in plaintext. The AuditLog turns it into an AuditEntry,
// the stored form, in which every identifier is a keyed hash and the free-text
// context (purpose reference, reason, detail) is sealed. Only the fields of the
// allow-list below stay in the clear:
//
//   clear:   seq, time, prev_hash, action, outcome, status, error_reason,
//            account, session, role, client_address, collection, purpose_kind,
//            result_count, field names, identifier kinds
//   hashed:  identifier values (HMAC-SHA256 under the audit-hash key)
//   sealed:  purpose_reference, reason, detail (AES-256-GCM, see audit_log.h)
//
// Thread safety: plain values; the functions are pure and thread-safe.
#ifndef WARDEN_AUDIT_AUDIT_ENTRY_H_
#define WARDEN_AUDIT_AUDIT_ENTRY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"
#include "core/status.h"
#include "crypto/primitives.h"

namespace warden::audit {

// What happened. The numeric values are persisted; never renumber.
enum class AuditAction : uint8_t {
  kLogin = 1,
  kLogout = 2,
  kRead = 3,
  kSearch = 4,
  kReveal = 5,
  kWrite = 6,
  kErase = 7,
  kImport = 8,
  kExport = 9,
  kAdmin = 10,
  kUnseal = 11,
  kSeal = 12,
  kRotate = 13,
  kAlert = 14,
  kAuditRead = 15,  // any read of the audit trail: query, report, trace, verify
};
inline constexpr uint8_t kMaxAuditAction = 15;

// "login", "audit_read", ...: stable names for the API and the docs.
std::string_view AuditActionName(AuditAction action);
std::optional<AuditAction> ParseAuditAction(std::string_view name);
// True for actions that disclose personal data to the caller (read, search,
// reveal, export): the ones the access report and the leak trace count.
bool DisclosesPersonalData(AuditAction action);

// The numeric values are persisted; never renumber.
enum class AuditOutcome : uint8_t {
  kSuccess = 0,
  kDenied = 1,  // refused by authentication, policy, quota or a tripwire
  kFailed = 2,  // an error while serving
};
std::string_view AuditOutcomeName(AuditOutcome outcome);

// The kind of an identifier. Part of the keyed hash, so a phone number and an
// ID number with the same digits hash differently. Persisted; never renumber.
enum class IdentifierKind : uint8_t {
  kNationalId = 1,  // normalised 18-character resident ID, upper-case X
  kPhone = 2,       // E.164, e.g. "+8613800138000"
  kCaseNumber = 3,
  kWaybillNumber = 4,
  kOther = 5,  // any other record key, as "collection/key"
};
inline constexpr uint8_t kMaxIdentifierKind = 5;
std::string_view IdentifierKindName(IdentifierKind kind);
std::optional<IdentifierKind> ParseIdentifierKind(std::string_view name);

// Who acted and why. Supplied by the access layer for every request.
// `session` is the session's identifier, never its bearer token.
struct AuditActor {
  std::string account;
  std::string session;
  std::string role;
  std::string client_address;
  std::string purpose_kind;       // "case", "subject-request", ... (clear)
  std::string purpose_reference;  // e.g. a case number (sealed)
  std::string reason;             // Warden-Reason free text (sealed)
};

// An identifier the request touched, already normalised by the caller (the
// schema layer normalises IDs and phones); plaintext until the AuditLog hashes it.
struct AuditSubject {
  IdentifierKind kind = IdentifierKind::kOther;
  std::string value;
};

// One event as reported by a caller.
struct AuditEvent {
  AuditActor actor;
  AuditAction action = AuditAction::kRead;
  AuditOutcome outcome = AuditOutcome::kSuccess;
  uint16_t status = 200;     // the HTTP status of the answer
  std::string error_reason;  // stable error code when not OK ("quota_exceeded")
  std::string collection;
  uint64_t result_count = 0;
  std::vector<AuditSubject> subjects;  // plaintext here; hashed before storage
  std::vector<std::string> fields;     // field names (revealed, written), never values
  std::string detail;                  // admin operation and target, etc. (sealed)
};

inline constexpr size_t kEntryHashSize = 32;
inline constexpr size_t kEntryMacSize = 32;
// Version 2 adds the entry MAC. Version 1 entries (no MAC) are still decoded:
// the verifier accepts them only before the first version-2 entry and only
// where a signed checkpoint covers them.
inline constexpr uint8_t kEntryFormatVersion = 2;
inline constexpr uint8_t kLegacyEntryFormatVersion = 1;
inline constexpr uint8_t kCheckpointFormatVersion = 1;

// An identifier as stored: its kind and HMAC-SHA256 (32 bytes).
struct HashedSubject {
  IdentifierKind kind = IdentifierKind::kOther;
  std::string hash;
  bool operator==(const HashedSubject&) const = default;
};

// One stored entry. `prev_hash` is EntryHash() of entry seq-1 (32 zero bytes
// for seq 1); `sealed_context` is empty or nonce || ciphertext || tag; `mac`
// (version 2) is the EntryMac over everything before it.
struct AuditEntry {
  uint8_t version = kEntryFormatVersion;
  uint64_t seq = 0;
  int64_t time_micros = 0;
  std::string prev_hash;
  AuditAction action = AuditAction::kRead;
  AuditOutcome outcome = AuditOutcome::kSuccess;
  uint16_t status = 0;
  std::string error_reason;
  std::string account;
  std::string session;
  std::string role;
  std::string client_address;
  std::string collection;
  std::string purpose_kind;
  uint64_t result_count = 0;
  std::vector<HashedSubject> subjects;
  std::vector<std::string> fields;
  std::string sealed_context;
  std::string mac;  // kEntryMacSize bytes in version 2; empty in version 1
  bool operator==(const AuditEntry&) const = default;
};

// The context sealed inside an entry.
struct AuditContext {
  std::string purpose_reference;
  std::string reason;
  std::string detail;
  bool empty() const { return purpose_reference.empty() && reason.empty() && detail.empty(); }
};

// A signed statement that the chain up to `seq` has head `head_hash`.
struct AuditCheckpoint {
  uint64_t seq = 0;
  std::string head_hash;  // EntryHash of entry `seq`
  int64_t time_micros = 0;
  std::string signature;  // Ed25519 over CheckpointMessage()
  bool operator==(const AuditCheckpoint&) const = default;
};

// The encodings (entry version 1 or 2 as `entry.version` says; checkpoint
// version 1). Encode never fails for entries built by the AuditLog; a version-2
// `mac` of the wrong size is encoded as zeros, which never verifies. Decode
// returns kDataLoss for anything that is not exactly a valid encoding (unknown
// version, truncated, trailing bytes, unknown enum value).
std::string EncodeEntry(const AuditEntry& entry);
StatusOr<AuditEntry> DecodeEntry(std::string_view bytes);
// SHA-256 of the encoded entry: what the next entry's prev_hash holds.
std::string EntryHash(std::string_view encoded_entry);

// The keyed half of the chain (format version 2): HMAC-SHA256 under K_mac =
// HKDF-SHA256(audit-hash key, salt "warden-audit", info "entry-mac-v2") over
// the entry's encoding up to its `mac` field. Since that encoding holds
// prev_hash, the MACs chain too: an entry can be forged, or a chain rebuilt,
// only with the sealed key hierarchy. Thread-safe; the key is wiped on
// destruction.
class EntryMac {
 public:
  static StatusOr<std::unique_ptr<EntryMac>> FromAuditHashKey(const SecretBytes& audit_hash_key);
  // Makes `entry` a version-2 entry with its MAC set; returns its encoding.
  std::string Encode(AuditEntry& entry) const;
  // True when `encoded_entry` is a version-2 encoding whose MAC is genuine.
  [[nodiscard]] bool Verify(std::string_view encoded_entry) const;

 private:
  explicit EntryMac(const SecretBytes& key) : key_(key) {}
  crypto::HmacSha256Key key_;
};

// HKDF-SHA256(audit-hash key, salt "warden-audit", info): the audit layer's
// derived keys (identifier hashes, context seal, entry MAC).
StatusOr<SecretBytes> DeriveAuditKey(const SecretBytes& audit_hash_key, std::string_view info);

std::string EncodeContext(const AuditContext& context);
StatusOr<AuditContext> DecodeContext(std::string_view bytes);

std::string EncodeCheckpoint(const AuditCheckpoint& checkpoint);
StatusOr<AuditCheckpoint> DecodeCheckpoint(std::string_view bytes);
// The bytes the checkpoint signature covers.
std::string CheckpointMessage(uint64_t seq, std::string_view head_hash, int64_t time_micros);

// Key layout inside Space::kAudit (see docs/audit_format.md).
namespace audit_keys {
inline constexpr std::string_view kEntryPrefix = "e/";
inline constexpr std::string_view kCheckpointPrefix = "c/";
inline constexpr std::string_view kSubjectPrefix = "s/";
inline constexpr std::string_view kAccountPrefix = "a/";
inline constexpr std::string_view kActionPrefix = "t/";
inline constexpr std::string_view kPublicKey = "m/public-key";

std::string Entry(uint64_t seq);
std::string Checkpoint(uint64_t seq);
// "s/" kind hash [seq]: the subject index; without seq, the scan prefix.
std::string Subject(IdentifierKind kind, std::string_view hash);
std::string Subject(IdentifierKind kind, std::string_view hash, uint64_t seq);
// "a/" len account [seq]; accounts longer than 255 bytes are rejected earlier.
std::string Account(std::string_view account);
std::string Account(std::string_view account, uint64_t seq);
std::string Action(AuditAction action);
std::string Action(AuditAction action, uint64_t seq);
// The sequence number at the end of an index or entry key (its last 8 bytes).
uint64_t SeqOfKey(std::string_view key);
}  // namespace audit_keys

}  // namespace warden::audit

#endif  // WARDEN_AUDIT_AUDIT_ENTRY_H_
