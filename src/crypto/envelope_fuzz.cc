// Fuzz target: the envelope header parser and the opens built on it, which
// read bytes from disks, backups and database rows — records (OpenRecord,
// ReencryptRecord), account secrets and audit contexts (EnvelopeKeys::Open) —
// and KeyRing::Load, which reads the key ring state from the store's meta
// space. Besides "never crash", it checks that the parser accepts only
// well-formed headers and that no input opens under a binding it was not
// sealed for.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/bytes.h"
#include "crypto/envelope.h"
#include "crypto/key_ring.h"

namespace {

using namespace warden::crypto;

struct Fixture {
  std::unique_ptr<KeyRing> ring;
  std::shared_ptr<const EnvelopeKeys> secrets;
  std::shared_ptr<const EnvelopeKeys> contexts;
};

const Fixture* MakeFixture() {
  auto created = KeyRing::Create(warden::SecretBytes::Random(kRootKeySize));
  if (!created.ok() || !(*created)->AddCollection("persons").ok()) return nullptr;
  auto fixture = new Fixture{std::move(created).value(), nullptr, nullptr};
  auto secrets = fixture->ring->EnvelopeKeysFor("account-secret");
  auto contexts = fixture->ring->EnvelopeKeysFor("audit-context");
  if (!secrets.ok() || !contexts.ok() || !fixture->ring->RotateEnvelopeKey("audit-context").ok()) {
    return nullptr;
  }
  fixture->secrets = *secrets;
  fixture->contexts = *contexts;
  return fixture;
}

void Require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture* fixture = MakeFixture();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  warden::StatusOr<EnvelopeHeader> header = ParseEnvelopeHeader(bytes);
  if (header.ok()) {
    Require(size >= kEnvelopeOverhead && data[0] == kEnvelopeFormatV1 &&
            data[1] == kAlgorithmAes256Gcm && header->key_version != 0);
  } else {
    Require(header.status().reason() == "malformed_ciphertext");
  }
  (void)KeyRing::DataKeyVersionOf(bytes);
  if (fixture != nullptr) {
    // Random bytes never authenticate.
    Require(!fixture->ring->OpenRecord("persons", "k", "f", bytes).ok());
    Require(!fixture->ring->ReencryptRecord("persons", "k", "f", bytes).ok());
    Require(!fixture->secrets->Open(EnvelopeUse::kAccountSecret, {"totp", "a"}, bytes).ok());
    Require(!fixture->contexts->Open(EnvelopeUse::kAuditContext, {"a", "s"}, bytes).ok());
    // The input as a plaintext: it opens only where it was sealed.
    auto sealed =
        fixture->contexts->Seal(EnvelopeUse::kAuditContext, {"a", "s"}, warden::AsBytes(bytes));
    Require(sealed.ok());
    auto opened = fixture->contexts->Open(EnvelopeUse::kAuditContext, {"a", "s"}, *sealed);
    Require(opened.ok() && *opened == bytes);
    Require(!fixture->contexts->Open(EnvelopeUse::kAuditContext, {"a", "t"}, *sealed).ok());
    Require(!fixture->secrets->Open(EnvelopeUse::kAccountSecret, {"a", "s"}, *sealed).ok());
  }
  (void)KeyRing::Load(warden::SecretBytes::Random(kRootKeySize), bytes);
  return 0;
}
