// Encrypted export rate: records per second of one export job's download
// (GET /v1/exports/{id}/file) through the API's route, for N synthetic
// persons (default 100,000) on the in-memory store: each record read through
// the barrier, masked, written as a JSON line through the age writer into the
// export file, synced, audited with every identifier hashed.
//
//   export_bench [--persons N] [--dir DIR]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "api/api_test_util.h"
#include "crypto/age_writer.h"
#include "crypto/primitives.h"
#include "schema/generator.h"

namespace {

long Flag(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atol(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace warden;
  using api::testing::InMemoryApi;
  const long persons = Flag(argc, argv, "--persons", 100'000);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("warden-export-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  api::ApiOptions options;
  options.export_dir = dir.string();
  InMemoryApi api(schema::Schema::Registry(), nullptr, options);
  const std::string registrar = api.Account("bench.registrar", {access::Role::kRegistrar});
  const std::string officer = api.Account("bench.officer", {access::Role::kSecurityOfficer});

  const schema::CollectionSchema& collection = *api.schema().Find("persons");
  schema::PersonGenerator generator(2026);
  nlohmann::json keys = nlohmann::json::array();
  std::vector<schema::Record> batch;
  for (long i = 0; i < persons; ++i) {
    schema::PersonRecord p;
    generator.At(static_cast<uint64_t>(i), p);
    StatusOr<schema::Record> r = schema::ValidateRecord(collection, p.ToJson(), api.clock());
    if (!r.ok()) return std::cerr << r.status().ToString() << "\n", 1;
    keys.push_back(p.national_id);
    batch.push_back(std::move(*r));
    if (batch.size() == 1000 || i + 1 == persons) {
      if (!api.services().barrier->PutMany(collection, batch).ok()) return 1;
      batch.clear();
    }
  }

  SecretBytes secret = SecretBytes::Random(crypto::kX25519KeySize);
  crypto::AgeRecipient to;
  const std::string pub = *crypto::X25519PublicKey(secret);
  std::copy(pub.begin(), pub.end(), to.public_key.begin());
  InMemoryApi::Reply recipient =
      api.Call("POST", "/v1/exports/recipients", officer, std::nullopt,
               nlohmann::json{{"name", "bench"},
                              {"organisation", "bench"},
                              {"owner", "bench"},
                              {"public_key", crypto::FormatAgeRecipient(to)}});
  InMemoryApi::Reply job = api.Call(
      "POST", "/v1/exports", registrar, "case/bench",
      nlohmann::json{{"collection", "persons"},
                     {"keys", keys},
                     {"fields", {"name", "birth_date", "gender", "current_address", "phones"}},
                     {"recipient_id", recipient.json.value("id", "")}});
  const std::string id = job.json.value("id", "");
  InMemoryApi::Reply approved =
      api.Call("POST", "/v1/exports/" + id + "/approve", officer, std::nullopt);
  if (approved.status != 200) return std::cerr << approved.body << "\n", 1;

  const auto start = std::chrono::steady_clock::now();
  InMemoryApi::Reply file = api.Call("GET", "/v1/exports/" + id + "/file", registrar, std::nullopt);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (file.status != 200) return std::cerr << file.body << "\n", 1;
  InMemoryApi::Reply done = api.Call("GET", "/v1/exports/" + id, registrar, std::nullopt);
  const double records = done.json.value("records_exported", 0.0);
  std::printf(
      "persons %ld, exported %.0f records (5 fields), %.1f MiB of age ciphertext in %.2f s: "
      "%.0f records/s\n",
      persons, records, static_cast<double>(file.body.size()) / (1 << 20), seconds,
      records / seconds);
  std::filesystem::remove_all(dir);
  return 0;
}
