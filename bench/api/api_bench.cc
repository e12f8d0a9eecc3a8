// Requests per second of a trivial JSON handler over keep-alive HTTPS: the
// ceiling the server machinery sets for the SPEC §7 lookup target.
//
//   api_bench [--io-threads N] [--connections C] [--seconds S] [--wrk-threads T]
//   api_bench --serve [--io-threads N] [--port P]   (serve until stdin closes)
//
// Drives the server with wrk (HTTPS, keep-alive) and prints wrk's report.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "http/http_server.h"
#include "http/tls.h"

namespace {

int IntFlag(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

bool HasFlag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace warden::http;
  const int io_threads = IntFlag(argc, argv, "--io-threads", 1);
  const int connections = IntFlag(argc, argv, "--connections", 64);
  const int seconds = IntFlag(argc, argv, "--seconds", 10);
  const int wrk_threads = IntFlag(argc, argv, "--wrk-threads", 1);

  warden::StatusOr<TlsCredentials> creds = GenerateSelfSignedCertificate();
  if (!creds.ok()) {
    std::cerr << creds.status().ToString() << "\n";
    return 1;
  }
  warden::StatusOr<std::shared_ptr<boost::asio::ssl::context>> ctx = MakeServerTlsContext(*creds);
  if (!ctx.ok()) {
    std::cerr << ctx.status().ToString() << "\n";
    return 1;
  }
  Router router;
  // A response shaped like a masked lookup answer.
  warden::Status st =
      router.Add(HttpMethod::kGet, "/v1/{collection}/{key}",
                 [](const Request& r) -> warden::StatusOr<Response> {
                   return Response::Json(200, {{"collection", r.Param("collection")},
                                               {"key", "310***********123X"},
                                               {"fields",
                                                {{"name", "张*"},
                                                 {"birth_date", "1985"},
                                                 {"phones", {"+86 138****5678"}},
                                                 {"current_address", "上海市浦东新区"}}}});
                 });
  if (!st.ok()) return 1;
  Metrics metrics;
  HttpServerOptions options;
  options.tls = *ctx;
  options.io_threads = static_cast<size_t>(io_threads);
  options.port = static_cast<uint16_t>(IntFlag(argc, argv, "--port", 0));
  HttpServer server(options, router, &metrics);
  st = server.Start();
  if (!st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  const std::string url =
      "https://127.0.0.1:" + std::to_string(server.port()) + "/v1/persons/310115198501011234";
  if (HasFlag(argc, argv, "--serve")) {
    std::cout << url << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    return 0;
  }
  const std::string cmd = "wrk --latency -t" + std::to_string(wrk_threads) + " -c" +
                          std::to_string(connections) + " -d" + std::to_string(seconds) + "s " +
                          url;
  std::cout << "server io threads: " << io_threads << "\n" << cmd << "\n" << std::flush;
  auto cpu_seconds = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  const double cpu_before = cpu_seconds();
  const int rc = std::system(cmd.c_str());
  const double cpu = cpu_seconds() - cpu_before;
  server.Stop();
  // CPU per request is independent of what else runs on the machine: it
  // gives the rate one core could sustain.
  std::string text = metrics.Render();
  const std::string needle =
      "warden_http_requests_total{route=\"/v1/{collection}/{key}\",status=\"200\"} ";
  const size_t at = text.find(needle);
  const double requests =
      at == std::string::npos ? 0 : std::atof(text.c_str() + at + needle.size());
  if (requests > 0) {
    std::printf(
        "server CPU: %.2f s for %.0f requests = %.1f us/request (%.0f requests/s per core)\n", cpu,
        requests, cpu * 1e6 / requests, requests / cpu);
  }
  return rc == 0 ? 0 : 1;
}
