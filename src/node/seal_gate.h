// SealGate: the server's seal state and the services that exist only while
// it is unsealed (G3).
//
// A sealed server holds no key: it can answer /healthz and accept unseal
// shares, nothing else. When the root key is rebuilt (K shares, an HSM, or a
// development key file) the gate loads the key hierarchy from the store and
// builds the layers that need keys — the record barrier, access control and
// the audit log — as one UnsealedServices. Seal() drops them, wiping every
// key; requests already holding the services finish first.
//
// Thread safety: all methods may be called concurrently. services() returns a
// shared pointer that a request holds for its whole duration.
#ifndef WARDEN_NODE_SEAL_GATE_H_
#define WARDEN_NODE_SEAL_GATE_H_

#include <memory>
#include <optional>
#include <string>

#include "access/access_control.h"
#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "crypto/key_ring.h"
#include "crypto/root_seal.h"
#include "schema/schema.h"
#include "store/record_barrier.h"
#include "store/store.h"

namespace warden::node {

// Keys in Space::kMeta owned by the gate.
inline constexpr std::string_view kKeyRingStateKey = "keyring/state";
inline constexpr std::string_view kSchemaKey = "schema/text";

struct UnsealedServices {
  // The store the services run on; export jobs keep their state there.
  Store* store = nullptr;
  std::unique_ptr<crypto::KeyRing> keys;
  std::unique_ptr<RecordBarrier> barrier;
  std::unique_ptr<access::AccessControl> access;
  std::unique_ptr<audit::AuditLog> audit;
};

struct SealGateOptions {
  access::AccessOptions access;
  audit::AuditLogOptions audit;
  access::AlertSink on_access_alert;
};

class SealGate {
 public:
  // `store`, `schema` and `clock` must outlive the gate.
  SealGate(Store& store, const schema::Schema& schema, crypto::SealConfig config,
           const Clock& clock, SealGateOptions options);
  ~SealGate();

  const crypto::SealConfig& config() const { return config_; }
  bool sealed() const;
  // Null while sealed.
  std::shared_ptr<UnsealedServices> services() const;

  // Adds one Shamir share; at the threshold the server unseals. Errors of
  // crypto::UnsealSession (naming the share), kConflict "already_unsealed".
  StatusOr<crypto::UnsealProgress> SubmitShare(std::string_view share);
  crypto::UnsealProgress Progress() const;

  // Unseals with a root key obtained otherwise (HSM, development key file).
  // kPermissionDenied "wrong_root_key" if it does not match the seal config.
  Status UnsealWithRootKey(SecretBytes root);

  // Drops every key. OK when already sealed.
  void Seal();

 private:
  StatusOr<std::shared_ptr<UnsealedServices>> BuildServices(SecretBytes root);

  Store& store_;
  const schema::Schema& schema_;
  const crypto::SealConfig config_;
  const Clock& clock_;
  SealGateOptions options_;
  crypto::UnsealSession unseal_;

  mutable Mutex mu_;
  std::shared_ptr<UnsealedServices> services_ GUARDED_BY(mu_);
};

// Builds the services for a store from its root key: loads (or, with
// `create`, creates) the key hierarchy, makes sure every collection of
// `schema` has keys, and opens access control and the audit log. Used by the
// gate and by offline tools (init, import, audit verify).
StatusOr<std::shared_ptr<UnsealedServices>> OpenServices(Store& store, const schema::Schema& schema,
                                                         SecretBytes root, const Clock& clock,
                                                         SealGateOptions options, bool create);

}  // namespace warden::node

#endif  // WARDEN_NODE_SEAL_GATE_H_
