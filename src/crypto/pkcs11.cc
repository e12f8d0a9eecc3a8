#include "crypto/pkcs11.h"

#define CRYPTOKI_GNU 1
#include <dlfcn.h>
#include <fcntl.h>
#include <p11-kit-1/p11-kit/pkcs11.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "core/bytes.h"
#include "core/mutex.h"
#include "crypto/primitives.h"

namespace warden::crypto {
namespace {

constexpr size_t kWrappedRootSize = kGcmNonceSize + 32 + kGcmTagSize;

std::string RvName(ck_rv_t rv) {
  switch (rv) {
    case CKR_OK:
      return "CKR_OK";
    case CKR_PIN_INCORRECT:
      return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED:
      return "CKR_PIN_LOCKED";
    case CKR_TOKEN_NOT_PRESENT:
      return "CKR_TOKEN_NOT_PRESENT";
    case CKR_SLOT_ID_INVALID:
      return "CKR_SLOT_ID_INVALID";
    case CKR_MECHANISM_INVALID:
      return "CKR_MECHANISM_INVALID";
    case CKR_ENCRYPTED_DATA_INVALID:
      return "CKR_ENCRYPTED_DATA_INVALID";
    case CKR_ATTRIBUTE_SENSITIVE:
      return "CKR_ATTRIBUTE_SENSITIVE";
    case CKR_USER_NOT_LOGGED_IN:
      return "CKR_USER_NOT_LOGGED_IN";
    case CKR_GENERAL_ERROR:
      return "CKR_GENERAL_ERROR";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "CKR_0x%lx", rv);
      return buf;
    }
  }
}

Status Fail(std::string_view what, ck_rv_t rv) {
  return Unavailable("PKCS#11 " + std::string(what) + " failed: " + RvName(rv), "hsm_error");
}

// One loaded module, shared by every wrapper using the same path.
struct Module {
  void* handle = nullptr;
  ck_function_list* functions = nullptr;
  int users = 0;
  bool we_initialised = false;
};

Mutex& ModulesMutex() {
  static Mutex mu;
  return mu;
}
std::map<std::string, Module>& Modules() {
  static auto* modules = new std::map<std::string, Module>();
  return *modules;
}

StatusOr<ck_function_list*> AcquireModule(const std::string& path) {
  MutexLock lock(ModulesMutex());
  Module& m = Modules()[path];
  if (m.users > 0) {
    ++m.users;
    return m.functions;
  }
  m.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (m.handle == nullptr) {
    Modules().erase(path);
    return Unavailable("cannot load the PKCS#11 module at the configured path", "hsm_error");
  }
  using GetFunctionList = ck_rv_t (*)(ck_function_list**);
  auto get = reinterpret_cast<GetFunctionList>(dlsym(m.handle, "C_GetFunctionList"));
  ck_rv_t rv = get == nullptr ? CKR_GENERAL_ERROR : get(&m.functions);
  if (rv == CKR_OK) {
    rv = m.functions->C_Initialize(nullptr);
    m.we_initialised = rv == CKR_OK;
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) rv = CKR_OK;
  }
  if (rv != CKR_OK) {
    dlclose(m.handle);
    Modules().erase(path);
    return Fail("module initialisation", rv);
  }
  m.users = 1;
  return m.functions;
}

void ReleaseModule(const std::string& path) {
  MutexLock lock(ModulesMutex());
  auto it = Modules().find(path);
  if (it == Modules().end() || --it->second.users > 0) return;
  if (it->second.we_initialised) it->second.functions->C_Finalize(nullptr);
  dlclose(it->second.handle);
  Modules().erase(it);
}

std::string TrimLabel(const unsigned char* label, size_t size) {
  std::string s(reinterpret_cast<const char*>(label), size);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string RootWrapAad(std::string_view keyring_id) {
  std::string aad = "warden-root-wrap-v1";
  aad.push_back('\0');
  aad.append(keyring_id);
  return aad;
}

}  // namespace

struct Pkcs11RootKeyWrapper::Impl {
  std::string module_path;
  ck_function_list* f = nullptr;
  ck_session_handle_t session = 0;
  std::string key_label;

  ~Impl() {
    if (f == nullptr) return;
    // No C_Logout: login state is shared by all sessions of the process, and
    // closing the last session logs the user out.
    if (session != 0) f->C_CloseSession(session);
    ReleaseModule(module_path);
  }

  StatusOr<ck_slot_id_t> FindSlot(const Pkcs11Options& options) {
    unsigned long count = 0;
    ck_rv_t rv = f->C_GetSlotList(1, nullptr, &count);
    if (rv != CKR_OK) return Fail("C_GetSlotList", rv);
    std::vector<ck_slot_id_t> slots(count);
    rv = f->C_GetSlotList(1, slots.data(), &count);
    if (rv != CKR_OK) return Fail("C_GetSlotList", rv);
    slots.resize(count);
    for (ck_slot_id_t slot : slots) {
      if (options.slot_id) {
        if (slot == *options.slot_id) return slot;
        continue;
      }
      ck_token_info info{};
      if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
      if (TrimLabel(info.label, sizeof(info.label)) == options.token_label) return slot;
    }
    return Unavailable("no PKCS#11 token with the configured slot or label", "hsm_token_missing");
  }

  // The handle of the wrapping key, or 0 when absent.
  StatusOr<ck_object_handle_t> FindKey() {
    ck_object_class_t cls = CKO_SECRET_KEY;
    ck_attribute query[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_LABEL, key_label.data(), key_label.size()},
    };
    ck_rv_t rv = f->C_FindObjectsInit(session, query, 2);
    if (rv != CKR_OK) return Fail("C_FindObjectsInit", rv);
    ck_object_handle_t found[2] = {0, 0};
    unsigned long count = 0;
    rv = f->C_FindObjects(session, found, 2, &count);
    f->C_FindObjectsFinal(session);
    if (rv != CKR_OK) return Fail("C_FindObjects", rv);
    if (count > 1) {
      return Conflict("several keys in the token carry the wrapping key's label",
                      "hsm_key_ambiguous");
    }
    return count == 1 ? found[0] : 0;
  }

  StatusOr<ck_object_handle_t> RequireKey() {
    ASSIGN_OR_RETURN(ck_object_handle_t key, FindKey());
    if (key == 0)
      return NotFound("the token holds no wrapping key with the configured label",
                      "hsm_key_missing");
    return key;
  }
};

Pkcs11RootKeyWrapper::Pkcs11RootKeyWrapper(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pkcs11RootKeyWrapper::~Pkcs11RootKeyWrapper() = default;

StatusOr<std::unique_ptr<Pkcs11RootKeyWrapper>> Pkcs11RootKeyWrapper::Open(
    const Pkcs11Options& options, const SecretBytes& pin) {
  if (options.key_label.empty()) {
    return FieldInvalid("pkcs11.key_label", "required", "the wrapping key needs a label");
  }
  if (!options.slot_id && options.token_label.empty()) {
    return FieldInvalid("pkcs11.token_label", "required", "give a token label or a slot id");
  }
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->f, AcquireModule(options.module_path));
  impl->module_path = options.module_path;
  impl->key_label = options.key_label;
  ASSIGN_OR_RETURN(ck_slot_id_t slot, impl->FindSlot(options));
  ck_rv_t rv = impl->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                      &impl->session);
  if (rv != CKR_OK) return Fail("C_OpenSession", rv);
  rv =
      impl->f->C_Login(impl->session, CKU_USER, const_cast<unsigned char*>(pin.data()), pin.size());
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE) {
    return Unauthenticated("the HSM refused the PIN", "hsm_pin_incorrect");
  }
  if (rv == CKR_PIN_LOCKED) return Locked("the HSM token's PIN is locked", "hsm_pin_locked");
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return Fail("C_Login", rv);
  return std::unique_ptr<Pkcs11RootKeyWrapper>(new Pkcs11RootKeyWrapper(std::move(impl)));
}

Status Pkcs11RootKeyWrapper::GenerateWrappingKey() {
  ASSIGN_OR_RETURN(ck_object_handle_t existing, impl_->FindKey());
  if (existing != 0) {
    return Conflict("the token already holds a wrapping key with this label", "hsm_key_exists");
  }
  unsigned char yes = 1;
  unsigned char no = 0;
  unsigned long length = 32;
  ck_object_class_t cls = CKO_SECRET_KEY;
  ck_key_type_t type = CKK_AES;
  ck_attribute attributes[] = {
      {CKA_CLASS, &cls, sizeof(cls)},
      {CKA_KEY_TYPE, &type, sizeof(type)},
      {CKA_LABEL, impl_->key_label.data(), impl_->key_label.size()},
      {CKA_VALUE_LEN, &length, sizeof(length)},
      {CKA_TOKEN, &yes, 1},
      {CKA_PRIVATE, &yes, 1},
      {CKA_SENSITIVE, &yes, 1},
      {CKA_EXTRACTABLE, &no, 1},
      {CKA_ENCRYPT, &yes, 1},
      {CKA_DECRYPT, &yes, 1},
      {CKA_WRAP, &no, 1},
      {CKA_UNWRAP, &no, 1},
  };
  ck_mechanism mechanism{CKM_AES_KEY_GEN, nullptr, 0};
  ck_object_handle_t key = 0;
  ck_rv_t rv = impl_->f->C_GenerateKey(impl_->session, &mechanism, attributes,
                                       sizeof(attributes) / sizeof(attributes[0]), &key);
  if (rv != CKR_OK) return Fail("C_GenerateKey", rv);
  return Status::Ok();
}

bool Pkcs11RootKeyWrapper::HasWrappingKey() {
  StatusOr<ck_object_handle_t> key = impl_->FindKey();
  return key.ok() && *key != 0;
}

Status Pkcs11RootKeyWrapper::CheckWrappingKeyStaysInToken() {
  ASSIGN_OR_RETURN(ck_object_handle_t key, impl_->RequireKey());
  unsigned char sensitive = 0;
  unsigned char extractable = 1;
  ck_attribute flags[] = {
      {CKA_SENSITIVE, &sensitive, 1},
      {CKA_EXTRACTABLE, &extractable, 1},
  };
  ck_rv_t rv = impl_->f->C_GetAttributeValue(impl_->session, key, flags, 2);
  if (rv != CKR_OK) return Fail("C_GetAttributeValue", rv);
  uint8_t value[64];
  ck_attribute read_value[] = {{CKA_VALUE, value, sizeof(value)}};
  rv = impl_->f->C_GetAttributeValue(impl_->session, key, read_value, 1);
  SecureWipe(value);
  if (sensitive != 1 || extractable != 0 || rv == CKR_OK) {
    return PermissionDenied("the HSM wrapping key can leave the token", "hsm_key_exportable");
  }
  return Status::Ok();
}

StatusOr<std::string> Pkcs11RootKeyWrapper::WrapRootKey(const SecretBytes& root,
                                                        std::string_view keyring_id) {
  if (root.size() != 32) return InvalidArgument("root key must be 32 bytes");
  ASSIGN_OR_RETURN(ck_object_handle_t key, impl_->RequireKey());
  std::string out(kWrappedRootSize, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  RandomBytes({p, kGcmNonceSize});
  std::string aad = RootWrapAad(keyring_id);
  ck_gcm_params gcm{
      p,          kGcmNonceSize,  kGcmNonceSize * 8, reinterpret_cast<unsigned char*>(aad.data()),
      aad.size(), kGcmTagSize * 8};
  ck_mechanism mechanism{CKM_AES_GCM, &gcm, sizeof(gcm)};
  ck_rv_t rv = impl_->f->C_EncryptInit(impl_->session, &mechanism, key);
  if (rv != CKR_OK) return Fail("C_EncryptInit", rv);
  unsigned long length = kWrappedRootSize - kGcmNonceSize;
  rv = impl_->f->C_Encrypt(impl_->session, const_cast<unsigned char*>(root.data()), root.size(),
                           p + kGcmNonceSize, &length);
  if (rv != CKR_OK) return Fail("C_Encrypt", rv);
  if (length != kWrappedRootSize - kGcmNonceSize) {
    return Internal("PKCS#11 C_Encrypt returned an unexpected length");
  }
  return out;
}

StatusOr<SecretBytes> Pkcs11RootKeyWrapper::UnwrapRootKey(std::string_view wrapped,
                                                          std::string_view keyring_id) {
  if (wrapped.size() != kWrappedRootSize) {
    return DataLoss("the HSM-wrapped root key has the wrong length", "wrapped_root_invalid");
  }
  ASSIGN_OR_RETURN(ck_object_handle_t key, impl_->RequireKey());
  std::string iv(wrapped.substr(0, kGcmNonceSize));
  std::string body(wrapped.substr(kGcmNonceSize));
  std::string aad = RootWrapAad(keyring_id);
  ck_gcm_params gcm{reinterpret_cast<unsigned char*>(iv.data()),  kGcmNonceSize, kGcmNonceSize * 8,
                    reinterpret_cast<unsigned char*>(aad.data()), aad.size(),    kGcmTagSize * 8};
  ck_mechanism mechanism{CKM_AES_GCM, &gcm, sizeof(gcm)};
  ck_rv_t rv = impl_->f->C_DecryptInit(impl_->session, &mechanism, key);
  if (rv != CKR_OK) return Fail("C_DecryptInit", rv);
  // Some modules write the whole input length before checking the tag.
  SecretBytes out(body.size());
  unsigned long length = out.size();
  rv = impl_->f->C_Decrypt(impl_->session, reinterpret_cast<unsigned char*>(body.data()),
                           body.size(), out.data(), &length);
  if (rv != CKR_OK || length != 32) {
    return DataLoss("the HSM-wrapped root key does not unwrap (altered, or from another store)",
                    "wrapped_root_invalid");
  }
  return SecretBytes::CopyFrom(std::span<const uint8_t>(out.data(), 32));
}

StatusOr<SealConfig> SealRootKeyWithPkcs11(const Pkcs11Options& options, const SecretBytes& pin,
                                           const SecretBytes& root, std::string_view keyring_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<Pkcs11RootKeyWrapper> wrapper,
                   Pkcs11RootKeyWrapper::Open(options, pin));
  if (!wrapper->HasWrappingKey()) RETURN_IF_ERROR(wrapper->GenerateWrappingKey());
  RETURN_IF_ERROR(wrapper->CheckWrappingKeyStaysInToken());
  SealConfig config;
  config.mode = SealMode::kPkcs11;
  config.keyring_id = std::string(keyring_id);
  ASSIGN_OR_RETURN(config.verifier, RootKeyVerifier(root, keyring_id));
  Pkcs11SealConfig pkcs11;
  pkcs11.module_path = options.module_path;
  pkcs11.token_label = options.token_label;
  pkcs11.slot_id = options.slot_id;
  pkcs11.key_label = options.key_label;
  ASSIGN_OR_RETURN(pkcs11.wrapped_root_key, wrapper->WrapRootKey(root, keyring_id));
  config.pkcs11 = std::move(pkcs11);
  return config;
}

StatusOr<SecretBytes> UnsealWithPkcs11(const SealConfig& config, const SecretBytes& pin) {
  if (config.mode != SealMode::kPkcs11 || !config.pkcs11) {
    return InvalidArgument("this store is not sealed with an HSM", "not_pkcs11");
  }
  Pkcs11Options options;
  options.module_path = config.pkcs11->module_path;
  options.token_label = config.pkcs11->token_label;
  options.slot_id = config.pkcs11->slot_id;
  options.key_label = config.pkcs11->key_label;
  ASSIGN_OR_RETURN(std::unique_ptr<Pkcs11RootKeyWrapper> wrapper,
                   Pkcs11RootKeyWrapper::Open(options, pin));
  ASSIGN_OR_RETURN(SecretBytes root,
                   wrapper->UnwrapRootKey(config.pkcs11->wrapped_root_key, config.keyring_id));
  RETURN_IF_ERROR(VerifyRootKey(config, root));
  return root;
}

StatusOr<SecretBytes> ReadPinFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("cannot open the PIN file", "pin_file_missing");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return PermissionDenied("the PIN file is readable by group or others; chmod 600 it",
                            "pin_file_permissions");
  }
  SecretBytes buffer(256);
  ssize_t n = ::read(fd, buffer.data(), buffer.size());
  ::close(fd);
  if (n < 0) return Unavailable("cannot read the PIN file", "pin_file_unreadable");
  size_t len = 0;
  while (len < static_cast<size_t>(n) && buffer.data()[len] != '\n' && buffer.data()[len] != '\r') {
    ++len;
  }
  if (len == 0) return InvalidArgument("the PIN file is empty", "pin_file_empty");
  return SecretBytes::CopyFrom(std::span<const uint8_t>(buffer.data(), len));
}

StatusOr<SecretBytes> ReadPinFromTerminal(std::string_view prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Unavailable("no terminal to read the PIN from", "no_terminal");
  termios saved{};
  if (::tcgetattr(fd, &saved) != 0) {
    ::close(fd);
    return Unavailable("no terminal to read the PIN from", "no_terminal");
  }
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  (void)!::write(fd, prompt.data(), prompt.size());
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  SecretBytes buffer(256);
  size_t len = 0;
  while (len < buffer.size()) {
    char c = 0;
    if (::read(fd, &c, 1) != 1 || c == '\n' || c == '\r') break;
    buffer.data()[len++] = static_cast<uint8_t>(c);
  }
  ::tcsetattr(fd, TCSAFLUSH, &saved);
  ::close(fd);
  if (len == 0) return InvalidArgument("no PIN was entered", "pin_empty");
  return SecretBytes::CopyFrom(std::span<const uint8_t>(buffer.data(), len));
}

}  // namespace warden::crypto
