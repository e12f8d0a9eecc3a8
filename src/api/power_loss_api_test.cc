// G8 and G1 across a power cut, on the server's own write and audit paths:
// registrars write persons and officers read them through the API over
// RocksDB, on a file system that loses every byte not synced when the power
// fails at a random moment. After the reboot every write the API
// acknowledged is there, every read it answered has its audit entry, and the
// audit chain verifies.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/api_test_util.h"
#include "schema/generator.h"
#include "store/power_loss_file_system.h"
#include "store/rocksdb_store.h"
#include "store/store_test_util.h"

namespace warden::api {
namespace {

using access::Role;
using testing::InMemoryApi;

TEST(ApiPowerLossTest, AcknowledgedWritesAndTheEntriesOfAnsweredReadsSurvive) {
  ScratchDir scratch;
  const std::string dir = scratch.path() + "/db";
  std::mt19937_64 rng(std::random_device{}());
  auto fs = std::make_shared<PowerLossFileSystem>();
  std::unique_ptr<rocksdb::Env> env = PowerLossFileSystem::NewEnv(fs);
  RocksDbOptions options;
  options.env = env.get();
  options.block_cache_bytes = size_t{16} << 20;
  options.write_buffer_bytes = size_t{256} << 10;
  StatusOr<std::unique_ptr<RocksDbStore>> opened = RocksDbStore::Open(dir, options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();

  std::vector<std::string> written;  // persons whose write was acknowledged
  std::vector<std::string> read;     // persons served to the officer
  SecretBytes root;
  const uint64_t synced_before_cut = [&] {
    InMemoryApi api(schema::Schema::Registry(), std::move(*opened));
    root = api.root_key().Clone();
    const std::string registrar = api.Account("registrar", {Role::kRegistrar});
    const std::string officer = api.Account("officer", {Role::kOfficer});
    schema::PersonGenerator people(rng());
    std::thread cut([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 800));
      fs->PowerOff();
    });
    schema::PersonRecord person;
    for (uint64_t i = 0; !fs->powered_off(); ++i) {
      people.At(i, person);
      InMemoryApi::Reply put = api.Call("PUT", "/v1/persons/" + person.national_id, registrar,
                                        "correction/2023-7", person.ToJson());
      if (put.status == 200 || put.status == 201) written.push_back(person.national_id);
      const std::string& earlier =
          written.empty() ? person.national_id : written[i / 2 % written.size()];
      InMemoryApi::Reply get = api.Call("GET", "/v1/persons/" + earlier, officer);
      if (get.status == 200) read.push_back(earlier);
    }
    cut.join();
    return fs->synced_bytes();
  }();  // the API and its store close with the power off: nothing more reaches the disk
  ASSERT_GT(written.size(), 5u) << "too few writes before the cut for the test to mean anything";
  ASSERT_GT(read.size(), 5u);
  StatusOr<uint64_t> dropped = fs->DropUnsyncedData();
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();

  StatusOr<std::unique_ptr<RocksDbStore>> store = RocksDbStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  FakeClock clock;
  node::SealGateOptions services_options;
  services_options.access.argon2 = access::Argon2Params::InsecureFastForTests();
  StatusOr<std::shared_ptr<node::UnsealedServices>> services = node::OpenServices(
      **store, schema::Schema::Registry(), std::move(root), clock, services_options, false);
  ASSERT_TRUE(services.ok()) << services.status().ToString();
  const schema::CollectionSchema& persons = *schema::Schema::Registry().Find("persons");
  size_t lost = 0;
  for (const std::string& id : written) {
    StatusOr<std::optional<schema::Record>> found = (*services)->barrier->Get(persons, id);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    if (!found->has_value()) ++lost;
  }
  EXPECT_EQ(lost, 0u) << "acknowledged writes lost of " << written.size() << " (" << *dropped
                      << " unsynced bytes dropped, " << synced_before_cut << " synced)";

  audit::AuditActor auditor;
  auditor.account = "test-auditor";
  size_t unaudited = 0;
  for (const std::string& id : read) {
    StatusOr<audit::AccessReport> report =
        (*services)->audit->ReportAccess(auditor, {audit::IdentifierKind::kNationalId, id});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    bool has_read = false;
    for (const audit::AuditRecord& r : report->records) {
      has_read = has_read || r.entry.action == audit::AuditAction::kRead;
    }
    if (!has_read) ++unaudited;
  }
  EXPECT_EQ(unaudited, 0u) << "answered reads without a durable audit entry, of " << read.size();
  StatusOr<audit::VerifyReport> verified = (*services)->audit->Verify(auditor, {});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->ok()) << verified->Summary();
}

}  // namespace
}  // namespace warden::api
