// `warden demo`: one command from a fresh checkout to a working Warden — a
// throwaway data directory, Shamir 3-of-5 init with the shares used at once to
// unseal, a self-signed certificate, synthetic persons, cases and deliveries
// with a few canaries, demo accounts of every role, the server on
// https://127.0.0.1:8443, and a walkthrough whose curl lines work as printed.
//
// Everything here is synthetic; the demo accounts' passwords and TOTP secrets
// are printed because they are demo accounts.
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <unordered_set>

#include "access/totp.h"
#include "cli/commands.h"
#include "core/file_system.h"
#include "http/tls.h"
#include "node/data_dir.h"
#include "schema/generator.h"
#include "schema/record.h"
#include "server/server_runner.h"

namespace warden::cli {
namespace {

std::atomic<bool> g_demo_stop{false};
void OnDemoSignal(int) { g_demo_stop = true; }

struct DemoOptions {
  std::string data_dir;
  uint16_t port = 8443;
  uint64_t persons = 100'000;
  uint64_t seed = 2022;
  uint64_t canaries = 5;
  bool exit_after_start = false;  // for tests: start, print, stop
};

struct DemoAccount {
  std::string username;
  std::string password;
  std::string totp_secret;
  std::string role;
};

// Loads synthetic records straight into a fresh store: validated like any
// write, sealed through the barrier, written with the store's bulk loader.
template <typename Generator, typename Row>
StatusOr<uint64_t> LoadGenerated(node::UnsealedServices& services, Store& store,
                                 const schema::CollectionSchema& collection, Generator& gen,
                                 uint64_t count) {
  ASSIGN_OR_RETURN(std::unique_ptr<BulkLoader> loader, store.StartBulkLoad());
  Row row;
  for (uint64_t i = 0; i < count; ++i) {
    gen.At(i, row);
    ASSIGN_OR_RETURN(schema::Record record,
                     schema::ValidateRecord(collection, row.ToJson(), Clock::Real()));
    ASSIGN_OR_RETURN(auto entries, services.barrier->Encode(collection, record));
    for (const auto& [space, kv] : entries) RETURN_IF_ERROR(loader->Add(space, kv.key, kv.value));
  }
  RETURN_IF_ERROR(loader->Finish());
  return count;
}

StatusOr<access::Principal> LoginAs(access::AccessControl& access, const DemoAccount& account) {
  std::optional<SecretBytes> secret = access::Base32Decode(account.totp_secret);
  if (!secret) return Internal("bad demo TOTP secret");
  ASSIGN_OR_RETURN(
      access::IssuedToken token,
      access.authenticator().Login(account.username, SecretBytes::CopyFrom(account.password),
                                   access::TotpCode(*secret, Clock::Real().NowSeconds()), "demo"));
  return access.authenticator().Authenticate(token.token.view(), "demo");
}

std::string DemoPassword(std::string_view role) {
  SecretBytes random = SecretBytes::Random(9);
  return std::string(role) + "-" + std::string(access::Base32Encode(random).view()).substr(0, 12);
}

// Creates one account of every role the way a deployment does: the two
// bootstrap tokens make the first two security officers; every other account
// is asked for by one, approved by the other, and enrolled by its holder with
// the two halves of its code (G7).
StatusOr<std::vector<DemoAccount>> CreateDemoAccounts(
    access::AccessControl& access, const std::vector<SecretBytes>& bootstrap_tokens) {
  if (bootstrap_tokens.size() != 2) return Internal("init made no pair of bootstrap tokens");
  std::vector<DemoAccount> accounts;
  for (size_t i = 0; i < 2; ++i) {
    const std::string name = i == 0 ? "security" : "security2";
    DemoAccount officer{name, DemoPassword(name), "", "security_officer"};
    ASSIGN_OR_RETURN(access::Enrollment e,
                     access.authenticator().Bootstrap(bootstrap_tokens[i], officer.username,
                                                      SecretBytes::CopyFrom(officer.password)));
    officer.totp_secret = std::string(e.totp_secret_base32.view());
    accounts.push_back(officer);
  }
  ASSIGN_OR_RETURN(access::Principal requester, LoginAs(access, accounts[0]));
  ASSIGN_OR_RETURN(access::Principal approver, LoginAs(access, accounts[1]));

  auto create = [&](std::string name, access::Role role) -> Status {
    DemoAccount a{name, DemoPassword(name), "", std::string(access::RoleName(role))};
    ASSIGN_OR_RETURN(access::ChangeResult asked, access.administration().CreateHumanAccount(
                                                     requester, a.username, access::RoleSet{role}));
    ASSIGN_OR_RETURN(access::ApprovalResult approved,
                     access.administration().ApproveRequest(approver, asked.request_id));
    ASSIGN_OR_RETURN(
        access::Enrollment en,
        access.authenticator().Enrol(a.username, asked.enrolment_part, approved.enrolment_part,
                                     SecretBytes::CopyFrom(a.password)));
    a.totp_secret = std::string(en.totp_secret_base32.view());
    accounts.push_back(a);
    return Status::Ok();
  };
  RETURN_IF_ERROR(create("operator", access::Role::kOperator));
  RETURN_IF_ERROR(create("auditor", access::Role::kAuditor));
  RETURN_IF_ERROR(create("registrar", access::Role::kRegistrar));
  RETURN_IF_ERROR(create("officer", access::Role::kOfficer));
  RETURN_IF_ERROR(create("investigator", access::Role::kInvestigator));
  return accounts;
}

void PrintWalkthrough(const std::string& url, const std::string& data_dir,
                      const std::vector<DemoAccount>& accounts, const schema::PersonRecord& person,
                      const std::string& warden) {
  const std::string cacert = "--cacert " + node::TlsDir(data_dir) + "/cert.pem";
  std::cout << "\nWarden demo is running at " << url << "  (console: " << url << "/console)\n\n"
            << "Demo accounts (synthetic; TOTP codes: " << warden << " totp SECRET):\n";
  for (const DemoAccount& a : accounts) {
    std::cout << "  " << a.role << std::string(18 - std::min<size_t>(17, a.role.size()), ' ')
              << "user " << a.username << "  password " << a.password << "  totp secret "
              << a.totp_secret << "\n";
  }
  const DemoAccount& officer = accounts[5];
  const DemoAccount& auditor = accounts[3];
  // The answer is kept so a refused login shows its error (a one-time code
  // works once: a second run within 30 s is told to wait for the next code)
  // instead of putting the error into the token variable.
  auto login = [&](const DemoAccount& a, const std::string& var) {
    return "ANSWER=$(curl -s " + cacert + " " + url +
           "/v1/auth/login -H 'Content-Type: application/json' -d \"{\\\"username\\\":\\\"" +
           a.username + "\\\",\\\"password\\\":\\\"" + a.password + "\\\",\\\"totp\\\":\\\"$(" +
           warden + " totp " + a.totp_secret + ")\\\"}\"); " + var +
           "=$(echo \"$ANSWER\" | sed -nE " + "'s/.*\"token\":\"([^\"]+)\".*/\\1/p'); [ -n \"$" +
           var + "\" ] && echo 'logged in' || echo \"$ANSWER\"\n";
  };
  std::cout << "\nTry it (copy and paste):\n\n"
            << "  # nothing without a password: the 2022 dashboard's failure\n"
            << "  curl -s " << cacert << " " << url << "/v1/persons/" << person.national_id
            << "\n\n"
            << "  # log in as the officer (password + TOTP; each code works once, so to log in\n"
            << "  # again wait for the next code, a new one every 30 s)\n  "
            << login(officer, "TOKEN") << "\n"
            << "  # no purpose, no data\n"
            << "  curl -s " << cacert << " -H \"Authorization: Bearer $TOKEN\" " << url
            << "/v1/persons/" << person.national_id << "\n\n"
            << "  # a look-up with a stated purpose: masked, audited\n"
            << "  curl -s " << cacert
            << " -H \"Authorization: Bearer $TOKEN\" -H 'Warden-Purpose: case/DEMO-1' " << url
            << "/v1/persons/" << person.national_id << "\n\n"
            << "  # the person's cases\n"
            << "  curl -s " << cacert
            << " -H \"Authorization: Bearer $TOKEN\" -H 'Warden-Purpose: case/DEMO-1' " << url
            << "/v1/persons/" << person.national_id << "/cases\n\n"
            << "  # search by phone\n"
            << "  curl -s " << cacert
            << " -H \"Authorization: Bearer $TOKEN\" -H 'Warden-Purpose: case/DEMO-1' "
            << "-H 'Content-Type: application/json' -d '{\"phone\":\"" << person.phones[0]
            << "\"}' " << url << "/v1/persons/search\n\n"
            << "  # the auditor sees who read it, when and why\n  " << login(auditor, "AUDIT")
            << "\n"
            << "  curl -s " << cacert
            << " -H \"Authorization: Bearer $AUDIT\" -H 'Warden-Purpose: audit/DEMO-1' " << url
            << "/v1/persons/" << person.national_id << "/access-report\n"
            << "  curl -s " << cacert << " -H \"Authorization: Bearer $AUDIT\" " << url
            << "/v1/audit/verify\n\n"
            << "Data directory: " << data_dir << " (throwaway). Press Ctrl-C to stop.\n"
            << std::flush;
}

// What the demo's certificate is and how to trust it, said once instead of a
// near-expiry warning at every start.
void PrintCertificateNote(const std::string& cert, int valid_days) {
  std::cout << "Made a self-signed TLS certificate for this demo only (127.0.0.1, ::1 and "
               "localhost, valid "
            << valid_days << " days):\n"
            << "  " << cert << "\n"
            << "  curl trusts it with --cacert " << cert << " (the lines below do);\n"
            << "  a browser warns until you accept it once for this address (it is not signed by "
               "an authority).\n";
}

// A person to try: the first who is not a canary and is named in a case, so
// the walkthrough's cases call finds some; the first non-canary if no case
// names anyone.
schema::PersonRecord DemoPerson(const schema::PersonGenerator& persons,
                                const schema::CaseGenerator& cases, uint64_t person_count,
                                uint64_t case_count,
                                const std::unordered_set<uint64_t>& canary_indexes) {
  std::unordered_set<std::string> in_cases;
  schema::CaseRecord c;
  for (uint64_t i = 0; i < case_count; ++i) {
    cases.At(i, c);
    for (int p = 0; p < c.person_count; ++p) in_cases.insert(c.persons[p].national_id);
  }
  schema::PersonRecord person;
  std::optional<uint64_t> fallback;
  for (uint64_t i = 0; i < person_count; ++i) {
    if (canary_indexes.count(i)) continue;
    if (!fallback) fallback = i;
    persons.At(i, person);
    if (in_cases.count(person.national_id)) return person;
  }
  persons.At(fallback.value_or(0), person);
  return person;
}

Status RunDemo(const DemoOptions& opt, const std::string& warden_path) {
  std::string data_dir = opt.data_dir;
  if (data_dir.empty()) {
    char tmpl[] = "/tmp/warden-demo-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return Internal("cannot create a temporary directory");
    data_dir = std::string(tmpl) + "/data";
  }
  node::InitOptions init;
  init.data_dir = data_dir;
  init.shares = 5;
  init.threshold = 3;
  ASSIGN_OR_RETURN(node::InitResult initialised, node::InitDataDir(init));
  std::cout << "Initialised " << data_dir << "; root key split into 5 shares, 3 needed:\n";
  for (size_t i = 0; i < initialised.shares.size(); ++i) {
    std::cout << "  share " << (i + 1) << ": " << initialised.shares[i] << "\n";
  }

  ASSIGN_OR_RETURN(http::TlsCredentials tls, http::GenerateSelfSignedCertificate());
  RETURN_IF_ERROR(FileSystem::Default().CreateDirs(node::TlsDir(data_dir), 0700));
  const std::string cert = node::TlsDir(data_dir) + "/cert.pem";
  const std::string key = node::TlsDir(data_dir) + "/key.pem";
  RETURN_IF_ERROR(http::WriteTlsCredentials(FileSystem::Default(), tls, cert, key));
  PrintCertificateNote(cert, http::SelfSignedOptions{}.valid_days);

  server::ServeOptions serve;
  serve.data_dir = data_dir;
  serve.port = opt.port;
  serve.tls_cert_file = cert;
  serve.tls_key_file = key;
  serve.warn_certificate_expiry = false;  // said above: a throwaway, self-signed certificate
  ASSIGN_OR_RETURN(std::unique_ptr<server::RunningServer> server,
                   server::RunningServer::Start(serve));
  for (int i = 0; i < 3; ++i) {
    ASSIGN_OR_RETURN(crypto::UnsealProgress p, server->gate().SubmitShare(initialised.shares[i]));
    std::cout << "Unseal: share " << (i + 1) << " accepted (" << p.progress << "/" << p.threshold
              << ")\n";
  }
  std::shared_ptr<node::UnsealedServices> services = server->gate().services();
  if (services == nullptr) return Internal("the demo server did not unseal");

  ASSIGN_OR_RETURN(std::vector<DemoAccount> accounts,
                   CreateDemoAccounts(*services->access, initialised.bootstrap_tokens));

  const schema::Schema& schema = server->schema();
  const auto t0 = std::chrono::steady_clock::now();
  schema::PersonGenerator persons(opt.seed);
  schema::CaseGenerator cases(opt.seed, opt.persons);
  schema::DeliveryGenerator deliveries(opt.seed, opt.persons);
  ASSIGN_OR_RETURN(uint64_t np,
                   (LoadGenerated<schema::PersonGenerator, schema::PersonRecord>(
                       *services, server->store(), *schema.Find("persons"), persons, opt.persons)));
  ASSIGN_OR_RETURN(uint64_t nc, (LoadGenerated<schema::CaseGenerator, schema::CaseRecord>(
                                    *services, server->store(), *schema.Find("cases"), cases,
                                    opt.persons / 10)));
  ASSIGN_OR_RETURN(uint64_t nd, (LoadGenerated<schema::DeliveryGenerator, schema::DeliveryRecord>(
                                    *services, server->store(), *schema.Find("deliveries"),
                                    deliveries, opt.persons / 5)));
  ASSIGN_OR_RETURN(auto canary_indexes,
                   schema::ChooseCanaries(opt.seed, opt.persons, opt.canaries));
  std::vector<std::string> canary_keys;
  for (uint64_t i : canary_indexes) {
    std::string id;
    persons.NationalIdAt(i, id);
    canary_keys.push_back(id);
  }
  RETURN_IF_ERROR(services->access->tripwires().RegisterCanariesOffline("persons", canary_keys));
  audit::AuditEvent loaded;
  loaded.action = audit::AuditAction::kImport;
  loaded.actor.account = "system";
  loaded.actor.purpose_kind = "import";
  loaded.result_count = np + nc + nd;
  loaded.detail = "demo: synthetic persons, cases and deliveries";
  RETURN_IF_ERROR(services->audit->Append(loaded).status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "Loaded " << np << " persons, " << nc << " cases, " << nd
            << " deliveries (synthetic) and " << canary_keys.size() << " canaries in "
            << static_cast<int>(seconds * 10) / 10.0 << " s\n";

  const schema::PersonRecord person = DemoPerson(persons, cases, opt.persons, nc, canary_indexes);
  PrintWalkthrough(server->url(), data_dir, accounts, person, warden_path);
  if (opt.exit_after_start) return Status::Ok();
  signal(SIGINT, OnDemoSignal);
  signal(SIGTERM, OnDemoSignal);
  while (!g_demo_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cout << "\nStopping.\n";
  return Status::Ok();
}

}  // namespace

void RegisterDemoCommand(CLI::App& app, CommandContext& ctx) {
  auto opt = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Run a local demo server with synthetic data");
  cmd->add_option("--data", opt->data_dir, "Data directory (default: a new temporary one)");
  cmd->add_option("--port", opt->port, "Port on 127.0.0.1");
  cmd->add_option("--persons", opt->persons, "Synthetic persons to load");
  cmd->add_option("--seed", opt->seed, "Seed of the synthetic data");
  cmd->add_flag("--exit-after-start", opt->exit_after_start, "Start, print the walkthrough, stop");
  CLI::App* root = &app;
  cmd->callback([&ctx, opt, root] {
    // The walkthrough names this very binary, so its lines work as printed.
    const std::string warden_path = root->get_name().empty() ? "warden" : root->get_name();
    Status st = RunDemo(*opt, warden_path);
    if (!st.ok()) {
      std::cerr << "warden demo: " << st.ToString() << "\n";
      ctx.exit_code = 1;
    }
  });
}

}  // namespace warden::cli
