// Verification of the audit chain (G6): reports OK or the first place where
// the chain breaks, with what kind of change explains it.
//
// The verifier needs no secret: entries are chained with SHA-256 and
// checkpoints are checked with the Ed25519 public key stored with the log (or
// one supplied from outside, which then must match). It works on the stored
// log (VerifyStoredLog: offline on a data directory, or online) and on a
// shipped JSON Lines copy (VerifyShippedLog). Given the last checkpoint that
// was shipped elsewhere, it detects a truncated tail.
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
  std::optional<ChainBreak> chain_break;

  bool ok() const { return !chain_break.has_value(); }
  // One line: "OK: 1200 entries ..." or "BROKEN at seq 17: modified: ...".
  std::string Summary() const;
};

struct VerifyOptions {
  // Raw 32-byte Ed25519 public key; when set, the key stored with the log must
  // equal it. When empty, the stored key is trusted.
  std::string expected_public_key;
  // The last checkpoint known to have been shipped outside the store.
  std::optional<AuditCheckpoint> last_shipped;
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
// starting at the seq named by the first entry line.
struct ShippedLog {
  std::vector<RawEntry> entries;
  std::vector<AuditCheckpoint> checkpoints;
  std::string public_key;  // from the first checkpoint line
  uint64_t skipped_lines = 0;
};
ShippedLog ParseShippedLog(std::string_view jsonl);
StatusOr<VerifyReport> VerifyShippedLog(std::string_view jsonl, const VerifyOptions& options);

}  // namespace warden::audit

#endif  // WARDEN_AUDIT_AUDIT_VERIFY_H_
