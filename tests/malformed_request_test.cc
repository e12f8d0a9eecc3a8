// G9: malformed requests get a clear 4xx naming the field and rule where there
// is one; nothing is half-written; the server keeps serving.
#include <string>
#include <utility>
#include <vector>

#include "tests/e2e_harness.h"

namespace warden::e2e {
namespace {

class MalformedRequestTest : public E2eTest {
 protected:
  static void SetUpTestSuite() {
    StartDeployment();
    if (deployment_) deployment_->PutPerson(Good());
  }
  // The record the good request after each bad one reads.
  static SyntheticPerson Good() { return MakePerson(1, "林志玲"); }

  // A good request succeeds on a fresh connection and on the shared one.
  static void ExpectStillServing(const std::string& after) {
    const std::string path = "/v1/persons/" + Good().id;
    Answer shared = client().Call("GET", path, account("officer").WithPurpose());
    EXPECT_EQ(shared.status, 200) << "after " << after << ": " << shared;
    Answer fresh = d().NewClient()->Call("GET", path, account("officer").WithPurpose());
    EXPECT_EQ(fresh.status, 200) << "after " << after << ": " << fresh;
  }

  // Nothing is stored under `id`.
  static void ExpectNoRecord(const std::string& id, const std::string& after) {
    Answer a = client().Call("GET", "/v1/persons/" + id, account("registrar").WithPurpose());
    EXPECT_EQ(a.status, 404) << "after " << after << ": a record was written: " << a;
  }
};

struct BadWrite {
  std::string name;
  std::string body;  // raw
  int status;
  std::string code;   // expected error.code, empty: any
  std::string field;  // expected field in error.fields, empty: none expected
  std::string rule;   // expected rule of that field, empty: any
  std::string content_type = "application/json";
};

TEST_F(MalformedRequestTest, BadRecordBodiesAreRefusedByNameAndWriteNothing) {
  int n = 100;
  // Record bodies are built for the person the case at `offset` writes.
  auto person = [&n](int offset, const std::function<void(json&)>& change) {
    json r = MakePerson(n + offset).record;
    change(r);
    return r.dump();
  };
  std::vector<BadWrite> cases = {
      {"truncated JSON", R"({"national_id": "1101)", 400, "bad_json", "", ""},
      {"not an object", "[1, 2, 3]", 400, "bad_json", "", ""},
      {"a bare string", "\"hello\"", 400, "bad_json", "", ""},
      {"trailing garbage", "{} {}", 400, "bad_json", "", ""},
      {"invalid UTF-8", "{\"name\": \"\xff\xfe\"}", 400, "bad_json", "", ""},
      {"nested too deep", std::string(200, '[') + std::string(200, ']'), 400, "", "", ""},
      {"wrong content type", "{}", 415, "unsupported_media_type", "", "", "text/plain"},
      {"name is a number", "", 422, "validation_failed", "name", ""},
      {"height is text", "", 422, "validation_failed", "height_cm", ""},
      {"phones is a number", "", 422, "validation_failed", "phones", ""},
      {"unknown field", "", 422, "validation_failed", "colour", "unknown_field"},
      {"missing required name", "", 422, "validation_failed", "name", ""},
      {"birth date disagrees with the ID", "", 422, "validation_failed", "birth_date", ""},
      {"gender disagrees with the ID", "", 422, "validation_failed", "gender", ""},
      {"not a phone number", "", 422, "validation_failed", "phones[0]", ""},
      {"name too long", "", 422, "validation_failed", "name", ""},
      {"unknown enum value", "", 422, "validation_failed", "education", ""},
      {"date in the future", "", 422, "validation_failed", "", ""},
      {"null key", "", 422, "validation_failed", "national_id", ""},
  };
  const std::vector<std::function<void(json&)>> changes = {
      [](json& r) { r["name"] = 12345; },
      [](json& r) { r["height_cm"] = "tall"; },
      [](json& r) { r["phones"] = 42; },
      [](json& r) { r["colour"] = "red"; },
      [](json& r) { r.erase("name"); },
      [](json& r) { r["birth_date"] = "1999-01-01"; },
      [](json& r) { r["gender"] = "female"; },
      [](json& r) { r["phones"] = {"12345"}; },
      [](json& r) { r["name"] = std::string(65 * 3, 'a'); },
      [](json& r) { r["education"] = "wizardry"; },
      [](json& r) { r["birth_date"] = "2999-01-01"; },
      [](json& r) { r["national_id"] = nullptr; },
  };
  for (size_t i = 7, c = 0; i < cases.size() && c < changes.size(); ++i, ++c) {
    cases[i].body = person(static_cast<int>(i), changes[c]);
  }
  for (const BadWrite& bad : cases) {
    SCOPED_TRACE(bad.name);
    const std::string id = MakePerson(n).id;
    Answer a = client().CallRaw("PUT", "/v1/persons/" + id,
                                account("registrar").WithPurpose("correction/g9"), bad.body,
                                bad.content_type);
    EXPECT_EQ(a.status, bad.status) << a;
    EXPECT_TRUE(a.IsSpecError()) << a;
    if (!bad.code.empty()) {
      EXPECT_EQ(a.ErrorCode(), bad.code) << a;
    }
    if (!bad.field.empty()) {
      EXPECT_TRUE(a.NamesField(bad.field, bad.rule)) << a;
    }
    ExpectNoRecord(id, bad.name);
    ExpectStillServing(bad.name);
    ++n;
  }
}

TEST_F(MalformedRequestTest, LowerCaseXAndBadChecksumsNeverCreateRecords) {
  // Find synthetic persons whose check character is X.
  std::optional<SyntheticPerson> with_x;
  for (int n = 300; n < 400 && !with_x; ++n) {
    SyntheticPerson p = MakePerson(n);
    if (p.id.back() == 'X') with_x = p;
  }
  ASSERT_TRUE(with_x);
  std::string lower = with_x->id;
  lower.back() = 'x';
  json record = with_x->record;
  record["national_id"] = lower;
  Answer put_lower = client().Call("PUT", "/v1/persons/" + lower,
                                   account("registrar").WithPurpose("correction/g9"), record);
  EXPECT_EQ(put_lower.status, 422) << put_lower;
  EXPECT_TRUE(put_lower.NamesField("national_id")) << put_lower;
  ExpectNoRecord(with_x->id, "lower-case x");

  SyntheticPerson bad = MakePerson(401);
  const std::string bad_id = WithBadCheck(bad.id);
  bad.record["national_id"] = bad_id;
  Answer put_bad = client().Call("PUT", "/v1/persons/" + bad_id,
                                 account("registrar").WithPurpose("correction/g9"), bad.record);
  EXPECT_EQ(put_bad.status, 422) << put_bad;
  EXPECT_TRUE(put_bad.NamesField("national_id", "checksum")) << put_bad;
  ExpectNoRecord(bad.id, "bad checksum");

  // A body whose key differs from the path.
  SyntheticPerson other = MakePerson(402);
  Answer mismatch = client().Call("PUT", "/v1/persons/" + MakePerson(403).id,
                                  account("registrar").WithPurpose("correction/g9"), other.record);
  EXPECT_EQ(mismatch.status, 422) << mismatch;
  EXPECT_TRUE(mismatch.NamesField("national_id", "key_mismatch")) << mismatch;
  ExpectNoRecord(other.id, "key mismatch");
  ExpectNoRecord(MakePerson(403).id, "key mismatch");

  // A look-up of a key that is not a valid ID is refused as a body with
  // that key is: the key field and the rule, never a record.
  const std::vector<std::pair<std::string, std::string>> bad_keys = {
      {lower, "lowercase_x"},
      {bad_id, "checksum"},
      {"123", "length"},
      {std::string(300, '1'), "length"}};
  for (const auto& [key, rule] : bad_keys) {
    Answer a = client().Call("GET", "/v1/persons/" + key, account("officer").WithPurpose());
    EXPECT_EQ(a.status, 422) << key << ": " << a;
    EXPECT_TRUE(a.NamesField("national_id", rule)) << key << ": " << a;
  }
  ExpectStillServing("bad identifiers");
}

TEST_F(MalformedRequestTest, PathTricksAreRefusedAsBadPaths) {
  const std::string id = Good().id;
  const std::vector<std::string> targets = {
      "/v1/persons/../admin/accounts",
      "/v1/persons/%2e%2e/admin",
      "/v1/persons/" + id + "/..",
      "/v1/persons/.%2F" + id,
      "/v1/persons%2F" + id,
      "/v1/persons/" + id + "%2F",
      "/v1/persons/" + id + "%00",
      "/v1/persons/" + id + "%0d%0aX-Injected:%201",
      "/v1//persons/" + id,
      "//v1/persons/" + id,
      "/v1/persons/" + id + "//",
      "/v1/persons/" + id + "%5c..",
      "/v1/persons/" + id + "%",
      "/v1/persons/" + id + "%zz",
      "/v1/persons/" + id + "%c0%af",
      "/v1/persons/" + id + "#fragment",
  };
  for (const std::string& target : targets) {
    Answer a = client().Call("GET", target, account("officer").WithPurpose());
    EXPECT_EQ(a.status, 400) << target << ": " << a;
    EXPECT_EQ(a.ErrorCode(), "bad_path") << target << ": " << a;
    EXPECT_EQ(a.Header("x-injected"), nullptr);
    EXPECT_EQ(a.body.find("X-Injected"), std::string::npos) << "the path is not echoed";
    ExpectStillServing(target);
  }
  // A trailing slash serves nothing itself: a GET is sent to the one path.
  Answer slash = client().Call("GET", "/v1/persons/" + id + "/", account("officer").WithPurpose());
  EXPECT_EQ(slash.status, 301) << slash;
  ASSERT_NE(slash.Header("location"), nullptr) << slash;
  EXPECT_EQ(*slash.Header("location"), "/v1/persons/" + id);
  EXPECT_EQ(slash.body.find(Good().name), std::string::npos) << slash;
  Answer query =
      client().Call("GET", "/v1/audit?action=read&action=write", account("auditor").Auth());
  EXPECT_EQ(query.status, 400) << query;
  EXPECT_EQ(query.ErrorCode(), "bad_query") << query;
  Answer bad_time = client().Call("GET", "/v1/audit?from=yesterday", account("auditor").Auth());
  EXPECT_EQ(bad_time.status, 422) << bad_time;
  EXPECT_TRUE(bad_time.NamesField("from")) << bad_time;
}

TEST_F(MalformedRequestTest, HostileHeadersAreRefusedAndTheServerKeepsServing) {
  const std::string path = "/v1/persons/" + Good().id;
  const std::string auth = "Authorization: Bearer " + account("officer").token + "\r\n";
  struct Raw {
    std::string name;
    std::string bytes;
    int status;  // the one right answer; 0: the connection is closed unanswered
  };
  const std::vector<Raw> raws = {
      {"bare LF inside a header value",
       "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + auth +
           "Warden-Purpose: case/1\nX-Evil: 1\r\n\r\n",
       400},
      {"NUL inside a header value",
       "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + auth +
           std::string("Warden-Purpose: case/1\0x", 24) + "\r\n\r\n",
       400},
      {"space in a header name",
       "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + auth + "Warden Purpose: case/1\r\n\r\n", 400},
      {"obsolete line folding",
       "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + auth +
           "Warden-Purpose: case/1\r\n continued\r\n\r\n",
       400},
      {"request line with two spaces", "GET  " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"not HTTP at all", "HELLO\r\n\r\n", 400},
      {"conflicting content lengths",
       "PUT " + path +
           " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
       400},
      {"negative content length",
       "PUT " + path +
           " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Content-Length: -1\r\n\r\n",
       400},
      {"enormous header",
       "GET " + path + " HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n",
       431},
  };
  for (const Raw& raw : raws) {
    Answer a = d().NewClient()->SendBytes(raw.bytes);
    EXPECT_EQ(a.status, raw.status) << raw.name << ": " << a;
    if (raw.status != 0) {
      EXPECT_TRUE(a.IsSpecError()) << raw.name << ": " << a;
    }
    EXPECT_EQ(a.body.find("林"), std::string::npos) << raw.name;
    ExpectStillServing(raw.name);
  }

  // Control characters in the purpose headers are refused by name.
  for (const std::string& reason :
       {std::string("line\x01"), std::string("tab\tinside"), std::string("\x7f")}) {
    Answer a = client().Call("GET", path, account("officer").WithPurpose("case/1", reason));
    EXPECT_EQ(a.status, 400) << a;
    // Refused by the HTTP parser or, when it lets the byte through, by the purpose rule.
    EXPECT_TRUE(a.ErrorCode() == "purpose_invalid" || a.ErrorCode() == "bad_request") << a;
  }
  ExpectStillServing("control characters");
}

TEST_F(MalformedRequestTest, BadSearchesAndBatchesNameTheField) {
  Account& officer = account("officer");
  Answer empty = client().Call("POST", "/v1/persons/search", officer.WithPurpose(), json::object());
  EXPECT_EQ(empty.status, 400) << empty;
  EXPECT_EQ(empty.ErrorCode(), "query_mismatch") << empty;
  // (Integers are accepted for identifiers and codes; a boolean never is.)
  Answer number =
      client().Call("POST", "/v1/persons/search", officer.WithPurpose(), json{{"phone", true}});
  EXPECT_EQ(number.status, 422) << number;
  EXPECT_TRUE(number.NamesField("phone")) << number;
  Answer bad_phone = client().Call("POST", "/v1/persons/search", officer.WithPurpose(),
                                   json{{"phone", "not a phone"}});
  EXPECT_EQ(bad_phone.status, 422) << bad_phone;
  EXPECT_TRUE(bad_phone.NamesField("phone")) << bad_phone;
  Answer bad_date = client().Call("POST", "/v1/persons/search", officer.WithPurpose(),
                                  json{{"name", "林志玲"}, {"birth_date", "1990-02-30"}});
  EXPECT_EQ(bad_date.status, 422) << bad_date;
  EXPECT_TRUE(bad_date.NamesField("birth_date")) << bad_date;

  Account& registrar = account("registrar");
  Answer no_records = client().Call("POST", "/v1/persons/batch", registrar.WithPurpose("import/x"),
                                    json{{"records", "all of them"}});
  EXPECT_EQ(no_records.status, 422) << no_records;
  EXPECT_TRUE(no_records.NamesField("records")) << no_records;
  const SyntheticPerson ok = MakePerson(500);
  Answer mixed = client().Call("POST", "/v1/persons/batch", registrar.WithPurpose("import/x"),
                               json{{"records", {"a string", 7, ok.record}}});
  ASSERT_EQ(mixed.status, 200) << mixed;
  EXPECT_EQ(mixed.body_json["written"], 1);
  EXPECT_EQ(mixed.body_json["results"][0]["status"], 422);
  EXPECT_EQ(mixed.body_json["results"][0]["error"]["fields"][0]["field"], "records[0]");
  EXPECT_EQ(mixed.body_json["results"][2]["status"], 201);

  Answer unknown_change = client().Call("PATCH", "/v1/admin/accounts/" + officer.id,
                                        account("so").Auth(), json{{"make_admin", true}});
  EXPECT_EQ(unknown_change.status, 422) << unknown_change;
  EXPECT_TRUE(unknown_change.NamesField("make_admin", "unknown_change")) << unknown_change;
  Answer bad_role = client().Call("POST", "/v1/admin/accounts", account("so").Auth(),
                                  json{{"username", "e2e.badrole"}, {"roles", {"superuser"}}});
  EXPECT_EQ(bad_role.status, 422) << bad_role;
  EXPECT_TRUE(bad_role.NamesField("roles", "enum")) << bad_role;
  ExpectStillServing("bad searches");
}

TEST_F(MalformedRequestTest, AnOversizedBodyIsRefusedAndTheServerKeepsServing) {
  const SyntheticPerson p = MakePerson(600);
  json record = p.record;
  record["notes"] = std::string(9 * 1024 * 1024, 'n');
  Answer a = d().NewClient()->Call("PUT", "/v1/persons/" + p.id,
                                   account("registrar").WithPurpose("correction/g9"), record);
  EXPECT_EQ(a.status, 413) << a;
  EXPECT_EQ(a.ErrorCode(), "payload_too_large") << a;
  ExpectNoRecord(p.id, "oversized body");
  record["notes"] = std::string(3000, 'n');  // over the schema's 2000 characters
  Answer long_notes = client().Call("PUT", "/v1/persons/" + p.id,
                                    account("registrar").WithPurpose("correction/g9"), record);
  EXPECT_EQ(long_notes.status, 422) << long_notes;
  EXPECT_TRUE(long_notes.NamesField("notes")) << long_notes;
  ExpectNoRecord(p.id, "notes too long");
  ExpectStillServing("oversized body");
}

}  // namespace
}  // namespace warden::e2e
