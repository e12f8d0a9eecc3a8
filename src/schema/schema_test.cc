// The schema's attributes that say how records are named on the audit trail
// (identifier), placed in a division (division), searched (broad) and
// referred to (refers_to): their defaults, the registry's values, and the
// schemas they refuse.
#include "schema/schema.h"

#include <gtest/gtest.h>

namespace warden::schema {
namespace {

const CollectionSchema& Persons() { return *Schema::Registry().Find("persons"); }
const CollectionSchema& Cases() { return *Schema::Registry().Find("cases"); }
const CollectionSchema& Deliveries() { return *Schema::Registry().Find("deliveries"); }

// The message of the error parsing `text` ("" when it parses).
std::string ParseError(const std::string& text) {
  StatusOr<Schema> s = Schema::Parse(text);
  return s.ok() ? "" : s.status().message();
}

// One collection "a" keyed by "k" (type `key_type`) with `fields` after it.
std::string OneCollection(const std::string& key_type, const std::string& fields,
                          const std::string& members = "") {
  return R"({"collections":[{"name":"a","key":"k",)" + members +
         R"("fields":[{"name":"k","type":")" + key_type + R"(","required":true})" +
         (fields.empty() ? "" : "," + fields) + "]}]}";
}

TEST(RegistrySchemaTest, NamesKeysAndIdentifiersByTheirAuditKinds) {
  EXPECT_EQ(Persons().Field("national_id")->identifier, IdentifierKind::kNationalId);
  EXPECT_EQ(Persons().Field("phones")->identifier, IdentifierKind::kPhone);
  EXPECT_EQ(Persons().Field("name")->identifier, IdentifierKind::kNone);
  EXPECT_EQ(Cases().Field("case_no")->identifier, IdentifierKind::kCaseNumber);
  EXPECT_EQ(Cases().Field("persons")->ItemField("national_id")->identifier,
            IdentifierKind::kNationalId);
  EXPECT_EQ(Deliveries().Field("waybill_no")->identifier, IdentifierKind::kWaybillNumber);
  EXPECT_EQ(Deliveries().Field("recipient_phone")->identifier, IdentifierKind::kPhone);
  EXPECT_EQ(IdentifierKindName(IdentifierKind::kCaseNumber), "case_no");
}

TEST(RegistrySchemaTest, PlacesPersonsByTheirIdAndCasesByTheirStation) {
  EXPECT_EQ(Persons().division_field, "national_id");
  EXPECT_EQ(Cases().division_field, "station");
  EXPECT_EQ(Deliveries().division_field, "") << "a scoped account is refused deliveries";
}

TEST(RegistrySchemaTest, ANameAloneIsABroadSearchAndCasesReferToPersons) {
  EXPECT_TRUE(Persons().Index("name")->broad);
  EXPECT_FALSE(Persons().Index("name_birth_date")->broad);
  EXPECT_FALSE(Persons().Index("phones")->broad);
  EXPECT_EQ(Cases().IndexReferringTo("persons"), Cases().Index("persons"));
  EXPECT_EQ(Deliveries().IndexReferringTo("persons"), nullptr);
  EXPECT_EQ(Persons().Index("phones")->refers_to, "");
}

TEST(SchemaParseTest, AnIdentifierFollowsTheTypeUnlessTheSchemaNamesOne) {
  StatusOr<Schema> s = Schema::Parse(OneCollection(
      "text",
      R"({"name":"p","type":"list<phone>"},{"name":"i","type":"cn_resident_id"},)"
      R"({"name":"w","type":"text","identifier":"waybill_no"},{"name":"t","type":"text"})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const CollectionSchema& a = *s->Find("a");
  EXPECT_EQ(a.Field("p")->identifier, IdentifierKind::kPhone);
  EXPECT_EQ(a.Field("i")->identifier, IdentifierKind::kNationalId);
  EXPECT_EQ(a.Field("w")->identifier, IdentifierKind::kWaybillNumber);
  EXPECT_EQ(a.Field("t")->identifier, IdentifierKind::kNone);
  EXPECT_EQ(a.Field("k")->identifier, IdentifierKind::kNone);
}

TEST(SchemaParseTest, AnIdentifierMustFitItsFieldsType) {
  EXPECT_NE(
      ParseError(OneCollection("text", R"({"name":"p","type":"phone","identifier":"case_no"})"))
          .find("fields[1].identifier"),
      std::string::npos);
  EXPECT_NE(ParseError(OneCollection("text", R"({"name":"t","type":"text","identifier":"phone"})"))
                .find("needs a field of type phone"),
            std::string::npos);
  EXPECT_NE(
      ParseError(OneCollection("text", R"({"name":"t","type":"text","identifier":"passport"})"))
          .find("must be national_id, phone, case_no or waybill_no"),
      std::string::npos);
  EXPECT_NE(ParseError(OneCollection("text", R"({"name":"t","type":"text","identifier":"none"})")),
            "");
}

TEST(SchemaParseTest, TheDivisionIsAResidentIdKeyUnlessTheSchemaNamesAField) {
  StatusOr<Schema> by_key = Schema::Parse(OneCollection("cn_resident_id", ""));
  ASSERT_TRUE(by_key.ok()) << by_key.status().ToString();
  EXPECT_EQ(by_key->Find("a")->division_field, "k");
  StatusOr<Schema> none = Schema::Parse(OneCollection("text", ""));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->Find("a")->division_field, "");
  StatusOr<Schema> named = Schema::Parse(
      OneCollection("text", R"({"name":"d","type":"division_code"})", R"("division":"d",)"));
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->Find("a")->division_field, "d");
}

TEST(SchemaParseTest, TheDivisionMustBeADivisionCodeOrAResidentId) {
  for (const std::string field : {"k", "nope", "l"}) {
    EXPECT_NE(ParseError(OneCollection("text", R"({"name":"l","type":"list<division_code>"})",
                                       R"("division":")" + field + R"(",)"))
                  .find("collections[0].division"),
              std::string::npos)
        << field;
  }
}

TEST(SchemaParseTest, AnIndexOfOneNameFieldIsBroadUnlessTheSchemaSaysOtherwise) {
  StatusOr<Schema> s = Schema::Parse(R"({"collections":[{"name":"a","key":"k","fields":[
      {"name":"k","type":"text","required":true},
      {"name":"n","type":"name","index":"exact"},{"name":"d","type":"date"},{"name":"c","type":"text"}],
      "indexes":[{"name":"n_d","fields":["n","d"]},
                 {"name":"narrow_n","fields":["n"],"broad":false},
                 {"name":"wide_c","fields":["c"],"broad":true}]}]})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const CollectionSchema& a = *s->Find("a");
  EXPECT_TRUE(a.Index("n")->broad);
  EXPECT_FALSE(a.Index("n_d")->broad);
  EXPECT_FALSE(a.Index("narrow_n")->broad);
  EXPECT_TRUE(a.Index("wide_c")->broad);
}

TEST(SchemaParseTest, RefersToNamesAnotherCollectionKeyedByTheTermsType) {
  auto two = [](const std::string& people_key_type, const std::string& index) {
    return R"({"collections":[{"name":"people","key":"id","fields":[{"name":"id","type":")" +
           people_key_type + R"(","required":true}]},)" +
           R"({"name":"files","key":"no","fields":[{"name":"no","type":"text","required":true},)"
           R"({"name":"who","type":"list<object>","fields":[{"name":"id","type":"cn_resident_id"}]},)"
           R"({"name":"at","type":"date"}],"indexes":[)" +
           index + "]}]}";
  };
  const std::string by_who = R"({"name":"who","fields":["who"],"item_field":"id","refers_to":)";
  StatusOr<Schema> s = Schema::Parse(two("cn_resident_id", by_who + R"("people"})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->Find("files")->IndexReferringTo("people"), s->Find("files")->Index("who"));
  EXPECT_NE(ParseError(two("cn_resident_id", by_who + R"("nobody"})")).find("another collection"),
            std::string::npos);
  EXPECT_NE(ParseError(two("cn_resident_id", by_who + R"("files"})")).find("another collection"),
            std::string::npos);
  EXPECT_NE(ParseError(two("text", by_who + R"("people"})")).find("the type of people's key"),
            std::string::npos);
  EXPECT_NE(ParseError(two("date", R"({"name":"pair","fields":["no","at"],"refers_to":"people"})"))
                .find("needs an index of one field"),
            std::string::npos);
}

}  // namespace
}  // namespace warden::schema
