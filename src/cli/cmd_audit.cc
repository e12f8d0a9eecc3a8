// `warden audit verify`: checks the audit chain offline, on a data directory,
// and optionally shipped copies of it (G6), which may hold entries or
// checkpoints only (the server's own DIR/audit-checkpoints.jsonl, a syslog
// collector's file); every shipped checkpoint must match the stored log and
// the stored log must reach it, which catches a tail deleted together with
// its checkpoints. Without a key the checkpoints verify with the public key
// stored with the log, given on the command line, or named by the shipped
// copy, and the report says that entry MACs were not checked; with --macs (or
// a --share-file / --pkcs11-pin-file) the root key is rebuilt and every
// entry's MAC is checked as well. Either way the unsigned tail (entries after
// the last checkpoint) is reported and fails above --max-unsigned-entries or
// --max-unsigned-age. Exit codes: 0 the chain verifies; 1 it is broken (the
// report says where and how); 2 the store, a file or the key could not be read.
//
// `warden audit trace FILE`: ranks the accounts and sessions whose reads
// cover a leaked sample (G11), with times and stated purposes.
//   online   --addr URL: POST /v1/audit/trace as an auditor.
//   offline  --data DIR: on a stopped server's data directory with its root
//            key (as `warden import --data`); the trace is audited in the
//            trail under the account "cli:offline".
// Both print the same ranked table (or, with --json, the API's JSON). Exit
// codes: 0 traced (whatever it found); 2 it could not be done.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "access/purpose.h"
#include "api/routes.h"
#include "audit/audit_verify.h"
#include "cli/commands.h"
#include "cli/leak_sample.h"
#include "cli/offline_services.h"
#include "cli/server_api.h"
#include "core/bytes.h"
#include "core/file_system.h"
#include "crypto/key_ring.h"
#include "node/data_dir.h"
#include "node/seal_gate.h"
#include "store/open_store.h"
#include "store/rocksdb_store.h"

namespace warden::cli {
namespace {

struct AuditVerifyArgs {
  std::string data_dir;
  std::string store_spec;
  std::string public_key;
  std::vector<std::string> shipped_files;
  bool macs = false;
  RootKeySource key;
  uint64_t max_unsigned_entries = audit::kDefaultMaxUnsignedEntries;
  double max_unsigned_age_seconds =
      static_cast<double>(audit::kDefaultMaxUnsignedAgeMicros) / 1'000'000;
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

// The entry MAC key of a stopped data directory, from its root key.
StatusOr<std::unique_ptr<audit::EntryMac>> LoadEntryMac(const AuditVerifyArgs& args, Store& store) {
  if (args.data_dir.empty()) {
    return InvalidArgument("--macs needs --data: the seal configuration is kept there");
  }
  ASSIGN_OR_RETURN(crypto::SealConfig config, node::ReadSealConfig(args.data_dir));
  ASSIGN_OR_RETURN(SecretBytes root, RebuildRootKey(config, args.key, "warden audit verify"));
  ASSIGN_OR_RETURN(std::optional<std::string> state,
                   store.Get(Space::kMeta, std::string(node::kKeyRingStateKey)));
  if (!state) return NotFound("the store holds no key hierarchy", "not_initialised");
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::KeyRing> keys,
                   crypto::KeyRing::Load(std::move(root), *state));
  ASSIGN_OR_RETURN(SecretBytes hash_key, keys->DeriveServiceKey("audit-hash"));
  return audit::EntryMac::FromAuditHashKey(hash_key);
}

int VerifyFail(const std::string& what) {
  std::cerr << "warden audit verify: " << what << "\n";
  return 2;
}

int RunAuditVerify(const AuditVerifyArgs& args) {
  StatusOr<std::string> public_key = ParsePublicKey(args.public_key);
  if (!public_key.ok()) return VerifyFail(public_key.status().ToString());
  audit::VerifyOptions options;
  options.expected_public_key = *public_key;
  options.max_unsigned_entries = args.max_unsigned_entries;
  options.max_unsigned_age_micros = static_cast<int64_t>(args.max_unsigned_age_seconds * 1e6);
  bool broken = false;

  std::vector<audit::AuditCheckpoint> shipped_checkpoints;
  for (const std::string& file : args.shipped_files) {
    StatusOr<std::string> text = FileSystem::Default().ReadFile(file);
    if (!text.ok()) return VerifyFail(text.status().ToString());
    audit::ShippedLog shipped = audit::ParseShippedLog(*text);
    // A copy kept off the machine names the key the store must still have.
    if (options.expected_public_key.empty()) options.expected_public_key = shipped.public_key;
    StatusOr<audit::VerifyReport> report = audit::VerifyShippedLog(*text, options);
    if (!report.ok()) return VerifyFail(report.status().ToString());
    std::cout << "shipped copy " << file << ": " << report->Summary() << "\n";
    broken = broken || !report->ok();
    shipped_checkpoints.insert(shipped_checkpoints.end(), shipped.checkpoints.begin(),
                               shipped.checkpoints.end());
  }
  // Every shipped checkpoint must match the store, which must reach them all.
  options.shipped = std::move(shipped_checkpoints);

  StatusOr<std::unique_ptr<Store>> store = OpenExistingStore(args);
  if (!store.ok()) return VerifyFail("opening the store: " + store.status().ToString());
  std::unique_ptr<audit::EntryMac> entry_mac;
  if (args.macs || !args.key.share_file.empty() || !args.key.pin_file.empty()) {
    StatusOr<std::unique_ptr<audit::EntryMac>> mac = LoadEntryMac(args, **store);
    if (!mac.ok()) return VerifyFail("loading the audit keys: " + mac.status().ToString());
    entry_mac = std::move(mac).value();
    options.entry_mac = entry_mac.get();
  }
  StatusOr<audit::VerifyReport> report = audit::VerifyStoredLog(**store, options);
  if (!report.ok()) return VerifyFail(report.status().ToString());
  std::cout << "stored log: " << report->Summary() << "\n";
  broken = broken || !report->ok();
  return broken ? 1 : 0;
}

// ---- audit trace ----

struct AuditTraceArgs {
  std::string file;
  std::string format = "auto";
  std::string purpose = "audit/leak-trace";
  std::string reason;
  bool json = false;
  // Offline.
  std::string data_dir;
  std::string store_spec;
  RootKeySource key;
  // Online.
  ServerArgs server;
};

// The offline tool as it appears in the audit trail.
constexpr std::string_view kOfflineAccount = "cli:offline";

int TraceFail(const std::string& what) {
  std::cerr << "warden audit trace: " << what << "\n";
  return 2;
}

std::string Text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

uint64_t Count(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", fraction * 100);
  return buf;
}

// Sessions shown under each account.
constexpr size_t kSessionsShown = 3;

// The ranked table, from the JSON of either mode.
void PrintTrace(const nlohmann::json& report, std::ostream& out) {
  const uint64_t size = Count(report, "sample_size");
  const uint64_t matched = Count(report, "sample_matched");
  const nlohmann::json accounts = report.value("accounts", nlohmann::json::array());
  out << "Sample: " << size << " identifiers; " << matched << " read by "
      << (accounts.size() == 1 ? "1 account" : std::to_string(accounts.size()) + " accounts")
      << ".\n";
  if (accounts.empty()) {
    out << "No account read any identifier of the sample.\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"RANK", "ACCOUNT", "ROLE", "COVERED", "COVERAGE",
                                                 "ENTRIES", "FIRST READ", "LAST READ", "PURPOSES"}};
  for (size_t i = 0; i < accounts.size(); ++i) {
    const nlohmann::json& a = accounts[i];
    std::string purposes;
    for (const nlohmann::json& p : a.value("purposes", nlohmann::json::array())) {
      if (!purposes.empty()) purposes += ", ";
      purposes += p.is_string() ? p.get<std::string>() : p.dump();
    }
    const double coverage = a.value("coverage", 0.0);
    rows.push_back({std::to_string(i + 1), Text(a, "account"), Text(a, "role"),
                    std::to_string(Count(a, "covered")) + "/" + std::to_string(size),
                    Percent(coverage), std::to_string(Count(a, "entries")), Text(a, "first"),
                    Text(a, "last"), purposes.empty() ? "-" : purposes});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  const size_t indent = width[0] + 2;
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < rows[r].size(); ++c) {
      line += rows[r][c];
      if (c + 1 < rows[r].size()) line += std::string(width[c] - rows[r][c].size() + 2, ' ');
    }
    out << line << "\n";
    if (r == 0) continue;
    const nlohmann::json sessions = accounts[r - 1].value("sessions", nlohmann::json::array());
    for (size_t s = 0; s < sessions.size() && s < kSessionsShown; ++s) {
      const nlohmann::json& ses = sessions[s];
      const std::string name = Text(ses, "session");
      out << std::string(indent, ' ') << "session " << (name.empty() ? "(none)" : name) << ": "
          << Count(ses, "covered") << "/" << size << ", " << Text(ses, "first") << " .. "
          << Text(ses, "last") << "\n";
    }
    if (sessions.size() > kSessionsShown) {
      out << std::string(indent, ' ') << "(" << sessions.size() - kSessionsShown
          << " more sessions; --json lists them)\n";
    }
    for (const nlohmann::json& e : accounts[r - 1].value("exports", nlohmann::json::array())) {
      out << std::string(indent, ' ')
          << "exported: " << (e.is_string() ? e.get<std::string>() : e.dump()) << "\n";
    }
  }
}

// The server's answer to the sample, whatever its status.
StatusOr<ApiAnswer> TraceOnline(AuditTraceArgs& args, const LeakSample& sample) {
  ASSIGN_OR_RETURN(std::unique_ptr<ServerApi> api, ServerApi::Connect(args.server));
  nlohmann::json body = {{"national_ids", sample.national_ids}, {"phones", sample.phones}};
  std::string text = body.dump();
  body.clear();
  std::vector<std::string> headers = {"Warden-Purpose: " + args.purpose};
  if (!args.reason.empty()) headers.push_back("Warden-Reason: " + args.reason);
  StatusOr<ApiAnswer> answer = api->Call("POST", "/v1/audit/trace", text, headers);
  SecureWipe(text);
  return answer;
}

StatusOr<nlohmann::json> TraceOffline(const AuditTraceArgs& args, const LeakSample& sample,
                                      const access::Purpose& purpose) {
  OfflineOpenOptions open;
  open.data_dir = args.data_dir;
  open.store_spec = args.store_spec;
  open.store.postgres_pool_size = 2;
  open.key = args.key;
  open.command = "warden audit trace";
  ASSIGN_OR_RETURN(std::unique_ptr<OfflineServices> offline, OfflineServices::Open(open));
  std::vector<audit::AuditSubject> subjects;
  subjects.reserve(sample.size());
  for (const std::string& id : sample.national_ids) {
    subjects.push_back({audit::IdentifierKind::kNationalId, id});
  }
  for (const std::string& phone : sample.phones) {
    subjects.push_back({audit::IdentifierKind::kPhone, phone});
  }
  audit::AuditActor actor;
  actor.account = std::string(kOfflineAccount);
  actor.purpose_kind = std::string(access::PurposeKindName(purpose.kind));
  actor.purpose_reference = purpose.reference;
  actor.reason = purpose.reason;
  StatusOr<audit::TraceReport> report = offline->services().audit->Trace(actor, subjects);
  for (audit::AuditSubject& s : subjects) SecureWipe(s.value);
  if (!report.ok()) return report.status();
  return api::TraceReportJson(*report);
}

int RunAuditTrace(AuditTraceArgs& args) {
  if (args.data_dir.empty() == args.server.addr.empty()) {
    return TraceFail("give exactly one of --data DIR (offline) or --addr URL (online)");
  }
  // The purpose is checked here as the server would, so a typo does not
  // cost an unseal.
  StatusOr<access::Purpose> purpose = access::ParsePurpose(args.purpose, args.reason);
  if (!purpose.ok()) return TraceFail("--purpose: " + purpose.status().ToString());
  SampleFormat format = SampleFormat::kAuto;
  if (args.format == "ids") format = SampleFormat::kIds;
  if (args.format == "csv") format = SampleFormat::kCsv;
  if (args.format == "jsonl") format = SampleFormat::kJsonLines;
  StatusOr<LeakSample> sample = ReadLeakSample(args.file, format, Clock::Real());
  if (!sample.ok()) return TraceFail(sample.status().ToString());
  if (sample->rejected > 0) {
    for (const std::string& note : sample->rejections) {
      std::cerr << "warden audit trace: rejected " << note << "\n";
    }
    if (sample->rejected > sample->rejections.size()) {
      std::cerr << "warden audit trace: ... and " << sample->rejected - sample->rejections.size()
                << " more\n";
    }
  }
  std::cerr << "warden audit trace: read " << sample->lines_read << " "
            << (sample->format == SampleFormat::kIds ? "lines" : "records") << " ("
            << SampleFormatName(sample->format) << "), rejected " << sample->rejected << "; "
            << sample->national_ids.size() << " national IDs and " << sample->phones.size()
            << " phone numbers to trace\n";
  if (sample->size() == 0) return TraceFail("the sample holds no valid identifier");

  nlohmann::json report;
  if (args.data_dir.empty()) {
    StatusOr<ApiAnswer> answer = TraceOnline(args, *sample);
    if (!answer.ok()) return TraceFail(answer.status().ToString());
    if (!answer->ok()) return TraceFail(DescribeApiError(*answer));
    if (!answer->json.is_object()) return TraceFail("the server's answer is not JSON");
    report = std::move(answer->json);
  } else {
    StatusOr<nlohmann::json> traced = TraceOffline(args, *sample, *purpose);
    if (!traced.ok()) return TraceFail(traced.status().ToString());
    report = std::move(traced).value();
  }
  if (args.json) {
    std::cout << report.dump(2) << "\n";
  } else {
    PrintTrace(report, std::cout);
  }
  return 0;
}

}  // namespace

void RegisterAuditCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* audit = app.add_subcommand(
      "audit", "Verify the audit trail; trace a leaked sample to the accounts that read it");
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
  verify->add_option("--shipped", args->shipped_files,
                     "A shipped copy (JSON Lines: entries and checkpoints, or checkpoints only, "
                     "as a syslog collector writes them) to verify and to check the store "
                     "against; may be repeated");
  verify->add_flag("--macs", args->macs,
                   "Check every entry's MAC too: rebuilds the root key (shares, PIN file or "
                   "development key file) of a stopped server's --data directory");
  AddRootKeyOptions(*verify, args->key);
  verify->add_option("--max-unsigned-entries", args->max_unsigned_entries,
                     "Fail when more entries follow the last checkpoint (default " +
                         std::to_string(audit::kDefaultMaxUnsignedEntries) + ")");
  verify->add_option("--max-unsigned-age", args->max_unsigned_age_seconds,
                     "Fail when entries follow a checkpoint older than this many seconds "
                     "(default " +
                         std::to_string(audit::kDefaultMaxUnsignedAgeMicros / 1'000'000) + ")");
  verify->callback([args, &ctx] {
    if (args->data_dir.empty() && args->store_spec.empty()) {
      std::cerr << "warden audit verify: --data DIR or --store SPEC is required\n";
      ctx.exit_code = 2;
      return;
    }
    ctx.exit_code = RunAuditVerify(*args);
  });

  auto targs = std::make_shared<AuditTraceArgs>();
  CLI::App* trace = audit->add_subcommand(
      "trace",
      "Rank the accounts and sessions whose reads cover a leaked sample, with times and "
      "stated purposes (G11)");
  trace->footer(
      "FILE is one national ID (or mobile number) per line, or a CSV or JSON Lines file of\n"
      "records whose national_id and phones are taken. Lines that do not validate are\n"
      "reported and skipped. Online (--addr) the token must be an auditor's; offline (--data)\n"
      "the server must be stopped and the root key is rebuilt from shares (--share-file, or\n"
      "typed without echo), a PKCS#11 PIN file, or a development key file. Either way the\n"
      "trace itself is written to the audit trail.\n"
      "Exit codes: 0 traced; 2 the trace could not be done.");
  trace->add_option("file", targs->file, "The leaked sample (.txt, .csv, .jsonl)")
      ->required()
      ->check(CLI::ExistingFile);
  trace->add_option("--format", targs->format, "ids, csv or jsonl (default: from name or content)")
      ->check(CLI::IsMember({"auto", "ids", "csv", "jsonl"}));
  trace->add_option("--purpose", targs->purpose,
                    "Stated purpose, audit/<reference> (default audit/leak-trace)");
  trace->add_option("--reason", targs->reason, "Free-text reason (at most 200 characters)");
  trace->add_flag("--json", targs->json, "Print the report as JSON (the API's shape)");
  trace->add_option("--data", targs->data_dir, "Offline: data directory of a stopped server");
  trace->add_option("--store", targs->store_spec, "Offline: store override (postgres://...)");
  AddRootKeyOptions(*trace, targs->key);
  AddServerOptions(*trace, targs->server, /*addr_required=*/false);
  trace->callback([targs, &ctx] { ctx.exit_code = RunAuditTrace(*targs); });
}

}  // namespace warden::cli
