#include "node/data_dir.h"

#include "core/file_system.h"
#include "node/seal_gate.h"
#include "store/open_store.h"

namespace warden::node {

std::string SealConfigPath(const std::string& dir) { return dir + "/seal.json"; }
std::string CheckpointSinkPath(const std::string& dir) { return dir + "/audit-checkpoints.jsonl"; }
std::string TlsDir(const std::string& dir) { return dir + "/tls"; }
static std::string StoreSpecPath(const std::string& dir) { return dir + "/store.spec"; }

StatusOr<std::string> StoreSpecOf(const std::string& dir, const std::string& override) {
  if (!override.empty()) return override;
  FileSystem& fs = FileSystem::Default();
  if (fs.Exists(StoreSpecPath(dir))) {
    ASSIGN_OR_RETURN(std::string spec, fs.ReadFile(StoreSpecPath(dir)));
    while (!spec.empty() && (spec.back() == '\n' || spec.back() == ' ')) spec.pop_back();
    return spec;
  }
  return dir + "/store";
}

StatusOr<crypto::SealConfig> ReadSealConfig(const std::string& dir) {
  StatusOr<std::string> text = FileSystem::Default().ReadFile(SealConfigPath(dir));
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) {
    return NotFound(dir + " is not a Warden data directory (no seal.json); run warden init",
                    "not_initialised");
  }
  RETURN_IF_ERROR(text);
  return crypto::SealConfig::FromJson(*text);
}

StatusOr<schema::Schema> ReadSchema(Store& store) {
  ASSIGN_OR_RETURN(std::optional<std::string> text,
                   store.Get(Space::kMeta, std::string(kSchemaKey)));
  if (!text) return schema::Schema::Registry();
  return schema::Schema::Parse(*text);
}

StatusOr<InitResult> InitDataDir(const InitOptions& options) {
  FileSystem& fs = FileSystem::Default();
  if (fs.Exists(SealConfigPath(options.data_dir))) {
    return Conflict(options.data_dir + " is already initialised", "already_initialised");
  }
  RETURN_IF_ERROR(fs.CreateDirs(options.data_dir, 0700));
  schema::Schema schema = schema::Schema::Registry();
  if (!options.schema_text.empty()) {
    ASSIGN_OR_RETURN(schema, schema::Schema::Parse(options.schema_text));
  }
  ASSIGN_OR_RETURN(std::string spec, StoreSpecOf(options.data_dir, options.store_spec));
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(spec));
  if (!options.schema_text.empty()) {
    WriteBatch batch;
    batch.Put(Space::kMeta, std::string(kSchemaKey), options.schema_text);
    RETURN_IF_ERROR(store->Write(batch));
  }

  SecretBytes root = SecretBytes::Random(crypto::kRootKeySize);
  SealGateOptions gate_options;
  gate_options.audit.sinks.clear();
  ASSIGN_OR_RETURN(std::shared_ptr<UnsealedServices> services,
                   OpenServices(*store, schema, root.Clone(), Clock::Real(), gate_options,
                                /*create=*/true));
  const std::string keyring_id(services->keys->KeyRingId());

  InitResult result;
  if (options.dev_key_file) {
    ASSIGN_OR_RETURN(result.config,
                     crypto::SealRootKeyWithDevKeyFile(*options.dev_key_file, root, keyring_id));
  } else if (options.pkcs11) {
    if (!options.pkcs11_pin) return InvalidArgument("a PKCS#11 PIN is required", "pin_required");
    ASSIGN_OR_RETURN(result.config, crypto::SealRootKeyWithPkcs11(
                                        *options.pkcs11, *options.pkcs11_pin, root, keyring_id));
  } else {
    ASSIGN_OR_RETURN(crypto::ShamirSplitResult split,
                     crypto::SplitRootKey(root, options.threshold, options.shares, keyring_id));
    result.config = std::move(split.config);
    result.shares = std::move(split.shares);
  }
  ASSIGN_OR_RETURN(result.bootstrap_tokens,
                   services->access->authenticator().CreateBootstrapTokens());

  audit::AuditEvent event;
  event.action = audit::AuditAction::kAdmin;
  event.actor.account = "system";
  event.detail = std::string("init, root key sealed by ") +
                 std::string(crypto::SealModeName(result.config.mode));
  RETURN_IF_ERROR(services->audit->Append(event).status());

  if (!options.store_spec.empty()) {
    RETURN_IF_ERROR(fs.WriteFileAtomic(StoreSpecPath(options.data_dir), options.store_spec + "\n"));
  }
  // Written last: a directory without seal.json is not initialised (an
  // interrupted init is noticed by OpenServices, which finds a key hierarchy
  // and refuses; the half-made directory is then removed by hand).
  RETURN_IF_ERROR(fs.WriteFileAtomic(SealConfigPath(options.data_dir), result.config.ToJson()));
  return result;
}

}  // namespace warden::node
