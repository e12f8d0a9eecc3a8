// Fuzz target: the record ciphertext header parser and OpenRecord, which read
// bytes from disks and backups, and KeyRing::Load, which reads the key ring
// state from the store's meta space.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/ciphertext.h"
#include "crypto/key_ring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::crypto;
  static const KeyRing* ring = [] {
    auto created = KeyRing::Create(warden::SecretBytes::Random(kRootKeySize));
    if (!created.ok() || !(*created)->AddCollection("persons").ok()) return (KeyRing*)nullptr;
    return created->release();
  }();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)ParseRecordHeader(bytes);
  (void)KeyRing::DataKeyVersionOf(bytes);
  if (ring != nullptr) {
    (void)ring->OpenRecord("persons", "k", "f", bytes);
    (void)ring->ReencryptRecord("persons", "k", "f", bytes);
  }
  (void)KeyRing::Load(warden::SecretBytes::Random(kRootKeySize), bytes);
  return 0;
}
