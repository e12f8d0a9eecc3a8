// The `warden` command line. Each command lives in its own cmd_*.cc file and
// registers itself on the root CLI11 app through one Register*Command function
// listed in cli.cc. A command's callback sets the process exit code through
// CommandContext::exit_code.
#ifndef WARDEN_CLI_COMMANDS_H_
#define WARDEN_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace warden::cli {

struct CommandContext {
  int exit_code = 0;
};

// Runs the command line; returns the process exit code.
int RunCli(int argc, char** argv);

void RegisterDemoCommand(CLI::App& app, CommandContext& ctx);
void RegisterGenCommand(CLI::App& app, CommandContext& ctx);
void RegisterValidateCommand(CLI::App& app, CommandContext& ctx);
void RegisterAuditCommand(CLI::App& app, CommandContext& ctx);
void RegisterImportCommand(CLI::App& app, CommandContext& ctx);
// account, apikey.
void RegisterAccountCommands(CLI::App& app, CommandContext& ctx);
// export request|approve|reject|status|download, recipient-add, recipients.
void RegisterExportCommands(CLI::App& app, CommandContext& ctx);
// init, serve, unseal, totp.
void RegisterServerCommands(CLI::App& app, CommandContext& ctx);

}  // namespace warden::cli

#endif  // WARDEN_CLI_COMMANDS_H_
