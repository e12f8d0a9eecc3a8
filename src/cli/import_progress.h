// ProgressDisplay: the progress of a long `warden import` on standard error.
// On a terminal a one-line bar with the rate and the time left, redrawn in
// place at most ten times a second; otherwise a plain line every few seconds
// (logs, CI). Not thread-safe: one thread reports.
#ifndef WARDEN_CLI_IMPORT_PROGRESS_H_
#define WARDEN_CLI_IMPORT_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace warden::cli {

class ProgressDisplay {
 public:
  // `quiet`: report nothing.
  explicit ProgressDisplay(bool quiet);

  // `records` handled so far by this run, `bytes_done` of `bytes_total` of
  // the input; `detail` is shown after the figures.
  void Update(uint64_t records, uint64_t bytes_done, uint64_t bytes_total,
              const std::string& detail);
  // Ends the bar's line (terminal) so the summary starts on its own line.
  void Finish();

 private:
  bool quiet_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace warden::cli

#endif  // WARDEN_CLI_IMPORT_PROGRESS_H_
