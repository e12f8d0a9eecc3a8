// OpenStore: picks and opens a Store backend from one configuration string.
#ifndef WARDEN_STORE_OPEN_STORE_H_
#define WARDEN_STORE_OPEN_STORE_H_

#include <memory>
#include <string>

#include "store/postgres_store.h"
#include "store/rocksdb_store.h"
#include "store/store.h"

namespace warden {

// Backend settings for OpenStore; each applies only to its backend.
struct StoreOptions {
  RocksDbOptions rocksdb;
  // Connections held open to PostgreSQL (each request borrows one).
  int postgres_pool_size = 16;
};

// `spec` is either
//  - "postgres://..." or "postgresql://..." (a libpq URI), or a libpq keyword
//    string ("host=db1 dbname=warden ..."): a PostgresStore; or
//  - a directory path: a RocksDbStore there, created when missing.
// Errors are those of the chosen backend's Open; kInvalidArgument when
// `spec` is empty.
StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& spec,
                                           const StoreOptions& options = {});

// True when `spec` names a PostgreSQL database rather than a directory.
bool IsPostgresSpec(const std::string& spec);

}  // namespace warden

#endif  // WARDEN_STORE_OPEN_STORE_H_
