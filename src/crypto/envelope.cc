#include "crypto/envelope.h"

#include <algorithm>

#include "core/bytes.h"

namespace warden::crypto {
namespace {

struct UseNames {
  std::string_view label;
  std::string_view noun;  // starts the messages of failed opens
  std::string_view authentication_failed;
  std::string_view bound_to;  // what a failed authentication may mean
};

const UseNames& NamesOf(EnvelopeUse use) {
  // The record label predates the other uses and must stay as it is: it is in
  // the associated data of every record already stored.
  static const UseNames kRecord{"warden-record-v1", "record", "record_authentication_failed",
                                "another record key, field set, collection or store"};
  // Version 1 of these labels named the associated data of the unversioned
  // layout (nonce | ciphertext) these envelopes replace.
  static const UseNames kAccountSecret{"warden-account-secret-v1", "account secret",
                                       "account_secret_authentication_failed",
                                       "another field, account or store"};
  static const UseNames kAuditContext{"warden-audit-context-v2", "audit context",
                                      "audit_context_authentication_failed",
                                      "another entry's account or session, or another store"};
  switch (use) {
    case EnvelopeUse::kRecord:
      return kRecord;
    case EnvelopeUse::kAccountSecret:
      return kAccountSecret;
    case EnvelopeUse::kAuditContext:
      return kAuditContext;
  }
  return kRecord;  // unreachable: every enumerator is handled above
}

Status Malformed(std::string message) {
  return DataLoss("ciphertext " + std::move(message), "malformed_ciphertext");
}

size_t AssociatedDataSize(EnvelopeUse use, std::string_view keyring_id,
                          std::initializer_list<std::string_view> binding) {
  size_t size = NamesOf(use).label.size() + 1 + 4 + keyring_id.size() + 1 + 1 + 4;
  for (std::string_view part : binding) size += 4 + part.size();
  return size;
}

void AppendLengthPrefixed(std::string_view s, std::string& out) {
  PutBigEndian32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

}  // namespace

std::string_view EnvelopeLabel(EnvelopeUse use) { return NamesOf(use).label; }

StatusOr<EnvelopeHeader> ParseEnvelopeHeader(std::string_view sealed) {
  if (sealed.size() < kEnvelopeOverhead) {
    return Malformed("is shorter than its header and tag");
  }
  EnvelopeHeader header;
  header.format = static_cast<uint8_t>(sealed[0]);
  header.algorithm = static_cast<uint8_t>(sealed[1]);
  if (header.format != kEnvelopeFormatV1) {
    return Malformed("has unknown format " + std::to_string(header.format));
  }
  if (header.algorithm != kAlgorithmAes256Gcm) {
    return Malformed("has unknown algorithm " + std::to_string(header.algorithm));
  }
  header.key_version = GetBigEndian32(sealed.substr(2, 4));
  if (header.key_version == 0) {
    return Malformed("names key version 0, which is never issued");
  }
  std::copy_n(sealed.begin() + 6, kGcmNonceSize, header.nonce.begin());
  return header;
}

void AppendEnvelopeHeader(const EnvelopeHeader& header, std::string& out) {
  out.push_back(static_cast<char>(header.format));
  out.push_back(static_cast<char>(header.algorithm));
  PutBigEndian32(out, header.key_version);
  out.append(reinterpret_cast<const char*>(header.nonce.data()), header.nonce.size());
}

void AppendEnvelopeAssociatedData(EnvelopeUse use, std::string_view keyring_id,
                                  const EnvelopeHeader& header,
                                  std::initializer_list<std::string_view> binding,
                                  std::string& out) {
  out.append(NamesOf(use).label);
  out.push_back('\0');
  AppendLengthPrefixed(keyring_id, out);
  out.push_back(static_cast<char>(header.format));
  out.push_back(static_cast<char>(header.algorithm));
  PutBigEndian32(out, header.key_version);
  for (std::string_view part : binding) AppendLengthPrefixed(part, out);
}

StatusOr<std::string> SealEnvelope(EnvelopeUse use, std::string_view keyring_id,
                                   std::initializer_list<std::string_view> binding,
                                   uint32_t key_version, const SecretBytes& key,
                                   std::span<const uint8_t> plaintext) {
  if (key_version == 0) return Internal("envelope key version 0 is never issued");
  EnvelopeHeader header;
  header.key_version = key_version;
  RandomNonceBytes(header.nonce);
  std::string aad;
  aad.reserve(AssociatedDataSize(use, keyring_id, binding));
  AppendEnvelopeAssociatedData(use, keyring_id, header, binding, aad);
  std::string out;
  out.reserve(kEnvelopeOverhead + plaintext.size());
  AppendEnvelopeHeader(header, out);
  out.resize(kEnvelopeOverhead + plaintext.size());
  RETURN_IF_ERROR(Aes256GcmSealInto(key, header.nonce, plaintext, AsBytes(aad),
                                    {reinterpret_cast<uint8_t*>(out.data()) + kEnvelopeHeaderSize,
                                     plaintext.size() + kGcmTagSize}));
  return out;
}

StatusOr<std::string> OpenEnvelope(EnvelopeUse use, std::string_view keyring_id,
                                   std::initializer_list<std::string_view> binding,
                                   std::string_view sealed, const EnvelopeKeyLookup& find_key) {
  const UseNames& names = NamesOf(use);
  ASSIGN_OR_RETURN(EnvelopeHeader header, ParseEnvelopeHeader(sealed));
  const SecretBytes* key = find_key(header.key_version);
  if (key == nullptr) {
    return DataLoss(std::string(names.noun) + " names key version " +
                        std::to_string(header.key_version) +
                        ", which is not held (retired, or newer than the loaded key state)",
                    "unknown_key_version");
  }
  std::string aad;
  aad.reserve(AssociatedDataSize(use, keyring_id, binding));
  AppendEnvelopeAssociatedData(use, keyring_id, header, binding, aad);
  std::string out(sealed.size() - kEnvelopeOverhead, '\0');
  Status st = Aes256GcmOpenInto(*key, header.nonce, AsBytes(sealed.substr(kEnvelopeHeaderSize)),
                                AsBytes(aad), {reinterpret_cast<uint8_t*>(out.data()), out.size()});
  if (!st.ok()) {
    if (st.code() != StatusCode::kDataLoss) return st;
    return DataLoss(std::string(names.noun) + " failed authentication: altered, or sealed for " +
                        std::string(names.bound_to),
                    std::string(names.authentication_failed));
  }
  return out;
}

EnvelopeKeys::EnvelopeKeys(std::string keyring_id) : keyring_id_(std::move(keyring_id)) {}

Status EnvelopeKeys::Add(uint32_t version, SecretBytes key) {
  if (version == 0) return InvalidArgument("envelope key version 0 is never issued");
  if (key.size() != kAes256KeySize) return InvalidArgument("an envelope key must be 32 bytes");
  WriterMutexLock lock(mu_);
  if (!keys_.try_emplace(version, std::move(key)).second) {
    return Conflict("envelope key version " + std::to_string(version) + " is already held");
  }
  return Status::Ok();
}

uint32_t EnvelopeKeys::current_version() const {
  ReaderMutexLock lock(mu_);
  return keys_.empty() ? 0 : keys_.rbegin()->first;
}

StatusOr<std::string> EnvelopeKeys::Seal(EnvelopeUse use,
                                         std::initializer_list<std::string_view> binding,
                                         std::span<const uint8_t> plaintext) const {
  ReaderMutexLock lock(mu_);
  if (keys_.empty()) return Internal("no envelope key is held");
  const auto& [version, key] = *keys_.rbegin();
  return SealEnvelope(use, keyring_id_, binding, version, key, plaintext);
}

StatusOr<std::string> EnvelopeKeys::Open(EnvelopeUse use,
                                         std::initializer_list<std::string_view> binding,
                                         std::string_view sealed) const {
  ReaderMutexLock lock(mu_);
  return OpenEnvelope(use, keyring_id_, binding, sealed,
                      [this](uint32_t version) REQUIRES_SHARED(mu_) -> const SecretBytes* {
                        auto it = keys_.find(version);
                        return it == keys_.end() ? nullptr : &it->second;
                      });
}

}  // namespace warden::crypto
