// Fuzz target: the share parser and the unseal session, which read text typed
// or pasted by people (and arriving over the unauthenticated unseal call), and
// the seal configuration parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/root_seal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::crypto;
  static const SealConfig* config = [] {
    auto split =
        SplitRootKey(warden::SecretBytes::Random(32), 2, 3, "0123456789abcdef0123456789abcdef");
    return split.ok() ? new SealConfig(split->config) : nullptr;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ParseShare(text);
  if (config != nullptr) {
    UnsealSession session(*config);
    (void)session.Add(text);
    (void)session.Progress();
  }
  (void)SealConfig::FromJson(text);
  return 0;
}
