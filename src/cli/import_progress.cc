#include "cli/import_progress.h"

#include <unistd.h>

#include <cstdio>

namespace warden::cli {
namespace {

std::string Duration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--:--";
  auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

}  // namespace

ProgressDisplay::ProgressDisplay(bool quiet)
    : quiet_(quiet),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressDisplay::Update(uint64_t records, uint64_t bytes_done, uint64_t bytes_total,
                             const std::string& detail) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_ < interval) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(records) / elapsed : 0;
  const double fraction =
      bytes_total > 0 ? static_cast<double>(bytes_done) / static_cast<double>(bytes_total) : 1.0;
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : -1;
  char figures[160];
  std::snprintf(figures, sizeof figures, "%5.1f%% %llu records %.0f/s ETA %s", fraction * 100,
                static_cast<unsigned long long>(records), rate, Duration(eta).c_str());
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(stderr, "\r[%s] %s %s\033[K", bar.c_str(), figures, detail.c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "import: %s %s\n", figures, detail.c_str());
  }
  std::fflush(stderr);
}

void ProgressDisplay::Finish() {
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace warden::cli
