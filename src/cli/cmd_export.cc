// `warden export …`: the two-person export of SPEC G4 through a running
// server's API (/v1/exports…). A registrar or investigator asks for records
// to be exported to a recipient a security officer registered; a security
// officer who is not the requester approves (or rejects); the requester
// downloads the file once, encrypted to the recipient with age, and the
// recipient opens it with `age -d -i IDENTITY`. Every call is audited by the
// server.
//
// Exit codes (see server_api.h): 0 done; 1 the server refused, its error
// printed with the field and rule it names; 2 the command could not run.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/server_api.h"

namespace warden::cli {
namespace {

using nlohmann::json;

struct ExportArgs {
  std::string command;
  ServerArgs server;
  bool json = false;
  std::vector<std::string> headers;
};

int Fail(const std::string& command, const std::string& what, int code) {
  std::cerr << command << ": " << what << "\n";
  return code;
}

std::string Str(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Joined(const json& list) {
  std::string out;
  for (const json& v : list)
    out += (out.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out.empty() ? "-" : out;
}

void PrintJob(const json& j) {
  std::cout << "export:     " << Str(j, "id") << "\n"
            << "state:      " << Str(j, "state")
            << (Str(j, "failure").empty() ? "" : " (" + Str(j, "failure") + ")") << "\n"
            << "collection: " << Str(j, "collection") << ", " << Str(j, "records_requested")
            << " records, fields " << Joined(j.value("fields", json::array())) << "\n"
            << "requester:  " << Str(j, "requester") << " (" << Str(j, "requester_role") << ", "
            << Str(j, "purpose_kind") << ")\n"
            << "recipient:  " << Str(j, "recipient_id") << "\n"
            << "approvers:  " << Joined(j.value("approvers", json::array())) << " of "
            << Str(j, "approvals_required") << " required\n"
            << "key list:   sha256 " << Str(j, "key_list_sha256") << "\n";
}

// One call; `print` runs on a 2xx answer.
int Run(ExportArgs& args, std::string_view method, const std::string& path, std::string_view body,
        const std::function<int(const ApiAnswer&)>& print) {
  StatusOr<std::unique_ptr<ServerApi>> api = ServerApi::Connect(args.server);
  if (!api.ok()) return Fail(args.command, api.status().message(), 2);
  StatusOr<ApiAnswer> answer = (*api)->Call(method, path, body, args.headers);
  if (!answer.ok()) return Fail(args.command, answer.status().message(), 2);
  if (!answer->ok()) return Fail(args.command, DescribeApiError(*answer), 1);
  if (args.json && !answer->json.is_discarded()) {
    std::cout << answer->json.dump(2) << "\n";
    return 0;
  }
  return print(*answer);
}

CLI::App* AddCall(CLI::App& parent, const std::string& name, const std::string& description,
                  ExportArgs& args) {
  args.command = "warden export " + name;
  CLI::App* cmd = parent.add_subcommand(name, description);
  AddServerOptions(*cmd, args.server);
  cmd->add_flag("--json", args.json, "Print the server's answer as JSON");
  return cmd;
}

int PrintJobAnswer(const ApiAnswer& a) {
  PrintJob(a.json);
  return 0;
}

void RegisterRecipientCommands(CLI::App& exp, CommandContext& ctx) {
  struct Args {
    ExportArgs call;
    std::string name, organisation, owner, key;
  };
  auto add = std::make_shared<Args>();
  CLI::App* cmd = AddCall(exp, "recipient-add",
                          "Register a recipient's age public key (security officer)", add->call);
  cmd->add_option("--name", add->name, "What the recipient is called")->required();
  cmd->add_option("--organisation", add->organisation, "The organisation receiving")->required();
  cmd->add_option("--owner", add->owner, "Who holds the private key")->required();
  cmd->add_option("--key", add->key, "The age X25519 recipient, age1...")->required();
  cmd->callback([add, &ctx] {
    const json body = {{"name", add->name},
                       {"organisation", add->organisation},
                       {"owner", add->owner},
                       {"public_key", add->key}};
    ctx.exit_code =
        Run(add->call, "POST", "/v1/exports/recipients", body.dump(), [](const ApiAnswer& a) {
          std::cout << "recipient " << Str(a.json, "id") << " registered\n";
          return 0;
        });
  });
  auto list = std::make_shared<ExportArgs>();
  CLI::App* ls = AddCall(exp, "recipients", "List the registered recipients", *list);
  ls->callback([list, &ctx] {
    ctx.exit_code = Run(*list, "GET", "/v1/exports/recipients", "", [](const ApiAnswer& a) {
      for (const json& r : a.json.value("recipients", json::array())) {
        std::cout << Str(r, "id") << "  " << Str(r, "name") << "  (" << Str(r, "organisation")
                  << ", owner " << Str(r, "owner") << ")  " << Str(r, "public_key") << "\n";
      }
      return 0;
    });
  });
}

void RegisterRequest(CLI::App& exp, CommandContext& ctx) {
  struct Args {
    ExportArgs call;
    std::string collection = "persons", keys_file, fields, recipient, purpose, reason;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      AddCall(exp, "request", "Ask for an export (registrar or investigator)", args->call);
  cmd->add_option("--collection", args->collection, "The collection")->capture_default_str();
  cmd->add_option("--keys", args->keys_file, "A file of record keys, one a line")->required();
  cmd->add_option("--fields", args->fields, "Field names, comma-separated")->required();
  cmd->add_option("--recipient", args->recipient, "The recipient id (rc_...)")->required();
  cmd->add_option("--purpose", args->purpose, "The purpose, kind/reference")->required();
  cmd->add_option("--reason", args->reason, "Why, in words");
  cmd->callback([args, &ctx] {
    std::ifstream in(args->keys_file);
    if (!in) {
      ctx.exit_code = Fail(args->call.command, "--keys: cannot read " + args->keys_file, 2);
      return;
    }
    json keys = json::array();
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) keys.push_back(line);
    }
    json fields = json::array();
    for (size_t at = 0; at <= args->fields.size();) {
      const size_t comma = std::min(args->fields.find(',', at), args->fields.size());
      if (comma > at) fields.push_back(args->fields.substr(at, comma - at));
      at = comma + 1;
    }
    args->call.headers = {"Warden-Purpose: " + args->purpose};
    if (!args->reason.empty()) args->call.headers.push_back("Warden-Reason: " + args->reason);
    const json body = {{"collection", args->collection},
                       {"keys", keys},
                       {"fields", fields},
                       {"recipient_id", args->recipient}};
    ctx.exit_code = Run(args->call, "POST", "/v1/exports", body.dump(), PrintJobAnswer);
  });
}

void RegisterDecision(CLI::App& exp, CommandContext& ctx, const std::string& name) {
  struct Args {
    ExportArgs call;
    std::string id;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      AddCall(exp, name,
              name == "approve" ? "Approve an export (a security officer not its requester)"
                                : "Reject an export (security officer)",
              args->call);
  cmd->add_option("id", args->id, "The export id (ex_...)")->required();
  cmd->callback([args, name, &ctx] {
    ctx.exit_code = Run(args->call, "POST", "/v1/exports/" + UrlEncode(args->id) + "/" + name, "",
                        PrintJobAnswer);
  });
}

void RegisterStatus(CLI::App& exp, CommandContext& ctx) {
  struct Args {
    ExportArgs call;
    std::string id;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = AddCall(exp, "status",
                          "One export, or without an id: the pending list (security officer) "
                          "or your own exports",
                          args->call);
  cmd->add_option("id", args->id, "The export id (ex_...)");
  cmd->callback([args, &ctx] {
    if (!args->id.empty()) {
      ctx.exit_code =
          Run(args->call, "GET", "/v1/exports/" + UrlEncode(args->id), "", PrintJobAnswer);
      return;
    }
    ctx.exit_code = Run(args->call, "GET", "/v1/exports", "", [](const ApiAnswer& a) {
      for (const json& j : a.json.value("exports", json::array())) {
        std::cout << Str(j, "id") << "  " << Str(j, "state") << "  " << Str(j, "collection") << "  "
                  << Str(j, "records_requested") << " records  requester " << Str(j, "requester")
                  << "  recipient " << Str(j, "recipient_id") << "\n";
      }
      return 0;
    });
  });
}

void RegisterDownload(CLI::App& exp, CommandContext& ctx) {
  struct Args {
    ExportArgs call;
    std::string id, out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      AddCall(exp, "download", "Download an approved export, once (its requester)", args->call);
  cmd->add_option("id", args->id, "The export id (ex_...)")->required();
  cmd->add_option("-o,--output", args->out, "Where to write the age file (must not exist)")
      ->required();
  cmd->callback([args, &ctx] {
    args->call.json = false;
    ctx.exit_code = Run(
        args->call, "GET", "/v1/exports/" + UrlEncode(args->id) + "/file", "",
        [args](const ApiAnswer& a) {
          const int fd = ::open(args->out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
          if (fd < 0) return Fail(args->call.command, "cannot create " + args->out, 2);
          const bool ok =
              ::write(fd, a.body.data(), a.body.size()) == static_cast<ssize_t>(a.body.size()) &&
              ::fsync(fd) == 0;
          ::close(fd);
          if (!ok) return Fail(args->call.command, "cannot write " + args->out, 2);
          std::cout << "wrote " << a.body.size() << " bytes to " << args->out
                    << "; the recipient opens it with age -d -i IDENTITY\n";
          return 0;
        });
  });
}

}  // namespace

void RegisterExportCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* exp = app.add_subcommand(
      "export", "Two-person exports: request, approve, reject, status, download (SPEC G4)");
  exp->require_subcommand(1);
  RegisterRecipientCommands(*exp, ctx);
  RegisterRequest(*exp, ctx);
  RegisterDecision(*exp, ctx, "approve");
  RegisterDecision(*exp, ctx, "reject");
  RegisterStatus(*exp, ctx);
  RegisterDownload(*exp, ctx);
}

}  // namespace warden::cli
