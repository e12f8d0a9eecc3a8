// Fuzz target: the validator's fast paths give exactly what their slow paths
// give, for any bytes: NFKC (ASCII and ICU quick checks before ICU's
// normaliser) and phone numbers (the mainland mobile path before
// libphonenumber). Same value, or the same violations and message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "schema/values.h"

namespace {

template <typename Fast, typename Slow>
void RequireSame(Fast fast_path, Slow slow_path, std::string_view text) {
  auto fast = fast_path(text, "f");
  auto slow = slow_path(text, "f");
  if (fast.ok() != slow.ok()) __builtin_trap();
  if (fast.ok() && *fast != *slow) __builtin_trap();
  if (!fast.ok() && (fast.status().fields() != slow.status().fields() ||
                     fast.status().message() != slow.status().message())) {
    __builtin_trap();
  }
}

// A mainland mobile number drawn from a hash of the input, in one of the
// spellings the fast path takes: every input reaches the fast path, and a
// run of the fuzz driver spreads over all of its five-digit prefixes.
std::string MobileOf(std::string_view in) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char c : in) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  std::string n = "1";
  n += static_cast<char>('3' + h % 7);
  for (int i = 0; i < 9; ++i) {
    h = h * 6364136223846793005ULL + 1442695040888963407ULL;
    n += static_cast<char>('0' + (h >> 33) % 10);
  }
  switch ((h >> 40) % 4) {
    case 0:
      return n;
    case 1:
      return "+86" + n;
    case 2:
      return "0086 " + n.substr(0, 3) + " " + n.substr(3, 4) + " " + n.substr(7);
    default:
      return "86-" + n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::schema;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  RequireSame(NormaliseNfkc, NormaliseNfkcSlow, text);
  // Twice: the second call may answer from the cache the first one filled.
  RequireSame(NormalisePhone, NormalisePhoneSlow, text);
  RequireSame(NormalisePhone, NormalisePhoneSlow, text);
  RequireSame(NormalisePhone, NormalisePhoneSlow, MobileOf(text));
  return 0;
}
