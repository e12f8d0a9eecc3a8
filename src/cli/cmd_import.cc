// `warden import`: a CSV or JSON Lines file into a collection.
//
//   offline  --data DIR: straight into the store of a stopped server, on all
//            cores (server::RunBulkImport). Needs the root key: K shares
//            (--share-file, or typed without echo), the PKCS#11 PIN file, or
//            the development key file of a dev-mode directory.
//   online   --addr URL: through a running server's batch API
//            (RunOnlineImport), with an API key or session token.
//
// Both show progress, write every rejected row to the rejects file (default
// FILE.rejects.jsonl), resume after a crash, and print a summary. Exit codes:
// 0 every row imported, 1 some rows rejected, 2 the import failed.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/import_online.h"
#include "cli/import_progress.h"
#include "cli/terminal.h"
#include "core/file_system.h"
#include "crypto/pkcs11.h"
#include "server/bulk_import.h"
#include "server/data_dir.h"
#include "store/open_store.h"

namespace warden::cli {
namespace {

struct ImportArgs {
  std::string file;
  std::string collection;
  std::string data_dir;
  std::string store_spec;
  std::string share_file;
  std::string pin_file;
  std::string addr;
  std::string token;
  bool insecure = false;
  int connections = 4;
  size_t batch = 1000;
  std::string schema_file;
  std::string rejects;
  std::string format;
  std::string on_duplicate = "reject";
  int workers = 0;
  size_t commit_mb = 64;
  bool no_resume = false;
  bool quiet = false;
  std::string canaries;
};

// The root key of a stopped data directory.
StatusOr<SecretBytes> RebuildRootKey(const crypto::SealConfig& config, const ImportArgs& args) {
  switch (config.mode) {
    case crypto::SealMode::kDev:
      std::cerr << crypto::kDevModeWarning << "\n";
      return crypto::UnsealWithDevKeyFile(config);
    case crypto::SealMode::kPkcs11: {
      if (args.pin_file.empty()) return InvalidArgument("--pkcs11-pin-file is required");
      ASSIGN_OR_RETURN(SecretBytes pin, crypto::ReadPinFile(args.pin_file));
      return crypto::UnsealWithPkcs11(config, pin);
    }
    case crypto::SealMode::kShamir:
      break;
  }
  crypto::UnsealSession session(config);
  if (!args.share_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, FileSystem::Default().ReadFile(args.share_file));
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
    if (!args.share_file.empty()) {
      return InvalidArgument("the share file holds fewer shares than the threshold",
                             "shares_missing");
    }
    const crypto::UnsealProgress p = session.Progress();
    SecretBytes share = ReadHiddenLine("Unseal share " + std::to_string(p.progress + 1) + " of " +
                                       std::to_string(p.threshold) + ": ");
    if (share.empty()) return InvalidArgument("no share given", "shares_missing");
    StatusOr<crypto::UnsealProgress> added = session.Add(share.view());
    if (!added.ok()) std::cerr << "warden import: " << added.status().message() << "\n";
  }
  return session.TakeRootKey();
}

int Fail(const Status& st) {
  std::cerr << "warden import: " << st.ToString() << "\n";
  return 2;
}

int RunOffline(const ImportArgs& args, const std::string& rejects_path) {
  StatusOr<crypto::SealConfig> config = server::ReadSealConfig(args.data_dir);
  if (!config.ok()) return Fail(config.status());
  StatusOr<std::string> spec = server::StoreSpecOf(args.data_dir, args.store_spec);
  if (!spec.ok()) return Fail(spec.status());
  server::BulkImportOptions options;
  options.commit_bytes = args.commit_mb << 20;
  StoreOptions store_options;
  store_options.rocksdb.create_if_missing = false;
  // One commit must reach the store as one ingestion (see BulkImportOptions).
  store_options.rocksdb.bulk_load_chunk_bytes = options.commit_bytes * 4;
  store_options.postgres_pool_size = 2;
  StatusOr<std::unique_ptr<Store>> store = OpenStore(*spec, store_options);
  if (!store.ok()) {
    std::cerr << "warden import: cannot open the store (a running server holds it; stop it "
                 "first, or use --addr)\n";
    return Fail(store.status());
  }
  StatusOr<schema::Schema> schema = server::ReadSchema(**store);
  if (!schema.ok()) return Fail(schema.status());
  StatusOr<SecretBytes> root = RebuildRootKey(*config, args);
  if (!root.ok()) return Fail(root.status());
  server::SealGateOptions gate_options;
  gate_options.audit.sinks.push_back(std::make_shared<audit::JsonlFileSink>(
      FileSystem::Default(), server::CheckpointSinkPath(args.data_dir), /*ship_entries=*/false));
  StatusOr<std::shared_ptr<server::UnsealedServices>> services =
      server::OpenServices(**store, *schema, std::move(root).value(), Clock::Real(),
                           std::move(gate_options), /*create=*/false);
  if (!services.ok()) return Fail(services.status());

  if (!args.canaries.empty()) {
    StatusOr<std::string> text = FileSystem::Default().ReadFile(args.canaries);
    if (!text.ok()) return Fail(text.status());
    std::vector<std::string> keys;
    size_t at = 0;
    while (at < text->size()) {
      size_t end = std::min(text->find('\n', at), text->size());
      std::string key = text->substr(at, end - at);
      if (!key.empty() && key.back() == '\r') key.pop_back();
      if (!key.empty()) keys.push_back(std::move(key));
      at = end + 1;
    }
    SecureWipe(*text);
    Status s = (*services)->access->RegisterCanariesOffline(args.collection, keys);
    for (std::string& k : keys) SecureWipe(k);
    if (!s.ok()) return Fail(s);
  }

  options.input_path = args.file;
  options.collection = args.collection;
  if (args.format == "csv") options.format = schema::RecordFormat::kCsv;
  if (args.format == "jsonl") options.format = schema::RecordFormat::kJsonLines;
  options.rejects_path = rejects_path;
  options.on_duplicate = *server::ParseDuplicatePolicy(args.on_duplicate);
  options.workers = args.workers;
  options.resume = !args.no_resume;
  ProgressDisplay display(args.quiet);
  options.on_progress = [&display](const server::ImportProgress& p) {
    display.Update(p.counts.read, p.bytes_done, p.bytes_total,
                   "rejected " + std::to_string(p.counts.rejected));
  };
  const auto start = std::chrono::steady_clock::now();
  StatusOr<server::ImportSummary> summary =
      server::RunBulkImport(**store, *schema, **services, Clock::Real(), options);
  display.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!summary.ok()) {
    std::cerr << "warden import: stopped; what was committed stays, run the same command again "
                 "to resume\n";
    return Fail(summary.status());
  }
  const server::ImportCounts& c = summary->counts;
  if (summary->already_complete) {
    std::cout << "already imported: " << args.file << " (use --no-resume to import it again)\n";
  } else if (summary->resumed_at_line > 0) {
    std::cout << "resumed at line " << summary->resumed_at_line << "\n";
  }
  std::cout << "read " << c.read << ", imported " << c.imported << ", replaced " << c.replaced
            << ", rejected " << c.rejected << " (rejects: " << rejects_path << ")\n";
  if (!summary->already_complete && seconds > 0) {
    std::cout << "took " << seconds << " s in " << summary->commits << " commits\n";
  }
  return c.rejected > 0 ? 1 : 0;
}

int RunOnline(const ImportArgs& args, const std::string& rejects_path) {
  OnlineImportOptions options;
  options.addr = args.addr;
  std::string token = args.token;
  if (token.empty()) {
    if (const char* env = std::getenv("WARDEN_TOKEN")) token = env;
  }
  if (token.empty()) return Fail(InvalidArgument("--token or WARDEN_TOKEN is required"));
  options.token = SecretBytes::CopyFrom(token);
  SecureWipe(token);
  options.insecure = args.insecure;
  options.input_path = args.file;
  options.collection = args.collection;
  std::optional<schema::Schema> custom;
  const schema::Schema* schema = &schema::Schema::Registry();
  if (!args.schema_file.empty()) {
    StatusOr<std::string> text = FileSystem::Default().ReadFile(args.schema_file);
    if (!text.ok()) return Fail(text.status());
    StatusOr<schema::Schema> parsed = schema::Schema::Parse(*text);
    if (!parsed.ok()) return Fail(parsed.status());
    custom = std::move(parsed).value();
    schema = &*custom;
  }
  options.schema = schema->Find(args.collection);
  if (args.format == "csv") options.format = schema::RecordFormat::kCsv;
  if (args.format == "jsonl") options.format = schema::RecordFormat::kJsonLines;
  options.rejects_path = rejects_path;
  options.connections = args.connections;
  options.batch_records = args.batch;
  options.resume = !args.no_resume;
  ProgressDisplay display(args.quiet);
  options.on_progress = [&display](uint64_t rows, uint64_t done, uint64_t total) {
    display.Update(rows, done, total, "");
  };
  const auto start = std::chrono::steady_clock::now();
  StatusOr<OnlineImportSummary> summary = RunOnlineImport(options);
  display.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!summary.ok()) {
    std::cerr << "warden import: stopped; run the same command again to resume\n";
    return Fail(summary.status());
  }
  if (summary->resumed_at_line > 0) {
    std::cout << "resumed at line " << summary->resumed_at_line << "\n";
  }
  std::cout << "read " << summary->read << ", created " << summary->created << ", replaced "
            << summary->replaced << ", rejected " << summary->rejected
            << " (rejects: " << rejects_path << ")\n";
  std::cout << "took " << seconds << " s in " << summary->requests << " requests\n";
  return summary->rejected > 0 ? 1 : 0;
}

}  // namespace

void RegisterImportCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Import a CSV or JSON Lines file: offline into a stopped store (--data) or "
      "through a running server (--addr)");
  cmd->add_option("file", args->file, "Input file (.csv, .jsonl)")->required();
  cmd->add_option("--collection", args->collection, "Collection the records belong to")->required();
  auto* data =
      cmd->add_option("--data", args->data_dir, "Data directory (offline; server stopped)");
  auto* addr = cmd->add_option("--addr", args->addr, "Server URL (online)");
  data->excludes(addr);
  cmd->add_option("--store", args->store_spec, "Offline: store override (postgres://...)");
  cmd->add_option("--share-file", args->share_file,
                  "Offline: file with unseal shares, one per line (else asked without echo)");
  cmd->add_option("--pkcs11-pin-file", args->pin_file, "Offline: PIN file of a PKCS#11 store");
  cmd->add_option("--canaries", args->canaries,
                  "Offline: file of canary record keys (from warden gen --canaries-out)");
  cmd->add_option("--on-duplicate", args->on_duplicate,
                  "Offline: a key given twice or already stored: reject (default) or last-wins")
      ->check(CLI::IsMember({"reject", "last-wins"}));
  cmd->add_option("--workers", args->workers, "Offline: worker threads (default: one per core)");
  cmd->add_option("--commit-mb", args->commit_mb,
                  "Offline: MiB of store entries per atomic commit (default 64)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--token", args->token,
                  "Online: API key or session token (better: the WARDEN_TOKEN variable)");
  cmd->add_flag("--insecure", args->insecure, "Online: accept a self-signed certificate (demo)");
  cmd->add_option("--connections", args->connections, "Online: parallel connections")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--batch", args->batch, "Online: records per request (at most 1000)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--schema", args->schema_file,
                  "Online: schema file for reading CSV (default: the built-in registry)");
  cmd->add_option("--rejects", args->rejects, "Rejects file (default: FILE.rejects.jsonl)");
  cmd->add_option("--format", args->format, "csv or jsonl (default: from the name or content)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  cmd->add_flag("--no-resume", args->no_resume, "Start over instead of resuming");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->callback([args, &ctx] {
    if (args->data_dir.empty() == args->addr.empty()) {
      ctx.exit_code = Fail(InvalidArgument("give exactly one of --data DIR or --addr URL"));
      return;
    }
    const std::string rejects =
        args->rejects.empty() ? args->file + ".rejects.jsonl" : args->rejects;
    ctx.exit_code = args->addr.empty() ? RunOffline(*args, rejects) : RunOnline(*args, rejects);
  });
}

}  // namespace warden::cli
