// The warden executable: the only code not shared with tests.
#include "cli/commands.h"

int main(int argc, char** argv) { return warden::cli::RunCli(argc, argv); }
