// Throughput of the schema layer on one core: synthetic persons generated
// (CSV text, as `warden gen` writes it), records validated from parsed JSON,
// and the whole `warden validate` path (CSV reader + validation). Rates are
// per second of CPU time of the one thread.
//
// Usage: schema_bench [N]   (default 1,000,000 generated, N/5 validated)
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "schema/generator.h"
#include "schema/record.h"
#include "schema/record_reader.h"

namespace {

// CPU time of this thread: the machine may be shared, and the targets are
// per core.
struct CpuTimer {
  static double Now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  using time_point = double;
  static time_point now() { return Now(); }
};
using Clock = CpuTimer;

double Seconds(Clock::time_point since) { return Clock::now() - since; }

}  // namespace

int main(int argc, char** argv) {
  using namespace warden::schema;
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const uint64_t nv = std::max<uint64_t>(1, n / 5);
  const CollectionSchema& persons = *Schema::Registry().Find("persons");
  const warden::Clock& clock = warden::Clock::Real();

  // 1. Generation into a buffer that is dropped every MiB (like /dev/null).
  PersonGenerator gen(1);
  PersonRecord p;
  std::string buf;
  buf.reserve(2 << 20);
  uint64_t bytes = 0;
  auto t0 = Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    gen.Next(p);
    p.AppendCsv(buf);
    if (buf.size() > (1 << 20)) {
      bytes += buf.size();
      buf.clear();
    }
  }
  bytes += buf.size();
  double gen_s = Seconds(t0);
  std::printf("generate persons (CSV):   %10.0f records/s  %7.1f MB/s\n", n / gen_s,
              bytes / gen_s / 1e6);

  // 2. Validation of already parsed records.
  std::vector<nlohmann::json> inputs;
  PersonGenerator gen2(2);
  for (uint64_t i = 0; i < nv; ++i) {
    gen2.Next(p);
    inputs.push_back(p.ToJson());
  }
  uint64_t valid = 0;
  t0 = Clock::now();
  for (const nlohmann::json& in : inputs) valid += ValidateRecord(persons, in, clock).ok();
  double val_s = Seconds(t0);
  std::printf("validate persons (JSON):  %10.0f records/s  (%llu/%llu valid)\n", nv / val_s,
              static_cast<unsigned long long>(valid), static_cast<unsigned long long>(nv));

  // 3. CSV text -> reader -> validation, as `warden validate` does.
  std::string csv(CsvHeaderOf("persons"));
  PersonGenerator gen3(3);
  for (uint64_t i = 0; i < nv; ++i) {
    gen3.Next(p);
    p.AppendCsv(csv);
  }
  std::istringstream in(csv);
  RecordReader reader(in, RecordFormat::kCsv, &persons);
  valid = 0;
  t0 = Clock::now();
  while (auto row = reader.Next()) {
    valid += row->record.ok() && ValidateRecord(persons, *row->record, clock).ok();
  }
  double path_s = Seconds(t0);
  std::printf("read+validate CSV:        %10.0f records/s  (%llu valid)\n", nv / path_s,
              static_cast<unsigned long long>(valid));
  return valid == nv ? 0 : 1;
}
