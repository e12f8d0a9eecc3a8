// `warden init`, `warden serve`, `warden unseal` and `warden totp`: creating a
// store, running the server, and the person-side of unsealing and login.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "access/totp.h"
#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/terminal.h"
#include "core/file_system.h"
#include "node/data_dir.h"
#include "server/server_runner.h"

namespace warden::cli {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int Fail(const Status& st) {
  std::cerr << "warden: " << st.ToString() << "\n";
  return HttpStatusOf(st.code()) < 500 ? 2 : 1;
}

void RegisterInit(CLI::App& app, CommandContext& ctx) {
  auto opt = std::make_shared<node::InitOptions>();
  auto dev_key = std::make_shared<std::string>();
  auto schema_file = std::make_shared<std::string>();
  auto pkcs11 = std::make_shared<crypto::Pkcs11Options>();
  auto pin_file = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "init", "Create a store; print the unseal shares and the bootstrap token once");
  cmd->add_option("--data", opt->data_dir, "Data directory to create")->required();
  cmd->add_option("--store", opt->store_spec,
                  "PostgreSQL connection (postgres://...) instead of DIR/store");
  cmd->add_option("--shares", opt->shares, "Shamir shares to make (N)")->check(CLI::Range(1, 16));
  cmd->add_option("--threshold", opt->threshold, "Shares needed to unseal (K)")
      ->check(CLI::Range(1, 16));
  cmd->add_option("--dev-key-file", *dev_key, "DEVELOPMENT ONLY: keep the root key in this file");
  cmd->add_option("--pkcs11-module", pkcs11->module_path, "PKCS#11 module that wraps the root key");
  cmd->add_option("--pkcs11-token", pkcs11->token_label, "Token label");
  cmd->add_option("--pkcs11-pin-file", *pin_file, "File holding the token PIN (mode 0600)");
  cmd->add_option("--schema", *schema_file, "Schema file (default: the built-in registry schema)");
  cmd->callback([&ctx, opt, dev_key, schema_file, pkcs11, pin_file] {
    if (!dev_key->empty()) opt->dev_key_file = *dev_key;
    if (!pkcs11->module_path.empty()) {
      opt->pkcs11 = *pkcs11;
      StatusOr<SecretBytes> pin = pin_file->empty() ? crypto::ReadPinFromTerminal("Token PIN: ")
                                                    : crypto::ReadPinFile(*pin_file);
      if (!pin.ok()) {
        ctx.exit_code = Fail(pin.status());
        return;
      }
      opt->pkcs11_pin = std::move(pin).value();
    }
    if (!schema_file->empty()) {
      StatusOr<std::string> text = FileSystem::Default().ReadFile(*schema_file);
      if (!text.ok()) {
        ctx.exit_code = Fail(text.status());
        return;
      }
      opt->schema_text = *text;
    }
    StatusOr<node::InitResult> result = node::InitDataDir(*opt);
    if (!result.ok()) {
      ctx.exit_code = Fail(result.status());
      return;
    }
    std::cout << "Initialised " << opt->data_dir << " (root key sealed by "
              << crypto::SealModeName(result->config.mode) << ").\n\n";
    if (!result->shares.empty()) {
      std::cout << "Unseal shares: " << result->config.threshold << " of " << result->shares.size()
                << " are needed. Give each to a different person; they are shown only now.\n";
      for (size_t i = 0; i < result->shares.size(); ++i) {
        std::cout << "  share " << (i + 1) << ": " << result->shares[i] << "\n";
      }
      std::cout << "\n";
    }
    if (result->config.mode == crypto::SealMode::kDev)
      std::cout << crypto::kDevModeWarning << "\n\n";
    std::cout << "Bootstrap tokens: each creates one of the first two security officers, once.\n"
                 "Give them to two different people; every later grant of access needs both.\n";
    for (size_t i = 0; i < result->bootstrap_tokens.size(); ++i) {
      std::cout << "  bootstrap token " << (i + 1) << ": " << result->bootstrap_tokens[i].view()
                << "\n";
    }
  });
}

void RegisterServe(CLI::App& app, CommandContext& ctx) {
  auto opt = std::make_shared<server::ServeOptions>();
  auto listen = std::make_shared<std::string>("127.0.0.1:8443");
  CLI::App* cmd = app.add_subcommand("serve", "Run the server");
  cmd->add_option("--data", opt->data_dir, "Data directory made by warden init")->required();
  cmd->add_option("--listen", *listen, "Address and port (TLS required unless loopback)");
  cmd->add_option("--tls-cert", opt->tls_cert_file, "Certificate chain (PEM)");
  cmd->add_option("--tls-key", opt->tls_key_file, "Private key (PEM)");
  cmd->add_option("--store", opt->store_spec, "Store override (postgres://...)");
  cmd->add_option("--pkcs11-pin-file", opt->pkcs11_pin_file,
                  "PIN file to unseal a PKCS#11 store at start");
  cmd->add_option("--io-threads", opt->io_threads, "I/O threads (default: one per core)");
  access::PolicyCeiling& ceiling = opt->policy_ceiling;
  cmd->add_option("--max-result-cap", ceiling.result_cap,
                  "Most records any policy may let one search return")
      ->capture_default_str();
  cmd->add_option("--max-daily-reads", ceiling.daily_read_quota,
                  "Highest daily read quota any policy may set")
      ->capture_default_str();
  cmd->add_option("--max-daily-writes", ceiling.daily_write_quota,
                  "Highest daily write quota any policy may set")
      ->capture_default_str();
  cmd->add_option("--max-rate", ceiling.rate_per_second,
                  "Highest request rate (per second) any policy may set; the burst ceiling is "
                  "twice it")
      ->capture_default_str();
  cmd->add_option("--audit-ship-file", opt->audit_ship_files,
                  "Also append the signed audit checkpoints to this file, e.g. on an append-only "
                  "mount of another machine; may be repeated");
  cmd->add_option("--audit-syslog", opt->audit_syslog,
                  "Also send the signed audit checkpoints to a remote syslog collector, "
                  "tcp://HOST:PORT");
  cmd->add_option("--export-approvals", opt->export_approvals,
                  "Security officers, other than the requester, who must approve an export")
      ->capture_default_str()
      ->check(CLI::Range(1, 5));
  auto checkpoint_seconds = std::make_shared<double>(0);
  cmd->add_option("--audit-checkpoint-interval", *checkpoint_seconds,
                  "Seconds after which waiting audit entries are signed (default 1); a "
                  "checkpoint is also written every 1024 entries, at stop and at seal")
      ->check(CLI::Range(0.01, 3600.0));
  cmd->callback([&ctx, opt, listen, checkpoint_seconds] {
    if (*checkpoint_seconds > 0) {
      opt->audit_checkpoint_interval =
          std::chrono::milliseconds(static_cast<int64_t>(*checkpoint_seconds * 1000));
    }
    opt->policy_ceiling.burst =
        static_cast<int64_t>(std::max(2 * opt->policy_ceiling.rate_per_second, 1.0));
    const size_t colon = listen->rfind(':');
    if (colon == std::string::npos) {
      ctx.exit_code = Fail(InvalidArgument("--listen must be ADDRESS:PORT"));
      return;
    }
    opt->address = listen->substr(0, colon);
    if (opt->address.size() > 1 && opt->address.front() == '[')
      opt->address = opt->address.substr(1, opt->address.size() - 2);
    opt->port = static_cast<uint16_t>(std::stoi(listen->substr(colon + 1)));
    auto server = server::RunningServer::Start(*opt);
    if (!server.ok()) {
      ctx.exit_code = Fail(server.status());
      return;
    }
    std::cerr << "warden: serving on " << (*server)->url()
              << ((*server)->gate().sealed() ? " (sealed: submit shares with warden unseal)" : "")
              << "\n";
    signal(SIGINT, OnSignal);
    signal(SIGTERM, OnSignal);
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::cerr << "warden: shutting down\n";
    (*server)->Stop();
  });
}

void RegisterUnseal(CLI::App& app, CommandContext& ctx) {
  auto addr = std::make_shared<std::string>("https://127.0.0.1:8443");
  auto trust = std::make_shared<TlsTrust>();
  CLI::App* cmd = app.add_subcommand("unseal", "Submit one unseal share (read without echo)");
  cmd->add_option("--addr", *addr, "Server URL");
  cmd->add_flag("--insecure", trust->insecure, "Accept a self-signed certificate (demo)");
  cmd->add_option("--cacert", trust->ca_file,
                  "PEM file of the private CA that signed the server's certificate")
      ->check(CLI::ExistingFile);
  cmd->callback([&ctx, addr, trust] {
    SecretBytes share = ReadHiddenLine("Unseal share: ");
    nlohmann::json body = {{"share", std::string(share.view())}};
    StatusOr<HttpResult> result =
        HttpCall(*addr, "POST", "/v1/sys/unseal", {}, body.dump(), *trust);
    if (!result.ok()) {
      ctx.exit_code = Fail(result.status());
      return;
    }
    std::cout << result->body << "\n";
    ctx.exit_code = result->status == 200 ? 0 : 1;
  });
}

void RegisterTotp(CLI::App& app, CommandContext& ctx) {
  auto secret = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("totp", "Print the current TOTP code for a base32 secret (demo accounts)");
  cmd->add_option("secret", *secret, "Base32 TOTP secret")->required();
  cmd->callback([&ctx, secret] {
    std::optional<SecretBytes> key = access::Base32Decode(*secret);
    if (!key) {
      ctx.exit_code = Fail(InvalidArgument("not a base32 secret"));
      return;
    }
    std::cout << access::TotpCode(*key, Clock::Real().NowSeconds()) << "\n";
  });
}

}  // namespace

void RegisterServerCommands(CLI::App& app, CommandContext& ctx) {
  RegisterInit(app, ctx);
  RegisterServe(app, ctx);
  RegisterUnseal(app, ctx);
  RegisterTotp(app, ctx);
}

}  // namespace warden::cli
