#include "cli/commands.h"

#include <iostream>

namespace warden::cli {

int RunCli(int argc, char** argv) {
  CLI::App app{"Warden: regulated access to personal-information records"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  CommandContext ctx;

  RegisterDemoCommand(app, ctx);
  RegisterGenCommand(app, ctx);
  RegisterValidateCommand(app, ctx);
  RegisterAuditCommand(app, ctx);
  RegisterImportCommand(app, ctx);
  RegisterAccountCommands(app, ctx);
  RegisterExportCommands(app, ctx);
  RegisterServerCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}

}  // namespace warden::cli
