#include "http/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace warden::http {
namespace internal_metrics {

size_t ThisThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

}  // namespace internal_metrics

namespace {

constexpr std::array<double, 16> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                    0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                    1,      2.5,     5,      10};

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool IsMetricName(std::string_view s) {
  if (s.empty() || !(IsNameStart(s[0]) || s[0] == ':')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsNameChar(c) || c == ':'; });
}

bool IsLabelName(std::string_view s) {
  if (s.empty() || !IsNameStart(s[0]) || s == "le" || s.substr(0, 2) == "__") return false;
  return std::all_of(s.begin(), s.end(), IsNameChar);
}

void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out += buf;
  }
}

// `{a="x",b="y"}` plus an optional extra label (for "le"); empty when no labels.
std::string RenderLabels(const MetricLabels& labels, std::string_view extra_name = {},
                         std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  bool first = true;
  auto add = [&](std::string_view n, std::string_view v) {
    if (!first) out += ',';
    first = false;
    out += n;
    out += "=\"";
    AppendEscaped(out, v, true);
    out += '"';
  };
  for (const auto& [n, v] : labels) add(n, v);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out += '}';
  return out;
}

}  // namespace

std::span<const double> DefaultLatencyBuckets() { return kLatencyBuckets; }

uint64_t CounterMetric::Value() const {
  uint64_t total = 0;
  for (const Cell& c : cells_) total += c.value.load(std::memory_order_relaxed);
  return total;
}

HistogramMetric::HistogramMetric(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()) {}

void HistogramMetric::Observe(double value) {
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  Shard& s = shards_[internal_metrics::ThisThreadShard()];
  s.counts[bucket].fetch_add(1, std::memory_order_relaxed);
  s.sum.fetch_add(value, std::memory_order_relaxed);
}

HistogramMetric::Snapshot HistogramMetric::Read() const {
  Snapshot snap;
  snap.bounds = bounds_;
  snap.cumulative.assign(bounds_.size() + 1, 0);
  for (const Shard& s : shards_) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      snap.cumulative[i] += s.counts[i].load(std::memory_order_relaxed);
    }
    snap.sum += s.sum.load(std::memory_order_relaxed);
  }
  for (size_t i = 1; i < snap.cumulative.size(); ++i) snap.cumulative[i] += snap.cumulative[i - 1];
  snap.count = snap.cumulative.back();
  return snap;
}

StatusOr<Metrics::Series*> Metrics::GetSeries(std::string_view name, std::string_view help,
                                              Type type, const MetricLabels& labels,
                                              std::span<const double> bounds) {
  const std::string where = "metric '" + std::string(name) + "'";
  if (!IsMetricName(name)) return InvalidArgument(where + ": bad name", "bad_metric");
  std::vector<std::string> label_names;
  for (const auto& [n, v] : labels) {
    if (!IsLabelName(n)) return InvalidArgument(where + ": bad label name", "bad_metric");
    if (std::find(label_names.begin(), label_names.end(), n) != label_names.end()) {
      return InvalidArgument(where + ": repeated label", "bad_metric");
    }
    label_names.push_back(n);
  }
  if (type == Type::kHistogram) {
    if (bounds.empty() || bounds.size() > HistogramMetric::kMaxBuckets) {
      return InvalidArgument(where + ": bad bucket count", "bad_metric");
    }
    for (size_t i = 0; i < bounds.size(); ++i) {
      if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
        return InvalidArgument(where + ": buckets must increase", "bad_metric");
      }
    }
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    Family f{type, std::string(help), label_names, {bounds.begin(), bounds.end()}, {}};
    it = families_.emplace(std::string(name), std::move(f)).first;
  }
  Family& family = it->second;
  if (family.type != type || family.help != help || family.label_names != label_names ||
      !std::equal(family.bounds.begin(), family.bounds.end(), bounds.begin(), bounds.end())) {
    return InvalidArgument(where + ": registered before with another type, help or labels",
                           "bad_metric");
  }
  auto [sit, inserted] = family.series.try_emplace(RenderLabels(labels));
  Series& series = sit->second;
  if (inserted) {
    series.labels = labels;
    switch (type) {
      case Type::kCounter:
        series.counter = std::make_unique<CounterMetric>();
        break;
      case Type::kGauge:
        series.gauge = std::make_unique<GaugeMetric>();
        break;
      case Type::kHistogram:
        series.histogram = std::make_unique<HistogramMetric>(bounds);
        break;
    }
  }
  return &series;
}

StatusOr<CounterMetric*> Metrics::Counter(std::string_view name, std::string_view help,
                                          const MetricLabels& labels) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Series * s, GetSeries(name, help, Type::kCounter, labels, {}));
  if (s->counter_callback)
    return InvalidArgument("metric '" + std::string(name) + "' is a callback");
  return s->counter.get();
}

StatusOr<GaugeMetric*> Metrics::Gauge(std::string_view name, std::string_view help,
                                      const MetricLabels& labels) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Series * s, GetSeries(name, help, Type::kGauge, labels, {}));
  if (s->callback) return InvalidArgument("metric '" + std::string(name) + "' is a callback");
  return s->gauge.get();
}

StatusOr<HistogramMetric*> Metrics::Histogram(std::string_view name, std::string_view help,
                                              std::span<const double> bounds,
                                              const MetricLabels& labels) {
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Series * s, GetSeries(name, help, Type::kHistogram, labels, bounds));
  return s->histogram.get();
}

Status Metrics::GaugeCallback(std::string_view name, std::string_view help,
                              const MetricLabels& labels, std::function<double()> fn) {
  if (!fn) return InvalidArgument("metric '" + std::string(name) + "': no callback", "bad_metric");
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Series * s, GetSeries(name, help, Type::kGauge, labels, {}));
  s->callback = std::move(fn);
  return Status::Ok();
}

Status Metrics::CounterCallback(std::string_view name, std::string_view help,
                                const MetricLabels& labels, std::function<uint64_t()> fn) {
  if (!fn) return InvalidArgument("metric '" + std::string(name) + "': no callback", "bad_metric");
  MutexLock lock(mu_);
  ASSIGN_OR_RETURN(Series * s, GetSeries(name, help, Type::kCounter, labels, {}));
  s->counter_callback = std::move(fn);
  return Status::Ok();
}

std::string Metrics::Render() const {
  MutexLock lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& [name, family] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    AppendEscaped(out, family.help, false);
    out += "\n# TYPE ";
    out += name;
    out += family.type == Type::kCounter ? " counter\n"
           : family.type == Type::kGauge ? " gauge\n"
                                         : " histogram\n";
    for (const auto& [label_text, series] : family.series) {
      switch (family.type) {
        case Type::kCounter:
          out += name + label_text + ' ' +
                 std::to_string(series.counter_callback ? series.counter_callback()
                                                        : series.counter->Value()) +
                 '\n';
          break;
        case Type::kGauge:
          out += name + label_text + ' ';
          AppendDouble(out, series.callback ? series.callback() : series.gauge->Value());
          out += '\n';
          break;
        case Type::kHistogram: {
          const HistogramMetric::Snapshot snap = series.histogram->Read();
          for (size_t i = 0; i <= snap.bounds.size(); ++i) {
            std::string le;
            if (i < snap.bounds.size()) {
              AppendDouble(le, snap.bounds[i]);
            } else {
              le = "+Inf";
            }
            out += name + "_bucket" + RenderLabels(series.labels, "le", le) + ' ' +
                   std::to_string(snap.cumulative[i]) + '\n';
          }
          out += name + "_sum" + label_text + ' ';
          AppendDouble(out, snap.sum);
          out += '\n';
          out += name + "_count" + label_text + ' ' + std::to_string(snap.count) + '\n';
          break;
        }
      }
    }
  }
  return out;
}

Handler MakeMetricsHandler(const Metrics& metrics) {
  return [&metrics](const Request&) -> StatusOr<Response> {
    return Response::Text(200, std::string(Metrics::kContentType), metrics.Render());
  };
}

}  // namespace warden::http
