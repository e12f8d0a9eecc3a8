// Helpers shared by the audit tests: fixed keys, synthetic actors and events.
// Every identifier here is synthetic.
#ifndef WARDEN_AUDIT_AUDIT_TEST_UTIL_H_
#define WARDEN_AUDIT_AUDIT_TEST_UTIL_H_

#include <cstdlib>
#include <memory>
#include <string>

#include "audit/audit_entry.h"
#include "core/secret.h"
#include "crypto/envelope.h"

namespace warden::audit::testing {

inline SecretBytes TestHashKey() { return SecretBytes::CopyFrom(std::string(32, '\x11')); }
inline SecretBytes TestSignSeed() { return SecretBytes::CopyFrom(std::string(32, '\x22')); }
inline SecretBytes OtherSignSeed() { return SecretBytes::CopyFrom(std::string(32, '\x33')); }
// The "audit-context" envelope key of a test store: version 1 is 0x55 * 32,
// version 2 (with `versions` = 2) 0x66 * 32.
inline std::shared_ptr<crypto::EnvelopeKeys> TestContextKeys(uint32_t versions = 1) {
  auto keys = std::make_shared<crypto::EnvelopeKeys>("audit-test-store");
  for (uint32_t v = 1; v <= versions; ++v) {
    keys->Add(v, SecretBytes::CopyFrom(std::string(32, static_cast<char>(0x44 + 0x11 * v))))
        .IgnoreError();
  }
  return keys;
}

inline AuditActor Officer(std::string account, std::string session = "s-1") {
  AuditActor a;
  a.account = std::move(account);
  a.session = std::move(session);
  a.role = "officer";
  a.client_address = "192.0.2.10";
  a.purpose_kind = "case";
  a.purpose_reference = "C-2031-0001";
  a.reason = "synthetic reason text";
  return a;
}

inline AuditActor Auditor() {
  AuditActor a;
  a.account = "auditor-1";
  a.session = "as-1";
  a.role = "auditor";
  a.client_address = "192.0.2.99";
  a.purpose_kind = "audit";
  a.purpose_reference = "review-7";
  return a;
}

// A synthetic, well-formed-looking resident ID for index i (not a real person).
inline std::string SyntheticId(int i) {
  std::string digits = std::to_string(100000000 + i);
  return "11010119900101" + digits.substr(digits.size() - 4);
}

inline AuditEvent ReadOf(const AuditActor& actor, const std::string& national_id) {
  AuditEvent e;
  e.actor = actor;
  e.action = AuditAction::kRead;
  e.collection = "persons";
  e.result_count = 1;
  e.subjects = {{IdentifierKind::kNationalId, national_id}};
  return e;
}

}  // namespace warden::audit::testing

#endif  // WARDEN_AUDIT_AUDIT_TEST_UTIL_H_
