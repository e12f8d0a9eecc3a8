// G8 on the server's own record path: record_crash_writer puts generated
// persons through the record barrier of the unsealed services, and is killed
// (SIGKILL) at random moments. After each kill every acknowledged person
// opens and is found by its phone, and no index entry points at a record
// that is not there.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "core/bytes.h"
#include "core/clock.h"
#include "node/seal_gate.h"
#include "schema/generator.h"
#include "schema/record.h"
#include "store/rocksdb_store.h"
#include "store/store_test_util.h"

namespace warden::node {
namespace {

TEST(RecordCrashTest, AcknowledgedPersonsSurviveKillNineWithTheirIndexEntries) {
  ScratchDir scratch;
  const std::string dir = scratch.path() + "/db";
  const SecretBytes root = SecretBytes::Random(crypto::kRootKeySize);
  const std::string root_hex = HexEncode(root.view());
  const schema::Schema& schema = schema::Schema::Registry();
  const schema::CollectionSchema& persons = *schema.Find("persons");
  const schema::PersonGenerator people(/*seed=*/77);
  std::mt19937_64 rng(std::random_device{}());
  std::set<uint64_t> acknowledged;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    int fd = -1;
    pid_t pid = SpawnWithStdoutPipe(
        WARDEN_RECORD_CRASH_WRITER,
        {dir, root_hex, std::to_string(uint64_t(round) * 1'000'000), round == 0 ? "1" : "0"}, fd);
    ASSERT_GT(pid, 0);
    // The first round and odd rounds kill mid-stream; even rounds may kill
    // during start-up (recovery, unseal) too.
    std::string pending;
    if (round == 0 || round % 2 == 1) {
      ASSERT_TRUE(AwaitBytes(fd, pending, 8)) << "round " << round << ": nothing acknowledged";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited on its own, status " << status;
    DrainAndClose(fd, pending);
    ASSERT_EQ(pending.size() % 8, 0u);
    for (size_t i = 0; i < pending.size(); i += 8) {
      acknowledged.insert(GetBigEndian64(std::string_view(pending).substr(i, 8)));
    }

    StatusOr<std::unique_ptr<RocksDbStore>> store = RocksDbStore::Open(dir);
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status().ToString();
    SealGateOptions options;
    options.access.argon2 = access::Argon2Params::InsecureFastForTests();
    StatusOr<std::shared_ptr<UnsealedServices>> services =
        OpenServices(**store, schema, root.Clone(), Clock::Real(), options, false);
    ASSERT_TRUE(services.ok()) << "round " << round << ": " << services.status().ToString();
    schema::PersonRecord person;
    for (uint64_t index : acknowledged) {
      people.At(index, person);
      auto found = (*services)->barrier->Get(persons, person.national_id);
      ASSERT_TRUE(found.ok()) << found.status().ToString();
      ASSERT_TRUE(found->has_value()) << "round " << round << ": acknowledged person lost";
      auto term = schema::QueryTerm(persons, "phones", {{"phone", person.phones[0]}});
      ASSERT_TRUE(term.ok()) << term.status().ToString();
      auto by_phone = (*services)->barrier->Search(persons, *term, 100);
      ASSERT_TRUE(by_phone.ok()) << by_phone.status().ToString();
      bool listed = false;
      for (const schema::Record& r : by_phone->records) {
        listed = listed || schema::RecordKeyOf(persons, r) == person.national_id;
      }
      ASSERT_TRUE(listed) << "round " << round << ": a person's phone index entry is missing";
    }
    // No index entry without its record: an entry ends with the record's
    // tag, under which the record is stored.
    std::string start = "persons/";
    const std::string end = PrefixEnd(start);
    size_t entries = 0;
    while (true) {
      auto page = (*store)->Scan(Space::kIndex, start, end, 10000);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (page->empty()) break;
      for (const KeyValue& kv : *page) {
        ++entries;
        ASSERT_GT(kv.key.size(), crypto::kBlindIndexSize);
        const std::string tag = kv.key.substr(kv.key.size() - crypto::kBlindIndexSize);
        auto record = (*store)->Get(Space::kRecords, "persons/" + tag);
        ASSERT_TRUE(record.ok() && record->has_value())
            << "round " << round << ": an index entry points at no record";
      }
      start = page->back().key + '\0';
    }
    EXPECT_GT(entries, 0u);
  }
  EXPECT_GT(acknowledged.size(), 50u) << "too few writes for the test to mean anything";
}

}  // namespace
}  // namespace warden::node
