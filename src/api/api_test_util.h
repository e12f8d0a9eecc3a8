// For the API's unit tests: the whole API mounted on a Router over an
// in-memory store (or a store the test gives), unsealed, with accounts of every data role, and a
// store whose audit space can be made to refuse writes while everything else keeps working (the
// audit trail fails, the records do not). Requests go through the Router as the HTTP server sends
// them, without sockets or TLS.
//
// Every record and identifier here is synthetic. Not thread-safe: one test
// drives one InMemoryApi.
#ifndef WARDEN_API_API_TEST_UTIL_H_
#define WARDEN_API_API_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/totp.h"
#include "api/routes.h"
#include "crypto/root_seal.h"
#include "schema/record.h"
#include "store/memory_store.h"

namespace warden::api::testing {

// A store (a MemoryStore unless given) whose audit space refuses writes
// while SetAuditFails(true): a disk that fails under the audit trail alone.
class AuditOutageStore : public Store {
 public:
  explicit AuditOutageStore(std::unique_ptr<Store> inner = std::make_unique<MemoryStore>())
      : inner_(std::move(inner)) {}

  void SetAuditFails(bool fail) { audit_fails_ = fail; }

  StatusOr<std::optional<std::string>> Get(Space space, std::string_view key) override {
    return inner_->Get(space, key);
  }
  Status Write(const WriteBatch& batch) override {
    if (audit_fails_) {
      for (const WriteBatch::Op& op : batch.ops()) {
        if (op.space == Space::kAudit) return Unavailable("injected audit write failure");
      }
    }
    return inner_->Write(batch);
  }
  StatusOr<std::vector<KeyValue>> Scan(Space space, std::string_view start, std::string_view end,
                                       size_t limit) override {
    return inner_->Scan(space, start, end, limit);
  }
  StatusOr<CounterResult> AddToCounter(std::string_view key, int64_t delta,
                                       int64_t limit) override {
    return inner_->AddToCounter(key, delta, limit);
  }
  uint64_t ChangeCount() const override { return inner_->ChangeCount(); }
  std::string_view Backend() const override { return inner_->Backend(); }

 private:
  std::unique_ptr<Store> inner_;
  std::atomic<bool> audit_fails_{false};
};

// A person of the registry schema (valid, synthetic), and the forms of it
// tests look for in answers.
inline constexpr std::string_view kPersonId = "11010519491231002X";
inline constexpr std::string_view kPersonId15 = "110105491231002";  // the pre-1999 form
inline constexpr std::string_view kPersonName = "张秀英";
inline constexpr std::string_view kPersonPhone = "+8613800138000";

inline nlohmann::json SyntheticPerson() {
  return {{"national_id", kPersonId}, {"name", kPersonName},
          {"gender", "female"},       {"birth_date", "1949-12-31"},
          {"birthplace", "110105"},   {"current_address", "北京市朝阳区建外街道光华路8号"},
          {"phones", {kPersonPhone}}, {"notes", "synthetic test person"}};
}

// A case naming the person, opened at the station of `station`.
inline nlohmann::json SyntheticCase(std::string case_no, std::string station) {
  return {{"case_no", std::move(case_no)},
          {"opened_on", "2023-01-02"},
          {"category", "theft"},
          {"station", std::move(station)},
          {"summary", "synthetic case summary"},
          {"persons", {{{"national_id", kPersonId}, {"role", "victim"}}}},
          {"status", "open"}};
}

inline nlohmann::json SyntheticDelivery(std::string waybill_no) {
  return {{"waybill_no", std::move(waybill_no)},
          {"shipped_on", "2023-03-04"},
          {"recipient_name", kPersonName},
          {"recipient_phone", kPersonPhone},
          {"recipient_address", "北京市朝阳区建外街道光华路8号"},
          {"courier", "sf"}};
}

class InMemoryApi {
 public:
  struct Reply {
    int status = 0;
    std::string body;
    nlohmann::json json;  // null when the body is not JSON
    std::string ErrorCode() const {
      return json.is_object() && json.contains("error") ? json["error"].value("code", "") : "";
    }
  };

  // Unseals a fresh store (root key split 1 of 1) and mounts the API;
  // creates the two bootstrap security officers. `backing` (empty, or null
  // for a MemoryStore) holds what is written; `api_options` configure the
  // API (an export directory, limits). Fails the test on error.
  explicit InMemoryApi(const schema::Schema& schema = schema::Schema::Registry(),
                       std::unique_ptr<Store> backing = nullptr, ApiOptions api_options = {})
      : schema_(schema), store_(backing ? std::move(backing) : std::make_unique<MemoryStore>()) {
    SecretBytes root = SecretBytes::Random(crypto::kRootKeySize);
    root_key_ = root.Clone();
    node::SealGateOptions options;
    options.access.argon2 = access::Argon2Params::InsecureFastForTests();
    std::string keyring_id;
    {
      StatusOr<std::shared_ptr<node::UnsealedServices>> created =
          node::OpenServices(store_, schema_, root.Clone(), clock_, options, /*create=*/true);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      if (!created.ok()) return;
      keyring_id = std::string((*created)->keys->KeyRingId());
    }
    StatusOr<crypto::ShamirSplitResult> split = crypto::SplitRootKey(root, 1, 1, keyring_id);
    EXPECT_TRUE(split.ok()) << split.status().ToString();
    if (!split.ok()) return;
    gate_ = std::make_unique<node::SealGate>(store_, schema_, split->config, clock_, options);
    Status unsealed = gate_->UnsealWithRootKey(std::move(root));
    EXPECT_TRUE(unsealed.ok()) << unsealed.ToString();
    context_ =
        std::make_unique<ApiContext>(ApiContext{*gate_, schema_, clock_, nullptr, api_options});
    Status mounted = MountApi(router_, *context_);
    EXPECT_TRUE(mounted.ok()) << mounted.ToString();

    StatusOr<std::vector<SecretBytes>> tokens = access().authenticator().CreateBootstrapTokens();
    EXPECT_TRUE(tokens.ok() && tokens->size() == 2);
    if (!tokens.ok() || tokens->size() != 2) return;
    for (int i = 0; i < 2; ++i) {
      const std::string name = "so." + std::to_string(i + 1);
      StatusOr<access::Enrollment> e =
          access().authenticator().Bootstrap((*tokens)[i], name, SecretBytes::CopyFrom(kPassword));
      EXPECT_TRUE(e.ok()) << e.status().ToString();
      if (!e.ok()) return;
      officers_[i] = Principal(LogIn(name, e->totp_secret_base32));
    }
  }

  ~InMemoryApi() { store_.SetAuditFails(false); }

  AuditOutageStore& store() { return store_; }
  FakeClock& clock() { return clock_; }
  // The root key the store is sealed under, to open it again.
  const SecretBytes& root_key() const { return root_key_; }
  node::UnsealedServices& services() { return *gate_->services(); }
  access::AccessControl& access() { return *services().access; }
  const schema::Schema& schema() const { return schema_; }
  const ApiContext& context() const { return *context_; }

  // A session token of a new person's account with `roles`: asked for by
  // one security officer, approved by the other, enrolled by its holder.
  std::string Account(const std::string& username, const std::vector<access::Role>& roles) {
    access::RoleSet set;
    for (access::Role r : roles) set.Add(r);
    StatusOr<access::ChangeResult> asked =
        access().administration().CreateHumanAccount(officers_[0], username, set);
    EXPECT_TRUE(asked.ok()) << asked.status().ToString();
    if (!asked.ok()) return "";
    StatusOr<access::ApprovalResult> approved =
        access().administration().ApproveRequest(officers_[1], asked->request_id);
    EXPECT_TRUE(approved.ok()) << approved.status().ToString();
    if (!approved.ok()) return "";
    StatusOr<access::Enrollment> e =
        access().authenticator().Enrol(username, asked->enrolment_part, approved->enrolment_part,
                                       SecretBytes::CopyFrom(kPassword));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (!e.ok()) return "";
    accounts_[username] = asked->account_id;
    return LogIn(username, e->totp_secret_base32);
  }
  const std::string& AccountId(const std::string& username) { return accounts_[username]; }

  // Applies `policy` to an account (approved by the second officer if it widens).
  void SetPolicy(const std::string& username, const access::Policy& policy) {
    StatusOr<access::ChangeResult> r =
        access().administration().SetAccountPolicy(officers_[0], accounts_[username], policy);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (!r->applied) {
      ASSERT_TRUE(access().administration().ApproveRequest(officers_[1], r->request_id).ok());
    }
  }

  // Stores a record as a registrar's write would, without a request.
  void Put(std::string_view collection, const nlohmann::json& input) {
    const schema::CollectionSchema* c = schema_.Find(collection);
    ASSERT_NE(c, nullptr);
    StatusOr<schema::Record> record = schema::ValidateRecord(*c, input, clock_);
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    ASSERT_TRUE(services().barrier->Put(*c, *record).ok());
  }

  // Sends one request through the router and waits for its answer (an
  // audited answer comes from the audit writer's thread).
  Reply Call(const std::string& method, const std::string& target, const std::string& token,
             std::optional<std::string> purpose = "case/2023-0042",
             const std::optional<nlohmann::json>& body = std::nullopt) {
    clock_.Advance(std::chrono::seconds(1));  // within every role's rate
    http::Request request;
    request.method = http::ParseHttpMethod(method);
    request.method_name = method;
    request.client_address = "192.0.2.7:40000";
    EXPECT_TRUE(http::ParseTarget(target, request).ok()) << target;
    if (!token.empty()) request.AddHeader("authorization", "Bearer " + token);
    if (purpose) request.AddHeader("warden-purpose", *purpose);
    if (body) {
      request.body = body->dump();
      request.json = *body;
    }
    http::Response error;
    const http::Router::Route* route = router_.Find(request, &error);
    if (route == nullptr) return Rendered(error);
    if (route->handler) return Rendered(route->handler(request));
    auto done = std::make_shared<std::promise<StatusOr<http::Response>>>();
    std::future<StatusOr<http::Response>> answered = done->get_future();
    route->async_handler(request, http::Responder::FromCallback([done](StatusOr<http::Response> r) {
                           done->set_value(std::move(r));
                         }));
    if (answered.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << method << " " << target << " was never answered";
      return {};
    }
    return Rendered(answered.get());
  }

  // The audit entries of `action`, oldest first, as an auditor reads them.
  std::vector<audit::AuditRecord> Entries(audit::AuditAction action) {
    audit::AuditActor reader;
    reader.account = "test-reader";
    audit::AuditQuery query;
    query.action = action;
    query.limit = audit::kMaxQueryLimit;
    StatusOr<audit::AuditPage> page = services().audit->Query(reader, query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->records : std::vector<audit::AuditRecord>{};
  }

  // The keyed hash the trail keeps for an identifier.
  std::string Hash(audit::IdentifierKind kind, std::string_view value) {
    return services().audit->HashIdentifier(kind, value);
  }

 private:
  static constexpr std::string_view kPassword = "a synthetic passphrase 1";

  static Reply Rendered(StatusOr<http::Response> result) {
    http::Response r =
        result.ok() ? std::move(result).value() : http::ErrorResponse(result.status());
    Reply a{r.status, r.body, nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false)};
    if (a.json.is_discarded()) a.json = nullptr;
    return a;
  }

  // Logs in with a fresh one-time code (moving to the next TOTP step first).
  std::string LogIn(const std::string& username, const SecretBytes& totp_base32) {
    clock_.Advance(std::chrono::seconds(30));
    std::optional<SecretBytes> secret = access::Base32Decode(totp_base32.view());
    EXPECT_TRUE(secret.has_value());
    if (!secret) return "";
    StatusOr<access::IssuedToken> t =
        access().authenticator().Login(username, SecretBytes::CopyFrom(kPassword),
                                       access::TotpCode(*secret, clock_.NowSeconds()), "192.0.2.7");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::string(t->token.view()) : std::string();
  }

  access::Principal Principal(const std::string& token) {
    StatusOr<access::Principal> who = access().authenticator().Authenticate(token, "192.0.2.7");
    EXPECT_TRUE(who.ok()) << who.status().ToString();
    return who.ok() ? *who : access::Principal{};
  }

  const schema::Schema& schema_;
  FakeClock clock_;
  AuditOutageStore store_;
  SecretBytes root_key_;
  std::unique_ptr<node::SealGate> gate_;
  std::unique_ptr<ApiContext> context_;
  http::Router router_;
  access::Principal officers_[2];
  std::map<std::string, std::string> accounts_;
};

}  // namespace warden::api::testing

#endif  // WARDEN_API_API_TEST_UTIL_H_
