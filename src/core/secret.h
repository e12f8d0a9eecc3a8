// SecretBytes: the one owner of key material, passwords and tokens.
//
// Move-only. The buffer is allocated once, locked in memory where the
// process may (mlock), excluded from core dumps (MADV_DONTDUMP), and wiped
// with sodium_memzero when the object is destroyed or moved from. Equality is
// constant-time. There is deliberately no operator<< and no formatter: a
// secret cannot be printed by accident.
//
// Thread safety: like std::string; concurrent const access is safe.
#ifndef WARDEN_CORE_SECRET_H_
#define WARDEN_CORE_SECRET_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace warden {

class SecretBytes {
 public:
  SecretBytes() = default;
  // Zero-filled secret of `size` bytes.
  explicit SecretBytes(size_t size);
  // Copies `bytes`; the caller remains responsible for wiping its own copy.
  static SecretBytes CopyFrom(std::span<const uint8_t> bytes);
  static SecretBytes CopyFrom(std::string_view bytes);
  // `size` bytes from the system CSPRNG.
  static SecretBytes Random(size_t size);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  // An explicit copy, for the rare place that needs two owners.
  SecretBytes Clone() const;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data_, size_}; }
  std::span<uint8_t> mutable_span() { return {data_, size_}; }
  // A view as characters, for APIs that take strings (e.g. a password).
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

  // Constant-time in the contents (sizes are not secret).
  bool operator==(const SecretBytes& other) const;

 private:
  void Release();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Constant-time comparison of two equal-length byte strings; false if the
// lengths differ (the length itself is not hidden).
bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Wipes `bytes` in a way the compiler cannot elide.
void SecureWipe(std::span<uint8_t> bytes);
void SecureWipe(std::string& s);

}  // namespace warden

#endif  // WARDEN_CORE_SECRET_H_
