// Opening a stopped server's data directory with its keys, for the offline
// commands (`warden import --data`, `warden audit trace --data`).
//
// The root key is rebuilt the way the server would be unsealed: the
// development key file of a dev-mode directory (with its loud warning), the
// PIN file of a PKCS#11 store, or K Shamir shares from a file or typed
// without echo. Nothing read is kept beyond the call; shares read from a file
// are wiped.
#ifndef WARDEN_CLI_OFFLINE_SERVICES_H_
#define WARDEN_CLI_OFFLINE_SERVICES_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "core/status.h"
#include "crypto/root_seal.h"
#include "node/seal_gate.h"
#include "schema/schema.h"
#include "store/open_store.h"
#include "store/store.h"

namespace warden::cli {

// Where the root key comes from, besides the data directory itself.
struct RootKeySource {
  std::string share_file;  // unseal shares, one per line; empty: asked without echo
  std::string pin_file;    // the PIN of a PKCS#11 store
};

// Adds --share-file and --pkcs11-pin-file, filling `key`, to an offline command.
void AddRootKeyOptions(CLI::App& cmd, RootKeySource& key);

// The root key of a stopped data directory sealed as `config` says.
// `command` ("warden import") prefixes messages about rejected typed shares.
// Errors: kInvalidArgument "shares_missing" when the share file holds fewer
// than the threshold or no share is typed, a missing PIN file; those of
// crypto::UnsealSession for a bad share in the file, and of the dev key file
// and PKCS#11 unseal.
StatusOr<SecretBytes> RebuildRootKey(const crypto::SealConfig& config, const RootKeySource& source,
                                     std::string_view command);

struct OfflineOpenOptions {
  std::string data_dir;
  std::string store_spec;  // overrides the data directory's store when not empty
  StoreOptions store;      // create_if_missing is forced off
  RootKeySource key;
  std::string command;  // "warden import", for messages
};

// A data directory opened offline: its store, its schema and the services
// built from its root key (the audit log writes its checkpoints to the data
// directory's checkpoint file, as the server does). The services are dropped
// before the store; the object must outlive every use of them.
class OfflineServices {
 public:
  // Reads the seal configuration, opens the store (printing a hint that a
  // running server may hold it when it cannot), reads the schema, rebuilds
  // the root key and opens the services. The first error stops it.
  static StatusOr<std::unique_ptr<OfflineServices>> Open(const OfflineOpenOptions& options);

  OfflineServices(const OfflineServices&) = delete;
  OfflineServices& operator=(const OfflineServices&) = delete;

  Store& store() { return *store_; }
  const schema::Schema& schema() const { return schema_; }
  node::UnsealedServices& services() { return *services_; }

 private:
  OfflineServices(std::unique_ptr<Store> store, schema::Schema schema)
      : store_(std::move(store)), schema_(std::move(schema)) {}

  std::unique_ptr<Store> store_;
  schema::Schema schema_;
  std::shared_ptr<node::UnsealedServices> services_;  // declared last: dropped first
};

}  // namespace warden::cli

#endif  // WARDEN_CLI_OFFLINE_SERVICES_H_
