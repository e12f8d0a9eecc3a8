#include "store/record_barrier.h"

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "schema/resident_id.h"
#include "store/memory_store.h"

namespace warden {
namespace {

using schema::Record;

class RecordBarrierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = std::move(crypto::KeyRing::Create(SecretBytes::Random(crypto::kRootKeySize))).value();
    for (const char* c : {"persons", "cases", "deliveries"})
      ASSERT_TRUE(keys_->AddCollection(c).ok());
    barrier_ = std::make_unique<RecordBarrier>(store_, *keys_);
  }

  const schema::CollectionSchema& Persons() { return *schema::Schema::Registry().Find("persons"); }
  const schema::CollectionSchema& Cases() { return *schema::Schema::Registry().Find("cases"); }

  Record Person(std::string phone = "13800138000") {
    nlohmann::json input = {{"national_id", "11010519491231002X"},
                            {"name", "王秀英"},
                            {"gender", "female"},
                            {"birth_date", "1949-12-31"},
                            {"current_address", "北京市朝阳区建国路88号"},
                            {"phones", {phone}}};
    auto record = schema::ValidateRecord(Persons(), input, Clock::Real());
    EXPECT_TRUE(record.ok()) << record.status().ToString();
    return *record;
  }

  StatusOr<SearchResult> SearchPhone(std::string_view phone) {
    auto term = schema::QueryTerm(Persons(), "phones", {{"phone", phone}});
    if (!term.ok()) return term.status();
    return barrier_->Search(Persons(), *term, 10);
  }

  // Every value in every space, concatenated with the keys.
  std::string EverythingStored() {
    std::string all;
    for (int s = 0; s < kSpaceCount; ++s) {
      auto rows = store_.Scan(static_cast<Space>(s), "", "", 1 << 20);
      for (const KeyValue& kv : *rows) {
        all += kv.key;
        all += kv.value;
      }
    }
    return all;
  }

  MemoryStore store_;
  std::unique_ptr<crypto::KeyRing> keys_;
  std::unique_ptr<RecordBarrier> barrier_;
};

TEST_F(RecordBarrierTest, PutThenGetReturnsTheRecord) {
  Record person = Person();
  EXPECT_EQ(*barrier_->Put(Persons(), person), false);
  auto got = barrier_->Get(Persons(), "11010519491231002X");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, person);
  EXPECT_FALSE(barrier_->Get(Persons(), "110105194912310053")->has_value());
}

TEST_F(RecordBarrierTest, SearchByPhoneFindsTheRecord) {
  ASSERT_TRUE(barrier_->Put(Persons(), Person()).ok());
  auto found = SearchPhone("138 0013 8000");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->records.size(), 1u);
  EXPECT_EQ(found->records[0]["name"], "王秀英");
  EXPECT_FALSE(found->truncated);
}

TEST_F(RecordBarrierTest, ReplaceDropsStaleIndexEntries) {
  ASSERT_TRUE(barrier_->Put(Persons(), Person("13800138000")).ok());
  EXPECT_EQ(*barrier_->Put(Persons(), Person("13900139000")), true);
  EXPECT_TRUE(SearchPhone("13800138000")->records.empty());
  EXPECT_EQ(SearchPhone("13900139000")->records.size(), 1u);
}

TEST_F(RecordBarrierTest, EraseRemovesTheRecordAndEveryIndexEntry) {
  ASSERT_TRUE(barrier_->Put(Persons(), Person()).ok());
  ASSERT_TRUE(barrier_->Erase(Persons(), "11010519491231002X").ok());
  EXPECT_FALSE(barrier_->Get(Persons(), "11010519491231002X")->has_value());
  EXPECT_TRUE(SearchPhone("13800138000")->records.empty());
  EXPECT_TRUE(store_.Scan(Space::kIndex, "", "", 100)->empty());
  EXPECT_TRUE(store_.Scan(Space::kRecords, "", "", 100)->empty());
  EXPECT_EQ(barrier_->Erase(Persons(), "11010519491231002X").code(), StatusCode::kNotFound);
}

TEST_F(RecordBarrierTest, StoreHoldsNoPlaintext) {
  ASSERT_TRUE(barrier_->Put(Persons(), Person()).ok());
  std::string all = EverythingStored();
  for (std::string needle :
       {"11010519491231002X", "王秀英", "+8613800138000", "13800138000", "1949-12-31", "建国路"}) {
    EXPECT_EQ(all.find(needle), std::string::npos) << needle;
    EXPECT_EQ(HexEncode(all).find(HexEncode(needle)), std::string::npos) << needle;
  }
}

TEST_F(RecordBarrierTest, ValueMovedToAnotherRecordFailsToOpen) {
  Record a = Person();
  Record b = Person();
  const std::string other_id =
      "11010519491231003" + std::string(1, schema::ResidentIdCheckChar("11010519491231003"));
  b["national_id"] = other_id;
  b["gender"] = "male";
  auto validated = schema::ValidateRecord(Persons(), b, Clock::Real());
  ASSERT_TRUE(validated.ok()) << validated.status().ToString();
  b = *validated;
  ASSERT_TRUE(barrier_->Put(Persons(), a).ok());
  ASSERT_TRUE(barrier_->Put(Persons(), b).ok());
  auto rows = *store_.Scan(Space::kRecords, "", "", 10);
  ASSERT_EQ(rows.size(), 2u);
  WriteBatch swap;
  swap.Put(Space::kRecords, rows[0].key, rows[1].value);
  ASSERT_TRUE(store_.Write(swap).ok());
  auto got_a = barrier_->Get(Persons(), "11010519491231002X");
  auto got_b = barrier_->Get(Persons(), other_id);
  // rows[0] now holds the other record's value: whichever key it belongs to fails.
  const bool a_broken = !got_a.ok() && got_a.status().code() == StatusCode::kDataLoss;
  const bool b_broken = !got_b.ok() && got_b.status().code() == StatusCode::kDataLoss;
  EXPECT_TRUE(a_broken != b_broken);
}

TEST_F(RecordBarrierTest, FlippedBitInStoredValueFailsToOpen) {
  ASSERT_TRUE(barrier_->Put(Persons(), Person()).ok());
  auto rows = *store_.Scan(Space::kRecords, "", "", 10);
  ASSERT_EQ(rows.size(), 1u);
  for (size_t i = 0; i < rows[0].value.size(); i += 7) {
    std::string bad = rows[0].value;
    bad[i] ^= 0x20;
    WriteBatch batch;
    batch.Put(Space::kRecords, rows[0].key, bad);
    ASSERT_TRUE(store_.Write(batch).ok());
    EXPECT_FALSE(barrier_->Get(Persons(), "11010519491231002X").ok()) << "byte " << i;
  }
}

TEST_F(RecordBarrierTest, CasesAreFoundThroughTheirPersons) {
  nlohmann::json input = {
      {"case_no", "A2026-0001"},
      {"opened_on", "2026-01-05"},
      {"category", "fraud"},
      {"station", "110105"},
      {"status", "open"},
      {"persons", {{{"national_id", "11010519491231002X"}, {"role", "victim"}}}}};
  auto record = schema::ValidateRecord(Cases(), input, Clock::Real());
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  ASSERT_TRUE(barrier_->Put(Cases(), *record).ok());
  auto term = schema::QueryTerm(Cases(), "persons", {{"national_id", "11010519491231002X"}});
  ASSERT_TRUE(term.ok()) << term.status().ToString();
  auto found = barrier_->Search(Cases(), *term, 10);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->records.size(), 1u);
  EXPECT_EQ(found->records[0]["case_no"], "A2026-0001");
}

TEST_F(RecordBarrierTest, SearchIsCappedAndSaysSo) {
  // Five women born the same day sharing one phone: sequence numbers 002, 004, ...
  for (int seq = 2; seq <= 10; seq += 2) {
    std::string first17 =
        "11010519491231" + std::string(seq < 10 ? "00" : "0") + std::to_string(seq);
    Record p = Person();
    p["national_id"] = first17 + schema::ResidentIdCheckChar(first17);
    ASSERT_TRUE(barrier_->Put(Persons(), p).ok());
  }
  auto term = schema::QueryTerm(Persons(), "phones", {{"phone", "13800138000"}});
  ASSERT_TRUE(term.ok());
  auto capped = barrier_->Search(Persons(), *term, 3);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->records.size(), 3u);
  EXPECT_TRUE(capped->truncated);
  auto all = barrier_->Search(Persons(), *term, 5);
  EXPECT_EQ(all->records.size(), 5u);
  EXPECT_FALSE(all->truncated);
}

// A woman born 1949-12-31 in Beijing with sequence number `seq` (even).
Record WithSequence(Record p, int seq) {
  const std::string digits = std::to_string(1000 + seq).substr(1);  // three digits
  const std::string first17 = "11010519491231" + digits;
  p["national_id"] = first17 + schema::ResidentIdCheckChar(first17);
  return p;
}

TEST_F(RecordBarrierTest, PutManyWritesAllInOneCommitAndReportsReplacements) {
  ASSERT_TRUE(barrier_->Put(Persons(), WithSequence(Person("13800138000"), 2)).ok());
  std::vector<Record> batch = {WithSequence(Person("13900139000"), 2),   // replaces a stored one
                               WithSequence(Person("13700137000"), 4),   // new
                               WithSequence(Person("13600136000"), 4)};  // same key again
  const uint64_t commits_before = store_.ChangeCount();
  StatusOr<std::vector<bool>> replaced = barrier_->PutMany(Persons(), batch);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(*replaced, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(store_.ChangeCount() - commits_before, 1u);
  // The last record of a key is the one stored, with only its own index entries.
  EXPECT_EQ((*barrier_->Get(Persons(), batch[2]["national_id"].get<std::string>()))->at("phones"),
            batch[2]["phones"]);
  EXPECT_TRUE(SearchPhone("13800138000")->records.empty());
  EXPECT_TRUE(SearchPhone("13700137000")->records.empty());
  EXPECT_EQ(SearchPhone("13900139000")->records.size(), 1u);
  EXPECT_EQ(SearchPhone("13600136000")->records.size(), 1u);
  EXPECT_EQ(store_.Scan(Space::kRecords, "", "", 100)->size(), 2u);
}

TEST_F(RecordBarrierTest, PutManyWritesNothingWhenTheCommitFails) {
  std::vector<Record> batch;
  for (int seq = 2; seq <= 20; seq += 2) batch.push_back(WithSequence(Person(), seq));
  store_.SetWritesFail(true);
  EXPECT_FALSE(barrier_->PutMany(Persons(), batch).ok());
  store_.SetWritesFail(false);
  EXPECT_TRUE(store_.Scan(Space::kRecords, "", "", 100)->empty());
  EXPECT_TRUE(store_.Scan(Space::kIndex, "", "", 100)->empty());
  StatusOr<std::vector<bool>> replaced = barrier_->PutMany(Persons(), batch);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->size(), batch.size());
  EXPECT_EQ(SearchPhone("13800138000")->records.size(), batch.size());
}

}  // namespace
}  // namespace warden
