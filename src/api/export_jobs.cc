#include "api/export_jobs.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "api/record_call.h"
#include "core/bytes.h"
#include "crypto/age_writer.h"
#include "crypto/primitives.h"
#include "schema/generator.h"

namespace warden::api {
namespace {

using access::Role;
using nlohmann::json;

constexpr std::string_view kRecipientPrefix = "export/recipient/";
constexpr std::string_view kJobPrefix = "export/job/";
constexpr std::string_view kSealedFieldSet = "export-job";
constexpr size_t kTracersPerExport = 3;
constexpr size_t kMaxTextField = 200;

std::string NewId(std::string_view prefix) {
  std::array<uint8_t, 8> raw{};
  crypto::RandomBytes(raw);
  return std::string(prefix) + HexEncode(raw);
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

ExportRecipient RecipientFromJson(const json& j) {
  return {j.value("id", ""),
          j.value("name", ""),
          j.value("organisation", ""),
          j.value("owner", ""),
          j.value("public_key", ""),
          j.value("registered_by", ""),
          j.value("registered_at", int64_t{0})};
}

json JobToJson(const ExportJob& job) {
  return {{"id", job.id},
          {"collection", job.collection},
          {"fields", job.fields},
          {"requester", job.requester},
          {"requester_role", job.requester_role},
          {"purpose_kind", job.purpose_kind},
          {"recipient_id", job.recipient_id},
          {"state", job.state},
          {"approvers", job.approvers},
          {"rejected_by", job.rejected_by},
          {"failure", job.failure},
          {"approvals_required", job.approvals_required},
          {"key_count", job.key_count},
          {"key_list_sha256", job.key_list_sha256},
          {"created_at", job.created_at_micros},
          {"expires_at", job.expires_at_micros},
          {"exported_records", job.exported_records},
          {"tracer_records", job.tracer_records},
          {"generation_instance", job.generation_instance},
          {"sealed", Base64Encode(job.sealed)}};
}

StatusOr<ExportJob> JobFromJson(std::string_view stored) {
  const json j = json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return DataLoss("an export job does not parse");
  ExportJob job;
  job.id = j.value("id", "");
  job.collection = j.value("collection", "");
  job.fields = j.value("fields", std::vector<std::string>{});
  job.requester = j.value("requester", "");
  job.requester_role = j.value("requester_role", "");
  job.purpose_kind = j.value("purpose_kind", "");
  job.recipient_id = j.value("recipient_id", "");
  job.state = j.value("state", "");
  job.approvers = j.value("approvers", std::vector<std::string>{});
  job.rejected_by = j.value("rejected_by", "");
  job.failure = j.value("failure", "");
  job.approvals_required = j.value("approvals_required", size_t{1});
  job.key_count = j.value("key_count", size_t{0});
  job.key_list_sha256 = j.value("key_list_sha256", "");
  job.created_at_micros = j.value("created_at", int64_t{0});
  job.expires_at_micros = j.value("expires_at", int64_t{0});
  job.exported_records = j.value("exported_records", uint64_t{0});
  job.tracer_records = j.value("tracer_records", uint64_t{0});
  job.generation_instance = j.value("generation_instance", "");
  std::optional<std::string> sealed = Base64Decode(j.value("sealed", ""));
  if (!sealed) return DataLoss("an export job's sealed part does not decode");
  job.sealed = std::move(*sealed);
  return job;
}

StatusOr<std::string> TextField(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > kMaxTextField) {
    return FieldInvalid(name, "required", std::string(name) + " must be a string of 1-200 bytes");
  }
  return it->get<std::string>();
}

bool IsSecurityOfficer(const access::Principal& who) {
  return who.roles.Has(Role::kSecurityOfficer);
}

// A synthetic record of `collection` for tracer `index` of a fresh seed; null
// for a collection without a generator.
json TracerRecord(std::string_view collection, uint64_t seed, uint64_t index) {
  if (collection == "persons") {
    schema::PersonRecord r;
    schema::PersonGenerator(seed).At(index, r);
    return r.ToJson();
  }
  if (collection == "cases") {
    schema::CaseRecord r;
    schema::CaseGenerator(seed, 1'000'000).At(index, r);
    return r.ToJson();
  }
  if (collection == "deliveries") {
    schema::DeliveryRecord r;
    schema::DeliveryGenerator(seed, 1'000'000).At(index, r);
    return r.ToJson();
  }
  return nullptr;
}

// An O_EXCL file written through a file descriptor, synced before close.
class CiphertextFile {
 public:
  ~CiphertextFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Create(const std::string& path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0)
      return Unavailable("cannot create an export file: " + std::string(strerror(errno)));
    return Status::Ok();
  }
  Status Append(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        return Unavailable("cannot write an export file: " + std::string(strerror(errno)));
      bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status SyncAndClose() {
    const bool synced = ::fsync(fd_) == 0;
    const bool closed = ::close(fd_) == 0;
    fd_ = -1;
    if (!synced || !closed) return Unavailable("cannot sync an export file");
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

void SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  const int synced = ::fsync(fd);  // best effort: the file itself was synced
  (void)synced;
  ::close(fd);
}

}  // namespace

json RecipientToJson(const ExportRecipient& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"organisation", r.organisation},
          {"owner", r.owner},
          {"public_key", r.public_key},
          {"registered_by", r.registered_by},
          {"registered_at", r.registered_at_micros}};
}

std::string_view ExportJobs::ProcessInstance() {
  static const std::string instance = NewId("p_");
  return instance;
}

ExportJobs::ExportJobs(const RequestScope& scope) : scope_(scope), store_(*scope.services->store) {}

// ---- Recipients ----

StatusOr<ExportRecipient> ExportJobs::RegisterRecipient(const json& body) {
  RETURN_IF_ERROR(access::Authorize(scope_.who, access::Operation::kManageAccounts, ""));
  ExportRecipient r;
  ASSIGN_OR_RETURN(r.name, TextField(body, "name"));
  ASSIGN_OR_RETURN(r.organisation, TextField(body, "organisation"));
  ASSIGN_OR_RETURN(r.owner, TextField(body, "owner"));
  const json key = body.value("public_key", json());
  if (!key.is_string()) {
    return InvalidArgument("public_key: an age X25519 recipient \"age1...\" is required",
                           "recipient_malformed");
  }
  StatusOr<crypto::AgeRecipient> parsed =
      crypto::ParseAgeRecipient(key.get_ref<const std::string&>());
  if (!parsed.ok()) {
    return InvalidArgument("public_key: " + parsed.status().message(), parsed.status().reason());
  }
  r.public_key = crypto::FormatAgeRecipient(*parsed);
  r.id = NewId("rc_");
  r.registered_by = scope_.who.account_id;
  r.registered_at_micros = scope_.ctx.clock.NowMicros();
  WriteBatch batch;
  batch.Put(Space::kMeta, std::string(kRecipientPrefix) + r.id, RecipientToJson(r).dump());
  RETURN_IF_ERROR(store_.Write(batch));
  return r;
}

StatusOr<std::vector<ExportRecipient>> ExportJobs::ListRecipients() {
  RETURN_IF_ERROR(access::Authorize(scope_.who, access::Operation::kManageAccounts, ""));
  ASSIGN_OR_RETURN(std::vector<KeyValue> rows, store_.Scan(Space::kMeta, kRecipientPrefix,
                                                           PrefixEnd(kRecipientPrefix), 10'000));
  std::vector<ExportRecipient> out;
  for (const KeyValue& kv : rows) {
    out.push_back(RecipientFromJson(json::parse(kv.value, nullptr, false)));
  }
  return out;
}

StatusOr<ExportRecipient> ExportJobs::GetRecipient(std::string_view id) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   store_.Get(Space::kMeta, std::string(kRecipientPrefix) + std::string(id)));
  if (!stored) return NotFound("no such export recipient", "unknown_recipient");
  return RecipientFromJson(json::parse(*stored, nullptr, false));
}

// ---- Jobs ----

StatusOr<ExportJob> ExportJobs::Request(const json& body, audit::AuditEvent& event) {
  const ApiOptions& options = scope_.ctx.options;
  const json collection_name = body.value("collection", json());
  if (!collection_name.is_string()) {
    return FieldInvalid("collection", "required", "collection must name a collection");
  }
  ASSIGN_OR_RETURN(const schema::CollectionSchema* collection,
                   FindCollection(scope_.ctx, collection_name.get_ref<const std::string&>()));
  event.collection = collection->name;
  RETURN_IF_ERROR(
      access::Authorize(scope_.who, access::Operation::kExportRequest, collection->name));

  const json fields = body.value("fields", json());
  if (!fields.is_array() || fields.empty()) {
    return FieldInvalid("fields", "required", "fields must be a non-empty array of field names");
  }
  std::vector<std::string> field_names;
  for (const json& f : fields) {
    if (!f.is_string() || collection->Field(f.get<std::string>()) == nullptr) {
      return FieldInvalid("fields", "enum", "every field must be a field of " + collection->name);
    }
    if (std::find(field_names.begin(), field_names.end(), f.get<std::string>()) ==
        field_names.end()) {
      field_names.push_back(f.get<std::string>());
    }
  }
  event.fields = field_names;
  const bool registrar = scope_.who.roles.Has(Role::kRegistrar);
  const size_t max_rows =
      registrar ? options.export_max_rows_registrar : options.export_max_rows_investigator;
  const size_t max_fields =
      registrar ? options.export_max_fields_registrar : options.export_max_fields_investigator;
  if (field_names.size() > max_fields) {
    return PermissionDenied("the export asks for " + std::to_string(field_names.size()) +
                                " fields; your role may export at most " +
                                std::to_string(max_fields),
                            "export_limit");
  }

  const json keys = body.value("keys", json());
  if (!keys.is_array() || keys.empty()) {
    return FieldInvalid("keys", "required", "keys must be a non-empty array of record keys");
  }
  if (keys.size() > max_rows) {
    return PermissionDenied("the export asks for " + std::to_string(keys.size()) +
                                " records; your role may export at most " +
                                std::to_string(max_rows) + " in one job (nothing was truncated)",
                            "export_limit");
  }
  ExportSecrets secrets;
  std::vector<FieldViolation> rejects;
  std::set<std::string> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string field = "keys[" + std::to_string(i) + "]";
    if (!keys[i].is_string()) {
      rejects.push_back({field, "type"});
      continue;
    }
    StatusOr<std::string> key =
        schema::NormaliseKey(*collection, keys[i].get_ref<const std::string&>(), scope_.ctx.clock);
    if (!key.ok()) {
      const std::vector<FieldViolation>& why = key.status().fields();
      rejects.push_back({field, why.empty() ? key.status().reason() : why.front().rule});
      continue;
    }
    if (seen.insert(*key).second) secrets.keys.push_back(std::move(*key));
  }
  if (!rejects.empty()) {
    return Status(StatusCode::kInvalidArgument, "invalid_keys",
                  std::to_string(rejects.size()) +
                      " keys are not valid; nothing was requested (fix them and ask again)",
                  std::move(rejects));
  }

  const json recipient_id = body.value("recipient_id", json());
  if (!recipient_id.is_string()) {
    return FieldInvalid("recipient_id", "required",
                        "recipient_id must name a registered recipient");
  }
  ASSIGN_OR_RETURN(ExportRecipient recipient,
                   GetRecipient(recipient_id.get_ref<const std::string&>()));

  std::string key_list;
  for (const std::string& k : secrets.keys) key_list += k + "\n";
  ExportJob job;
  job.id = NewId("ex_");
  job.collection = collection->name;
  job.fields = std::move(field_names);
  job.requester = scope_.who.account_id;
  job.requester_role = RolesLabel(scope_.who.roles);
  job.purpose_kind = event.actor.purpose_kind;
  job.recipient_id = recipient.id;
  job.state = "pending";
  job.approvals_required = std::max<size_t>(1, options.export_approvals);
  job.key_count = secrets.keys.size();
  job.key_list_sha256 = HexEncode(crypto::Sha256(AsBytes(key_list)));
  job.created_at_micros = scope_.ctx.clock.NowMicros();
  job.expires_at_micros = job.created_at_micros + options.export_expiry.count() * 1'000'000;
  secrets.purpose_reference = event.actor.purpose_reference;
  secrets.reason = event.actor.reason;
  const std::string plain = json{
      {"keys", secrets.keys},
      {"purpose_reference", secrets.purpose_reference},
      {"reason",
       secrets.reason}}.dump();
  ASSIGN_OR_RETURN(job.sealed, scope_.services->keys->SealRecord(job.collection,
                                                                 std::string(kJobPrefix) + job.id,
                                                                 kSealedFieldSet, AsBytes(plain)));
  RETURN_IF_ERROR(Save(job, std::nullopt));
  event.detail = "export request " + job.id + " of " + std::to_string(job.key_count) +
                 " records to recipient " + recipient.id + "; key list sha256 " +
                 job.key_list_sha256;
  return job;
}

StatusOr<ExportJob> ExportJobs::Load(std::string_view id, std::string* stored) {
  const std::string key = std::string(kJobPrefix) + std::string(id);
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_.Get(Space::kMeta, key));
  if (!value) return NotFound("no such export", "unknown_export");
  ASSIGN_OR_RETURN(ExportJob job, JobFromJson(*value));
  *stored = std::move(*value);
  return Settle(std::move(job), *stored);
}

Status ExportJobs::Save(const ExportJob& job, const std::optional<std::string>& previous) {
  WriteBatch batch;
  const std::string key = std::string(kJobPrefix) + job.id;
  batch.Expect(Space::kMeta, key, previous);
  batch.Put(Space::kMeta, key, JobToJson(job).dump());
  Status st = store_.Write(batch);
  if (st.code() == StatusCode::kConflict) {
    return Conflict("the export changed meanwhile; read it again", "concurrent_update");
  }
  return st;
}

StatusOr<ExportJob> ExportJobs::Settle(ExportJob job, std::string& stored) {
  const bool open = job.state == "pending" || job.state == "approved";
  const bool expired = open && scope_.ctx.clock.NowMicros() >= job.expires_at_micros;
  const bool interrupted =
      job.state == "generating" && job.generation_instance != ProcessInstance();
  if (!expired && !interrupted) return job;
  DeleteFiles(job.id);
  if (expired) {
    job.state = "expired";
  } else {
    job.state = "failed";
    job.failure = "generation_interrupted";
  }
  RETURN_IF_ERROR(Save(job, stored));
  stored = JobToJson(job).dump();
  audit::AuditEvent event;
  event.actor = ActorOf(scope_);
  event.action = audit::AuditAction::kAdmin;
  event.collection = job.collection;
  event.detail = expired ? "export " + job.id + " expired; its file, if any, deleted"
                         : "export " + job.id +
                               " failed: its generation was interrupted; partial file deleted";
  RETURN_IF_ERROR(scope_.audit().Append(event).status());
  return job;
}

StatusOr<ExportJob> ExportJobs::Get(std::string_view id) {
  std::string stored;
  ASSIGN_OR_RETURN(ExportJob job, Load(id, &stored));
  if (job.requester != scope_.who.account_id && !IsSecurityOfficer(scope_.who)) {
    return NotFound("no such export", "unknown_export");
  }
  return job;
}

StatusOr<std::vector<ExportJob>> ExportJobs::List() {
  const bool officer = IsSecurityOfficer(scope_.who);
  if (!officer) {
    RETURN_IF_ERROR(access::Authorize(scope_.who, access::Operation::kExportRequest, ""));
  }
  ASSIGN_OR_RETURN(std::vector<KeyValue> rows,
                   store_.Scan(Space::kMeta, kJobPrefix, PrefixEnd(kJobPrefix), 10'000));
  std::vector<ExportJob> out;
  for (KeyValue& kv : rows) {
    ASSIGN_OR_RETURN(ExportJob job, JobFromJson(kv.value));
    ASSIGN_OR_RETURN(job, Settle(std::move(job), kv.value));
    if (officer ? job.state == "pending" : job.requester == scope_.who.account_id) {
      out.push_back(std::move(job));
    }
  }
  return out;
}

StatusOr<ExportJob> ExportJobs::Approve(std::string_view id) {
  RETURN_IF_ERROR(access::Authorize(scope_.who, access::Operation::kManageAccounts, ""));
  std::string stored;
  ASSIGN_OR_RETURN(ExportJob job, Load(id, &stored));
  if (job.requester == scope_.who.account_id) {
    return PermissionDenied("the requester of an export cannot approve it", "self_approval");
  }
  if (std::find(job.approvers.begin(), job.approvers.end(), scope_.who.account_id) !=
      job.approvers.end()) {
    return Conflict("you have approved this export already; another officer must",
                    "already_approved");
  }
  if (job.state != "pending") {
    return Conflict("the export is " + job.state + ", not pending", "export_not_pending");
  }
  job.approvers.push_back(scope_.who.account_id);
  if (job.approvers.size() >= job.approvals_required) job.state = "approved";
  RETURN_IF_ERROR(Save(job, stored));
  return job;
}

StatusOr<ExportJob> ExportJobs::Reject(std::string_view id) {
  RETURN_IF_ERROR(access::Authorize(scope_.who, access::Operation::kManageAccounts, ""));
  std::string stored;
  ASSIGN_OR_RETURN(ExportJob job, Load(id, &stored));
  if (job.requester == scope_.who.account_id) {
    return PermissionDenied("the requester of an export cannot decide on it", "self_approval");
  }
  if (job.state != "pending" && job.state != "approved") {
    return Conflict("the export is " + job.state + "; only an undownloaded one can be rejected",
                    "export_not_pending");
  }
  job.state = "rejected";
  job.rejected_by = scope_.who.account_id;
  RETURN_IF_ERROR(Save(job, stored));
  return job;
}

StatusOr<ExportFile> ExportJobs::Download(std::string_view id, audit::AuditEvent& event) {
  if (scope_.ctx.options.export_dir.empty()) {
    return Unavailable("this server has no export directory", "not_available");
  }
  std::string stored;
  ASSIGN_OR_RETURN(ExportJob job, Load(id, &stored));
  event.collection = job.collection;
  if (job.requester != scope_.who.account_id) {
    return PermissionDenied("only the requester of an export may download it", "not_requester");
  }
  RETURN_IF_ERROR(access::Authorize(scope_.who, access::Operation::kExportRequest, job.collection));
  if (job.state == "downloaded") {
    return Conflict("the export was downloaded already and its file deleted", "already_downloaded");
  }
  if (job.state == "expired") return Conflict("the export has expired", "export_expired");
  if (job.state != "approved") {
    return Conflict("the export is " + job.state + ", not approved", "export_not_approved");
  }
  ASSIGN_OR_RETURN(ExportRecipient recipient, GetRecipient(job.recipient_id));
  job.state = "generating";
  job.generation_instance = std::string(ProcessInstance());
  RETURN_IF_ERROR(Save(job, stored));
  stored = JobToJson(job).dump();

  StatusOr<ExportFile> file = Generate(job, recipient, event);
  DeleteFiles(job.id);  // sent from memory; the ciphertext never outlives this call
  job.state = file.ok() ? "downloaded" : "failed";
  if (!file.ok()) job.failure = file.status().reason();
  RETURN_IF_ERROR(Save(job, stored));
  return file;
}

StatusOr<ExportFile> ExportJobs::Generate(ExportJob& job, const ExportRecipient& recipient,
                                          audit::AuditEvent& event) {
  const schema::CollectionSchema* collection = scope_.ctx.schema.Find(job.collection);
  if (collection == nullptr) return Internal("an export names a collection no longer held");
  ASSIGN_OR_RETURN(std::string plain, scope_.services->keys->OpenRecord(
                                          job.collection, std::string(kJobPrefix) + job.id,
                                          kSealedFieldSet, job.sealed));
  const json secrets = json::parse(plain, nullptr, false);
  OPENSSL_cleanse(plain.data(), plain.size());
  const std::vector<std::string> keys = secrets.value("keys", std::vector<std::string>{});
  // The file is read under the purpose the request stated and was approved for.
  event.actor.purpose_kind = job.purpose_kind;
  event.actor.purpose_reference = secrets.value("purpose_reference", "");
  event.actor.reason = secrets.value("reason", "");
  ASSIGN_OR_RETURN(crypto::AgeRecipient to, crypto::ParseAgeRecipient(recipient.public_key));

  // Tracers: fresh synthetic records of this export alone, stored and
  // registered as canaries before any line is written.
  std::vector<schema::Record> tracers;
  std::array<uint8_t, 8> seed_bytes{};
  crypto::RandomBytes(seed_bytes);
  uint64_t seed = 0;
  for (uint8_t b : seed_bytes) seed = (seed << 8) | b;
  for (uint64_t i = 0; tracers.size() < kTracersPerExport && i < 10 * kTracersPerExport; ++i) {
    const json input = TracerRecord(collection->name, seed, seed % 100'000 + i);
    if (input.is_null()) break;
    ASSIGN_OR_RETURN(schema::Record record,
                     schema::ValidateRecord(*collection, input, scope_.ctx.clock));
    const std::string key = schema::RecordKeyOf(*collection, record);
    ASSIGN_OR_RETURN(std::optional<schema::Record> existing,
                     scope_.barrier().Get(*collection, key));
    if (existing) continue;
    RETURN_IF_ERROR(scope_.barrier().Put(*collection, record).status());
    RETURN_IF_ERROR(scope_.access().tripwires().RegisterCanariesOffline(collection->name, {key}));
    tracers.push_back(std::move(record));
  }
  // Tracer t goes before key position (slot_t), drawn at random.
  std::vector<size_t> slots;
  for (size_t t = 0; t < tracers.size(); ++t) {
    std::array<uint8_t, 4> r{};
    crypto::RandomBytes(r);
    const uint32_t v =
        (uint32_t{r[0]} << 24) | (uint32_t{r[1]} << 16) | (uint32_t{r[2]} << 8) | r[3];
    slots.push_back(v % (keys.size() + 1));
  }

  const std::string partial = FilePath(job.id, /*partial=*/true);
  CiphertextFile out;
  RETURN_IF_ERROR(out.Create(partial));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AgeWriter> writer,
                   crypto::AgeWriter::Start(
                       to, [&out](std::span<const uint8_t> bytes) { return out.Append(bytes); }));
  const access::FieldView view = access::ViewFor(scope_.who, collection->name);
  std::string line;
  uint64_t written = 0;
  auto write_record = [&](const schema::Record& record) -> Status {
    const json shown = view.Present(*collection, record);
    json row = json::object();
    row[collection->key_field] = schema::RecordKeyOf(*collection, record);
    for (const std::string& f : job.fields) {
      if (auto it = shown.find(f); it != shown.end()) row[f] = *it;
    }
    line = row.dump();
    line += '\n';
    Status st = writer->Write(AsBytes(line));
    OPENSSL_cleanse(line.data(), line.size());
    AddSubjects(*collection, record, event.subjects);
    ++written;
    return st;
  };
  uint64_t missing = 0;
  uint64_t withheld = 0;
  for (size_t i = 0; i <= keys.size(); ++i) {
    for (size_t t = 0; t < tracers.size(); ++t) {
      if (slots[t] == i) RETURN_IF_ERROR(write_record(tracers[t]));
    }
    if (i == keys.size()) break;
    ASSIGN_OR_RETURN(std::optional<schema::Record> record,
                     scope_.barrier().Get(*collection, keys[i]));
    if (!record) {
      ++missing;
      continue;
    }
    // The checks of every read: a canary suspends the requester; a record
    // outside their division is left out.
    RETURN_IF_ERROR(scope_.access().tripwires().CheckCanary(scope_.who, collection->name, keys[i]));
    if (!access::CheckDivision(scope_.who, schema::RecordDivision(*collection, *record)).ok()) {
      ++withheld;
      continue;
    }
    RETURN_IF_ERROR(write_record(*record));
  }
  RETURN_IF_ERROR(writer->Finish());
  RETURN_IF_ERROR(out.SyncAndClose());
  const std::string done = FilePath(job.id, /*partial=*/false);
  if (::rename(partial.c_str(), done.c_str()) != 0) {
    return Unavailable("cannot complete an export file", "export_write_failed");
  }
  SyncDirectory(scope_.ctx.options.export_dir);

  ExportFile file;
  file.records = written;
  {
    std::ifstream in(done, std::ios::binary);
    file.ciphertext.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return Unavailable("cannot read an export file back");
  }
  job.exported_records = written;
  job.tracer_records = tracers.size();
  std::string approvers;
  for (const std::string& a : job.approvers) approvers += (approvers.empty() ? "" : ",") + a;
  event.result_count = written;
  event.detail = "export " + job.id + " of " + std::to_string(written) + " records (" +
                 std::to_string(tracers.size()) + " tracers, " + std::to_string(missing) +
                 " keys not found, " + std::to_string(withheld) +
                 " outside the division) to recipient " + recipient.name + " (" +
                 recipient.organisation + ", owner " + recipient.owner + ", " + recipient.id +
                 "); requested by " + job.requester + "; approved by " + approvers +
                 "; key list sha256 " + job.key_list_sha256;
  return file;
}

std::string ExportJobs::FilePath(std::string_view id, bool partial) const {
  return scope_.ctx.options.export_dir + "/" + std::string(id) +
         (partial ? ".age.partial" : ".age");
}

void ExportJobs::DeleteFiles(std::string_view id) const {
  if (scope_.ctx.options.export_dir.empty()) return;
  ::unlink(FilePath(id, /*partial=*/true).c_str());
  ::unlink(FilePath(id, /*partial=*/false).c_str());
}

}  // namespace warden::api
