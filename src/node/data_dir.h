// The data directory of a Warden server and its initialisation.
//
//   DIR/seal.json    how the root key is sealed (crypto::SealConfig; no secret)
//   DIR/store/       the embedded RocksDB store, unless the store is PostgreSQL
//   DIR/store.spec   the store's spec when it is not DIR/store (a PostgreSQL URL)
//   DIR/tls/         certificate and key (warden demo writes a self-signed pair)
//   DIR/audit-checkpoints.jsonl  signed audit checkpoints shipped off the store
//
// Nothing in it is secret except, in development mode only, the key file.
#ifndef WARDEN_NODE_DATA_DIR_H_
#define WARDEN_NODE_DATA_DIR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/secret.h"
#include "crypto/pkcs11.h"
#include "crypto/root_seal.h"
#include "schema/schema.h"
#include "store/store.h"

namespace warden::node {

std::string SealConfigPath(const std::string& data_dir);
std::string CheckpointSinkPath(const std::string& data_dir);
std::string TlsDir(const std::string& data_dir);

struct InitOptions {
  std::string data_dir;
  std::string store_spec;  // empty: DIR/store (RocksDB)
  int shares = 5;
  int threshold = 3;
  std::optional<std::string> dev_key_file;  // development mode
  std::optional<crypto::Pkcs11Options> pkcs11;
  std::optional<SecretBytes> pkcs11_pin;
  std::string schema_text;  // empty: the built-in registry schema
};

struct InitResult {
  crypto::SealConfig config;
  std::vector<std::string> shares;  // Shamir mode; shown once, never stored
  // Shown once, meant for two different people: each creates one of the
  // first two security officers.
  std::vector<SecretBytes> bootstrap_tokens;
};

// Creates the store, the key hierarchy and the seal configuration, and a
// one-time bootstrap token. kConflict "already_initialised" if DIR holds a
// seal configuration already; nothing is overwritten.
StatusOr<InitResult> InitDataDir(const InitOptions& options);

// The store spec of an initialised DIR (`override` wins when not empty).
StatusOr<std::string> StoreSpecOf(const std::string& data_dir, const std::string& override);
StatusOr<crypto::SealConfig> ReadSealConfig(const std::string& data_dir);
// The schema the store was initialised with.
StatusOr<schema::Schema> ReadSchema(Store& store);

}  // namespace warden::node

#endif  // WARDEN_NODE_DATA_DIR_H_
