// CPtr: a std::unique_ptr that hands a C library's object back to that
// library's own free function, so that each wrapper is one line:
//
//   using Bio = CPtr<BIO, BIO_free>;
//   Bio bio(BIO_new(BIO_s_mem()));  // BIO_free(bio) when it goes
//
// `kFree` must accept a null pointer or never see one (unique_ptr does not
// call it on null).
#ifndef WARDEN_CORE_C_PTR_H_
#define WARDEN_CORE_C_PTR_H_

#include <memory>

namespace warden {

template <auto kFree>
struct CallFree {
  template <typename T>
  void operator()(T* p) const {
    kFree(p);
  }
};

template <typename T, auto kFree>
using CPtr = std::unique_ptr<T, CallFree<kFree>>;

}  // namespace warden

#endif  // WARDEN_CORE_C_PTR_H_
