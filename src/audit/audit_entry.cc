#include "audit/audit_entry.h"

#include <array>

#include "core/bytes.h"
#include "crypto/primitives.h"

namespace warden::audit {
namespace {

constexpr std::array<std::string_view, kMaxAuditAction + 1> kActionNames = {
    "",       "login",  "logout", "read",   "search", "reveal", "write", "erase",
    "import", "export", "admin",  "unseal", "seal",   "rotate", "alert", "audit_read"};

constexpr std::array<std::string_view, kMaxIdentifierKind + 1> kKindNames = {
    "", "national_id", "phone", "case_no", "waybill_no", "other"};

// Upper bounds on decoded sizes: a corrupt length must not allocate gigabytes.
constexpr uint32_t kMaxStringSize = 1 << 20;
constexpr uint32_t kMaxListSize = 1 << 20;
// The sealed context kept its own version 1 when entries moved to version 2.
constexpr uint8_t kContextFormatVersion = 1;

void PutU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void PutString(std::string& out, std::string_view s) {
  PutBigEndian32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads the version-1 primitives from a byte string; every read checks bounds
// and latches failure, so a decoder checks ok() once at the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  uint8_t U8() {
    if (!Need(1)) return 0;
    uint8_t v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  uint16_t U16() {
    if (!Need(2)) return 0;
    uint16_t v =
        static_cast<uint16_t>((static_cast<uint8_t>(in_[0]) << 8) | static_cast<uint8_t>(in_[1]));
    in_.remove_prefix(2);
    return v;
  }
  uint32_t U32() {
    if (!Need(4)) return 0;
    uint32_t v = GetBigEndian32(in_);
    in_.remove_prefix(4);
    return v;
  }
  uint64_t U64() {
    if (!Need(8)) return 0;
    uint64_t v = GetBigEndian64(in_);
    in_.remove_prefix(8);
    return v;
  }
  std::string Fixed(size_t n) {
    if (!Need(n)) return {};
    std::string v(in_.substr(0, n));
    in_.remove_prefix(n);
    return v;
  }
  std::string String() {
    uint32_t n = U32();
    if (n > kMaxStringSize) ok_ = false;
    return ok_ ? Fixed(n) : std::string();
  }
  uint32_t Count() {
    uint32_t n = U32();
    if (n > kMaxListSize || n > in_.size()) ok_ = false;
    return ok_ ? n : 0;
  }
  void Fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }

 private:
  bool Need(size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string_view AuditActionName(AuditAction action) {
  auto i = static_cast<size_t>(action);
  return i < kActionNames.size() && i > 0 ? kActionNames[i] : "unknown";
}

std::optional<AuditAction> ParseAuditAction(std::string_view name) {
  for (size_t i = 1; i < kActionNames.size(); ++i) {
    if (kActionNames[i] == name) return static_cast<AuditAction>(i);
  }
  return std::nullopt;
}

bool DisclosesPersonalData(AuditAction action) {
  return action == AuditAction::kRead || action == AuditAction::kSearch ||
         action == AuditAction::kReveal || action == AuditAction::kExport;
}

std::string_view AuditOutcomeName(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kSuccess:
      return "success";
    case AuditOutcome::kDenied:
      return "denied";
    case AuditOutcome::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string_view IdentifierKindName(IdentifierKind kind) {
  auto i = static_cast<size_t>(kind);
  return i < kKindNames.size() && i > 0 ? kKindNames[i] : "unknown";
}

std::optional<IdentifierKind> ParseIdentifierKind(std::string_view name) {
  for (size_t i = 1; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<IdentifierKind>(i);
  }
  return std::nullopt;
}

namespace {

// Everything but the MAC: what EntryHash of a version-1 entry and the MAC of
// a version-2 entry cover.
std::string EncodeEntryBody(const AuditEntry& e) {
  std::string out;
  out.reserve(160 + e.subjects.size() * 33 + e.sealed_context.size() + kEntryMacSize);
  PutU8(out,
        e.version == kLegacyEntryFormatVersion ? kLegacyEntryFormatVersion : kEntryFormatVersion);
  PutBigEndian64(out, e.seq);
  PutBigEndian64(out, static_cast<uint64_t>(e.time_micros));
  out.append(e.prev_hash);
  PutU8(out, static_cast<uint8_t>(e.action));
  PutU8(out, static_cast<uint8_t>(e.outcome));
  PutU16(out, e.status);
  PutString(out, e.error_reason);
  PutString(out, e.account);
  PutString(out, e.session);
  PutString(out, e.role);
  PutString(out, e.client_address);
  PutString(out, e.collection);
  PutString(out, e.purpose_kind);
  PutBigEndian64(out, e.result_count);
  PutBigEndian32(out, static_cast<uint32_t>(e.subjects.size()));
  for (const HashedSubject& s : e.subjects) {
    PutU8(out, static_cast<uint8_t>(s.kind));
    out.append(s.hash);
  }
  PutBigEndian32(out, static_cast<uint32_t>(e.fields.size()));
  for (const std::string& f : e.fields) PutString(out, f);
  PutString(out, e.sealed_context);
  return out;
}

}  // namespace

std::string EncodeEntry(const AuditEntry& e) {
  std::string out = EncodeEntryBody(e);
  if (e.version == kLegacyEntryFormatVersion) return out;
  if (e.mac.size() == kEntryMacSize) {
    out.append(e.mac);
  } else {
    out.append(kEntryMacSize, '\0');
  }
  return out;
}

StatusOr<std::unique_ptr<EntryMac>> EntryMac::FromAuditHashKey(const SecretBytes& audit_hash_key) {
  ASSIGN_OR_RETURN(SecretBytes key, DeriveAuditKey(audit_hash_key, "entry-mac-v2"));
  return std::unique_ptr<EntryMac>(new EntryMac(key));
}

std::string EntryMac::Encode(AuditEntry& entry) const {
  entry.version = kEntryFormatVersion;
  std::string out = EncodeEntryBody(entry);
  crypto::HmacSha256Tag tag = key_.Compute(AsBytes(out));
  entry.mac.assign(reinterpret_cast<const char*>(tag.data()), tag.size());
  out.append(entry.mac);
  return out;
}

bool EntryMac::Verify(std::string_view encoded) const {
  if (encoded.size() <= kEntryMacSize || static_cast<uint8_t>(encoded[0]) != kEntryFormatVersion) {
    return false;
  }
  const std::string_view body = encoded.substr(0, encoded.size() - kEntryMacSize);
  crypto::HmacSha256Tag tag = key_.Compute(AsBytes(body));
  return ConstantTimeEquals(std::string_view(reinterpret_cast<const char*>(tag.data()), tag.size()),
                            encoded.substr(body.size()));
}

StatusOr<SecretBytes> DeriveAuditKey(const SecretBytes& audit_hash_key, std::string_view info) {
  return crypto::HkdfSha256(audit_hash_key, AsBytes("warden-audit"), AsBytes(info), 32);
}

StatusOr<AuditEntry> DecodeEntry(std::string_view bytes) {
  Reader r(bytes);
  AuditEntry e;
  e.version = r.U8();
  if (e.version != kEntryFormatVersion && e.version != kLegacyEntryFormatVersion) {
    return DataLoss("audit entry: unknown format version");
  }
  e.seq = r.U64();
  e.time_micros = static_cast<int64_t>(r.U64());
  e.prev_hash = r.Fixed(kEntryHashSize);
  uint8_t action = r.U8();
  uint8_t outcome = r.U8();
  if (action == 0 || action > kMaxAuditAction || outcome > 2) r.Fail();
  e.action = static_cast<AuditAction>(action);
  e.outcome = static_cast<AuditOutcome>(outcome);
  e.status = r.U16();
  e.error_reason = r.String();
  e.account = r.String();
  e.session = r.String();
  e.role = r.String();
  e.client_address = r.String();
  e.collection = r.String();
  e.purpose_kind = r.String();
  e.result_count = r.U64();
  uint32_t subjects = r.Count();
  for (uint32_t i = 0; i < subjects && r.ok(); ++i) {
    uint8_t kind = r.U8();
    if (kind == 0 || kind > kMaxIdentifierKind) r.Fail();
    e.subjects.push_back({static_cast<IdentifierKind>(kind), r.Fixed(kEntryHashSize)});
  }
  uint32_t fields = r.Count();
  for (uint32_t i = 0; i < fields && r.ok(); ++i) e.fields.push_back(r.String());
  e.sealed_context = r.String();
  if (e.version == kEntryFormatVersion) e.mac = r.Fixed(kEntryMacSize);
  if (!r.ok() || !r.done()) return DataLoss("audit entry: malformed encoding");
  return e;
}

std::string EntryHash(std::string_view encoded_entry) {
  crypto::Sha256Digest d = crypto::Sha256(AsBytes(encoded_entry));
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string EncodeContext(const AuditContext& c) {
  std::string out;
  PutU8(out, kContextFormatVersion);
  PutString(out, c.purpose_reference);
  PutString(out, c.reason);
  PutString(out, c.detail);
  return out;
}

StatusOr<AuditContext> DecodeContext(std::string_view bytes) {
  Reader r(bytes);
  AuditContext c;
  if (r.U8() != kContextFormatVersion) return DataLoss("audit context: unknown format version");
  c.purpose_reference = r.String();
  c.reason = r.String();
  c.detail = r.String();
  if (!r.ok() || !r.done()) return DataLoss("audit context: malformed encoding");
  return c;
}

std::string EncodeCheckpoint(const AuditCheckpoint& c) {
  std::string out;
  PutU8(out, kCheckpointFormatVersion);
  PutBigEndian64(out, c.seq);
  out.append(c.head_hash);
  PutBigEndian64(out, static_cast<uint64_t>(c.time_micros));
  PutString(out, c.signature);
  return out;
}

StatusOr<AuditCheckpoint> DecodeCheckpoint(std::string_view bytes) {
  Reader r(bytes);
  AuditCheckpoint c;
  if (r.U8() != kCheckpointFormatVersion) return DataLoss("audit checkpoint: unknown version");
  c.seq = r.U64();
  c.head_hash = r.Fixed(kEntryHashSize);
  c.time_micros = static_cast<int64_t>(r.U64());
  c.signature = r.String();
  if (!r.ok() || !r.done()) return DataLoss("audit checkpoint: malformed encoding");
  return c;
}

std::string CheckpointMessage(uint64_t seq, std::string_view head_hash, int64_t time_micros) {
  std::string m = "warden-audit-checkpoint-v1";
  PutBigEndian64(m, seq);
  m.append(head_hash);
  PutBigEndian64(m, static_cast<uint64_t>(time_micros));
  return m;
}

namespace audit_keys {

std::string Entry(uint64_t seq) {
  std::string k(kEntryPrefix);
  PutBigEndian64(k, seq);
  return k;
}

std::string Checkpoint(uint64_t seq) {
  std::string k(kCheckpointPrefix);
  PutBigEndian64(k, seq);
  return k;
}

std::string Subject(IdentifierKind kind, std::string_view hash) {
  std::string k(kSubjectPrefix);
  PutU8(k, static_cast<uint8_t>(kind));
  k.append(hash);
  return k;
}

std::string Subject(IdentifierKind kind, std::string_view hash, uint64_t seq) {
  std::string k = Subject(kind, hash);
  PutBigEndian64(k, seq);
  return k;
}

std::string Account(std::string_view account) {
  std::string k(kAccountPrefix);
  PutU8(k, static_cast<uint8_t>(account.size()));
  k.append(account);
  return k;
}

std::string Account(std::string_view account, uint64_t seq) {
  std::string k = Account(account);
  PutBigEndian64(k, seq);
  return k;
}

std::string Action(AuditAction action) {
  std::string k(kActionPrefix);
  PutU8(k, static_cast<uint8_t>(action));
  return k;
}

std::string Action(AuditAction action, uint64_t seq) {
  std::string k = Action(action);
  PutBigEndian64(k, seq);
  return k;
}

uint64_t SeqOfKey(std::string_view key) {
  return key.size() < 8 ? 0 : GetBigEndian64(key.substr(key.size() - 8));
}

}  // namespace audit_keys

}  // namespace warden::audit
