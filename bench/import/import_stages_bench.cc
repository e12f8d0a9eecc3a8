// import_stages_bench: where the offline import's time goes, per core. Each
// stage of the pipeline on generated persons, alone, on one thread:
//   read      CSV text → JSON objects (schema::RecordReader)
//   validate  schema::ValidateRecord (normalise IDs, phones, names, ...)
//   encode    RecordBarrier::Encode (CBOR, two AES-256-GCM seals, HMAC tags)
//   load      RocksDB SST bulk load of the encoded entries (sort, write, ingest)
// The end-to-end rate is measured with the real command by bench/import/run.sh.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <sstream>

#include "core/clock.h"
#include "crypto/key_ring.h"
#include "schema/generator.h"
#include "schema/record.h"
#include "schema/record_reader.h"
#include "store/memory_store.h"
#include "store/record_barrier.h"
#include "store/rocksdb_store.h"

namespace warden {
namespace {

constexpr uint64_t kPersons = 20'000;

struct Fixture {
  std::string csv;
  std::vector<nlohmann::json> inputs;
  std::vector<schema::Record> records;
  std::unique_ptr<crypto::KeyRing> keys;
  MemoryStore memory;
  std::unique_ptr<RecordBarrier> barrier;
  const schema::CollectionSchema* persons = schema::Schema::Registry().Find("persons");

  Fixture() {
    schema::PersonGenerator gen(1);
    csv = std::string(schema::CsvHeaderOf("persons"));
    schema::PersonRecord p;
    for (uint64_t i = 0; i < kPersons; ++i) {
      gen.At(i, p);
      p.AppendCsv(csv);
    }
    std::istringstream in(csv);
    schema::RecordReader reader(in, schema::RecordFormat::kCsv, persons);
    while (auto row = reader.Next()) inputs.push_back(*row->record);
    for (const auto& input : inputs) {
      records.push_back(*schema::ValidateRecord(*persons, input, Clock::Real()));
    }
    keys = std::move(crypto::KeyRing::Create(SecretBytes::Random(32))).value();
    keys->AddCollection("persons").IgnoreError();
    barrier = std::make_unique<RecordBarrier>(memory, *keys);
  }
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_ReadCsv(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    std::istringstream in(f.csv);
    schema::RecordReader reader(in, schema::RecordFormat::kCsv, f.persons);
    uint64_t n = 0;
    while (auto row = reader.Next()) ++n;
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPersons));
}
BENCHMARK(BM_ReadCsv)->Unit(benchmark::kMillisecond);

void BM_Validate(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    for (const auto& input : f.inputs) {
      benchmark::DoNotOptimize(schema::ValidateRecord(*f.persons, input, Clock::Real()));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPersons));
}
BENCHMARK(BM_Validate)->Unit(benchmark::kMillisecond);

void BM_Encode(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    for (const auto& record : f.records) {
      benchmark::DoNotOptimize(f.barrier->Encode(*f.persons, record));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPersons));
}
BENCHMARK(BM_Encode)->Unit(benchmark::kMillisecond);

void BM_SstLoad(benchmark::State& state) {
  Fixture& f = F();
  std::vector<std::pair<Space, KeyValue>> entries;
  for (const auto& record : f.records) {
    StatusOr<std::vector<std::pair<Space, KeyValue>>> encoded =
        f.barrier->Encode(*f.persons, record);
    if (!encoded.ok()) continue;
    for (auto& e : *encoded) entries.push_back(std::move(e));
  }
  const std::string dir = std::filesystem::temp_directory_path() / "warden-import-stage-bench";
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(dir);
    RocksDbOptions options;
    options.bulk_load_chunk_bytes = size_t{1} << 30;
    auto store = std::move(RocksDbStore::Open(dir, options)).value();
    state.ResumeTiming();
    auto loader = std::move(store->StartBulkLoad()).value();
    for (const auto& [space, kv] : entries) loader->Add(space, kv.key, kv.value).IgnoreError();
    loader->Finish().IgnoreError();
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPersons));
}
BENCHMARK(BM_SstLoad)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace warden

BENCHMARK_MAIN();
