#include "schema/record.h"

#include <gtest/gtest.h>

#include "schema/resident_id.h"

namespace warden::schema {
namespace {

using nlohmann::json;

const FakeClock kClock(1'717'200'000'000'000);  // 2024-06-01

const CollectionSchema& Persons() { return *Schema::Registry().Find("persons"); }
const CollectionSchema& Cases() { return *Schema::Registry().Find("cases"); }
const CollectionSchema& Deliveries() { return *Schema::Registry().Find("deliveries"); }

json ValidPerson() {
  return json{{"national_id", "11010519491231002X"},
              {"name", "张秀英"},
              {"gender", "female"},
              {"birth_date", "1949-12-31"},
              {"ethnicity", "汉族"},
              {"birthplace", "110105"},
              {"hukou_address", "北京市朝阳区建外街道光华路8号"},
              {"current_address", "上海市浦东新区花木街道世纪大道100号"},
              {"phones", json::array({"138 0013 8000", "+86 139 1234 5678"})},
              {"height_cm", "162"},
              {"education", "bachelor"},
              {"marital_status", "married"},
              {"notes", "synthetic test person"}};
}

bool HasViolation(const Status& s, const std::string& field, const std::string& rule) {
  for (const FieldViolation& v : s.fields()) {
    if (v.field == field && v.rule == rule) return true;
  }
  return false;
}

TEST(RegistrySchemaTest, HasTheThreeCollectionsOfTheSpec) {
  const Schema& r = Schema::Registry();
  EXPECT_EQ(r.name(), "registry");
  ASSERT_NE(r.Find("persons"), nullptr);
  EXPECT_EQ(Persons().key_field, "national_id");
  EXPECT_EQ(Cases().key_field, "case_no");
  EXPECT_EQ(Deliveries().key_field, "waybill_no");
  EXPECT_EQ(Persons().fields.size(), 13u);
  EXPECT_EQ(Cases().fields.size(), 8u);
  EXPECT_EQ(Deliveries().fields.size(), 7u);
  EXPECT_EQ(Persons().Field("phones")->type, FieldType::kList);
  EXPECT_EQ(Persons().Field("phones")->index, IndexKind::kExact);
  EXPECT_EQ(Persons().Field("notes")->index, IndexKind::kNone);
  EXPECT_NE(Persons().Index("name_birth_date"), nullptr);
  EXPECT_NE(Cases().Index("persons"), nullptr);
  EXPECT_NE(Deliveries().Index("recipient_phone"), nullptr);
  EXPECT_EQ(r.Find("nothing"), nullptr);
}

TEST(SchemaParseTest, RejectsBadSchemasNamingThePath) {
  auto bad = [](const char* text) { return Schema::Parse(text).status().message(); };
  EXPECT_NE(bad("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(bad(R"({"collections":[{"name":"a","key":"k","fields":[{"name":"k","type":"blob"}]}]})")
                .find("collections[0].fields[0].type"),
            std::string::npos);
  EXPECT_NE(
      bad(R"({"collections":[{"name":"a","key":"x","fields":[{"name":"k","type":"text","required":true}]}]})")
          .find(".key"),
      std::string::npos);
  EXPECT_NE(
      bad(R"({"collections":[{"name":"a","key":"k","fields":[{"name":"k","type":"enum","required":true}]}]})")
          .find("enum needs values"),
      std::string::npos);
  EXPECT_NE(
      bad(R"({"collections":[{"name":"a","key":"k","fields":[{"name":"k","type":"text","required":true,"colour":1}]}]})")
          .find("unknown member"),
      std::string::npos);
}

TEST(SchemaParseTest, FieldLevelExactIndexCreatesAnIndex) {
  StatusOr<Schema> s = Schema::Parse(
      R"({"collections":[{"name":"a","key":"k","fields":[
          {"name":"k","type":"text","required":true},
          {"name":"p","type":"phone","index":"exact","mask":"phone"}]}]})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const IndexSchema* i = s->Find("a")->Index("p");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->fields, std::vector<std::string>{"p"});
}

TEST(ValidateRecordTest, ValidPersonIsNormalised) {
  StatusOr<Record> r = ValidateRecord(Persons(), ValidPerson(), kClock);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["phones"], json::array({"+8613800138000", "+8613912345678"}));
  EXPECT_EQ((*r)["height_cm"], json(162));
  EXPECT_EQ(RecordKeyOf(Persons(), *r), "11010519491231002X");
}

TEST(ValidateRecordTest, EveryViolationIsListed) {
  json p = ValidPerson();
  p["national_id"] = "11010519491231002x";
  p["phones"] = json::array({"13800138000", "12345"});
  p["colour"] = "blue";
  p.erase("name");
  StatusOr<Record> r = ValidateRecord(Persons(), p, kClock);
  ASSERT_FALSE(r.ok());
  const Status& s = r.status();
  EXPECT_EQ(s.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(s.reason(), "validation_failed");
  EXPECT_TRUE(HasViolation(s, "national_id", "lowercase_x"));
  EXPECT_TRUE(HasViolation(s, "phones[1]", "invalid_number"));
  EXPECT_TRUE(HasViolation(s, "colour", "unknown_field"));
  EXPECT_TRUE(HasViolation(s, "name", "required"));
  EXPECT_EQ(s.fields().size(), 4u);
  EXPECT_NE(s.message().find("colour"), std::string::npos);  // the first, in input order
}

TEST(ValidateRecordTest, BirthDateMustAgreeWithTheNumber) {
  json p = ValidPerson();
  p["birth_date"] = "1949-12-30";
  Status s = ValidateRecord(Persons(), p, kClock).status();
  EXPECT_TRUE(HasViolation(s, "birth_date", "national_id_mismatch"));
}

TEST(ValidateRecordTest, GenderMustAgreeWithTheNumber) {
  json p = ValidPerson();
  p["gender"] = "male";
  Status s = ValidateRecord(Persons(), p, kClock).status();
  EXPECT_TRUE(HasViolation(s, "gender", "national_id_mismatch"));
  EXPECT_EQ(s.fields().size(), 1u);
}

TEST(ValidateRecordTest, FifteenDigitNumberIsStoredInEighteenDigitForm) {
  json p = ValidPerson();
  p["national_id"] = "110105491231002";
  StatusOr<Record> r = ValidateRecord(Persons(), p, kClock);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["national_id"], "11010519491231002X");
}

TEST(ValidateRecordTest, FutureBirthDateIsRejected) {
  json p = ValidPerson();
  p["birth_date"] = "2030-01-01";
  EXPECT_TRUE(
      HasViolation(ValidateRecord(Persons(), p, kClock).status(), "birth_date", "future_date"));
}

TEST(ValidateRecordTest, NonObjectInputIsRejected) {
  EXPECT_FALSE(ValidateRecord(Persons(), json::array(), kClock).ok());
  EXPECT_FALSE(ValidateRecord(Persons(), json("x"), kClock).ok());
}

TEST(ValidateRecordTest, PhonesListMayComeAsSemicolonText) {
  json p = ValidPerson();
  p["phones"] = "13800138000;13912345678";
  StatusOr<Record> r = ValidateRecord(Persons(), p, kClock);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["phones"].size(), 2u);
}

TEST(ValidateRecordTest, TooManyListItemsAreRejected) {
  json p = ValidPerson();
  json phones = json::array();
  for (int i = 0; i < 9; ++i) phones.push_back("1380013800" + std::to_string(i));
  p["phones"] = phones;
  EXPECT_TRUE(HasViolation(ValidateRecord(Persons(), p, kClock).status(), "phones", "max_items"));
}

TEST(ValidateRecordTest, CasePersonsAreObjectsWithRoles) {
  json c{{"case_no", "A3101152024060001"},
         {"opened_on", "2024-05-30"},
         {"category", "fraud"},
         {"station", "310115"},
         {"summary", "synthetic"},
         {"persons", json::array({json{{"national_id", "11010519491231002X"}, {"role", "victim"}},
                                  json{{"national_id", "110105491231002"}, {"role", "boss"}}})},
         {"status", "open"},
         {"monitor", true}};
  Status s = ValidateRecord(Cases(), c, kClock).status();
  EXPECT_TRUE(HasViolation(s, "persons[1].role", "enum"));
  c["persons"][1]["role"] = "suspect";
  StatusOr<Record> r = ValidateRecord(Cases(), c, kClock);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["persons"][1]["national_id"], "11010519491231002X");
  std::vector<IndexTerm> terms = IndexTerms(Cases(), *r);
  // The same person twice contributes one term.
  ASSERT_EQ(terms.size(), 1u);
  EXPECT_EQ(terms[0], (IndexTerm{"persons", "11010519491231002X"}));
}

TEST(IndexTermsTest, PersonContributesOneTermPerPhoneAndCompoundTerms) {
  Record r = *ValidateRecord(Persons(), ValidPerson(), kClock);
  std::vector<IndexTerm> terms = IndexTerms(Persons(), r);
  std::vector<IndexTerm> expected{
      {"phones", "+8613800138000"},
      {"phones", "+8613912345678"},
      {"name_birth_date", std::string("张秀英") + kIndexTermSeparator + "1949-12-31"},
      {"name", "张秀英"}};
  EXPECT_EQ(terms, expected);
}

TEST(QueryTermTest, SearchFindsWhatIndexTermsWrote) {
  Record r = *ValidateRecord(Persons(), ValidPerson(), kClock);
  std::vector<IndexTerm> terms = IndexTerms(Persons(), r);
  auto written = [&](const IndexTerm& t) {
    return std::find(terms.begin(), terms.end(), t) != terms.end();
  };
  StatusOr<IndexTerm> q = QueryTerm(Persons(), "phones", json{{"phone", "138 0013 8000"}}, kClock);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(written(*q));
  q = QueryTerm(Persons(), "name_birth_date",
                json{{"name", " 张秀英 "}, {"birth_date", "19491231"}}, kClock);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(written(*q));
  q = QueryTerm(Persons(), "name", json{{"name", "张秀英"}}, kClock);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(written(*q));
}

TEST(QueryTermTest, MismatchedQueriesAreRejected) {
  EXPECT_EQ(QueryTerm(Persons(), "nope", json{{"x", 1}}, kClock).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      QueryTerm(Persons(), "name_birth_date", json{{"name", "张三"}}, kClock).status().reason(),
      "query_mismatch");
  EXPECT_EQ(
      QueryTerm(Persons(), "name", json{{"name", "张三"}, {"extra", 1}}, kClock).status().reason(),
      "query_mismatch");
  EXPECT_EQ(QueryTerm(Persons(), "phones", json{{"phone", "123"}}, kClock).status().code(),
            StatusCode::kUnprocessable);
}

TEST(NormaliseKeyTest, AKeyIsNormalisedAsItsFieldIsOnWrite) {
  StatusOr<std::string> k = NormaliseKey(Persons(), "110105491231002", kClock);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(*k, "11010519491231002X");
  EXPECT_EQ(*NormaliseKey(Persons(), " 11010519491231002X ", kClock), "11010519491231002X");
  EXPECT_EQ(*NormaliseKey(Cases(), "A3101152024060001", kClock), "A3101152024060001");
}

TEST(NormaliseKeyTest, AnInvalidKeyNamesTheKeyFieldAndRule) {
  Status lower = NormaliseKey(Persons(), "11010519491231002x", kClock).status();
  EXPECT_TRUE(HasViolation(lower, "national_id", "lowercase_x")) << lower.ToString();
  Status charset = NormaliseKey(Cases(), "A 1", kClock).status();
  EXPECT_TRUE(HasViolation(charset, "case_no", "charset")) << charset.ToString();
}

TEST(RecordDivisionTest, APersonIsInTheDivisionOfTheIdAndACaseInItsStations) {
  Record person = *ValidateRecord(Persons(), ValidPerson(), kClock);
  EXPECT_EQ(RecordDivision(Persons(), person), "110105");
  json c{{"case_no", "A1"},
         {"opened_on", "2024-05-30"},
         {"category", "fraud"},
         {"station", "310115"},
         {"status", "open"}};
  Record kase = *ValidateRecord(Cases(), c, kClock);
  EXPECT_EQ(RecordDivision(Cases(), kase), "310115");
  EXPECT_EQ(RecordDivision(Cases(), json::object()), "") << "a record without its division field";
  json d{{"waybill_no", "W1"},
         {"shipped_on", "2024-05-30"},
         {"recipient_name", "张秀英"},
         {"recipient_phone", "13800138000"},
         {"recipient_address", "北京市朝阳区建外街道光华路8号"},
         {"courier", "sf"}};
  EXPECT_EQ(RecordDivision(Deliveries(), *ValidateRecord(Deliveries(), d, kClock)), "");
}

TEST(RecordDivisionTest, AnIdMayCarryAnAbolishedCodeButANewRecordsDivisionMayNot) {
  // 120221 宁河县, abolished in 2015 (now 120117 宁河区).
  std::string first17 = "12022119700101001";
  json person = ValidPerson();
  person["national_id"] = first17 + ResidentIdCheckChar(first17);
  person["gender"] = "male";
  person["birth_date"] = "1970-01-01";
  StatusOr<Record> ok = ValidateRecord(Persons(), person, kClock);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(RecordDivision(Persons(), *ok), "120221");

  // A place of birth keeps the code it had then.
  person["birthplace"] = "120221";
  StatusOr<Record> born_there = ValidateRecord(Persons(), person, kClock);
  ASSERT_TRUE(born_there.ok()) << born_there.status().ToString();
  EXPECT_EQ((*born_there)["birthplace"], "120221");
  json c{{"case_no", "A1"},
         {"opened_on", "2024-05-30"},
         {"category", "fraud"},
         {"station", "320901"},
         {"status", "open"}};
  Status bad = ValidateRecord(Cases(), c, kClock).status();
  EXPECT_TRUE(HasViolation(bad, "station", "abolished_division")) << bad.ToString();
  EXPECT_NE(bad.message().find("station"), std::string::npos) << bad.ToString();
}

TEST(ReferenceTermTest, FindsTheRecordsThatReferToAKey) {
  json c{{"case_no", "A1"},
         {"opened_on", "2024-05-30"},
         {"category", "fraud"},
         {"station", "310115"},
         {"status", "open"},
         {"persons", json::array({json{{"national_id", "110105491231002"}, {"role", "victim"}}})}};
  Record kase = *ValidateRecord(Cases(), c, kClock);
  const IndexSchema* index = Cases().IndexReferringTo("persons");
  ASSERT_NE(index, nullptr);
  StatusOr<IndexTerm> term = ReferenceTerm(Cases(), *index, "11010519491231002X", kClock);
  ASSERT_TRUE(term.ok()) << term.status().ToString();
  std::vector<IndexTerm> written = IndexTerms(Cases(), kase);
  EXPECT_NE(std::find(written.begin(), written.end(), *term), written.end());
  Status bad = ReferenceTerm(Cases(), *index, "123", kClock).status();
  EXPECT_TRUE(HasViolation(bad, "national_id", "length")) << bad.ToString();
}

TEST(MaskTest, MasksOfTheSpec) {
  EXPECT_EQ(MaskValue(MaskRule::kIdNumber, "31011519870312123X"), "31****************");
  EXPECT_EQ(MaskValue(MaskRule::kDivisionProvince, "310115"), "310000");
  EXPECT_EQ(MaskValue(MaskRule::kDivisionProvince, "3101"), "****");
  EXPECT_EQ(MaskValue(MaskRule::kPhone, "+8613800135678"), "+86 138****5678");
  EXPECT_EQ(MaskValue(MaskRule::kName, "张三"), "张*");
  EXPECT_EQ(MaskValue(MaskRule::kName, "张秀英"), "张*");  // the length is not told
  EXPECT_EQ(MaskValue(MaskRule::kName, "欧阳修文"), "欧阳*");
  EXPECT_EQ(MaskValue(MaskRule::kName, "John Smith"), "J*** S****");
  EXPECT_EQ(MaskValue(MaskRule::kName, "阿依古丽·买买提"), "阿***·买**");
  EXPECT_EQ(MaskValue(MaskRule::kYearOnly, "1987-03-12"), "1987");
  EXPECT_EQ(MaskValue(MaskRule::kAddressDistrict, "上海市浦东新区花木街道世纪大道100号"),
            "上海市浦东新区***");
  EXPECT_EQ(MaskValue(MaskRule::kAddressDistrict, "广东省深圳市南山区粤海街道1号"),
            "广东省深圳市南山区***");
  EXPECT_EQ(MaskValue(MaskRule::kAddressDistrict, "somewhere else"), "***");
}

TEST(MaskTest, MaskRecordWithholdsFreeTextAndMasksLists) {
  Record r = *ValidateRecord(Persons(), ValidPerson(), kClock);
  Record m = MaskRecord(Persons(), r);
  EXPECT_EQ(m["national_id"], "11****************");
  EXPECT_EQ(m["name"], "张*");
  EXPECT_EQ(m["birth_date"], "1949");
  EXPECT_EQ(m["phones"], json::array({"+86 138****8000", "+86 139****5678"}));
  EXPECT_EQ(m["hukou_address"], "北京市朝阳区***");
  EXPECT_FALSE(m.contains("notes"));
  EXPECT_FALSE(m.contains("ethnicity"));
  EXPECT_EQ(m["gender"], "female");
  // No masked field leaks its clear value.
  std::string dump = m.dump();
  EXPECT_EQ(dump.find("13800138000"), std::string::npos);
  EXPECT_EQ(dump.find("光华路"), std::string::npos);
  EXPECT_EQ(dump.find("秀英"), std::string::npos);
}

}  // namespace
}  // namespace warden::schema
