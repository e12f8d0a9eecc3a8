// Verification of the audit chain (G6): reports OK or the first place where
// the chain breaks, with what kind of change explains it.
//
// Two levels of assurance:
//   public key only  entries are chained with SHA-256 and checkpoints are
//                    checked with the Ed25519 public key stored with the log
//                    (or one supplied from outside, which then must match).
//                    Entries after the last checkpoint are protected by the
//                    plain chain alone: the report says how many and how old
//                    they are, and the verification fails above a bound.
//   with the keys    (VerifyOptions::entry_mac, from the sealed key hierarchy)
//                    every entry's MAC is checked too, so an entry written
//                    without the keys is found even in the unsigned tail.
// It works on the stored log (VerifyStoredLog: offline on a data directory,
// or online) and on a shipped JSON Lines copy (VerifyShippedLog). Given the
// checkpoints that were shipped elsewhere, it detects a truncated tail even
// when the store's own checkpoints were deleted with it.
//
// How changes are told apart (docs/audit_format.md, "Verification"):
//   deleted     a sequence number is missing, or an entry's own seq is ahead of
//               its position and the missing one is nowhere near
//   reordered   an entry's own seq is ahead of its position and the entry that
//               belongs there follows shortly; or time runs backwards
//   inserted    an entry's prev_hash skips the entry before it, or an entry
//               repeats the seq of the one before it
//   modified    an entry does not decode, or its hash is not what the next
//               entry recorded
//   checkpoint_mismatch  the chain is consistent but differs from a signed
//               checkpoint (the tail was rewritten from some point on)
//   bad_signature        a checkpoint, or the public key, is not genuine
//   truncated   a checkpoint (stored, shipped or supplied) names a seq beyond
//               the last entry
//   forged      an entry's MAC does not verify (checked with the keys only),
//               or an entry without a MAC (version 1) follows one with a MAC
//               or is not covered by a signed checkpoint
//   unsigned_tail  more entries, or older ones, follow the last checkpoint
//               than the bound allows (VerifyOptions::max_unsigned_*)
// A change that rewrites every later entry consistently is found only by the
// checkpoints; it is then located between two checkpoints.
//
// Thread safety: free functions; safe to call concurrently with appends (they
// see a prefix of the log).
#ifndef WARDEN_AUDIT_AUDIT_VERIFY_H_
#define WARDEN_AUDIT_AUDIT_VERIFY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_entry.h"
#include "audit/audit_sink.h"
#include "core/status.h"
#include "store/store.h"

namespace warden::audit {

enum class ChainBreakKind {
  kModified,
  kInserted,
  kDeleted,
  kReordered,
  kTruncated,
  kBadSignature,
  kCheckpointMismatch,
  kForged,
  kUnsignedTail,
};
std::string_view ChainBreakKindName(ChainBreakKind kind);

struct ChainBreak {
  ChainBreakKind kind = ChainBreakKind::kModified;
  uint64_t seq = 0;     // the first sequence number affected
  std::string message;  // names positions and checkpoints, never entry contents
};

struct VerifyReport {
  uint64_t entries = 0;  // entries checked before the break (or all)
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;  // the last entry that verified
  std::string head_hash;  // EntryHash of last_seq
  int64_t last_time_micros = 0;
  uint64_t checkpoints = 0;  // checkpoints that verified
  uint64_t last_checkpoint_seq = 0;
  uint64_t skipped_lines = 0;  // shipped copy only: lines that were not JSON
  // Entries after the last verified checkpoint, and how long since that
  // checkpoint was signed (since the first entry when there is none); zero
  // when every entry is signed.
  uint64_t unsigned_entries = 0;
  int64_t unsigned_age_micros = 0;
  bool macs_checked = false;      // every entry's MAC was verified
  bool checkpoints_only = false;  // a shipped copy without entry lines
  std::optional<ChainBreak> chain_break;

  bool ok() const { return !chain_break.has_value(); }
  // One line: "OK: 1200 entries ..." or "BROKEN at seq 17: modified: ...".
  std::string Summary() const;
};

// Defaults of the unsigned-tail bound. A running server signs at least every
// second and every 1024 entries, and at stop and seal, so a healthy log stays
// far below them; a tail left by a crash exceeds the age bound until the
// server is started again and signs it.
inline constexpr uint64_t kDefaultMaxUnsignedEntries = 4096;
inline constexpr int64_t kDefaultMaxUnsignedAgeMicros = int64_t{60} * 1'000'000;

struct VerifyOptions {
  // Raw 32-byte Ed25519 public key; when set, the key stored with the log must
  // equal it. When empty, the stored key is trusted.
  std::string expected_public_key;
  // Checkpoints kept outside the store (a shipped copy, an operator's note):
  // each must verify and match the chain, and the log must reach them.
  std::vector<AuditCheckpoint> shipped;
  // With the keys: checks every version-2 entry's MAC. Not owned.
  const EntryMac* entry_mac = nullptr;
  // Verification fails (unsigned_tail) when more entries than this follow
  // the last checkpoint, or when that checkpoint is older than this.
  uint64_t max_unsigned_entries = kDefaultMaxUnsignedEntries;
  int64_t max_unsigned_age_micros = kDefaultMaxUnsignedAgeMicros;
  // "Now" for the age of the unsigned tail; 0: the real clock.
  int64_t now_micros = 0;
  // When set, only entries up to this seq are verified (a log that grows
  // while it is verified); the log must reach it.
  std::optional<uint64_t> up_to_seq;
};

// Entries in position order from some source. A store's position is the seq
// in the entry's key; a shipped copy's position is its line order.
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  // Up to `limit` entries at positions >= `from`, ascending.
  virtual StatusOr<std::vector<RawEntry>> Read(uint64_t from, size_t limit) = 0;
};

// Verifies the chain in `source` against `checkpoints` (any order). `first_seq`
// is where the source is expected to start (1 for a full log); when it is not
// 1 the first entry's prev_hash cannot be checked. Errors are only failures to
// read; a broken chain is an OK result with chain_break set.
StatusOr<VerifyReport> VerifyChain(EntrySource& source, uint64_t first_seq,
                                   std::vector<AuditCheckpoint> checkpoints,
                                   std::string_view public_key, const VerifyOptions& options);

// Verifies the log stored in Space::kAudit of `store`.
StatusOr<VerifyReport> VerifyStoredLog(Store& store, const VerifyOptions& options);

// A shipped JSON Lines copy, parsed. Entry positions follow line order,
// starting at the seq named by the first entry line. A line may carry a
// prefix before its JSON object (a syslog collector's timestamp and tag).
struct ShippedLog {
  std::vector<RawEntry> entries;
  std::vector<AuditCheckpoint> checkpoints;
  std::string public_key;  // from the first checkpoint line
  uint64_t skipped_lines = 0;
};
ShippedLog ParseShippedLog(std::string_view jsonl);
// Verifies a shipped copy. A copy with entry lines is verified as a chain; a
// copy of checkpoints only (what the server's own checkpoint file and the
// syslog sink hold) has each checkpoint's signature checked, and is then
// checked against the stored log by passing its checkpoints as
// VerifyOptions::shipped to VerifyStoredLog.
StatusOr<VerifyReport> VerifyShippedLog(std::string_view jsonl, const VerifyOptions& options);

}  // namespace warden::audit

#endif  // WARDEN_AUDIT_AUDIT_VERIFY_H_
