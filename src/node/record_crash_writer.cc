// Helper of record_crash_test: writes generated persons through the
// server's own record path (the record barrier of the unsealed services, on
// RocksDB) from several threads, and after each Put returns writes the
// person's 8-byte generator index to stdout. Runs until killed.
//   record_crash_writer DIR ROOT_KEY_HEX FIRST_INDEX CREATE(0|1)
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "node/seal_gate.h"
#include "schema/generator.h"
#include "schema/record.h"
#include "store/rocksdb_store.h"

namespace {

[[noreturn]] void Fail(const char* what, const warden::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  std::_Exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DIR ROOT_KEY_HEX FIRST_INDEX CREATE\n", argv[0]);
    return 2;
  }
  auto store = warden::RocksDbStore::Open(argv[1]);
  if (!store.ok()) Fail("open", store.status());
  std::optional<std::string> root = warden::HexDecode(argv[2]);
  if (!root) return 2;
  const warden::schema::Schema& schema = warden::schema::Schema::Registry();
  warden::node::SealGateOptions options;
  options.access.argon2 = warden::access::Argon2Params::InsecureFastForTests();
  auto services =
      warden::node::OpenServices(**store, schema, warden::SecretBytes::CopyFrom(*root),
                                 warden::Clock::Real(), options, std::string(argv[4]) == "1");
  if (!services.ok()) Fail("unseal", services.status());
  const warden::schema::CollectionSchema& persons = *schema.Find("persons");

  std::atomic<uint64_t> next{std::strtoull(argv[3], nullptr, 10)};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      const warden::schema::PersonGenerator people(/*seed=*/77);
      warden::schema::PersonRecord person;
      while (true) {
        const uint64_t index = next.fetch_add(1);
        people.At(index, person);
        auto record =
            warden::schema::ValidateRecord(persons, person.ToJson(), warden::Clock::Real());
        if (!record.ok()) Fail("generate", record.status());
        auto put = (*services)->barrier->Put(persons, *record);
        if (!put.ok()) Fail("put", put.status());
        std::string ack;
        warden::PutBigEndian64(ack, index);
        // 8 bytes < PIPE_BUF: each acknowledgement arrives whole.
        if (write(STDOUT_FILENO, ack.data(), ack.size()) != 8) std::_Exit(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return 0;
}
