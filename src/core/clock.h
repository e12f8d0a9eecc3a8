// Clock: the only source of time. Production code takes a Clock& so tests
// can move time (lockouts, token expiry, TOTP windows, quotas per day).
#ifndef WARDEN_CORE_CLOCK_H_
#define WARDEN_CORE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace warden {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch (wall-clock time).
  virtual int64_t NowMicros() const = 0;
  // A monotonic reading for measuring durations, in nanoseconds.
  virtual int64_t MonotonicNanos() const = 0;

  int64_t NowSeconds() const { return NowMicros() / 1'000'000; }

  // The process-wide real clock. Never destroyed; thread-safe.
  static Clock& Real();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_micros = 1'700'000'000'000'000) : now_(now_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t MonotonicNanos() const override { return now_.load() * 1000; }
  void Advance(std::chrono::microseconds d) { now_ += d.count(); }
  void Set(int64_t now_micros) { now_ = now_micros; }

 private:
  std::atomic<int64_t> now_;
};

// RFC 3339 UTC time with seconds ("2026-11-23T13:40:05Z") for the given micros.
std::string FormatRfc3339(int64_t unix_micros);

}  // namespace warden

#endif  // WARDEN_CORE_CLOCK_H_
