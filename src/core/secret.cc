#include "core/secret.h"

#include <sodium.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace warden {
namespace {

void EnsureSodium() {
  static const bool kInitialised = [] { return sodium_init() >= 0; }();
  if (!kInitialised) std::abort();  // no CSPRNG: nothing secure can be done
}

uint8_t* AllocateLocked(size_t size) {
  if (size == 0) return nullptr;
  auto* p = static_cast<uint8_t*>(std::calloc(size, 1));
  if (p == nullptr) throw std::bad_alloc();
  // Best effort: both may fail without privilege or on odd platforms; the wipe
  // on release is what is guaranteed.
  (void)mlock(p, size);
#ifdef MADV_DONTDUMP
  // madvise needs page alignment; advise the pages fully inside the buffer.
  const uintptr_t page = 4096;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(p) + size) & ~(page - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTDUMP);
#endif
  return p;
}

}  // namespace

SecretBytes::SecretBytes(size_t size) : data_(AllocateLocked(size)), size_(size) {}

SecretBytes SecretBytes::CopyFrom(std::span<const uint8_t> bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes SecretBytes::CopyFrom(std::string_view bytes) {
  return CopyFrom(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                           bytes.size()));
}

SecretBytes SecretBytes::Random(size_t size) {
  EnsureSodium();
  SecretBytes s(size);
  if (size > 0) randombytes_buf(s.data_, size);
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

SecretBytes::~SecretBytes() { Release(); }

void SecretBytes::Release() {
  if (data_ == nullptr) return;
  sodium_memzero(data_, size_);
  (void)munlock(data_, size_);
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
}

SecretBytes SecretBytes::Clone() const { return CopyFrom(span()); }

bool SecretBytes::operator==(const SecretBytes& other) const {
  return ConstantTimeEquals(span(), other.span());
}

bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return ConstantTimeEquals(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(a.data()), a.size()),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
}

void SecureWipe(std::span<uint8_t> bytes) {
  if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
}

void SecureWipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

}  // namespace warden
