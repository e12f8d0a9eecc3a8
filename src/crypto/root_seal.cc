#include "crypto/root_seal.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "core/base32.h"
#include "core/bytes.h"
#include "crypto/primitives.h"

namespace warden::crypto {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSharePrefix = "warden-share-v1";
constexpr std::string_view kSealFormat = "warden-seal-v1";
constexpr std::string_view kDevKeyHeader = "warden-dev-root-key-v1";
constexpr size_t kShareSecretSize = 32;
constexpr size_t kIdPrefixSize = 8;
constexpr size_t kCheckSize = 8;

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<int> ParseSmallInt(std::string_view s) {
  if (s.empty() || s.size() > 2 || (s.size() == 2 && s[0] == '0')) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string CheckDigits(std::string_view body) {
  Sha256Digest digest = Sha256(AsBytes(body));
  return HexEncode(std::span<const uint8_t>(digest.data(), kCheckSize / 2));
}

std::string ShareDigest(std::string_view keyring_id, std::string_view seal_id,
                        const RawShare& share) {
  std::string input = "warden-share-digest-v1";
  input.push_back('\0');
  input.append(keyring_id);
  input.push_back('\0');
  input.append(seal_id);
  input.push_back(static_cast<char>(share.x));
  input.append(share.y.view());
  Sha256Digest digest = Sha256(AsBytes(input));
  SecureWipe(input);
  return HexEncode(digest);
}

std::string ShareName(int index) { return "share " + std::to_string(index); }

Status ShareError(std::string_view reason, std::string message) {
  return InvalidArgument(std::move(message), std::string(reason));
}

Status Malformed(std::string what) {
  return ShareError("share_malformed", "share is malformed: " + std::move(what) +
                                           " (expected warden-share-v1-<store>-<seal>-<K>of<N>-"
                                           "<index>-<payload>-<check>)");
}

std::vector<std::string_view> SplitDashes(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dash = s.find('-', start);
    out.push_back(s.substr(start, dash == std::string_view::npos ? dash : dash - start));
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  return out;
}

Status CheckKeyringId(std::string_view keyring_id) {
  if (keyring_id.size() != 32 || !IsLowerHex(keyring_id)) {
    return FieldInvalid("keyring_id", "format", "key ring id must be 32 lower-case hex digits");
  }
  return Status::Ok();
}

}  // namespace

std::string_view SealModeName(SealMode mode) {
  switch (mode) {
    case SealMode::kShamir:
      return "shamir";
    case SealMode::kPkcs11:
      return "pkcs11";
    case SealMode::kDev:
      return "dev";
  }
  return "unknown";
}

StatusOr<std::string> RootKeyVerifier(const SecretBytes& root, std::string_view keyring_id) {
  ASSIGN_OR_RETURN(SecretBytes key,
                   HkdfSha256(root, AsBytes(keyring_id), AsBytes("warden-root-verifier-v1"), 32));
  return HexEncode(HmacSha256(key, AsBytes("warden root key verifier")));
}

Status VerifyRootKey(const SealConfig& config, const SecretBytes& root) {
  ASSIGN_OR_RETURN(std::string verifier, RootKeyVerifier(root, config.keyring_id));
  if (config.verifier.empty() || !ConstantTimeEquals(verifier, config.verifier)) {
    return PermissionDenied("the root key does not match this store's seal configuration",
                            "wrong_root_key");
  }
  return Status::Ok();
}

StatusOr<ShamirSplitResult> SplitRootKey(const SecretBytes& root, int threshold, int shares,
                                         std::string_view keyring_id) {
  RETURN_IF_ERROR(CheckKeyringId(keyring_id));
  if (root.size() != kShareSecretSize) return InvalidArgument("root key must be 32 bytes");
  ASSIGN_OR_RETURN(std::vector<RawShare> raw, ShamirSplit(root, threshold, shares));
  ShamirSplitResult result;
  SealConfig& config = result.config;
  config.mode = SealMode::kShamir;
  config.keyring_id = std::string(keyring_id);
  ASSIGN_OR_RETURN(config.verifier, RootKeyVerifier(root, keyring_id));
  config.threshold = threshold;
  config.share_count = shares;
  uint8_t seal[kIdPrefixSize / 2];
  RandomBytes(seal);
  config.seal_id = HexEncode(seal);
  const std::string kofn = std::to_string(threshold) + "of" + std::to_string(shares);
  for (const RawShare& share : raw) {
    std::string body = std::string(kSharePrefix) + "-" +
                       std::string(keyring_id.substr(0, kIdPrefixSize)) + "-" + config.seal_id +
                       "-" + kofn + "-" + std::to_string(share.x) + "-";
    // The payload is written straight into `body`, which is wiped.
    const size_t payload_at = body.size();
    body.resize(payload_at + Base32EncodedSize(share.y.size()));
    Base32Encode(std::span(body).subspan(payload_at), share.y.span(), Base32Case::kLower);
    std::string text = body + "-" + CheckDigits(body);
    SecureWipe(body);
    result.shares.push_back(std::move(text));
    config.share_digests.push_back(ShareDigest(keyring_id, config.seal_id, share));
  }
  return result;
}

StatusOr<ParsedShare> ParseShare(std::string_view text) {
  std::string normal;
  normal.reserve(text.size());
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    normal.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  struct Wiper {
    std::string& s;
    ~Wiper() { SecureWipe(s); }
  } wiper{normal};
  if (normal.size() > 256) return Malformed("too long");
  std::vector<std::string_view> parts = SplitDashes(normal);
  if (parts.size() != 9 || parts[0] != "warden" || parts[1] != "share") {
    return Malformed("not a Warden share");
  }
  if (parts[2] != "v1") return Malformed("unknown share version " + std::string(parts[2]));
  std::optional<int> index = ParseSmallInt(parts[6]);
  if (!index || *index < 1 || *index > kMaxShares) return Malformed("share index is not 1-16");
  const std::string name = ShareName(*index);
  std::string_view body(normal.data(), normal.size() - parts[8].size() - 1);
  if (parts[8].size() != kCheckSize || !ConstantTimeEquals(parts[8], CheckDigits(body))) {
    return ShareError("share_checksum",
                      name + ": check digits do not match (mistyped or cut short?)");
  }
  ParsedShare parsed;
  if (parts[3].size() != kIdPrefixSize || !IsLowerHex(parts[3]) ||
      parts[4].size() != kIdPrefixSize || !IsLowerHex(parts[4])) {
    return Malformed(name + ": store or seal id is not 8 hex digits");
  }
  parsed.store_prefix = std::string(parts[3]);
  parsed.seal_id = std::string(parts[4]);
  size_t of = parts[5].find("of");
  std::optional<int> k =
      of == std::string_view::npos ? std::nullopt : ParseSmallInt(parts[5].substr(0, of));
  std::optional<int> n =
      of == std::string_view::npos ? std::nullopt : ParseSmallInt(parts[5].substr(of + 2));
  if (!k || !n || *k < 1 || *k > *n || *n > kMaxShares || *index > *n) {
    return Malformed(name + ": K-of-N part is invalid");
  }
  parsed.threshold = *k;
  parsed.share_count = *n;
  parsed.share.x = static_cast<uint8_t>(*index);
  parsed.share.y = SecretBytes(kShareSecretSize);
  if (parts[7].size() != Base32EncodedSize(kShareSecretSize) ||
      Base32Decode(parsed.share.y.mutable_span(), parts[7], Base32Reading::kCanonical) !=
          kShareSecretSize) {
    return Malformed(name + ": payload is not 52 base32 characters");
  }
  return parsed;
}

UnsealSession::UnsealSession(SealConfig config) : config_(std::move(config)) {}

StatusOr<UnsealProgress> UnsealSession::Add(std::string_view share_text) {
  MutexLock lock(mu_);
  if (complete_) return Conflict("the store is already unsealed", "already_unsealed");
  if (config_.mode != SealMode::kShamir || config_.keyring_id.size() < kIdPrefixSize) {
    return InvalidArgument("this store is not sealed with shares", "not_shamir");
  }
  ASSIGN_OR_RETURN(ParsedShare parsed, ParseShare(share_text));
  const int index = parsed.share.x;
  const std::string name = ShareName(index);
  if (parsed.store_prefix != std::string_view(config_.keyring_id).substr(0, kIdPrefixSize)) {
    return ShareError("share_foreign", name + " belongs to another store (" + parsed.store_prefix +
                                           ", this store is " +
                                           config_.keyring_id.substr(0, kIdPrefixSize) + ")");
  }
  if (parsed.seal_id != config_.seal_id || parsed.threshold != config_.threshold ||
      parsed.share_count != config_.share_count) {
    return ShareError("share_stale", name +
                                         " is from an earlier split of this store's key "
                                         "(replaced by a rekey); it cannot unseal it now");
  }
  if (index > static_cast<int>(config_.share_digests.size())) {
    return ShareError("share_foreign", name + " is not one of this store's shares");
  }
  for (const RawShare& have : shares_) {
    if (have.x == index) return Conflict(name + " was already submitted", "share_duplicate");
  }
  if (!ConstantTimeEquals(ShareDigest(config_.keyring_id, config_.seal_id, parsed.share),
                          config_.share_digests[static_cast<size_t>(index - 1)])) {
    return ShareError("share_tampered",
                      name + " was altered: its content differs from the share issued");
  }
  shares_.push_back(std::move(parsed.share));
  if (static_cast<int>(shares_.size()) < config_.threshold) return ProgressLocked();
  StatusOr<SecretBytes> root = ShamirCombine(shares_);
  shares_.clear();
  if (!root.ok()) return root.status();
  if (!VerifyRootKey(config_, *root).ok()) {
    return DataLoss(
        "the shares combine to a key that fails the seal configuration's verifier "
        "(the configuration was altered?); start again",
        "unseal_verification_failed");
  }
  root_key_ = std::move(root).value();
  complete_ = true;
  return UnsealProgress{config_.threshold, config_.threshold, true};
}

UnsealProgress UnsealSession::ProgressLocked() const {
  if (complete_) return {config_.threshold, config_.threshold, true};
  return {static_cast<int>(shares_.size()), config_.threshold, false};
}

UnsealProgress UnsealSession::Progress() const {
  MutexLock lock(mu_);
  return ProgressLocked();
}

StatusOr<SecretBytes> UnsealSession::TakeRootKey() {
  MutexLock lock(mu_);
  if (!complete_) return Unavailable("not enough shares yet", "sealed");
  if (root_key_.empty()) return Conflict("the root key was already taken", "already_unsealed");
  return std::move(root_key_);
}

void UnsealSession::Reset() {
  MutexLock lock(mu_);
  shares_.clear();
  root_key_ = SecretBytes();
  complete_ = false;
}

std::string SealConfig::ToJson() const {
  Json json = Json::object();
  json["format"] = kSealFormat;
  json["mode"] = SealModeName(mode);
  json["keyring_id"] = keyring_id;
  json["verifier"] = verifier;
  if (mode == SealMode::kShamir) {
    json["threshold"] = threshold;
    json["shares"] = share_count;
    json["seal_id"] = seal_id;
    json["share_digests"] = share_digests;
  }
  if (pkcs11) {
    Json p = Json::object();
    p["module"] = pkcs11->module_path;
    p["token_label"] = pkcs11->token_label;
    if (pkcs11->slot_id) p["slot"] = *pkcs11->slot_id;
    p["key_label"] = pkcs11->key_label;
    p["mechanism"] = pkcs11->mechanism;
    p["wrapped_root_key"] = Base64Encode(pkcs11->wrapped_root_key);
    json["pkcs11"] = std::move(p);
  }
  if (!dev_key_file.empty()) json["dev_key_file"] = dev_key_file;
  return json.dump(2) + "\n";
}

StatusOr<SealConfig> SealConfig::FromJson(std::string_view text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return InvalidArgument("seal configuration is not a JSON object");
  SealConfig config;
  std::string member = "format";
  // nlohmann reports type mismatches by exception; none leaves this function.
  try {
    if (json.at(member).get<std::string>() != kSealFormat) {
      return FieldInvalid("format", "unknown", "unknown seal configuration format");
    }
    member = "mode";
    const std::string mode = json.at(member).get<std::string>();
    if (mode == "shamir") {
      config.mode = SealMode::kShamir;
    } else if (mode == "pkcs11") {
      config.mode = SealMode::kPkcs11;
    } else if (mode == "dev") {
      config.mode = SealMode::kDev;
    } else {
      return FieldInvalid("mode", "enum", "seal mode must be shamir, pkcs11 or dev");
    }
    member = "keyring_id";
    config.keyring_id = json.at(member).get<std::string>();
    RETURN_IF_ERROR(CheckKeyringId(config.keyring_id));
    member = "verifier";
    config.verifier = json.at(member).get<std::string>();
    if (config.verifier.size() != 64 || !IsLowerHex(config.verifier)) {
      return FieldInvalid("verifier", "format", "verifier must be 64 lower-case hex digits");
    }
    if (config.mode == SealMode::kShamir) {
      member = "threshold";
      config.threshold = json.at(member).get<int>();
      member = "shares";
      config.share_count = json.at(member).get<int>();
      if (config.share_count < 1 || config.share_count > kMaxShares) {
        return FieldInvalid("shares", "range", "share count must be between 1 and 16");
      }
      if (config.threshold < 1 || config.threshold > config.share_count) {
        return FieldInvalid("threshold", "range", "threshold must be between 1 and shares");
      }
      member = "seal_id";
      config.seal_id = json.at(member).get<std::string>();
      if (config.seal_id.size() != kIdPrefixSize || !IsLowerHex(config.seal_id)) {
        return FieldInvalid("seal_id", "format", "seal id must be 8 lower-case hex digits");
      }
      member = "share_digests";
      config.share_digests = json.at(member).get<std::vector<std::string>>();
      if (static_cast<int>(config.share_digests.size()) != config.share_count) {
        return FieldInvalid("share_digests", "count", "one digest per share is required");
      }
    }
    if (json.contains("pkcs11")) {
      member = "pkcs11";
      const Json& p = json.at(member);
      Pkcs11SealConfig pc;
      pc.module_path = p.at("module").get<std::string>();
      pc.token_label = p.value("token_label", std::string());
      if (p.contains("slot")) pc.slot_id = p.at("slot").get<uint64_t>();
      pc.key_label = p.at("key_label").get<std::string>();
      pc.mechanism = p.value("mechanism", std::string("CKM_AES_GCM"));
      std::optional<std::string> wrapped =
          Base64Decode(p.at("wrapped_root_key").get<std::string>());
      if (!wrapped) return FieldInvalid("pkcs11.wrapped_root_key", "base64", "not base64");
      pc.wrapped_root_key = std::move(*wrapped);
      config.pkcs11 = std::move(pc);
    }
    if (config.mode == SealMode::kPkcs11 && !config.pkcs11) {
      return FieldInvalid("pkcs11", "required", "pkcs11 mode needs a pkcs11 section");
    }
    config.dev_key_file = json.value("dev_key_file", std::string());
  } catch (const std::exception&) {
    return FieldInvalid(
        member, "required",
        "seal configuration member " + member + " is missing or has the wrong type");
  }
  return config;
}

Status WriteDevKeyFile(const std::string& path, const SecretBytes& root,
                       std::string_view keyring_id, FileSystem& fs) {
  RETURN_IF_ERROR(CheckKeyringId(keyring_id));
  if (root.size() != kShareSecretSize) return InvalidArgument("root key must be 32 bytes");
  std::string contents = "# Warden development root key. NOT fit for real data.\n";
  contents.append(kDevKeyHeader);
  contents.append(" ");
  contents.append(keyring_id);
  contents.append(" ");
  std::string hex = HexEncode(root.span());
  contents.append(hex);
  contents.append("\n");
  Status st = fs.WriteFileAtomic(path, contents, 0600);
  SecureWipe(hex);
  SecureWipe(contents);
  return st;
}

StatusOr<SecretBytes> LoadDevKeyFile(const std::string& path, FileSystem& fs) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return PermissionDenied("development key file is readable by group or others; chmod 600 it",
                            "key_file_permissions");
  }
  ASSIGN_OR_RETURN(std::string contents, fs.ReadFile(path));
  struct Wiper {
    std::string& s;
    ~Wiper() { SecureWipe(s); }
  } wiper{contents};
  for (size_t start = 0; start < contents.size();) {
    size_t end = contents.find('\n', start);
    if (end == std::string::npos) end = contents.size();
    std::string_view line(contents.data() + start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> words;
    for (size_t w = 0; w < line.size();) {
      size_t space = line.find(' ', w);
      if (space == std::string_view::npos) space = line.size();
      if (space > w) words.push_back(line.substr(w, space - w));
      w = space + 1;
    }
    if (words.size() != 3 || words[0] != kDevKeyHeader || words[2].size() != 64) break;
    SecretBytes root(kShareSecretSize);
    for (size_t i = 0; i < kShareSecretSize; ++i) {
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
      };
      int hi = nibble(words[2][2 * i]);
      int lo = nibble(words[2][2 * i + 1]);
      if (hi < 0 || lo < 0) {
        return InvalidArgument("development key file is malformed", "key_file_malformed");
      }
      root.data()[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return root;
  }
  return InvalidArgument("development key file is malformed", "key_file_malformed");
}

StatusOr<SealConfig> SealRootKeyWithDevKeyFile(const std::string& path, const SecretBytes& root,
                                               std::string_view keyring_id, FileSystem& fs) {
  RETURN_IF_ERROR(WriteDevKeyFile(path, root, keyring_id, fs));
  SealConfig config;
  config.mode = SealMode::kDev;
  config.keyring_id = std::string(keyring_id);
  ASSIGN_OR_RETURN(config.verifier, RootKeyVerifier(root, keyring_id));
  config.dev_key_file = path;
  return config;
}

StatusOr<SecretBytes> UnsealWithDevKeyFile(const SealConfig& config, FileSystem& fs) {
  if (config.mode != SealMode::kDev || config.dev_key_file.empty()) {
    return InvalidArgument("this store is not sealed with a development key file", "not_dev");
  }
  ASSIGN_OR_RETURN(SecretBytes root, LoadDevKeyFile(config.dev_key_file, fs));
  RETURN_IF_ERROR(VerifyRootKey(config, root));
  return root;
}

}  // namespace warden::crypto
