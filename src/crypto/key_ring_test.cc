#include "crypto/key_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/bytes.h"
#include "crypto/envelope.h"

namespace warden::crypto {
namespace {

SecretBytes NewRoot() { return SecretBytes::Random(kRootKeySize); }

std::unique_ptr<KeyRing> NewRing(const SecretBytes& root,
                                 std::initializer_list<std::string_view> collections = {"persons",
                                                                                        "cases"}) {
  auto ring = KeyRing::Create(root.Clone());
  EXPECT_TRUE(ring.ok()) << ring.status().ToString();
  for (std::string_view c : collections) EXPECT_TRUE((*ring)->AddCollection(c).ok());
  return std::move(ring).value();
}

std::string Seal(const KeyRing& ring, std::string_view collection, std::string_view key,
                 std::string_view fields, std::string_view plaintext) {
  auto sealed = ring.SealRecord(collection, key, fields, AsBytes(plaintext));
  EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
  return sealed.ok() ? *sealed : std::string();
}

void ExpectOpenFails(const StatusOr<std::string>& opened, std::string_view reason) {
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(opened.status().reason(), reason) << opened.status().ToString();
}

constexpr std::string_view kRecord = R"({"name":"Zhang San","phone":"+8613800000000"})";

TEST(KeyRingTest, SealedRecordOpensWithItsBindingsAndHidesPlaintext) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  std::string sealed = Seal(*ring, "persons", "110101199003074514", "all", kRecord);
  EXPECT_EQ(sealed.size(), kRecord.size() + kEnvelopeOverhead);
  EXPECT_EQ(sealed.find("Zhang"), std::string::npos);
  EXPECT_EQ(*ring->OpenRecord("persons", "110101199003074514", "all", sealed), kRecord);
}

TEST(KeyRingTest, EmptyPlaintextRoundTrips) {
  auto ring = NewRing(NewRoot());
  std::string sealed = Seal(*ring, "persons", "k", "f", "");
  EXPECT_EQ(*ring->OpenRecord("persons", "k", "f", sealed), "");
}

TEST(KeyRingTest, TwoSealsOfOneRecordDiffer) {
  auto ring = NewRing(NewRoot());
  EXPECT_NE(Seal(*ring, "persons", "k", "f", kRecord), Seal(*ring, "persons", "k", "f", kRecord));
}

TEST(KeyRingTest, CiphertextMovedToAnotherRecordFailsToOpen) {
  auto ring = NewRing(NewRoot());
  std::string sealed = Seal(*ring, "persons", "110101199003074514", "all", kRecord);
  ExpectOpenFails(ring->OpenRecord("persons", "110101199003074522", "all", sealed),
                  "record_authentication_failed");
}

TEST(KeyRingTest, CiphertextMovedToAnotherFieldSetFailsToOpen) {
  auto ring = NewRing(NewRoot());
  std::string sealed = Seal(*ring, "persons", "k", "contact", kRecord);
  ExpectOpenFails(ring->OpenRecord("persons", "k", "identity", sealed),
                  "record_authentication_failed");
}

TEST(KeyRingTest, CiphertextMovedToAnotherCollectionFailsToOpen) {
  auto ring = NewRing(NewRoot());
  std::string sealed = Seal(*ring, "persons", "k", "f", kRecord);
  ExpectOpenFails(ring->OpenRecord("cases", "k", "f", sealed), "record_authentication_failed");
}

TEST(KeyRingTest, CiphertextFromAnotherStoreFailsToOpen) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  auto other = NewRing(root);  // same root, different identity and keys
  std::string sealed = Seal(*other, "persons", "k", "f", kRecord);
  ExpectOpenFails(ring->OpenRecord("persons", "k", "f", sealed), "record_authentication_failed");
}

TEST(KeyRingTest, AmbiguousBindingsDoNotCollide) {
  auto ring = NewRing(NewRoot());
  std::string sealed = Seal(*ring, "persons", "ab", "c", kRecord);
  ExpectOpenFails(ring->OpenRecord("persons", "a", "bc", sealed), "record_authentication_failed");
}

TEST(KeyRingTest, CiphertextRelabelledToAnotherKeyVersionFailsToOpen) {
  auto ring = NewRing(NewRoot());
  ASSERT_EQ(*ring->RotateDataKey("persons"), 2u);
  std::string sealed = Seal(*ring, "persons", "k", "f", kRecord);
  ASSERT_EQ(*KeyRing::DataKeyVersionOf(sealed), 2u);
  std::string relabelled = sealed;
  relabelled[5] = 1;  // last byte of the big-endian version
  ExpectOpenFails(ring->OpenRecord("persons", "k", "f", relabelled),
                  "record_authentication_failed");
  relabelled[5] = 3;
  ExpectOpenFails(ring->OpenRecord("persons", "k", "f", relabelled), "unknown_key_version");
}

TEST(KeyRingTest, EveryFlippedBitFailsToOpen) {
  auto ring = NewRing(NewRoot());
  std::string sealed = Seal(*ring, "persons", "k", "f", "short record");
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    std::string bad = sealed;
    bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    EXPECT_FALSE(ring->OpenRecord("persons", "k", "f", bad).ok()) << "bit " << bit;
  }
}

TEST(KeyRingTest, TruncatedOrUnknownHeaderIsMalformed) {
  auto ring = NewRing(NewRoot());
  std::string sealed = Seal(*ring, "persons", "k", "f", "x");
  ExpectOpenFails(ring->OpenRecord("persons", "k", "f", sealed.substr(0, kEnvelopeOverhead - 1)),
                  "malformed_ciphertext");
  ExpectOpenFails(ring->OpenRecord("persons", "k", "f", ""), "malformed_ciphertext");
  std::string future = sealed;
  future[0] = 2;
  ExpectOpenFails(ring->OpenRecord("persons", "k", "f", future), "malformed_ciphertext");
  std::string zero_version = sealed;
  zero_version.replace(2, 4, std::string(4, '\0'));
  ExpectOpenFails(ring->OpenRecord("persons", "k", "f", zero_version), "malformed_ciphertext");
}

TEST(KeyRingTest, UnknownCollectionIsNotFound) {
  auto ring = NewRing(NewRoot());
  auto sealed = ring->SealRecord("deliveries", "k", "f", AsBytes("x"));
  EXPECT_EQ(sealed.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sealed.status().reason(), "unknown_collection");
}

TEST(KeyRingTest, InvalidNamesAreRefusedWithTheRule) {
  auto ring = NewRing(NewRoot());
  Status st = ring->AddCollection("bad name");
  EXPECT_EQ(st.code(), StatusCode::kUnprocessable);
  ASSERT_EQ(st.fields().size(), 1u);
  EXPECT_EQ(st.fields()[0].field, "collection");
  EXPECT_FALSE(ring->AddCollection("").ok());
  EXPECT_FALSE(ring->AddCollection(std::string(65, 'a')).ok());
  EXPECT_FALSE(ring->BlindIndex("persons", "na\nme", "x").ok());
  EXPECT_FALSE(ring->DeriveServiceKey("Audit Sign").ok());
}

// Written by KeyRing::SealRecord before records used the shared envelope
// (crypto/envelope.h): a store's key ring state, its root key and one record.
// Data directories from then must keep opening.
constexpr std::string_view kEarlierRoot =
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
constexpr std::string_view kEarlierState =
    R"({"collections":{"persons":{"data_key_version":1,"data_keys":{"1":"ARDJ3TcCnw5llvUwgvsHwgiwUBcHmGzKUxu7tS0MQirikTlgiKIihLD+DANj8MzgYKX1r1dDXxWGsj7wOg=="},"index_seed":"AX2aibSCCX0dmUf2fc1eBV08PFNbAFJiCKPUcTW0MZ+CsLr7IbQiGgGXEoyN+mIK9z374N4CpnkR9DmN4w==","kek":"AUFpjgtSi1ht41SBdQ1y/ACBfFDoHHdnceM3XsT/Nem3770oke5ZLJ9kULexdMP14E47+V0XzGdZwWQzZA==","kek_version":1}},"format":"warden-keyring-v1","keyring_id":"901ee34de4b68e2b2ac1744dae657b92","mac":"11ec0341994c0faa90a51f428ad41cd4321b45e95bc784f6028b055fe493b6e8","service_master":"AXhyAkImTHnXNEsS9mpF/x/rPTJFGWwBHt94aDNHs2DypbqiZKrsmJsGZzc3B6Phbt/dsuKYUs7BrQVsKQ=="})";
constexpr std::string_view kEarlierRecord =
    "010100000001e4ba5426752f85ba732cdbb7a39762256581a73448929b6a7566afa8f57b8149f7cefea60dd2e4"
    "1fe6b4209a9385aba9";

TEST(KeyRingTest, RecordSealedBeforeTheSharedEnvelopeStillOpens) {
  auto ring = KeyRing::Load(SecretBytes::CopyFrom(*HexDecode(kEarlierRoot)), kEarlierState);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  const std::string sealed = *HexDecode(kEarlierRecord);
  auto opened = (*ring)->OpenRecord("persons", "110101199003074514", "v1:record", sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, R"({"name":"Zhang San"})");
  ExpectOpenFails((*ring)->OpenRecord("persons", "110101199003074522", "v1:record", sealed),
                  "record_authentication_failed");
  // What it seals now has the same layout and opens under the same rules.
  std::string fresh = Seal(**ring, "persons", "110101199003074514", "v1:record", "{}");
  EXPECT_EQ(fresh.substr(0, 6), sealed.substr(0, 6));
  EXPECT_EQ(*(*ring)->OpenRecord("persons", "110101199003074514", "v1:record", fresh), "{}");
}

TEST(KeyRingTest, WrongSizedRootKeyIsRefused) {
  EXPECT_EQ(KeyRing::Create(SecretBytes::Random(16)).status().code(), StatusCode::kInvalidArgument);
}

TEST(KeyRingTest, StateReloadedUnderItsRootOpensEarlierRecords) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  std::string sealed = Seal(*ring, "persons", "k", "f", kRecord);
  auto loaded = KeyRing::Load(root.Clone(), ring->State());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->KeyRingId(), ring->KeyRingId());
  EXPECT_EQ(*(*loaded)->OpenRecord("persons", "k", "f", sealed), kRecord);
  EXPECT_EQ((*loaded)->Collections(), (std::vector<std::string>{"cases", "persons"}));
}

TEST(KeyRingTest, StateHoldsNoPlaintextKeyMaterial) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  std::string state = ring->State();
  EXPECT_EQ(state.find(HexEncode(root.span())), std::string::npos);
  EXPECT_EQ(state.find(Base64Encode(root.span())), std::string::npos);
  EXPECT_EQ(state.find(root.view()), std::string::npos);
  // Without the root, nothing in the state opens a record.
  EXPECT_FALSE(KeyRing::Load(NewRoot(), state).ok());
}

TEST(KeyRingTest, StateUnderWrongRootKeyIsRefused) {
  auto ring = NewRing(NewRoot());
  auto loaded = KeyRing::Load(NewRoot(), ring->State());
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(loaded.status().reason(), "keyring_state_mismatch");
}

TEST(KeyRingTest, AlteredStateIsRefused) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  ASSERT_TRUE(ring->RotateDataKey("persons").ok());
  std::string state = ring->State();
  // Roll the current version back, as someone with disk access might.
  std::string rolled_back = state;
  size_t pos = rolled_back.find("\"data_key_version\":2");
  ASSERT_NE(pos, std::string::npos);
  rolled_back[pos + 19] = '1';
  EXPECT_FALSE(KeyRing::Load(root.Clone(), rolled_back).ok());
  EXPECT_FALSE(KeyRing::Load(root.Clone(), state.substr(0, state.size() / 2)).ok());
  EXPECT_FALSE(KeyRing::Load(root.Clone(), "[]").ok());
  EXPECT_FALSE(KeyRing::Load(root.Clone(), "").ok());
  EXPECT_TRUE(KeyRing::Load(root.Clone(), state).ok());
}

TEST(KeyRingTest, RecordsUnderVersionsOneTwoThreeAllOpen) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  std::vector<std::string> sealed;
  sealed.push_back(Seal(*ring, "persons", "r1", "f", "one"));
  ASSERT_EQ(*ring->RotateDataKey("persons"), 2u);
  sealed.push_back(Seal(*ring, "persons", "r2", "f", "two"));
  ASSERT_EQ(*ring->RotateDataKey("persons"), 3u);
  ASSERT_EQ(*ring->RotateKek("persons"), 2u);
  sealed.push_back(Seal(*ring, "persons", "r3", "f", "three"));
  for (uint32_t v = 1; v <= 3; ++v) EXPECT_EQ(*KeyRing::DataKeyVersionOf(sealed[v - 1]), v);
  auto reloaded = KeyRing::Load(root.Clone(), ring->State());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  for (const KeyRing* r : {ring.get(), reloaded->get()}) {
    EXPECT_EQ(*r->OpenRecord("persons", "r1", "f", sealed[0]), "one");
    EXPECT_EQ(*r->OpenRecord("persons", "r2", "f", sealed[1]), "two");
    EXPECT_EQ(*r->OpenRecord("persons", "r3", "f", sealed[2]), "three");
    CollectionKeyVersions v = *r->Versions("persons");
    EXPECT_EQ(v.kek_version, 2u);
    EXPECT_EQ(v.data_key_version, 3u);
    EXPECT_EQ(v.data_key_versions, (std::vector<uint32_t>{1, 2, 3}));
  }
  // Other collections are untouched.
  EXPECT_EQ((*ring->Versions("cases")).data_key_version, 1u);
}

TEST(KeyRingTest, AfterRekeyOnlyTheNewRootLoadsTheState) {
  SecretBytes old_root = NewRoot();
  auto ring = NewRing(old_root);
  std::string sealed = Seal(*ring, "persons", "k", "f", kRecord);
  std::string index = *ring->BlindIndex("persons", "phone", "+8613800000000");
  SecretBytes audit_key = *ring->DeriveServiceKey("audit-sign");
  SecretBytes new_root = NewRoot();
  ASSERT_TRUE(ring->Rekey(new_root.Clone()).ok());
  std::string state = ring->State();
  EXPECT_EQ(KeyRing::Load(old_root.Clone(), state).status().reason(), "keyring_state_mismatch");
  auto reloaded = KeyRing::Load(new_root.Clone(), state);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(*(*reloaded)->OpenRecord("persons", "k", "f", sealed), kRecord);
  EXPECT_EQ(*(*reloaded)->BlindIndex("persons", "phone", "+8613800000000"), index);
  EXPECT_TRUE(*(*reloaded)->DeriveServiceKey("audit-sign") == audit_key);
  EXPECT_FALSE(ring->Rekey(new_root.Clone()).ok());  // same root again
}

TEST(KeyRingTest, ReencryptionMovesRecordsToTheCurrentVersionAndIsIdempotent) {
  auto ring = NewRing(NewRoot());
  std::string old = Seal(*ring, "persons", "k", "f", kRecord);
  ASSERT_TRUE(ring->RotateDataKey("persons").ok());
  auto moved = ring->ReencryptRecord("persons", "k", "f", old);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  ASSERT_TRUE(moved->has_value());
  EXPECT_EQ(*KeyRing::DataKeyVersionOf(**moved), 2u);
  EXPECT_EQ(*ring->OpenRecord("persons", "k", "f", **moved), kRecord);
  auto again = ring->ReencryptRecord("persons", "k", "f", **moved);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  // A record that does not authenticate is never blessed by the pass.
  EXPECT_FALSE(ring->ReencryptRecord("persons", "other", "f", old).ok());
  EXPECT_FALSE(ring->ReencryptRecord("persons", "other", "f", **moved).ok());
}

TEST(KeyRingTest, RetiredDataKeyNoLongerOpensItsRecords) {
  auto ring = NewRing(NewRoot());
  std::string old = Seal(*ring, "persons", "k", "f", kRecord);
  EXPECT_EQ(ring->RetireDataKey("persons", 1).code(), StatusCode::kConflict);
  ASSERT_TRUE(ring->RotateDataKey("persons").ok());
  ASSERT_TRUE(ring->RetireDataKey("persons", 1).ok());
  ExpectOpenFails(ring->OpenRecord("persons", "k", "f", old), "unknown_key_version");
  EXPECT_EQ(ring->RetireDataKey("persons", 1).code(), StatusCode::kNotFound);
}

TEST(KeyRingTest, FailedPersistCancelsTheRotation) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  ring->SetStatePersister([](std::string_view) { return Unavailable("disk full"); });
  EXPECT_EQ(ring->RotateDataKey("persons").status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(ring->RotateKek("persons").ok());
  EXPECT_FALSE(ring->AddCollection("deliveries").ok());
  EXPECT_FALSE(ring->Rekey(NewRoot()).ok());
  EXPECT_EQ((*ring->Versions("persons")).data_key_version, 1u);
  EXPECT_EQ((*ring->Versions("persons")).kek_version, 1u);
  EXPECT_FALSE(ring->HasCollection("deliveries"));
  EXPECT_EQ(*KeyRing::DataKeyVersionOf(Seal(*ring, "persons", "k", "f", "x")), 1u);
  EXPECT_TRUE(KeyRing::Load(root.Clone(), ring->State()).ok());  // still the old root
}

TEST(KeyRingTest, PersistedStateIsTheOneThatTakesEffect) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  std::string persisted;
  ring->SetStatePersister([&](std::string_view state) {
    persisted = state;
    return Status::Ok();
  });
  ASSERT_TRUE(ring->RotateDataKey("persons").ok());
  std::string sealed = Seal(*ring, "persons", "k", "f", kRecord);
  auto reloaded = KeyRing::Load(root.Clone(), persisted);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(*(*reloaded)->OpenRecord("persons", "k", "f", sealed), kRecord);
}

TEST(KeyRingTest, BlindIndexIsDeterministicPerCollectionAndIndex) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  std::string a = *ring->BlindIndex("persons", "phone", "+8613800000000");
  EXPECT_EQ(a.size(), kBlindIndexSize);
  EXPECT_EQ(*ring->BlindIndex("persons", "phone", "+8613800000000"), a);
  EXPECT_NE(*ring->BlindIndex("persons", "phone", "+8613800000001"), a);
  EXPECT_NE(*ring->BlindIndex("persons", "national_id", "+8613800000000"), a);
  EXPECT_NE(*ring->BlindIndex("cases", "phone", "+8613800000000"), a);
  // Another store with the same root indexes differently (no cross-store linking).
  EXPECT_NE(*NewRing(root)->BlindIndex("persons", "phone", "+8613800000000"), a);
  // Rotations and reloads keep indexes valid.
  ASSERT_TRUE(ring->RotateDataKey("persons").ok());
  ASSERT_TRUE(ring->RotateKek("persons").ok());
  EXPECT_EQ(*(*KeyRing::Load(root.Clone(), ring->State()))
                 ->BlindIndex("persons", "phone", "+8613800000000"),
            a);
}

TEST(KeyRingTest, CompoundIndexTermsAreUnambiguous) {
  auto ring = NewRing(NewRoot());
  std::string name_dob = CompoundIndexTerm({"张三", "1990-03-07"});
  EXPECT_NE(CompoundIndexTerm({"ab", "c"}), CompoundIndexTerm({"a", "bc"}));
  EXPECT_NE(
      *ring->BlindIndex("persons", "name_birth_date", name_dob),
      *ring->BlindIndex("persons", "name_birth_date", CompoundIndexTerm({"张三", "1990-03-08"})));
  EXPECT_EQ(
      *ring->BlindIndex("persons", "name_birth_date", name_dob),
      *ring->BlindIndex("persons", "name_birth_date", CompoundIndexTerm({"张三", "1990-03-07"})));
}

TEST(KeyRingTest, ServiceKeysAreStableAndDistinctPerPurpose) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  SecretBytes sign = *ring->DeriveServiceKey("audit-sign");
  SecretBytes hash = *ring->DeriveServiceKey("audit-hash");
  EXPECT_EQ(sign.size(), 32u);
  EXPECT_FALSE(sign == hash);
  EXPECT_TRUE(*ring->DeriveServiceKey("audit-sign") == sign);
  EXPECT_TRUE(*(*KeyRing::Load(root.Clone(), ring->State()))->DeriveServiceKey("audit-sign") ==
              sign);
  EXPECT_FALSE(*NewRing(root)->DeriveServiceKey("audit-sign") == sign);
}

TEST(KeyRingTest, EnvelopeKeysStartAtVersionOneAndLeaveTheStateAsItWas) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  const std::string state = ring->State();
  auto keys = ring->EnvelopeKeysFor("account-secret");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ((*keys)->current_version(), 1u);
  EXPECT_EQ(*ring->EnvelopeKeyVersion("account-secret"), 1u);
  EXPECT_EQ(ring->State(), state);
  EXPECT_EQ(ring->EnvelopeKeysFor("account-secret")->get(), keys->get());  // one shared set
}

TEST(KeyRingTest, EnvelopeSealedUnderVersionNOpensAfterRotationAndReload) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  std::shared_ptr<const EnvelopeKeys> keys = *ring->EnvelopeKeysFor("audit-context");
  auto under_1 = keys->Seal(EnvelopeUse::kAuditContext, {"acct", "sess"}, AsBytes("case/1"));
  ASSERT_TRUE(under_1.ok());
  ASSERT_EQ(*ring->RotateEnvelopeKey("audit-context"), 2u);
  // The holder seals under the new version at once.
  EXPECT_EQ(keys->current_version(), 2u);
  auto under_2 = keys->Seal(EnvelopeUse::kAuditContext, {"acct", "sess"}, AsBytes("case/2"));
  ASSERT_TRUE(under_2.ok());
  EXPECT_EQ(*KeyRing::DataKeyVersionOf(*under_2), 2u);
  EXPECT_EQ(*keys->Open(EnvelopeUse::kAuditContext, {"acct", "sess"}, *under_1), "case/1");

  // Rotation persists the version; a reloaded ring (after a rekey too) opens both.
  SecretBytes new_root = NewRoot();
  ASSERT_TRUE(ring->Rekey(new_root.Clone()).ok());
  auto reloaded = KeyRing::Load(new_root.Clone(), ring->State());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(*(*reloaded)->EnvelopeKeyVersion("audit-context"), 2u);
  std::shared_ptr<const EnvelopeKeys> again = *(*reloaded)->EnvelopeKeysFor("audit-context");
  EXPECT_EQ(*again->Open(EnvelopeUse::kAuditContext, {"acct", "sess"}, *under_1), "case/1");
  EXPECT_EQ(*again->Open(EnvelopeUse::kAuditContext, {"acct", "sess"}, *under_2), "case/2");
  // Other purposes did not move.
  EXPECT_EQ(*(*reloaded)->EnvelopeKeyVersion("account-secret"), 1u);
}

TEST(KeyRingTest, EnvelopeKeysArePerPurposeAndPerStore) {
  SecretBytes root = NewRoot();
  auto ring = NewRing(root);
  auto secrets = *ring->EnvelopeKeysFor("account-secret");
  auto contexts = *ring->EnvelopeKeysFor("audit-context");
  auto elsewhere = *NewRing(root)->EnvelopeKeysFor("account-secret");
  auto sealed = secrets->Seal(EnvelopeUse::kAccountSecret, {"totp", "a"}, AsBytes("x"));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(contexts->Open(EnvelopeUse::kAccountSecret, {"totp", "a"}, *sealed).status().reason(),
            "account_secret_authentication_failed");
  EXPECT_EQ(elsewhere->Open(EnvelopeUse::kAccountSecret, {"totp", "a"}, *sealed).status().reason(),
            "account_secret_authentication_failed");
  EXPECT_EQ(ring->EnvelopeKeysFor("Bad Purpose").status().code(), StatusCode::kUnprocessable);
  EXPECT_EQ(ring->RotateEnvelopeKey("").status().code(), StatusCode::kUnprocessable);
}

TEST(KeyRingTest, FailedPersistCancelsTheEnvelopeKeyRotation) {
  auto ring = NewRing(NewRoot());
  auto keys = *ring->EnvelopeKeysFor("account-secret");
  ring->SetStatePersister([](std::string_view) { return Unavailable("disk full"); });
  EXPECT_EQ(ring->RotateEnvelopeKey("account-secret").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(keys->current_version(), 1u);
  EXPECT_EQ(*ring->EnvelopeKeyVersion("account-secret"), 1u);
}

TEST(KeyRingTest, ConcurrentSealsAndOpensSurviveRotation) {
  auto ring = NewRing(NewRoot());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      int i = 0;
      while (!stop.load()) {
        std::string key = std::to_string(t) + "-" + std::to_string(i++);
        auto sealed = ring->SealRecord("persons", key, "f", AsBytes(key));
        auto index = ring->BlindIndex("persons", "phone", key);
        if (!sealed.ok() || !index.ok()) {
          ++failures;
          continue;
        }
        auto opened = ring->OpenRecord("persons", key, "f", *sealed);
        if (!opened.ok() || *opened != key) ++failures;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(ring->RotateDataKey("persons").ok());
    ASSERT_TRUE(ring->RotateKek("persons").ok());
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace warden::crypto
