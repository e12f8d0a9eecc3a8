#include "node/seal_gate.h"

namespace warden::node {
namespace {

Status PersistKeyRingState(Store& store, std::string_view state) {
  WriteBatch batch;
  batch.Put(Space::kMeta, std::string(kKeyRingStateKey), std::string(state));
  return store.Write(batch);
}

}  // namespace

StatusOr<std::shared_ptr<UnsealedServices>> OpenServices(Store& store, const schema::Schema& schema,
                                                         SecretBytes root, const Clock& clock,
                                                         SealGateOptions options, bool create) {
  auto services = std::make_shared<UnsealedServices>();
  services->store = &store;
  ASSIGN_OR_RETURN(std::optional<std::string> state,
                   store.Get(Space::kMeta, std::string(kKeyRingStateKey)));
  if (create) {
    if (state) return Conflict("the store is already initialised", "already_initialised");
    ASSIGN_OR_RETURN(services->keys, crypto::KeyRing::Create(std::move(root)));
    RETURN_IF_ERROR(PersistKeyRingState(store, services->keys->State()));
  } else {
    if (!state)
      return NotFound("the store holds no key hierarchy; run warden init", "not_initialised");
    ASSIGN_OR_RETURN(services->keys, crypto::KeyRing::Load(std::move(root), *state));
  }
  services->keys->SetStatePersister(
      [&store](std::string_view s) { return PersistKeyRingState(store, s); });
  for (const schema::CollectionSchema& c : schema.collections()) {
    RETURN_IF_ERROR(services->keys->AddCollection(c.name));
  }
  services->barrier = std::make_unique<RecordBarrier>(store, *services->keys);

  access::AccessKeys access_keys;
  ASSIGN_OR_RETURN(access_keys.token_hash_key, services->keys->DeriveServiceKey("token-hash"));
  ASSIGN_OR_RETURN(access_keys.seal_keys, services->keys->EnvelopeKeysFor("account-secret"));
  ASSIGN_OR_RETURN(access_keys.unversioned_seal_key,
                   services->keys->DeriveServiceKey("access-seal"));
  ASSIGN_OR_RETURN(services->access, access::AccessControl::Create(
                                         store, clock, std::move(access_keys), options.access));
  if (options.on_access_alert) services->access->tripwires().SetAlertSink(options.on_access_alert);

  ASSIGN_OR_RETURN(SecretBytes hash_key, services->keys->DeriveServiceKey("audit-hash"));
  ASSIGN_OR_RETURN(SecretBytes sign_seed, services->keys->DeriveServiceKey("audit-sign"));
  // The audit trail's alerts (unavailable, recovered, disk space) join the
  // access layer's stored alerts, which security officers list; the access
  // layer's sink then logs and counts them. The audit log is destroyed first
  // (UnsealedServices member order), so the pointer outlives every call.
  access::Tripwires* tripwires = &services->access->tripwires();
  options.audit.on_alert = [tripwires, also = std::move(options.audit.on_alert)](
                               const audit::AuditAlert& alert) {
    if (also) also(alert);
    tripwires->RaiseSystemAlert(std::string(audit::AuditAlertKindName(alert.kind)), alert.message);
  };
  ASSIGN_OR_RETURN(std::shared_ptr<const crypto::EnvelopeKeys> context_keys,
                   services->keys->EnvelopeKeysFor("audit-context"));
  ASSIGN_OR_RETURN(services->audit,
                   audit::AuditLog::Open(store, hash_key, sign_seed, std::move(context_keys),
                                         std::move(options.audit)));
  return services;
}

SealGate::SealGate(Store& store, const schema::Schema& schema, crypto::SealConfig config,
                   const Clock& clock, SealGateOptions options)
    : store_(store),
      schema_(schema),
      config_(config),
      clock_(clock),
      options_(std::move(options)),
      unseal_(std::move(config)) {}

SealGate::~SealGate() { Seal(); }

bool SealGate::sealed() const { return services() == nullptr; }

std::shared_ptr<UnsealedServices> SealGate::services() const {
  MutexLock lock(mu_);
  return services_;
}

crypto::UnsealProgress SealGate::Progress() const {
  if (!sealed()) return {config_.threshold, config_.threshold, true};
  return unseal_.Progress();
}

StatusOr<std::shared_ptr<UnsealedServices>> SealGate::BuildServices(SecretBytes root) {
  return OpenServices(store_, schema_, std::move(root), clock_, options_, /*create=*/false);
}

StatusOr<crypto::UnsealProgress> SealGate::SubmitShare(std::string_view share) {
  if (!sealed()) return Conflict("the server is already unsealed", "already_unsealed");
  ASSIGN_OR_RETURN(crypto::UnsealProgress progress, unseal_.Add(share));
  if (!progress.complete) return progress;
  ASSIGN_OR_RETURN(SecretBytes root, unseal_.TakeRootKey());
  unseal_.Reset();
  RETURN_IF_ERROR(UnsealWithRootKey(std::move(root)));
  return progress;
}

Status SealGate::UnsealWithRootKey(SecretBytes root) {
  RETURN_IF_ERROR(crypto::VerifyRootKey(config_, root));
  MutexLock lock(mu_);
  if (services_ != nullptr) return Status::Ok();
  ASSIGN_OR_RETURN(services_, BuildServices(std::move(root)));
  return Status::Ok();
}

void SealGate::Seal() {
  std::shared_ptr<UnsealedServices> dropped;
  {
    MutexLock lock(mu_);
    dropped = std::move(services_);
  }
  unseal_.Reset();
  // The checkpoint at seal, before the caller answers; entries of requests
  // still holding the services get the final one when the last of them
  // releases `dropped` (the AuditLog's destructor).
  if (dropped != nullptr) dropped->audit->Checkpoint().IgnoreError();
  // `dropped` is released here or, if requests still hold it, by the last of them.
}

}  // namespace warden::node
