#include "cli/offline_services.h"

#include <iostream>

#include "cli/terminal.h"
#include "core/clock.h"
#include "core/file_system.h"
#include "crypto/pkcs11.h"
#include "node/data_dir.h"

namespace warden::cli {

void AddRootKeyOptions(CLI::App& cmd, RootKeySource& key) {
  cmd.add_option("--share-file", key.share_file,
                 "Offline: file with unseal shares, one per line (else asked without echo)");
  cmd.add_option("--pkcs11-pin-file", key.pin_file, "Offline: PIN file of a PKCS#11 store");
}

StatusOr<SecretBytes> RebuildRootKey(const crypto::SealConfig& config, const RootKeySource& source,
                                     std::string_view command) {
  switch (config.mode) {
    case crypto::SealMode::kDev:
      std::cerr << crypto::kDevModeWarning << "\n";
      return crypto::UnsealWithDevKeyFile(config);
    case crypto::SealMode::kPkcs11: {
      if (source.pin_file.empty()) return InvalidArgument("--pkcs11-pin-file is required");
      ASSIGN_OR_RETURN(SecretBytes pin, crypto::ReadPinFile(source.pin_file));
      return crypto::UnsealWithPkcs11(config, pin);
    }
    case crypto::SealMode::kShamir:
      break;
  }
  crypto::UnsealSession session(config);
  if (!source.share_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, FileSystem::Default().ReadFile(source.share_file));
    size_t at = 0;
    Status status;
    while (at < text.size() && !session.Progress().complete) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      std::string_view share = std::string_view(text).substr(at, end - at);
      at = end + 1;
      if (share.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      StatusOr<crypto::UnsealProgress> p = session.Add(share);
      if (!p.ok()) {
        status = p.status();
        break;
      }
    }
    SecureWipe(text);
    RETURN_IF_ERROR(status);
  }
  while (!session.Progress().complete) {
    if (!source.share_file.empty()) {
      return InvalidArgument("the share file holds fewer shares than the threshold",
                             "shares_missing");
    }
    const crypto::UnsealProgress p = session.Progress();
    SecretBytes share = ReadHiddenLine("Unseal share " + std::to_string(p.progress + 1) + " of " +
                                       std::to_string(p.threshold) + ": ");
    if (share.empty()) return InvalidArgument("no share given", "shares_missing");
    StatusOr<crypto::UnsealProgress> added = session.Add(share.view());
    if (!added.ok()) std::cerr << command << ": " << added.status().message() << "\n";
  }
  return session.TakeRootKey();
}

StatusOr<std::unique_ptr<OfflineServices>> OfflineServices::Open(
    const OfflineOpenOptions& options) {
  ASSIGN_OR_RETURN(crypto::SealConfig config, node::ReadSealConfig(options.data_dir));
  ASSIGN_OR_RETURN(std::string spec, node::StoreSpecOf(options.data_dir, options.store_spec));
  StoreOptions store_options = options.store;
  store_options.rocksdb.create_if_missing = false;
  StatusOr<std::unique_ptr<Store>> store = OpenStore(spec, store_options);
  if (!store.ok()) {
    std::cerr << options.command
              << ": cannot open the store (a running server holds it; stop it first, or use "
                 "--addr)\n";
    return store.status();
  }
  ASSIGN_OR_RETURN(schema::Schema schema, node::ReadSchema(**store));
  std::unique_ptr<OfflineServices> opened(
      new OfflineServices(std::move(store).value(), std::move(schema)));
  ASSIGN_OR_RETURN(SecretBytes root, RebuildRootKey(config, options.key, options.command));
  node::SealGateOptions gate_options;
  gate_options.audit.sinks.push_back(std::make_shared<audit::JsonlFileSink>(
      FileSystem::Default(), node::CheckpointSinkPath(options.data_dir),
      /*ship_entries=*/false));
  ASSIGN_OR_RETURN(opened->services_,
                   node::OpenServices(*opened->store_, opened->schema_, std::move(root),
                                      Clock::Real(), std::move(gate_options), /*create=*/false));
  return opened;
}

}  // namespace warden::cli
