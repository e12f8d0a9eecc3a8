// `warden audit verify`: checks the audit chain offline, on a data directory,
// and optionally a shipped JSON Lines copy of it (G6). Needs no key: the
// checkpoints verify with the public key stored with the log, or with the one
// given on the command line.
//
// Exit codes: 0 the chain verifies; 1 it is broken (the report says where and
// how); 2 the store or file could not be read.
#include <filesystem>
#include <iostream>

#include "audit/audit_verify.h"
#include "cli/commands.h"
#include "core/bytes.h"
#include "core/file_system.h"
#include "store/open_store.h"
#include "store/rocksdb_store.h"

namespace warden::cli {
namespace {

struct AuditVerifyArgs {
  std::string data_dir;
  std::string store_spec;
  std::string public_key;
  std::string shipped_file;
};

// The store of a data directory: DIR/store when present, else DIR itself.
// Opened without creating anything.
StatusOr<std::unique_ptr<Store>> OpenExistingStore(const AuditVerifyArgs& args) {
  if (!args.store_spec.empty()) return OpenStore(args.store_spec);
  std::string path = args.data_dir;
  if (std::filesystem::is_directory(path + "/store")) path += "/store";
  RocksDbOptions options;
  options.create_if_missing = false;
  options.block_cache_bytes = size_t{64} << 20;
  ASSIGN_OR_RETURN(std::unique_ptr<RocksDbStore> store, RocksDbStore::Open(path, options));
  return std::unique_ptr<Store>(std::move(store));
}

StatusOr<std::string> ParsePublicKey(const std::string& text) {
  if (text.empty()) return std::string();
  std::optional<std::string> key = HexDecode(text);
  if (!key || key->size() != 32) key = Base64Decode(text);
  if (!key || key->size() != 32) {
    return FieldInvalid("--public-key", "ed25519_public_key", "expected 32 bytes as hex or base64");
  }
  return *key;
}

int RunAuditVerify(const AuditVerifyArgs& args) {
  StatusOr<std::string> public_key = ParsePublicKey(args.public_key);
  if (!public_key.ok()) {
    std::cerr << "warden audit verify: " << public_key.status().ToString() << "\n";
    return 2;
  }
  audit::VerifyOptions options;
  options.expected_public_key = *public_key;
  bool broken = false;

  if (!args.shipped_file.empty()) {
    StatusOr<std::string> text = FileSystem::Default().ReadFile(args.shipped_file);
    if (!text.ok()) {
      std::cerr << "warden audit verify: " << text.status().ToString() << "\n";
      return 2;
    }
    audit::ShippedLog shipped = audit::ParseShippedLog(*text);
    StatusOr<audit::VerifyReport> report = audit::VerifyShippedLog(*text, options);
    if (!report.ok()) {
      std::cerr << "warden audit verify: " << report.status().ToString() << "\n";
      return 2;
    }
    std::cout << "shipped copy: " << report->Summary() << "\n";
    broken = broken || !report->ok();
    // The store must reach at least as far as what was shipped.
    if (!shipped.checkpoints.empty()) options.last_shipped = shipped.checkpoints.back();
  }

  StatusOr<std::unique_ptr<Store>> store = OpenExistingStore(args);
  if (!store.ok()) {
    std::cerr << "warden audit verify: opening the store: " << store.status().ToString() << "\n";
    return 2;
  }
  StatusOr<audit::VerifyReport> report = audit::VerifyStoredLog(**store, options);
  if (!report.ok()) {
    std::cerr << "warden audit verify: " << report.status().ToString() << "\n";
    return 2;
  }
  std::cout << "stored log: " << report->Summary() << "\n";
  broken = broken || !report->ok();
  return broken ? 1 : 0;
}

}  // namespace

void RegisterAuditCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* audit = app.add_subcommand("audit", "Verify the audit trail");
  audit->require_subcommand(1);

  auto args = std::make_shared<AuditVerifyArgs>();
  CLI::App* verify = audit->add_subcommand(
      "verify", "Check the audit chain and its signed checkpoints; report where it breaks");
  auto* data = verify->add_option("--data", args->data_dir, "Data directory (offline)");
  auto* store = verify->add_option("--store", args->store_spec,
                                   "Store instead of --data: a directory or postgres:// URI");
  data->excludes(store);
  verify->add_option("--public-key", args->public_key,
                     "Expected Ed25519 public key of the audit checkpoints (hex or base64)");
  verify->add_option("--shipped", args->shipped_file,
                     "A shipped JSON Lines copy to verify and to check the store against");
  verify->callback([args, &ctx] {
    if (args->data_dir.empty() && args->store_spec.empty()) {
      std::cerr << "warden audit verify: --data DIR or --store SPEC is required\n";
      ctx.exit_code = 2;
      return;
    }
    ctx.exit_code = RunAuditVerify(*args);
  });
}

}  // namespace warden::cli
