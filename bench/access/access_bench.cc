// Per-request authorisation cost. Each iteration is what the HTTP layer does
// for one lookup: Authenticate (token hash + session, account and policy
// reads), CheckRate (token bucket compare-and-set), ParsePurpose, Authorize,
// CheckCanary (one keyed hash + read) and ChargeRecords (quota counter +
// hourly volume counter). Login is excluded: it is Argon2id-bound by design.
//
// Usage: access_bench [--benchmark_filter=...]; RocksDB data goes to a
// temporary directory that is removed afterwards.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "access/access_control.h"
#include "access/purpose.h"
#include "access/totp.h"
#include "store/memory_store.h"
#include "store/rocksdb_store.h"

namespace {

using namespace warden;          // NOLINT
using namespace warden::access;  // NOLINT

// A server with one officer whose limits are high enough never to bind.
struct Fixture {
  explicit Fixture(Store& store) {
    AccessOptions options;
    options.argon2 = Argon2Params::InsecureFastForTests();  // login is not measured
    options.policy_ceiling.daily_read_quota = int64_t{1} << 40;
    options.policy_ceiling.rate_per_second = 1e6;
    options.policy_ceiling.burst = 1'000'000;
    auto seal_keys = std::make_shared<crypto::EnvelopeKeys>(std::string(16, 'b'));
    seal_keys->Add(1, SecretBytes::Random(32)).IgnoreError();
    access = std::move(*AccessControl::Create(
        store, Clock::Real(), {SecretBytes::Random(32), seal_keys, SecretBytes::Random(32)},
        options));
    Authenticator& auth = access->authenticator();
    Administration& admin = access->administration();
    std::vector<SecretBytes> boot = std::move(*auth.CreateBootstrapTokens());
    Principal so = LogIn("bench.so", *auth.Bootstrap(boot[0], "bench.so", Pw()));
    Principal so2 = LogIn("bench.so2", *auth.Bootstrap(boot[1], "bench.so2", Pw()));
    ChangeResult asked =
        std::move(*admin.CreateHumanAccount(so, "bench.officer", {Role::kOfficer}));
    ApprovalResult approved = std::move(*admin.ApproveRequest(so2, asked.request_id));
    Enrollment officer = std::move(
        *auth.Enrol("bench.officer", asked.enrolment_part, approved.enrolment_part, Pw()));
    Policy p;
    p.rate_per_second = 1e6;
    p.burst = 1'000'000;
    p.daily_read_quota = int64_t{1} << 40;
    ChangeResult widened = std::move(*admin.SetAccountPolicy(so, officer.account_id, p));
    (void)admin.ApproveRequest(so2, widened.request_id);
    std::optional<SecretBytes> secret = Base32Decode(officer.totp_secret_base32.view());
    token = std::string(auth.Login("bench.officer", Pw(),
                                   TotpCode(*secret, Clock::Real().NowSeconds()), "127.0.0.1")
                            ->token.view());
    (void)access->tripwires().RegisterCanariesOffline("persons", {"11010519491231002X"});
  }

  static SecretBytes Pw() { return SecretBytes::CopyFrom(std::string("benchmark passphrase")); }

  Principal LogIn(const std::string& user, const Enrollment& e) {
    std::optional<SecretBytes> secret = Base32Decode(e.totp_secret_base32.view());
    StatusOr<IssuedToken> t = access->authenticator().Login(
        user, Pw(), TotpCode(*secret, Clock::Real().NowSeconds()), "127.0.0.1");
    return *access->authenticator().Authenticate(t->token.view(), "127.0.0.1");
  }

  std::unique_ptr<AccessControl> access;
  std::string token;
};

void RunRequest(benchmark::State& state, Fixture& f) {
  for (auto _ : state) {
    StatusOr<Principal> who = f.access->authenticator().Authenticate(f.token, "127.0.0.1");
    if (!who.ok()) state.SkipWithError("authenticate failed");
    if (!f.access->limits().CheckRate(*who).ok()) state.SkipWithError("rate limited");
    StatusOr<Purpose> why = ParsePurpose("case/2026-310115-0042", "lookup");
    benchmark::DoNotOptimize(why);
    if (!Authorize(*who, Operation::kLookup, "persons").ok()) {
      state.SkipWithError("not authorised");
    }
    if (!f.access->tripwires().CheckCanary(*who, "persons", "110101199003077777").ok()) {
      state.SkipWithError("canary");
    }
    StatusOr<int64_t> left = f.access->limits().ChargeRecords(*who, QuotaKind::kRead, 1);
    if (!left.ok()) state.SkipWithError("quota");
    benchmark::DoNotOptimize(left);
  }
}

void BM_RequestMemoryStore(benchmark::State& state) {
  MemoryStore store;
  Fixture f(store);
  RunRequest(state, f);
}
BENCHMARK(BM_RequestMemoryStore);

void BM_RequestRocksDbStore(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() /
             ("warden-access-bench-" + std::to_string(::getpid()));
  {
    StatusOr<std::unique_ptr<RocksDbStore>> store = RocksDbStore::Open(dir.string());
    if (!store.ok()) {
      state.SkipWithError("cannot open RocksDB");
      return;
    }
    Fixture f(**store);
    RunRequest(state, f);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RequestRocksDbStore);

// The pieces, on the in-memory store.
void BM_AuthenticateOnly(benchmark::State& state) {
  MemoryStore store;
  Fixture f(store);
  for (auto _ : state)
    benchmark::DoNotOptimize(f.access->authenticator().Authenticate(f.token, "127.0.0.1"));
}
BENCHMARK(BM_AuthenticateOnly);

void BM_AuthorizeOnly(benchmark::State& state) {
  MemoryStore store;
  Fixture f(store);
  Principal who = *f.access->authenticator().Authenticate(f.token, "127.0.0.1");
  for (auto _ : state) {
    benchmark::DoNotOptimize(Authorize(who, Operation::kLookup, "persons"));
  }
}
BENCHMARK(BM_AuthorizeOnly);

void BM_ChargeOnly(benchmark::State& state) {
  MemoryStore store;
  Fixture f(store);
  Principal who = *f.access->authenticator().Authenticate(f.token, "127.0.0.1");
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.access->limits().ChargeRecords(who, QuotaKind::kRead, 1));
  }
}
BENCHMARK(BM_ChargeOnly);

}  // namespace

BENCHMARK_MAIN();
