#include "cli/terminal.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

namespace warden::cli {

bool StdinIsTerminal() { return isatty(STDIN_FILENO) != 0; }

SecretBytes ReadHiddenLine(std::string_view prompt) {
  const bool tty = StdinIsTerminal();
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  SecretBytes out = SecretBytes::CopyFrom(line);
  SecureWipe(line);
  return out;
}

}  // namespace warden::cli
