// `warden demo`: one command from a fresh checkout to a working Warden.
#include <iostream>

#include "cli/commands.h"

namespace warden::cli {

void RegisterDemoCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* cmd = app.add_subcommand("demo", "Run a local demo server with synthetic data");
  cmd->callback([&ctx] {
    std::cerr << "warden demo: not built yet\n";
    ctx.exit_code = 1;
  });
}

}  // namespace warden::cli
