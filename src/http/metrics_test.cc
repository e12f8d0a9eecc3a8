#include "http/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace warden::http {
namespace {

TEST(MetricsTest, CounterRendersInTextFormat) {
  Metrics m;
  StatusOr<CounterMetric*> c = m.Counter("warden_test_total", "A test counter",
                                         {{"route", "/v1/{collection}/{key}"}, {"status", "200"}});
  ASSERT_TRUE(c.ok());
  (*c)->Increment();
  (*c)->Increment(2);
  const std::string text = m.Render();
  EXPECT_NE(text.find("# HELP warden_test_total A test counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE warden_test_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("warden_test_total{route=\"/v1/{collection}/{key}\",status=\"200\"} 3\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, SameSeriesReturnsSamePointer) {
  Metrics m;
  CounterMetric* a = *m.Counter("x_total", "h", {{"a", "1"}});
  CounterMetric* b = *m.Counter("x_total", "h", {{"a", "1"}});
  CounterMetric* c = *m.Counter("x_total", "h", {{"a", "2"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(MetricsTest, CountsFromManyThreadsAreNotLost) {
  Metrics m;
  CounterMetric* c = *m.Counter("hits_total", "hits");
  HistogramMetric* h = *m.Histogram("lat_seconds", "lat", DefaultLatencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c->Increment();
        h->Observe(0.002);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->Value(), 80000u);
  HistogramMetric::Snapshot s = h->Read();
  EXPECT_EQ(s.count, 80000u);
  EXPECT_NEAR(s.sum, 160.0, 1e-6);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInf) {
  Metrics m;
  const double bounds[] = {0.1, 1};
  HistogramMetric* h = *m.Histogram("d_seconds", "d", bounds, {{"route", "r"}});
  h->Observe(0.05);
  h->Observe(0.1);  // inclusive upper bound
  h->Observe(0.5);
  h->Observe(7);
  const std::string text = m.Render();
  EXPECT_NE(text.find("d_seconds_bucket{route=\"r\",le=\"0.10000000000000001\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("d_seconds_bucket{route=\"r\",le=\"1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{route=\"r\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_count{route=\"r\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_sum{route=\"r\"} 7.65"), std::string::npos);
}

TEST(MetricsTest, GaugeCallbackIsReadAtRender) {
  Metrics m;
  double depth = 3;
  ASSERT_TRUE(m.GaugeCallback("warden_audit_queue_depth", "Audit entries waiting", {}, [&] {
                 return depth;
               }).ok());
  EXPECT_NE(m.Render().find("warden_audit_queue_depth 3\n"), std::string::npos);
  depth = 7.5;
  EXPECT_NE(m.Render().find("warden_audit_queue_depth 7.5\n"), std::string::npos);
}

TEST(MetricsTest, CounterCallbackRendersAsACounter) {
  Metrics m;
  uint64_t denials = 4;
  ASSERT_TRUE(m.CounterCallback("warden_quota_denials_total", "Refused for quota",
                                {{"reason", "quota_exceeded"}}, [&] { return denials; })
                  .ok());
  const std::string text = m.Render();
  EXPECT_NE(text.find("# TYPE warden_quota_denials_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("warden_quota_denials_total{reason=\"quota_exceeded\"} 4\n"),
            std::string::npos)
      << text;
  denials = 9;
  EXPECT_NE(m.Render().find("{reason=\"quota_exceeded\"} 9\n"), std::string::npos);
  // The series is read from the callback; it cannot also be incremented here.
  EXPECT_FALSE(
      m.Counter("warden_quota_denials_total", "Refused for quota", {{"reason", "quota_exceeded"}})
          .ok());
  EXPECT_FALSE(m.CounterCallback("c_total", "h", {}, nullptr).ok());
}

TEST(MetricsTest, GaugeSetAndAdd) {
  Metrics m;
  GaugeMetric* g = *m.Gauge("warden_cert_expiry_days", "Days until the certificate expires");
  g->Set(10);
  g->Add(-2);
  EXPECT_EQ(g->Value(), 8);
  EXPECT_NE(m.Render().find("# TYPE warden_cert_expiry_days gauge\nwarden_cert_expiry_days 8\n"),
            std::string::npos);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  (*m.Counter("e_total", "line1\nline2 \\", {{"v", "a\"b\\c\nd"}}))->Increment();
  const std::string text = m.Render();
  EXPECT_NE(text.find("# HELP e_total line1\\nline2 \\\\\n"), std::string::npos) << text;
  EXPECT_NE(text.find("e_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
}

TEST(MetricsTest, MisuseIsAnErrorNotACrash) {
  Metrics m;
  EXPECT_FALSE(m.Counter("bad-name", "h").ok());
  EXPECT_FALSE(m.Counter("", "h").ok());
  EXPECT_FALSE(m.Counter("ok_total", "h", {{"le", "1"}}).ok());
  EXPECT_FALSE(m.Counter("ok_total", "h", {{"__x", "1"}}).ok());
  EXPECT_FALSE(m.Counter("ok_total", "h", {{"a", "1"}, {"a", "2"}}).ok());
  ASSERT_TRUE(m.Counter("ok_total", "h", {{"a", "1"}}).ok());
  EXPECT_FALSE(m.Gauge("ok_total", "h", {{"a", "1"}}).ok());  // another type
  EXPECT_FALSE(m.Counter("ok_total", "other help", {{"a", "1"}}).ok());
  EXPECT_FALSE(m.Counter("ok_total", "h", {{"b", "1"}}).ok());  // other label names
  const double unsorted[] = {1, 0.5};
  EXPECT_FALSE(m.Histogram("h_seconds", "h", unsorted).ok());
  EXPECT_FALSE(m.GaugeCallback("g", "h", {}, nullptr).ok());
}

TEST(MetricsTest, MetricsHandlerServesTextFormat) {
  Metrics m;
  (*m.Counter("a_total", "a"))->Increment();
  Handler h = MakeMetricsHandler(m);
  StatusOr<Response> r = h(Request());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, Metrics::kContentType);
  EXPECT_NE(r->body.find("a_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace warden::http
