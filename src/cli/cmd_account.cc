// `warden account …` and `warden apikey …`: account administration through
// a running server's API (/v1/admin/accounts…, /v1/admin/api-keys…), as a
// security officer. Every call is audited by the server; nothing here reads
// personal data.
//
// No one alone (SPEC §4): a new account, a data grant, a wider policy, an API
// key and a credential reset are requests that a second security officer
// approves with `warden account approve`. Officers never see a usable
// credential of another account: each of them prints one half of a new
// account's enrolment code, which its holder redeems with both halves to set
// their own password and second factor. The token comes from --token or
// WARDEN_TOKEN; an API key released by an approval is printed once.
//
// Exit codes (see server_api.h): 0 done; 1 the server refused, its error
// printed with the field and rule it names; 2 the command could not run.
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/server_api.h"
#include "core/file_system.h"

namespace warden::cli {
namespace {

using nlohmann::json;

constexpr std::string_view kRoles =
    "operator, security_officer, auditor, registrar, officer, investigator";
constexpr std::string_view kOperations =
    "lookup, search, search_by_name, reveal, write, erase, export_request";

// The options every account and apikey command takes, plus its own.
struct CallArgs {
  std::string command;  // "warden account create", for messages
  ServerArgs server;
  bool json = false;
};

// Prints a 2xx answer; returns the exit code.
using AnswerPrinter = std::function<int(const ApiAnswer&)>;

int CommandFail(const std::string& command, const std::string& what, int code) {
  std::cerr << command << ": " << what << "\n";
  return code;
}

// One call: 0 and `print` for a 2xx answer, 1 for any other answer, 2 when
// the call could not be made.
int RunCall(CallArgs& args, std::string_view method, const std::string& path, std::string_view body,
            const AnswerPrinter& print) {
  StatusOr<std::unique_ptr<ServerApi>> api = ServerApi::Connect(args.server);
  if (!api.ok()) return CommandFail(args.command, api.status().message(), 2);
  StatusOr<ApiAnswer> answer = (*api)->Call(method, path, body);
  if (!answer.ok()) return CommandFail(args.command, answer.status().message(), 2);
  if (!answer->ok()) return CommandFail(args.command, DescribeApiError(*answer), 1);
  if (args.json) {
    std::cout << (answer->json.is_discarded() ? json::object() : answer->json).dump(2) << "\n";
    return 0;
  }
  return print(*answer);
}

std::string Str(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Roles(const json& account) {
  std::string out;
  for (const json& r : account.value("roles", json::array())) {
    if (!out.empty()) out += ",";
    out += r.is_string() ? r.get<std::string>() : r.dump();
  }
  return out.empty() ? "-" : out;
}

std::string State(const json& account) {
  if (!account.value("suspended", false)) {
    const std::string state = Str(account, "state");
    return state.empty() ? "active" : state;
  }
  const std::string reason = Str(account, "suspended_reason");
  return reason.empty() ? "suspended" : "suspended (" + reason + ")";
}

// Left-aligned columns two spaces apart.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

// "name:  value" lines, names padded to one width.
void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [name, value] : fields) width = std::max(width, name.size());
  for (const auto& [name, value] : fields) {
    std::cout << name << ":" << std::string(width - name.size() + 1, ' ') << value << "\n";
  }
}

// The answer of a change (ChangeJson on the server): applied, or a request
// for a second officer, with this officer's half of an enrolment code.
int PrintChange(const json& j, std::string_view what) {
  std::vector<std::pair<std::string, std::string>> fields;
  if (j.contains("account_id")) fields.emplace_back("account_id", Str(j, "account_id"));
  if (j.value("applied", false)) {
    PrintFields(fields);
    std::cout << what << ": applied\n";
    return 0;
  }
  fields.emplace_back("request_id", Str(j, "request_id"));
  if (j.contains("enrolment_code_part")) {
    fields.emplace_back("enrolment_code_part", Str(j, "enrolment_code_part"));
  }
  PrintFields(fields);
  std::cout << what << ": waits for a second security officer, who runs\n"
            << "  warden account approve " << Str(j, "request_id") << "\n";
  if (j.contains("enrolment_code_part")) {
    std::cout << "Shown once: hand this half of the enrolment code to the account holder in "
                 "person;\nthe approving officer hands over the other half. The holder enrols "
                 "with both\n(console, or POST /v1/auth/enrol) and sets their own password.\n";
  }
  return 0;
}

std::string AccountPath(const std::string& id) { return "/v1/admin/accounts/" + UrlEncode(id); }

constexpr std::string_view kServerFooter =
    "Talks to a running server as a security officer: --addr URL, and a session token\n"
    "from --token or (better) the WARDEN_TOKEN variable. --cacert FILE trusts a\n"
    "private CA; --insecure accepts the demo's self-signed certificate.\n"
    "Exit codes: 0 done; 1 the server refused (its error names the field and rule); 2 the\n"
    "command could not run (options, token, connection).";

// Adds a subcommand of `parent` with the server options and --json; its help
// ends with `footer` (if any) and the connection and exit-code notes.
CLI::App* AddCall(CLI::App& parent, const std::string& name, const std::string& description,
                  CallArgs& args, bool json_flag = true, std::string_view footer = {}) {
  args.command = "warden " + parent.get_name() + " " + name;
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->footer(footer.empty() ? std::string(kServerFooter)
                             : std::string(footer) + "\n\n" + std::string(kServerFooter));
  AddServerOptions(*cmd, args.server);
  if (json_flag) cmd->add_flag("--json", args.json, "Print the server's answer as JSON");
  return cmd;
}

// ---- warden account ----

void RegisterList(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<CallArgs>();
  CLI::App* cmd = AddCall(account, "list", "List every account: id, username, roles, state", *args);
  cmd->callback([args, &ctx] {
    ctx.exit_code = RunCall(*args, "GET", "/v1/admin/accounts", "", [](const ApiAnswer& a) {
      std::vector<std::vector<std::string>> rows = {
          {"ACCOUNT ID", "USERNAME", "KIND", "ROLES", "STATE"}};
      for (const json& acc : a.json.value("accounts", json::array())) {
        rows.push_back({Str(acc, "account_id"), Str(acc, "username"), Str(acc, "kind"), Roles(acc),
                        State(acc)});
      }
      PrintTable(rows);
      return 0;
    });
  });
}

void RegisterShow(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<CallArgs>();
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = AddCall(account, "show", "Show one account", *args);
  cmd->add_option("id", *id, "Account id (from `warden account list`)")->required();
  cmd->callback([args, id, &ctx] {
    ctx.exit_code = RunCall(*args, "GET", AccountPath(*id), "", [](const ApiAnswer& a) {
      PrintFields({{"account_id", Str(a.json, "account_id")},
                   {"username", Str(a.json, "username")},
                   {"kind", Str(a.json, "kind")},
                   {"roles", Roles(a.json)},
                   {"state", State(a.json)}});
      return 0;
    });
  });
}

struct CreateArgs {
  CallArgs call;
  std::string username;
  std::vector<std::string> roles;
};

void RegisterCreate(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<CreateArgs>();
  CLI::App* cmd = AddCall(account, "create",
                          "Ask for a person's account; prints its id, the request a second "
                          "security officer approves, and one half of its enrolment code",
                          args->call, /*json_flag=*/true,
                          "No password is chosen here: the holder sets their own when enrolling "
                          "with\nboth halves of the code.");
  cmd->add_option("--username", args->username, "Login name")->required();
  cmd->add_option("--role", args->roles, "A role to hold (repeatable): " + std::string(kRoles));
  cmd->callback([args, &ctx] {
    const json body = {{"username", args->username}, {"roles", args->roles}};
    ctx.exit_code = RunCall(args->call, "POST", "/v1/admin/accounts", body.dump(),
                            [](const ApiAnswer& a) { return PrintChange(a.json, "account"); });
  });
}

struct ServiceArgs {
  CallArgs call;
  std::string name;
  std::vector<std::string> collections;
  std::string operations = "lookup";
  std::string policy_file;
  double rate_per_second = 0;
  int64_t burst = 0;
  int64_t daily_read_quota = 0;
  int64_t daily_write_quota = 0;
  int64_t result_cap = 0;
  std::vector<std::string> division_scope;
  std::vector<std::string> clear_fields;
  // Set by the parser; tell which of the numbers above were given.
  CLI::Option* rate_option = nullptr;
  CLI::Option* burst_option = nullptr;
  CLI::Option* read_quota_option = nullptr;
  CLI::Option* write_quota_option = nullptr;
  CLI::Option* result_cap_option = nullptr;
};

json OperationList(std::string_view text) {
  json ops = json::array();
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find(',', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view op = text.substr(at, end - at);
    while (!op.empty() && op.front() == ' ') op.remove_prefix(1);
    while (!op.empty() && op.back() == ' ') op.remove_suffix(1);
    if (!op.empty()) ops.push_back(std::string(op));
    at = end + 1;
  }
  return ops;
}

// The policy object of POST /v1/admin/accounts (access::DecodePolicy's
// shape): the policy file, then the flags, which win. The server validates it.
StatusOr<json> BuildPolicy(const ServiceArgs& args) {
  json policy = json::object();
  if (!args.policy_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, FileSystem::Default().ReadFile(args.policy_file));
    policy = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!policy.is_object()) {
      return FieldInvalid("--policy-file", "json_object", "the policy file must hold one object");
    }
  }
  if (!args.collections.empty()) {
    json& collections = policy["collections"];
    if (!collections.is_object()) collections = json::object();
    for (const std::string& spec : args.collections) {
      const size_t eq = spec.find('=');
      const std::string name = spec.substr(0, eq);
      collections[name] =
          OperationList(eq == std::string::npos ? std::string_view(args.operations)
                                                : std::string_view(spec).substr(eq + 1));
    }
  }
  if (args.rate_option->count() > 0) policy["rate_per_second"] = args.rate_per_second;
  if (args.burst_option->count() > 0) policy["burst"] = args.burst;
  if (args.read_quota_option->count() > 0) policy["daily_read_quota"] = args.daily_read_quota;
  if (args.write_quota_option->count() > 0) policy["daily_write_quota"] = args.daily_write_quota;
  if (args.result_cap_option->count() > 0) policy["result_cap"] = args.result_cap;
  if (!args.division_scope.empty()) policy["division_scope"] = args.division_scope;
  if (!args.clear_fields.empty()) policy["clear_fields"] = args.clear_fields;
  if (!policy.contains("collections")) {
    return FieldInvalid("--collection", "required",
                        "a service account needs at least one --collection");
  }
  return policy;
}

void RegisterCreateService(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ServiceArgs>();
  CLI::App* cmd = AddCall(account, "create-service",
                          "Create a service account whose policy names the collections and "
                          "operations it may use; then issue it a key with `apikey create`",
                          args->call, /*json_flag=*/true,
                          "Example: warden account create-service courier-sync --collection "
                          "deliveries=lookup,write\n         --daily-read-quota 5000 --addr "
                          "https://warden:8443");
  cmd->add_option("name", args->name, "Service name")->required();
  cmd->add_option("--collection", args->collections,
                  "COLLECTION or COLLECTION=OP,OP (repeatable); without =OPs it gets --operations")
      ->required();
  cmd->add_option("--operations", args->operations,
                  "Operations for a --collection given without its own (default lookup): " +
                      std::string(kOperations));
  args->rate_option =
      cmd->add_option("--rate-per-second", args->rate_per_second, "Requests per second");
  args->burst_option = cmd->add_option("--burst", args->burst, "Requests allowed at once");
  args->read_quota_option = cmd->add_option("--daily-read-quota", args->daily_read_quota,
                                            "Records (and revealed fields) read per UTC day");
  args->write_quota_option = cmd->add_option("--daily-write-quota", args->daily_write_quota,
                                             "Records written or erased per UTC day");
  args->result_cap_option =
      cmd->add_option("--result-cap", args->result_cap, "Most records one search returns");
  cmd->add_option("--division-scope", args->division_scope,
                  "Six-digit division code the service is limited to (repeatable)");
  cmd->add_option("--clear-field", args->clear_fields,
                  "collection.field the service sees unmasked (repeatable)");
  cmd->add_option("--policy-file", args->policy_file,
                  "JSON policy object to start from (the flags override its fields)")
      ->check(CLI::ExistingFile);
  cmd->callback([args, &ctx] {
    StatusOr<json> policy = BuildPolicy(*args);
    if (!policy.ok()) {
      ctx.exit_code = CommandFail(args->call.command, policy.status().ToString(), 2);
      return;
    }
    const json body = {{"service", args->name}, {"policy", *policy}};
    ctx.exit_code =
        RunCall(args->call, "POST", "/v1/admin/accounts", body.dump(), [](const ApiAnswer& a) {
          PrintChange(a.json, "service account");
          std::cout << "Then ask for its key with: warden apikey create --account "
                    << Str(a.json, "account_id") << "\n";
          return 0;
        });
  });
}

// An account change: PATCH /v1/admin/accounts/ID with one {change: value}.
struct ChangeArgs {
  CallArgs call;
  std::string id;
  std::string value;
};

void RegisterGrant(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ChangeArgs>();
  CLI::App* cmd = AddCall(account, "grant",
                          "Grant a role; data roles and security_officer wait for a second "
                          "security officer",
                          args->call);
  cmd->add_option("id", args->id, "Account id")->required();
  cmd->add_option("role", args->value, "Role: " + std::string(kRoles))->required();
  cmd->callback([args, &ctx] {
    const json body = {{"grant", args->value}};
    ctx.exit_code = RunCall(
        args->call, "PATCH", AccountPath(args->id), body.dump(),
        [args](const ApiAnswer& a) { return PrintChange(a.json, "grant of " + args->value); });
  });
}

void RegisterRequests(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<CallArgs>();
  CLI::App* cmd =
      AddCall(account, "requests", "List changes waiting for a second security officer", *args);
  cmd->callback([args, &ctx] {
    ctx.exit_code = RunCall(*args, "GET", "/v1/admin/requests", "", [](const ApiAnswer& a) {
      std::vector<std::vector<std::string>> rows = {
          {"REQUEST ID", "KIND", "ACCOUNT", "USERNAME", "ROLE", "REQUESTED BY", "EXPIRES"}};
      for (const json& r : a.json.value("requests", json::array())) {
        rows.push_back({Str(r, "request_id"), Str(r, "kind"), Str(r, "account_id"),
                        Str(r, "username"), Str(r, "role"), Str(r, "requested_by"),
                        Str(r, "expires_at")});
      }
      PrintTable(rows);
      return 0;
    });
  });
}

void RegisterApprove(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ChangeArgs>();
  CLI::App* cmd = AddCall(account, "approve",
                          "Approve a change another security officer asked for; prints what it "
                          "releases (the other half of an enrolment code, or an API key) once",
                          args->call);
  cmd->add_option("request_id", args->id, "Request id (from `account requests`)")->required();
  cmd->callback([args, &ctx] {
    const std::string path = "/v1/admin/requests/" + UrlEncode(args->id) + "/approve";
    ctx.exit_code = RunCall(args->call, "POST", path, "{}", [args](const ApiAnswer& a) {
      std::vector<std::pair<std::string, std::string>> fields = {
          {"kind", Str(a.json, "kind")}, {"account_id", Str(a.json, "account_id")}};
      for (const char* secret : {"enrolment_code_part", "key_id", "api_key", "expires_at"}) {
        if (a.json.contains(secret)) fields.emplace_back(secret, Str(a.json, secret));
      }
      PrintFields(fields);
      std::cout << "approved " << args->id << "\n";
      if (a.json.contains("enrolment_code_part")) {
        std::cout << "Shown once: hand this half of the enrolment code to the account holder "
                     "in person.\n";
      }
      if (a.json.contains("api_key")) {
        std::cout << "Shown once: store the key in the service's secret store now; the server "
                     "keeps only its hash.\n";
      }
      return 0;
    });
  });
}

void RegisterReject(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ChangeArgs>();
  CLI::App* cmd = AddCall(account, "reject", "Drop a pending change request", args->call);
  cmd->add_option("request_id", args->id, "Request id (from `account requests`)")->required();
  cmd->callback([args, &ctx] {
    const std::string path = "/v1/admin/requests/" + UrlEncode(args->id) + "/reject";
    ctx.exit_code = RunCall(args->call, "POST", path, "{}", [args](const ApiAnswer&) {
      std::cout << "rejected " << args->id << "\n";
      return 0;
    });
  });
}

void RegisterRevoke(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ChangeArgs>();
  CLI::App* cmd = AddCall(account, "revoke", "Take a role away from an account", args->call);
  cmd->add_option("id", args->id, "Account id")->required();
  cmd->add_option("role", args->value, "Role: " + std::string(kRoles))->required();
  cmd->callback([args, &ctx] {
    const json body = {{"revoke", args->value}};
    ctx.exit_code =
        RunCall(args->call, "PATCH", AccountPath(args->id), body.dump(), [args](const ApiAnswer&) {
          std::cout << "revoked " << args->value << " from " << args->id << "\n";
          return 0;
        });
  });
}

void RegisterSuspend(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ChangeArgs>();
  CLI::App* cmd =
      AddCall(account, "suspend", "Suspend an account: its sessions and keys stop working at once",
              args->call);
  cmd->add_option("id", args->id, "Account id")->required();
  cmd->add_option("--reason", args->value, "Why (kept with the account, at most 200 characters)")
      ->required();
  cmd->callback([args, &ctx] {
    const json body = {{"suspend", args->value}};
    ctx.exit_code =
        RunCall(args->call, "PATCH", AccountPath(args->id), body.dump(), [args](const ApiAnswer&) {
          std::cout << "suspended " << args->id << "\n";
          return 0;
        });
  });
}

void RegisterReinstate(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ChangeArgs>();
  CLI::App* cmd = AddCall(account, "reinstate", "Lift an account's suspension", args->call);
  cmd->add_option("id", args->id, "Account id")->required();
  cmd->callback([args, &ctx] {
    const json body = {{"reinstate", true}};
    ctx.exit_code =
        RunCall(args->call, "PATCH", AccountPath(args->id), body.dump(), [args](const ApiAnswer&) {
          std::cout << "reinstated " << args->id << "\n";
          return 0;
        });
  });
}

void RegisterResetCredentials(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ChangeArgs>();
  CLI::App* cmd = AddCall(account, "reset-credentials",
                          "Ask to void a person's password and second factor (lost device); once "
                          "approved the holder enrols again with a new two-half code",
                          args->call);
  cmd->add_option("id", args->id, "Account id")->required();
  cmd->callback([args, &ctx] {
    const json body = {{"reset_credentials", true}};
    ctx.exit_code = RunCall(args->call, "PATCH", AccountPath(args->id), body.dump(),
                            [](const ApiAnswer& a) { return PrintChange(a.json, "reset"); });
  });
}

void RegisterUnlock(CLI::App& account, CommandContext& ctx) {
  auto args = std::make_shared<ChangeArgs>();
  CLI::App* cmd =
      AddCall(account, "unlock", "Unlock an account locked or suspended, e.g. after failed logins",
              args->call);
  cmd->add_option("id", args->id, "Account id")->required();
  cmd->callback([args, &ctx] {
    ctx.exit_code = RunCall(args->call, "POST", AccountPath(args->id) + "/unlock", "{}",
                            [args](const ApiAnswer&) {
                              std::cout << "unlocked " << args->id << "\n";
                              return 0;
                            });
  });
}

// ---- warden apikey ----

struct ApiKeyArgs {
  CallArgs call;
  std::string account;
  std::string key_id;
  int ttl_days = 0;
  CLI::Option* ttl_option = nullptr;
};

void RegisterApiKeyCreate(CLI::App& apikey, CommandContext& ctx) {
  auto args = std::make_shared<ApiKeyArgs>();
  CLI::App* cmd =
      AddCall(apikey, "create",
              "Ask for an API key for a service account; the approving security officer "
              "receives it once",
              args->call, /*json_flag=*/true,
              "The server keeps only a hash of the key. The service sends it as\n"
              "`Authorization: Bearer KEY`.");
  cmd->add_option("--account", args->account, "Service account id (from account create-service)")
      ->required();
  args->ttl_option = cmd->add_option("--ttl-days", args->ttl_days,
                                     "Days until the key expires, 1-366 (default: the server's)");
  cmd->callback([args, &ctx] {
    json body = {{"account", args->account}};
    if (args->ttl_option->count() > 0) body["ttl_days"] = args->ttl_days;
    ctx.exit_code = RunCall(args->call, "POST", "/v1/admin/api-keys", body.dump(),
                            [](const ApiAnswer& a) { return PrintChange(a.json, "API key"); });
  });
}

void RegisterApiKeyRevoke(CLI::App& apikey, CommandContext& ctx) {
  auto args = std::make_shared<ApiKeyArgs>();
  CLI::App* cmd = AddCall(apikey, "revoke", "Revoke an API key at once", args->call,
                          /*json_flag=*/false);
  cmd->add_option("key_id", args->key_id, "Key id (not the key itself)")->required();
  cmd->callback([args, &ctx] {
    ctx.exit_code = RunCall(args->call, "DELETE", "/v1/admin/api-keys/" + UrlEncode(args->key_id),
                            "", [args](const ApiAnswer&) {
                              std::cout << "revoked " << args->key_id << "\n";
                              return 0;
                            });
  });
}

// A time of the listing, or "never" for the zero time of a key not yet used.
std::string TimeOrNever(const json& key, const char* field) {
  const std::string t = Str(key, field);
  return t.empty() || t.starts_with("1970-01-01T00:00:00") ? "never" : t;
}

void RegisterApiKeyList(CLI::App& apikey, CommandContext& ctx) {
  auto args = std::make_shared<ApiKeyArgs>();
  CLI::App* cmd =
      AddCall(apikey, "list", "List live API keys (ids and times, never the keys)", args->call);
  cmd->add_option("--account", args->account, "Only the keys of this account");
  cmd->callback([args, &ctx] {
    std::string path = "/v1/admin/api-keys";
    if (!args->account.empty()) path += "?account=" + UrlEncode(args->account);
    ctx.exit_code = RunCall(args->call, "GET", path, "", [](const ApiAnswer& a) {
      std::vector<std::vector<std::string>> rows = {
          {"KEY ID", "ACCOUNT ID", "CREATED", "EXPIRES", "LAST USED"}};
      for (const json& k : a.json.value("api_keys", json::array())) {
        rows.push_back({Str(k, "key_id"), Str(k, "account_id"), Str(k, "created"),
                        Str(k, "expires_at"), TimeOrNever(k, "last_used")});
      }
      PrintTable(rows);
      return 0;
    });
  });
}

}  // namespace

void RegisterAccountCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* account =
      app.add_subcommand("account", "Administer accounts through the API (security officer)");
  account->require_subcommand(1);
  account->footer(std::string(kServerFooter));
  RegisterList(*account, ctx);
  RegisterShow(*account, ctx);
  RegisterCreate(*account, ctx);
  RegisterCreateService(*account, ctx);
  RegisterGrant(*account, ctx);
  RegisterRequests(*account, ctx);
  RegisterApprove(*account, ctx);
  RegisterReject(*account, ctx);
  RegisterRevoke(*account, ctx);
  RegisterSuspend(*account, ctx);
  RegisterReinstate(*account, ctx);
  RegisterResetCredentials(*account, ctx);
  RegisterUnlock(*account, ctx);

  CLI::App* apikey = app.add_subcommand(
      "apikey", "Issue, list and revoke service accounts' API keys (security officer)");
  apikey->require_subcommand(1);
  apikey->footer(std::string(kServerFooter));
  RegisterApiKeyCreate(*apikey, ctx);
  RegisterApiKeyRevoke(*apikey, ctx);
  RegisterApiKeyList(*apikey, ctx);
}

}  // namespace warden::cli
