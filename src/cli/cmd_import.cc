// `warden import`: a CSV or JSON Lines file into a collection.
//
//   offline  --data DIR: straight into the store of a stopped server, on all
//            cores (ingest::RunBulkImport). Needs the root key: K shares
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
#include "cli/offline_services.h"
#include "core/file_system.h"
#include "ingest/bulk_import.h"
#include "node/data_dir.h"
#include "store/open_store.h"

namespace warden::cli {
namespace {

struct ImportArgs {
  std::string file;
  std::string collection;
  std::string data_dir;
  std::string store_spec;
  RootKeySource key;
  std::string addr;
  std::string token;
  bool insecure = false;
  std::string ca_file;
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

int Fail(const Status& st) {
  std::cerr << "warden import: " << st.ToString() << "\n";
  return 2;
}

int RunOffline(const ImportArgs& args, const std::string& rejects_path) {
  ingest::BulkImportOptions options;
  options.commit_bytes = args.commit_mb << 20;
  OfflineOpenOptions open;
  open.data_dir = args.data_dir;
  open.store_spec = args.store_spec;
  // One commit must reach the store as one ingestion (see BulkImportOptions).
  open.store.rocksdb.bulk_load_chunk_bytes = options.commit_bytes * 4;
  open.store.postgres_pool_size = 2;
  open.key = args.key;
  open.command = "warden import";
  StatusOr<std::unique_ptr<OfflineServices>> opened = OfflineServices::Open(open);
  if (!opened.ok()) return Fail(opened.status());
  OfflineServices& offline = **opened;

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
    Status s =
        offline.services().access->tripwires().RegisterCanariesOffline(args.collection, keys);
    for (std::string& k : keys) SecureWipe(k);
    if (!s.ok()) return Fail(s);
  }

  options.input_path = args.file;
  options.collection = args.collection;
  if (args.format == "csv") options.format = schema::RecordFormat::kCsv;
  if (args.format == "jsonl") options.format = schema::RecordFormat::kJsonLines;
  options.rejects_path = rejects_path;
  options.on_duplicate = *ingest::ParseDuplicatePolicy(args.on_duplicate);
  options.workers = args.workers;
  options.resume = !args.no_resume;
  ProgressDisplay display(args.quiet);
  options.on_progress = [&display](const ingest::ImportProgress& p) {
    display.Update(p.counts.read, p.bytes_done, p.bytes_total,
                   "rejected " + std::to_string(p.counts.rejected));
  };
  const auto start = std::chrono::steady_clock::now();
  StatusOr<ingest::ImportSummary> summary = ingest::RunBulkImport(
      offline.store(), offline.schema(), offline.services(), Clock::Real(), options);
  display.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!summary.ok()) {
    std::cerr << "warden import: stopped; what was committed stays, run the same command again "
                 "to resume\n";
    return Fail(summary.status());
  }
  const ingest::ImportCounts& c = summary->counts;
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
  options.ca_file = args.ca_file;
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
  AddRootKeyOptions(*cmd, args->key);
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
  cmd->add_option("--cacert", args->ca_file,
                  "Online: PEM file of the private CA that signed the server's certificate")
      ->check(CLI::ExistingFile);
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
