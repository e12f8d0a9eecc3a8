#include "audit/audit_log.h"

#include <algorithm>

#include "core/bytes.h"
#include "crypto/primitives.h"

namespace warden::audit {
namespace {

constexpr std::string_view kHeadKey = "m/head";
// The associated data of contexts sealed before key versions.
constexpr std::string_view kUnversionedContextAd = "warden-audit-context-v1";
// A conflict means another server committed first, so retrying always makes
// progress; the bound only stops a livelock from hanging the writer.
constexpr int kMaxConflictRetries = 64;
constexpr size_t kShipChunk = 4096;
constexpr size_t kTailChunk = 4096;
constexpr std::string_view kTailUnverified = "audit_tail_unverified";

Status AuditUnavailable() {
  return Unavailable("the audit trail cannot be written; personal data is not served",
                     "audit_unavailable");
}

}  // namespace

struct AuditLog::Pending {
  std::optional<AuditEntry> entry;  // nullopt: a checkpoint request
  bool done = false;
  Status status;
  uint64_t seq = 0;
  // Set for AppendAsync: runs on the writer thread once done, then the
  // Pending (owned by the queue) is deleted.
  std::function<void(StatusOr<uint64_t>)> on_done;
};

std::string_view AuditAlertKindName(AuditAlertKind kind) {
  switch (kind) {
    case AuditAlertKind::kAuditUnavailable:
      return "audit_unavailable";
    case AuditAlertKind::kAuditRecovered:
      return "audit_recovered";
    case AuditAlertKind::kSinkFailed:
      return "audit_sink_failed";
    case AuditAlertKind::kSinkRecovered:
      return "audit_sink_recovered";
    case AuditAlertKind::kLowDiskSpace:
      return "low_disk_space";
    case AuditAlertKind::kDiskSpaceRecovered:
      return "disk_space_recovered";
    case AuditAlertKind::kTailRejected:
      return "audit_tail_rejected";
  }
  return "unknown";
}

AuditLog::AuditLog(Store& store, AuditLogOptions options)
    : store_(store),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::Real()) {}

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    Store& store, const SecretBytes& hash_key, const SecretBytes& sign_seed,
    std::shared_ptr<const crypto::EnvelopeKeys> context_keys, AuditLogOptions options) {
  if (hash_key.size() < 32) return InvalidArgument("audit-hash key must be at least 32 bytes");
  if (context_keys == nullptr) return InvalidArgument("audit context keys are required");
  if (sign_seed.size() != crypto::kEd25519SeedSize) {
    return InvalidArgument("audit-sign seed must be 32 bytes");
  }
  if (options.checkpoint_every == 0) options.checkpoint_every = 1;
  if (options.max_batch == 0) options.max_batch = 1;
  std::unique_ptr<AuditLog> log(new AuditLog(store, std::move(options)));
  ASSIGN_OR_RETURN(SecretBytes id_key, DeriveAuditKey(hash_key, "identifier-hash-v1"));
  log->id_mac_ = std::make_unique<crypto::HmacSha256Key>(id_key);
  log->context_keys_ = std::move(context_keys);
  ASSIGN_OR_RETURN(log->unversioned_context_key_, DeriveAuditKey(hash_key, "context-seal-v1"));
  ASSIGN_OR_RETURN(log->entry_mac_, EntryMac::FromAuditHashKey(hash_key));
  log->sign_seed_ = sign_seed.Clone();
  ASSIGN_OR_RETURN(log->public_key_, crypto::Ed25519PublicKey(sign_seed));

  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   store.Get(Space::kAudit, audit_keys::kPublicKey));
  if (stored && !ConstantTimeEquals(*stored, log->public_key_)) {
    return Conflict("the audit log was created with a different signing key", "audit_key_mismatch");
  }
  if (!stored) {
    WriteBatch batch;
    batch.Expect(Space::kAudit, std::string(audit_keys::kPublicKey), std::nullopt);
    batch.Put(Space::kAudit, std::string(audit_keys::kPublicKey), log->public_key_);
    Status st = store.Write(batch);
    if (st.code() == StatusCode::kConflict) {
      // Another server created the log at the same moment; its key must match.
      ASSIGN_OR_RETURN(stored, store.Get(Space::kAudit, audit_keys::kPublicKey));
      if (!stored || !ConstantTimeEquals(*stored, log->public_key_)) {
        return Conflict("the audit log was created with a different signing key",
                        "audit_key_mismatch");
      }
    } else {
      RETURN_IF_ERROR(st.WithContext("creating the audit log"));
    }
  }
  log->last_checkpoint_mono_ = log->clock_.MonotonicNanos();
  // Nothing is signed over entries this run did not write until they verify.
  Status tail = log->StartFromLastCheckpoint();
  if (tail.ok()) tail = log->LoadHead();
  if (!tail.ok() && tail.reason() != kTailUnverified) return tail;
  {
    MutexLock lock(log->mu_);  // no other thread yet; taken for the analysis
    log->committed_seq_ = log->head_.seq;
  }
  for (const std::shared_ptr<AuditSink>& sink : log->options_.sinks) {
    SinkState state{sink, sink->LastShippedSeq().value_or(log->head_.seq), false};
    if (state.shipped_seq > log->head_.seq) {
      log->Alert(AuditAlertKind::kSinkFailed,
                 std::string(sink->name()) +
                     " holds audit entries beyond the stored head; the store may have been "
                     "truncated or restored from an old backup");
    }
    log->sinks_.push_back(std::move(state));
    // A checkpoint shipped off the store names a point the log must reach:
    // a store truncated together with its checkpoints, or rolled back to an
    // old backup, is not signed over.
    std::optional<AuditCheckpoint> shipped = sink->LastShippedCheckpoint();
    if (tail.ok() && shipped) tail = log->CheckShippedCheckpoint(sink->name(), *shipped);
    if (!tail.ok() && tail.reason() != kTailUnverified) return tail;
  }
  if (tail.ok() && log->entries_since_checkpoint_ > 0) {
    // The tail verified (an earlier run ended without its last checkpoint,
    // or another server's entries wait): sign it now.
    std::vector<Pending*> none;
    std::vector<RawEntry> committed;
    std::optional<AuditCheckpoint> checkpoint;
    RETURN_IF_ERROR(log->CommitBatch(none, /*force_checkpoint=*/true, committed, checkpoint));
    log->Ship(committed, checkpoint);
  }
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

AuditLog::~AuditLog() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  writer_cv_.notify_one();
  if (writer_.joinable()) writer_.join();
}

Status AuditLog::RejectTail(std::string why) {
  bool first = false;
  {
    MutexLock lock(mu_);
    first = !tail_rejected_;
    tail_rejected_ = true;
    failed_ = true;
  }
  if (first) {
    Alert(AuditAlertKind::kTailRejected,
          "the audit entries after the last checkpoint do not verify (" + why +
              "); no checkpoint is signed over them and personal data is not served until the "
              "trail is investigated (warden audit verify)");
  }
  return DataLoss(std::move(why), std::string(kTailUnverified));
}

Status AuditLog::CheckShippedCheckpoint(std::string_view sink, const AuditCheckpoint& cp) {
  const std::string message = CheckpointMessage(cp.seq, cp.head_hash, cp.time_micros);
  if (!crypto::Ed25519Verify(AsBytes(public_key_), AsBytes(message), AsBytes(cp.signature))) {
    Alert(AuditAlertKind::kSinkFailed,
          std::string(sink) + " holds a checkpoint that does not verify with this log's key");
    return Status::Ok();
  }
  const std::string named =
      "checkpoint " + std::to_string(cp.seq) + " shipped to " + std::string(sink);
  if (cp.seq > head_.seq) {
    return RejectTail("the log ends at seq " + std::to_string(head_.seq) + " but " + named +
                      " names a later one: the log was truncated or rolled back");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> encoded,
                   store_.Get(Space::kAudit, audit_keys::Entry(cp.seq)));
  if (!encoded || EntryHash(*encoded) != cp.head_hash) {
    return RejectTail("the stored entry " + std::to_string(cp.seq) + " is not the one " + named +
                      " signed");
  }
  return Status::Ok();
}

Status AuditLog::StartFromLastCheckpoint() {
  ASSIGN_OR_RETURN(std::optional<std::string> pointer, store_.Get(Space::kAudit, kHeadKey));
  const uint64_t head_seq = pointer && pointer->size() == 8 ? GetBigEndian64(*pointer) : 0;
  // Checkpoints come at least every checkpoint_every entries, so the last one
  // normally lies in the window just before the head; the window doubles
  // until one is found or the whole log was searched.
  std::vector<KeyValue> cps;
  for (uint64_t window = options_.checkpoint_every + options_.max_batch;; window *= 2) {
    const uint64_t from = head_seq > window ? head_seq - window : 0;
    ASSIGN_OR_RETURN(cps, store_.Scan(Space::kAudit, audit_keys::Checkpoint(from),
                                      PrefixEnd(audit_keys::kCheckpointPrefix), SIZE_MAX));
    if (!cps.empty() || from == 0) break;
  }
  head_ = Head{};
  head_.hash.assign(kEntryHashSize, '\0');
  last_checkpoint_seq_ = 0;
  if (cps.empty()) return Status::Ok();

  const KeyValue& last = cps.back();
  const uint64_t seq = audit_keys::SeqOfKey(last.key);
  const std::string at = "the last checkpoint, at seq " + std::to_string(seq) + ",";
  StatusOr<AuditCheckpoint> cp = DecodeCheckpoint(last.value);
  if (!cp.ok() || cp->seq != seq || last.key != audit_keys::Checkpoint(seq)) {
    return RejectTail(at + " does not decode");
  }
  const std::string message = CheckpointMessage(cp->seq, cp->head_hash, cp->time_micros);
  if (!crypto::Ed25519Verify(AsBytes(public_key_), AsBytes(message), AsBytes(cp->signature))) {
    return RejectTail(at + " has no valid signature");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> encoded,
                   store_.Get(Space::kAudit, audit_keys::Entry(seq)));
  if (!encoded || EntryHash(*encoded) != cp->head_hash) {
    return RejectTail(at + " does not match the entry it names");
  }
  StatusOr<AuditEntry> entry = DecodeEntry(*encoded);
  if (!entry.ok()) return RejectTail(at + " names an entry that does not decode");
  head_.seq = seq;
  head_.hash = cp->head_hash;
  head_.time_micros = entry->time_micros;
  head_.encoded = *std::move(encoded);
  last_checkpoint_seq_ = seq;
  return Status::Ok();
}

Status AuditLog::LoadHead() {
  ASSIGN_OR_RETURN(std::optional<std::string> pointer, store_.Get(Space::kAudit, kHeadKey));
  if (pointer && pointer->size() != 8) return RejectTail("the head pointer is malformed");
  const uint64_t pointer_seq = pointer ? GetBigEndian64(*pointer) : 0;
  // Every entry after the verified head — another server's, an earlier run's,
  // or one written with disk access — is checked before this log chains to
  // it or signs over it. The walk goes to the last stored entry, whatever
  // the head pointer says.
  Head h = head_;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<KeyValue> kvs,
                     store_.Scan(Space::kAudit, audit_keys::Entry(h.seq + 1),
                                 PrefixEnd(audit_keys::kEntryPrefix), kTailChunk));
    for (KeyValue& kv : kvs) {
      const uint64_t seq = h.seq + 1;
      const std::string at = "entry " + std::to_string(seq);
      if (kv.key != audit_keys::Entry(seq)) return RejectTail(at + " is missing");
      StatusOr<AuditEntry> e = DecodeEntry(kv.value);
      if (!e.ok() || e->seq != seq) return RejectTail(at + " does not decode");
      if (e->prev_hash != h.hash) return RejectTail(at + " does not chain to the entry before it");
      if (e->time_micros < h.time_micros) {
        return RejectTail(at + " is older than the entry before it");
      }
      if (!entry_mac_->Verify(kv.value)) {
        return RejectTail(at + " has no valid MAC: it was not written with this server's keys");
      }
      h.seq = seq;
      h.hash = EntryHash(kv.value);
      h.time_micros = e->time_micros;
      h.encoded = std::move(kv.value);
    }
    if (kvs.size() < kTailChunk) break;
  }
  if (pointer_seq > h.seq) {
    return RejectTail("the head pointer names entry " + std::to_string(pointer_seq) +
                      " but the log ends at " + std::to_string(h.seq));
  }
  entries_since_checkpoint_ = h.seq - std::min(last_checkpoint_seq_, h.seq);
  head_ = std::move(h);
  return Status::Ok();
}

std::string AuditLog::HashIdentifier(IdentifierKind kind, std::string_view value) const {
  std::string data;
  data.reserve(1 + value.size());
  data.push_back(static_cast<char>(kind));
  data.append(value);
  crypto::HmacSha256Tag tag = id_mac_->Compute(AsBytes(data));
  SecureWipe(data);
  return std::string(reinterpret_cast<const char*>(tag.data()), tag.size());
}

StatusOr<AuditEntry> AuditLog::Prepare(const AuditEvent& event) const {
  if (event.actor.account.size() > 255) {
    return FieldInvalid("account", "max_length", "account id is longer than 255 bytes");
  }
  if (static_cast<uint8_t>(event.action) == 0 ||
      static_cast<uint8_t>(event.action) > kMaxAuditAction) {
    return FieldInvalid("action", "enum", "unknown audit action");
  }
  AuditEntry e;
  e.action = event.action;
  e.outcome = event.outcome;
  e.status = event.status;
  e.error_reason = event.error_reason;
  e.account = event.actor.account;
  e.session = event.actor.session;
  e.role = event.actor.role;
  e.client_address = event.actor.client_address;
  e.collection = event.collection;
  e.purpose_kind = event.actor.purpose_kind;
  e.result_count = event.result_count;
  e.fields = event.fields;
  e.subjects.reserve(event.subjects.size());
  for (const AuditSubject& s : event.subjects) {
    e.subjects.push_back({s.kind, HashIdentifier(s.kind, s.value)});
  }
  auto less = [](const HashedSubject& a, const HashedSubject& b) {
    return std::tie(a.kind, a.hash) < std::tie(b.kind, b.hash);
  };
  std::sort(e.subjects.begin(), e.subjects.end(), less);
  e.subjects.erase(std::unique(e.subjects.begin(), e.subjects.end()), e.subjects.end());

  AuditContext context{event.actor.purpose_reference, event.actor.reason, event.detail};
  if (!context.empty()) {
    std::string plain = EncodeContext(context);
    StatusOr<std::string> sealed = context_keys_->Seal(crypto::EnvelopeUse::kAuditContext,
                                                       {e.account, e.session}, AsBytes(plain));
    SecureWipe(plain);
    if (!sealed.ok()) return sealed.status();
    e.sealed_context = *std::move(sealed);
  }
  return e;
}

AuditRecord AuditLog::Unseal(AuditEntry entry) const {
  AuditRecord record;
  if (!entry.sealed_context.empty()) {
    const std::string_view sealed = entry.sealed_context;
    StatusOr<std::string> plain = context_keys_->Open(crypto::EnvelopeUse::kAuditContext,
                                                      {entry.account, entry.session}, sealed);
    // Contexts sealed before key versions are nonce | ciphertext | tag. Their
    // first byte is random, so no format byte tells the layouts apart; GCM
    // authentication does, as at most one of the two opens.
    if (!plain.ok() && sealed.size() >= crypto::kGcmNonceSize + crypto::kGcmTagSize) {
      StatusOr<std::string> unversioned = crypto::Aes256GcmOpen(
          unversioned_context_key_, AsBytes(sealed.substr(0, crypto::kGcmNonceSize)),
          AsBytes(sealed.substr(crypto::kGcmNonceSize)), AsBytes(kUnversionedContextAd));
      if (unversioned.ok()) plain = std::move(unversioned);
    }
    if (plain.ok()) {
      StatusOr<AuditContext> context = DecodeContext(*plain);
      if (context.ok()) record.context = *std::move(context);
      SecureWipe(*plain);
    } else if (plain.status().reason() == "unknown_key_version") {
      record.context.detail = "(context sealed under a key version this server does not hold)";
    } else {
      record.context.detail = "(context does not open: modified or sealed under another key)";
    }
  }
  record.entry = std::move(entry);
  return record;
}

StatusOr<uint64_t> AuditLog::Append(const AuditEvent& event) {
  ASSIGN_OR_RETURN(AuditEntry entry, Prepare(event));
  Pending pending;
  pending.entry = std::move(entry);
  MutexLock lock(mu_);
  if (failed_ || stop_) return AuditUnavailable();
  queue_.push_back(&pending);
  writer_cv_.notify_one();
  lock.Wait(done_cv_, [&pending] { return pending.done; });
  if (!pending.status.ok()) return pending.status;
  return pending.seq;
}

void AuditLog::AppendAsync(const AuditEvent& event,
                           std::function<void(StatusOr<uint64_t>)> on_done) {
  StatusOr<AuditEntry> entry = Prepare(event);
  if (!entry.ok()) return on_done(entry.status());
  auto pending = std::make_unique<Pending>();
  pending->entry = std::move(entry).value();
  pending->on_done = std::move(on_done);
  {
    MutexLock lock(mu_);
    if (!failed_ && !stop_) {
      queue_.push_back(pending.release());
      writer_cv_.notify_one();
      return;
    }
  }
  pending->on_done(AuditUnavailable());
}

void AuditLog::Complete(std::vector<Pending*>& batch, const Status& status) {
  // AppendAsync entries are owned here; an Append's Pending lives on its
  // caller's stack and may be gone as soon as `done` is seen, so it is not
  // touched after that.
  std::vector<std::unique_ptr<Pending>> async;
  {
    MutexLock lock(mu_);
    for (Pending* p : batch) {
      p->status = status;
      if (p->on_done) {
        async.emplace_back(p);
      } else {
        p->done = true;
      }
    }
  }
  batch.clear();
  done_cv_.notify_all();
  for (const std::unique_ptr<Pending>& p : async) {
    if (p->status.ok()) {
      p->on_done(p->seq);
    } else {
      p->on_done(p->status);
    }
  }
}

Status AuditLog::Checkpoint() {
  Pending pending;
  MutexLock lock(mu_);
  if (failed_ || stop_) return AuditUnavailable();
  queue_.push_back(&pending);
  writer_cv_.notify_one();
  lock.Wait(done_cv_, [&pending] { return pending.done; });
  return pending.status;
}

bool AuditLog::healthy() const {
  MutexLock lock(mu_);
  return !failed_;
}

bool AuditLog::tail_rejected() const {
  MutexLock lock(mu_);
  return tail_rejected_;
}

uint64_t AuditLog::last_seq() const {
  MutexLock lock(mu_);
  return committed_seq_;
}

size_t AuditLog::queue_depth() const {
  MutexLock lock(mu_);
  return queue_.size();
}

void AuditLog::Alert(AuditAlertKind kind, std::string message) {
  if (options_.on_alert) options_.on_alert(AuditAlert{kind, std::move(message)});
}

void AuditLog::WriterLoop() {
  for (;;) {
    std::vector<Pending*> batch;
    bool failed = false;
    bool stopping = false;
    {
      MutexLock lock(mu_);
      auto ready = [this]() REQUIRES(mu_) { return stop_ || !queue_.empty(); };
      if (failed_) {
        lock.WaitFor(writer_cv_, options_.probe_interval, ready);
      } else if (entries_since_checkpoint_ > 0) {
        // Until the checkpoint that the interval makes due.
        const int64_t left = std::chrono::nanoseconds(options_.checkpoint_interval).count() -
                             (clock_.MonotonicNanos() - last_checkpoint_mono_);
        lock.WaitFor(writer_cv_, std::chrono::nanoseconds(std::max<int64_t>(left, 0)), ready);
      } else {
        lock.Wait(writer_cv_, ready);
      }
      stopping = stop_ && queue_.empty();
      failed = failed_;
    }
    if (stopping) {
      // The checkpoint at stop (and at seal, which destroys the log): a cleanly
      // stopped log leaves no unsigned tail.
      if (!failed && entries_since_checkpoint_ > 0) {
        std::vector<Pending*> none;
        std::vector<RawEntry> committed;
        std::optional<AuditCheckpoint> checkpoint;
        Status st = CommitBatch(none, /*force_checkpoint=*/true, committed, checkpoint);
        if (st.ok()) {
          Ship(committed, checkpoint);
        } else {
          Alert(AuditAlertKind::kAuditUnavailable,
                "the audit checkpoint at stop could not be written (" +
                    std::string(StatusCodeName(st.code())) + ")");
        }
      }
      break;
    }
    {
      MutexLock lock(mu_);
      size_t n = std::min(queue_.size(), options_.max_batch);
      batch.assign(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    }
    if (failed && !TryRecover()) {
      Complete(batch, AuditUnavailable());
      continue;
    }
    bool force_checkpoint =
        std::any_of(batch.begin(), batch.end(), [](const Pending* p) { return !p->entry; });
    int64_t since_ns = clock_.MonotonicNanos() - last_checkpoint_mono_;
    if (entries_since_checkpoint_ > 0 &&
        since_ns >= std::chrono::nanoseconds(options_.checkpoint_interval).count()) {
      force_checkpoint = true;
    }
    if (batch.empty() && !force_checkpoint) continue;

    std::vector<RawEntry> committed;
    std::optional<AuditCheckpoint> checkpoint;
    const int64_t started_ns = clock_.MonotonicNanos();
    Status st = CommitBatch(batch, force_checkpoint, committed, checkpoint);
    if (st.ok() && options_.on_commit) {
      options_.on_commit(committed.size(),
                         std::chrono::nanoseconds(clock_.MonotonicNanos() - started_ns));
    }
    {
      MutexLock lock(mu_);
      if (st.ok()) {
        committed_seq_ = head_.seq;
      } else {
        failed_ = true;
      }
    }
    Complete(batch, st.ok() ? Status::Ok() : AuditUnavailable());
    if (st.ok()) {
      Ship(committed, checkpoint);
    } else {
      Alert(AuditAlertKind::kAuditUnavailable,
            "audit store write failed (" + std::string(StatusCodeName(st.code())) +
                "); requests for personal data are refused until it recovers");
    }
  }
}

Status AuditLog::CommitBatch(std::vector<Pending*>& batch, bool force_checkpoint,
                             std::vector<RawEntry>& committed,
                             std::optional<AuditCheckpoint>& checkpoint) {
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    committed.clear();
    checkpoint.reset();
    WriteBatch wb;
    Head h = head_;
    const int64_t now = clock_.NowMicros();
    for (Pending* p : batch) {
      if (!p->entry) continue;
      AuditEntry& e = *p->entry;
      e.seq = h.seq + 1;
      e.time_micros = std::max(now, h.time_micros);
      e.prev_hash = h.hash;
      std::string encoded = entry_mac_->Encode(e);
      wb.Put(Space::kAudit, audit_keys::Entry(e.seq), encoded);
      wb.Put(Space::kAudit, audit_keys::Action(e.action, e.seq), "");
      if (!e.account.empty()) wb.Put(Space::kAudit, audit_keys::Account(e.account, e.seq), "");
      for (const HashedSubject& s : e.subjects) {
        wb.Put(Space::kAudit, audit_keys::Subject(s.kind, s.hash, e.seq), "");
      }
      p->seq = e.seq;
      h.hash = EntryHash(encoded);
      h.seq = e.seq;
      h.time_micros = e.time_micros;
      committed.push_back({e.seq, encoded});
      h.encoded = std::move(encoded);
    }
    uint64_t since = entries_since_checkpoint_ + committed.size();
    if (h.seq > 0 && since > 0 && (force_checkpoint || since >= options_.checkpoint_every)) {
      AuditCheckpoint cp{h.seq, h.hash, std::max(now, h.time_micros), {}};
      std::string message = CheckpointMessage(cp.seq, cp.head_hash, cp.time_micros);
      ASSIGN_OR_RETURN(cp.signature, crypto::Ed25519Sign(sign_seed_, AsBytes(message)));
      wb.Put(Space::kAudit, audit_keys::Checkpoint(cp.seq), EncodeCheckpoint(cp));
      checkpoint = std::move(cp);
    }
    if (wb.empty()) return Status::Ok();
    // Chain only onto the head this server believes in: another server sharing
    // the store may have appended since.
    wb.Expect(Space::kAudit, audit_keys::Entry(head_.seq + 1), std::nullopt);
    if (head_.seq > 0) wb.Expect(Space::kAudit, audit_keys::Entry(head_.seq), head_.encoded);
    std::string head_seq;
    PutBigEndian64(head_seq, h.seq);
    wb.Put(Space::kAudit, std::string(kHeadKey), head_seq);

    Status st = store_.Write(wb);
    if (st.ok()) {
      head_ = std::move(h);
      entries_since_checkpoint_ = checkpoint ? 0 : since;
      if (checkpoint) {
        last_checkpoint_seq_ = checkpoint->seq;
        last_checkpoint_mono_ = clock_.MonotonicNanos();
      }
      return Status::Ok();
    }
    if (st.code() != StatusCode::kConflict) return st;
    RETURN_IF_ERROR(LoadHead());
  }
  return Unavailable("the audit head kept moving under concurrent writers", "audit_unavailable");
}

bool AuditLog::TryRecover() {
  if (tail_rejected()) return false;
  // A failed write may still have reached the store: trust only what is there
  // (and verify it: another writer may have come first).
  if (!LoadHead().ok()) return false;
  AuditEvent probe;
  probe.actor.account = "warden";
  probe.actor.role = "system";
  probe.action = AuditAction::kAlert;
  probe.detail = "audit storage recovered";
  StatusOr<AuditEntry> entry = Prepare(probe);
  if (!entry.ok()) return false;
  Pending pending;
  pending.entry = *std::move(entry);
  std::vector<Pending*> batch = {&pending};
  std::vector<RawEntry> committed;
  std::optional<AuditCheckpoint> checkpoint;
  if (!CommitBatch(batch, false, committed, checkpoint).ok()) return false;
  {
    MutexLock lock(mu_);
    failed_ = false;
    committed_seq_ = head_.seq;
  }
  Alert(AuditAlertKind::kAuditRecovered, "audit storage writable again; serving resumes");
  Ship(committed, checkpoint);
  return true;
}

void AuditLog::Ship(const std::vector<RawEntry>& committed,
                    const std::optional<AuditCheckpoint>& checkpoint) {
  for (SinkState& s : sinks_) {
    Status st;
    if (s.sink->ships_entries()) {
      const uint64_t first = committed.empty() ? head_.seq + 1 : committed.front().seq;
      // Re-ship from the store whatever the sink missed (a failure, a restart).
      while (st.ok() && s.shipped_seq + 1 < first) {
        StatusOr<std::vector<KeyValue>> kvs =
            store_.Scan(Space::kAudit, audit_keys::Entry(s.shipped_seq + 1),
                        audit_keys::Entry(first), kShipChunk);
        if (!kvs.ok()) {
          st = kvs.status();
          break;
        }
        if (kvs->empty()) break;
        std::vector<RawEntry> raws;
        for (KeyValue& kv : *kvs)
          raws.push_back({audit_keys::SeqOfKey(kv.key), std::move(kv.value)});
        st = s.sink->ShipEntries(raws);
        if (st.ok()) s.shipped_seq = raws.back().seq;
      }
      if (st.ok() && !committed.empty()) {
        st = s.sink->ShipEntries(committed);
        if (st.ok()) s.shipped_seq = committed.back().seq;
      }
    }
    if (st.ok() && checkpoint) st = s.sink->ShipCheckpoint(*checkpoint, public_key_);
    // A checkpoint-only sink given nothing to ship has not recovered.
    if (!s.sink->ships_entries() && !checkpoint) continue;
    if (!st.ok() && !s.failing) {
      s.failing = true;
      Alert(AuditAlertKind::kSinkFailed, std::string(s.sink->name()) + " failed (" +
                                             std::string(StatusCodeName(st.code())) + ")");
    } else if (st.ok() && s.failing) {
      s.failing = false;
      Alert(AuditAlertKind::kSinkRecovered, std::string(s.sink->name()) + " works again");
    }
  }
}

FreeSpaceWatch::FreeSpaceWatch(FileSystem& fs, std::string path, uint64_t warn_below_bytes,
                               AuditAlertFn on_alert)
    : fs_(fs),
      path_(std::move(path)),
      warn_below_(warn_below_bytes),
      on_alert_(std::move(on_alert)) {}

StatusOr<uint64_t> FreeSpaceWatch::Check() {
  ASSIGN_OR_RETURN(uint64_t free_bytes, fs_.FreeBytes(path_));
  bool low = free_bytes < warn_below_;
  if (low != low_ && on_alert_) {
    on_alert_(AuditAlert{
        low ? AuditAlertKind::kLowDiskSpace : AuditAlertKind::kDiskSpaceRecovered,
        "free space where the audit trail is stored: " + std::to_string(free_bytes >> 20) +
            " MiB (warning below " + std::to_string(warn_below_ >> 20) + " MiB)"});
  }
  low_ = low;
  return free_bytes;
}

}  // namespace warden::audit
