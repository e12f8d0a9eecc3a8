// Builds the parts of the access layer on one store.
#include "access/access_control.h"

#include "access/account_store.h"
#include "core/bytes.h"
#include "crypto/primitives.h"

namespace warden::access {

StatusOr<std::unique_ptr<AccessControl>> AccessControl::Create(Store& store, const Clock& clock,
                                                               AccessKeys keys,
                                                               AccessOptions options) {
  if (keys.token_hash_key.size() != 32 ||
      keys.unversioned_seal_key.size() != crypto::kAes256KeySize) {
    return InvalidArgument("access keys must be 32 bytes each");
  }
  if (keys.seal_keys == nullptr) return InvalidArgument("access seal keys are required");
  auto derive = [&](std::string_view label) {
    return crypto::HkdfSha256(keys.token_hash_key, {}, AsBytes(label), 32);
  };
  ASSIGN_OR_RETURN(SecretBytes canary_key, derive("warden access canary v1"));
  ASSIGN_OR_RETURN(SecretBytes lockout_key, derive("warden access lockout v1"));
  return std::unique_ptr<AccessControl>(
      new AccessControl(store, clock, std::move(keys), options, canary_key, lockout_key));
}

AccessControl::AccessControl(Store& store, const Clock& clock, AccessKeys keys,
                             const AccessOptions& options, const SecretBytes& canary_key,
                             const SecretBytes& lockout_key)
    : accounts_(std::make_unique<AccountStore>(store, clock, std::move(keys))),
      tripwires_(store, clock, *accounts_, options, canary_key),
      limits_(store, clock, tripwires_),
      authenticator_(store, clock, *accounts_, tripwires_, options, lockout_key),
      administration_(store, clock, *accounts_, options) {}

AccessControl::~AccessControl() = default;

}  // namespace warden::access
