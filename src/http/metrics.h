// Metrics: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format 0.0.4.
//
// Registration (Metrics::Counter/Gauge/Histogram/GaugeCallback) takes a mutex
// and returns a pointer that stays valid for the registry's lifetime; callers
// look a series up once and keep the pointer. Updating a series is lock-free:
// counters and histograms are sharded per thread (relaxed atomics on separate
// cache lines), so I/O threads never contend on the hot path.
//
// Other layers expose their state with gauges or gauge callbacks (audit queue
// depth, seal state, certificate expiry days, quota denials, open alerts). A
// callback runs while Render() holds the registry mutex, on the thread that
// renders: it must be quick, thread-safe, and must not register metrics.
//
// Names follow Prometheus rules ([a-zA-Z_:][a-zA-Z0-9_:]*, labels
// [a-zA-Z_][a-zA-Z0-9_]*, no label named "le" or starting with "__").
// Registering a name again with another type, help text or set of label names
// is an error.
//
// Thread safety: every method is thread-safe.
#ifndef WARDEN_HTTP_METRICS_H_
#define WARDEN_HTTP_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "http/router.h"

namespace warden::http {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

namespace internal_metrics {
inline constexpr size_t kShards = 8;
// A small per-thread index in [0, kShards).
size_t ThisThreadShard();
}  // namespace internal_metrics

class CounterMetric {
 public:
  void Increment(uint64_t n = 1) {
    cells_[internal_metrics::ThisThreadShard()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const;

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> value{0};
  };
  std::array<Cell, internal_metrics::kShards> cells_;
};

class GaugeMetric {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class HistogramMetric {
 public:
  static constexpr size_t kMaxBuckets = 24;
  // `bounds`: strictly increasing finite upper bounds, at most kMaxBuckets;
  // "+Inf" is implicit.
  explicit HistogramMetric(std::span<const double> bounds);

  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  struct alignas(64) Shard {
    std::atomic<double> sum{0};
    std::array<std::atomic<uint64_t>, kMaxBuckets + 1> counts{};
  };
  std::vector<double> bounds_;
  std::array<Shard, internal_metrics::kShards> shards_;
};

// Latency buckets in seconds, 100 µs to 10 s.
std::span<const double> DefaultLatencyBuckets();

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The series of `name` with `labels`, created on first use. Errors:
  // kInvalidArgument for a bad name or label, or a clash with an existing
  // registration of the same name.
  StatusOr<CounterMetric*> Counter(std::string_view name, std::string_view help,
                                   const MetricLabels& labels = {});
  StatusOr<GaugeMetric*> Gauge(std::string_view name, std::string_view help,
                               const MetricLabels& labels = {});
  StatusOr<HistogramMetric*> Histogram(std::string_view name, std::string_view help,
                                       std::span<const double> bounds,
                                       const MetricLabels& labels = {});
  // A gauge whose value is read from `fn` at every Render(). Registering the
  // same series again replaces the callback.
  Status GaugeCallback(std::string_view name, std::string_view help, const MetricLabels& labels,
                       std::function<double()> fn);
  // A counter read from `fn` at every Render(), for counts another layer
  // keeps (it must never decrease). Registering the same series again
  // replaces the callback.
  Status CounterCallback(std::string_view name, std::string_view help, const MetricLabels& labels,
                         std::function<uint64_t()> fn);

  // The whole registry in text format 0.0.4, families sorted by name.
  std::string Render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    MetricLabels labels;
    std::unique_ptr<CounterMetric> counter;
    std::unique_ptr<GaugeMetric> gauge;
    std::function<double()> callback;
    std::function<uint64_t()> counter_callback;
    std::unique_ptr<HistogramMetric> histogram;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> bounds;            // histograms
    std::map<std::string, Series> series;  // by rendered label set
  };

  StatusOr<Series*> GetSeries(std::string_view name, std::string_view help, Type type,
                              const MetricLabels& labels, std::span<const double> bounds)
      REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::string, Family, std::less<>> families_ GUARDED_BY(mu_);
};

// The GET /metrics handler: renders `metrics` (which must outlive it). Who may
// call it is the access layer's decision; this only renders.
Handler MakeMetricsHandler(const Metrics& metrics);

}  // namespace warden::http

#endif  // WARDEN_HTTP_METRICS_H_
