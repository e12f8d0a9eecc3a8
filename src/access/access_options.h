// AccessKeys and AccessOptions: the key material and the settings of the
// access layer, given to AccessControl::Create and shared by its parts.
//
// Thread safety: plain values.
#ifndef WARDEN_ACCESS_ACCESS_OPTIONS_H_
#define WARDEN_ACCESS_ACCESS_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "access/password.h"
#include "access/policy.h"
#include "core/secret.h"
#include "crypto/envelope.h"

namespace warden::access {

// Key material, from the key hierarchy.
struct AccessKeys {
  // Keys the hashes of session tokens, API keys and the bootstrap token; subkeys
  // derived from it (HKDF, distinct labels) key canary markers and lockout
  // entries. 32 bytes.
  SecretBytes token_hash_key;
  // Seal TOTP secrets and password hashes at rest: envelopes of use
  // kAccountSecret (docs/ciphertext_format.md) bound to the field and the
  // account id, under the current version; any held version opens. The key
  // ring's "account-secret" envelope key, shared so that a rotation applies at
  // once. Non-null.
  std::shared_ptr<const crypto::EnvelopeKeys> seal_keys;
  // Opens secrets sealed before they had a key version (nonce | ciphertext,
  // associated data "warden/access/v1/<field>/<account id>"); seals nothing.
  // 32 bytes.
  SecretBytes unversioned_seal_key;
};

struct AccessOptions {
  Argon2Params argon2 = Argon2Params::Interactive();
  std::chrono::seconds session_ttl{std::chrono::hours(8)};
  std::chrono::seconds session_idle{std::chrono::minutes(15)};
  std::chrono::seconds api_key_ttl{std::chrono::hours(24 * 90)};
  std::chrono::seconds api_key_idle{std::chrono::hours(24 * 30)};
  int lockout_failures = 5;
  std::chrono::seconds lockout_window{std::chrono::minutes(15)};
  std::chrono::seconds lockout_duration{std::chrono::minutes(15)};
  // last_seen of a session is rewritten at most this often (idle timeout resolution).
  std::chrono::seconds last_seen_resolution{std::chrono::seconds(30)};
  // A change request unapproved this long expires.
  std::chrono::seconds grant_approval_ttl{std::chrono::hours(24)};
  // An approved enrolment unredeemed this long expires (a new reset is needed).
  std::chrono::seconds enrolment_ttl{std::chrono::hours(72)};
  // Limits no policy may pass, whoever approves it (server configuration).
  PolicyCeiling policy_ceiling;
  // Volume alert: an account's records in one hour above `volume_factor` times
  // both its own and its role's hourly baseline (last 7 days), and at least
  // `volume_floor`.
  double volume_factor = 10.0;
  int64_t volume_floor = 100;
  // A look-up or search that finds nothing costs one read unit; an account's
  // misses in one hour reaching this raise a "miss_rate" alert (once per hour).
  int64_t miss_alert_per_hour = 50;
  std::string totp_issuer = "Warden";
};

}  // namespace warden::access

#endif  // WARDEN_ACCESS_ACCESS_OPTIONS_H_
