#include "crypto/ciphertext.h"

#include <algorithm>

#include "core/bytes.h"

namespace warden::crypto {
namespace {

constexpr std::string_view kRecordDomain = "warden-record-v1";

void AppendLengthPrefixed(std::string_view s, std::string& out) {
  PutBigEndian32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

}  // namespace

StatusOr<RecordHeader> ParseRecordHeader(std::string_view ciphertext) {
  if (ciphertext.size() < kRecordOverhead) {
    return DataLoss("record ciphertext is shorter than its header and tag", "malformed_ciphertext");
  }
  RecordHeader header;
  header.format = static_cast<uint8_t>(ciphertext[0]);
  header.algorithm = static_cast<uint8_t>(ciphertext[1]);
  if (header.format != kRecordFormatV1) {
    return DataLoss("record ciphertext has unknown format " + std::to_string(header.format),
                    "malformed_ciphertext");
  }
  if (header.algorithm != kAlgorithmAes256Gcm) {
    return DataLoss("record ciphertext has unknown algorithm " + std::to_string(header.algorithm),
                    "malformed_ciphertext");
  }
  header.key_version = GetBigEndian32(ciphertext.substr(2, 4));
  if (header.key_version == 0) {
    return DataLoss("record ciphertext names key version 0, which is never issued",
                    "malformed_ciphertext");
  }
  std::copy_n(ciphertext.begin() + 6, kGcmNonceSize, header.nonce.begin());
  return header;
}

void AppendRecordHeader(const RecordHeader& header, std::string& out) {
  out.push_back(static_cast<char>(header.format));
  out.push_back(static_cast<char>(header.algorithm));
  PutBigEndian32(out, header.key_version);
  out.append(reinterpret_cast<const char*>(header.nonce.data()), header.nonce.size());
}

void AppendRecordAssociatedData(std::string_view keyring_id, const RecordHeader& header,
                                std::string_view collection, std::string_view record_key,
                                std::string_view field_set, std::string& out) {
  out.append(kRecordDomain);
  out.push_back('\0');
  AppendLengthPrefixed(keyring_id, out);
  out.push_back(static_cast<char>(header.format));
  out.push_back(static_cast<char>(header.algorithm));
  PutBigEndian32(out, header.key_version);
  AppendLengthPrefixed(collection, out);
  AppendLengthPrefixed(record_key, out);
  AppendLengthPrefixed(field_set, out);
}

}  // namespace warden::crypto
