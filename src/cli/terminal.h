// Reading secrets typed by a person (unseal shares, PINs).
#ifndef WARDEN_CLI_TERMINAL_H_
#define WARDEN_CLI_TERMINAL_H_

#include <string_view>

#include "core/secret.h"

namespace warden::cli {

// One line from the terminal without echo, after `prompt`; from standard
// input without a prompt when it is not a terminal.
SecretBytes ReadHiddenLine(std::string_view prompt);

// Whether standard input is a terminal (a person typing) rather than a pipe
// or file.
bool StdinIsTerminal();

}  // namespace warden::cli

#endif  // WARDEN_CLI_TERMINAL_H_
