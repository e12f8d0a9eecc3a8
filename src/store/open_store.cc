#include "store/open_store.h"

namespace warden {

bool IsPostgresSpec(const std::string& spec) {
  if (spec.starts_with("postgres://") || spec.starts_with("postgresql://")) return true;
  // A libpq keyword string starts with "keyword=" (letters and '_').
  size_t i = spec.find_first_not_of(" \t");
  if (i == std::string::npos) return false;
  size_t j = i;
  while (j < spec.size() && ((spec[j] >= 'a' && spec[j] <= 'z') || spec[j] == '_')) ++j;
  while (j < spec.size() && (spec[j] == ' ' || spec[j] == '\t')) ++j;
  return j > i && j < spec.size() && spec[j] == '=';
}

StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& spec, const StoreOptions& options) {
  if (spec.empty()) return InvalidArgument("store location is empty");
  if (IsPostgresSpec(spec)) {
    PostgresOptions postgres;
    postgres.connection = spec;
    postgres.pool_size = options.postgres_pool_size;
    ASSIGN_OR_RETURN(auto store, PostgresStore::Open(postgres));
    return std::unique_ptr<Store>(std::move(store));
  }
  ASSIGN_OR_RETURN(auto store, RocksDbStore::Open(spec, options.rocksdb));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace warden
