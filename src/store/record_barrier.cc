#include "store/record_barrier.h"

#include <algorithm>
#include <unordered_map>

#include "core/bytes.h"

namespace warden {
namespace {

// The field-set labels bound into the two ciphertexts of a stored record: v1
// seals the whole record as one unit, and the record key separately under
// the record's tag so that a search hit can learn the key it must open with.
constexpr std::string_view kWholeRecord = "v1:record";
constexpr std::string_view kRecordKey = "v1:key";
// The reserved index whose blind index stands for record keys.
constexpr std::string_view kKeyIndex = ".key";  // no schema index name starts with a dot
// Attempts of a guarded write against concurrent writers of the same record.
constexpr int kMaxWriteAttempts = 8;

std::string IndexPrefix(std::string_view collection, std::string_view index) {
  std::string prefix;
  prefix.reserve(collection.size() + index.size() + 2 + crypto::kBlindIndexSize);
  prefix.append(collection).push_back('/');
  prefix.append(index).push_back('/');
  return prefix;
}

}  // namespace

RecordBarrier::RecordBarrier(Store& store, const crypto::KeyRing& keys)
    : store_(store), keys_(keys) {}

StatusOr<std::string> RecordBarrier::RecordTag(std::string_view collection,
                                               std::string_view key) const {
  return keys_.BlindIndex(collection, kKeyIndex, key);
}

StatusOr<std::string> RecordBarrier::RecordStoreKey(std::string_view collection,
                                                    std::string_view key) const {
  ASSIGN_OR_RETURN(std::string tag, RecordTag(collection, key));
  std::string out(collection);
  out.push_back('/');
  out += tag;
  return out;
}

Status RecordBarrier::AppendIndexKeys(const schema::CollectionSchema& collection,
                                      const schema::Record& record, std::string_view record_tag,
                                      std::vector<std::string>& out) const {
  for (const schema::IndexTerm& term : schema::IndexTerms(collection, record)) {
    ASSIGN_OR_RETURN(std::string term_tag,
                     keys_.BlindIndex(collection.name, term.index, term.value));
    std::string key = IndexPrefix(collection.name, term.index);
    key += term_tag;
    key += record_tag;
    out.push_back(std::move(key));
  }
  return Status::Ok();
}

StatusOr<std::string> RecordBarrier::Seal(std::string_view collection, std::string_view key,
                                          std::string_view tag,
                                          const schema::Record& record) const {
  ASSIGN_OR_RETURN(std::string sealed_key,
                   keys_.SealRecord(collection, HexEncode(tag), kRecordKey, AsBytes(key)));
  std::vector<uint8_t> plain = nlohmann::json::to_cbor(record);
  auto sealed_record = keys_.SealRecord(collection, key, kWholeRecord, plain);
  SecureWipe(plain);
  RETURN_IF_ERROR(sealed_record);
  std::string out;
  out.reserve(4 + sealed_key.size() + sealed_record->size());
  PutBigEndian32(out, static_cast<uint32_t>(sealed_key.size()));
  out += sealed_key;
  out += *sealed_record;
  return out;
}

StatusOr<std::string> RecordBarrier::OpenKey(std::string_view collection, std::string_view tag,
                                             std::string_view stored) const {
  if (stored.size() < 4 || GetBigEndian32(stored) > stored.size() - 4) {
    return DataLoss("stored record is truncated", "malformed_record");
  }
  std::string_view sealed_key = stored.substr(4, GetBigEndian32(stored));
  ASSIGN_OR_RETURN(std::string key,
                   keys_.OpenRecord(collection, HexEncode(tag), kRecordKey, sealed_key));
  return key;
}

StatusOr<schema::Record> RecordBarrier::Open(const schema::CollectionSchema& collection,
                                             std::string_view key, std::string_view stored) const {
  if (stored.size() < 4 || GetBigEndian32(stored) > stored.size() - 4) {
    return DataLoss("stored record is truncated", "malformed_record");
  }
  std::string_view ciphertext = stored.substr(4 + GetBigEndian32(stored));
  ASSIGN_OR_RETURN(std::string plain,
                   keys_.OpenRecord(collection.name, key, kWholeRecord, ciphertext));
  schema::Record record = nlohmann::json::from_cbor(plain, /*strict=*/true,
                                                    /*allow_exceptions=*/false);
  SecureWipe(plain);
  if (record.is_discarded() || !record.is_object()) {
    return DataLoss("sealed record does not decode", "malformed_record");
  }
  return record;
}

StatusOr<std::vector<std::pair<Space, KeyValue>>> RecordBarrier::Encode(
    const schema::CollectionSchema& collection, const schema::Record& record) const {
  const std::string key = schema::RecordKeyOf(collection, record);
  if (key.empty()) return FieldInvalid(collection.key_field, "required", "record has no key");
  ASSIGN_OR_RETURN(std::string tag, RecordTag(collection.name, key));
  ASSIGN_OR_RETURN(std::string sealed, Seal(collection.name, key, tag, record));

  std::vector<std::string> index_keys;
  RETURN_IF_ERROR(AppendIndexKeys(collection, record, tag, index_keys));
  std::vector<std::pair<Space, KeyValue>> out;
  out.reserve(index_keys.size() + 1);
  out.push_back({Space::kRecords, {collection.name + "/" + tag, std::move(sealed)}});
  for (std::string& k : index_keys) out.push_back({Space::kIndex, {std::move(k), ""}});
  return out;
}

Status RecordBarrier::StageReplace(const schema::CollectionSchema& collection, std::string_view key,
                                   std::string_view tag, const std::string& store_key,
                                   const std::optional<std::string>& previous,
                                   const std::vector<std::pair<Space, KeyValue>>& fresh,
                                   WriteBatch& batch) const {
  std::vector<std::string> stale;
  if (previous) {
    ASSIGN_OR_RETURN(schema::Record old, Open(collection, key, *previous));
    RETURN_IF_ERROR(AppendIndexKeys(collection, old, tag, stale));
  }
  batch.Expect(Space::kRecords, store_key, previous);
  for (const std::string& k : stale) {
    bool kept = std::any_of(fresh.begin(), fresh.end(), [&](const auto& e) {
      return e.first == Space::kIndex && e.second.key == k;
    });
    if (!kept) batch.Delete(Space::kIndex, k);
  }
  if (fresh.empty()) batch.Delete(Space::kRecords, store_key);
  for (const auto& [space, kv] : fresh) batch.Put(space, kv.key, kv.value);
  return Status::Ok();
}

StatusOr<bool> RecordBarrier::Replace(const schema::CollectionSchema& collection,
                                      std::string_view key, const schema::Record* record) {
  ASSIGN_OR_RETURN(std::string tag, RecordTag(collection.name, key));
  const std::string store_key = collection.name + "/" + tag;
  std::vector<std::pair<Space, KeyValue>> fresh;
  if (record != nullptr) {
    ASSIGN_OR_RETURN(fresh, Encode(collection, *record));
  }
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<std::string> previous, store_.Get(Space::kRecords, store_key));
    if (record == nullptr && !previous) return NotFound("no such record");
    WriteBatch batch;
    RETURN_IF_ERROR(StageReplace(collection, key, tag, store_key, previous, fresh, batch));
    Status st = store_.Write(batch);
    if (st.ok()) return previous.has_value();
    if (st.code() != StatusCode::kConflict) return st;
  }
  return Conflict("record changed concurrently; try again", "concurrent_update");
}

StatusOr<std::vector<bool>> RecordBarrier::PutMany(const schema::CollectionSchema& collection,
                                                   std::span<const schema::Record> records) {
  // One slot per distinct key, holding the last record of that key.
  struct Slot {
    std::string key;
    std::string tag;
    std::string store_key;
    std::vector<std::pair<Space, KeyValue>> fresh;
  };
  std::vector<Slot> slots;
  std::unordered_map<std::string, size_t> slot_of;
  std::vector<size_t> record_slot(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    std::string key = schema::RecordKeyOf(collection, records[i]);
    if (key.empty()) return FieldInvalid(collection.key_field, "required", "record has no key");
    auto [it, inserted] = slot_of.try_emplace(key, slots.size());
    if (inserted) slots.push_back(Slot{std::move(key), {}, {}, {}});
    record_slot[i] = it->second;
  }
  std::vector<size_t> last_record(slots.size());
  for (size_t i = 0; i < records.size(); ++i) last_record[record_slot[i]] = i;
  for (size_t s = 0; s < slots.size(); ++s) {
    Slot& slot = slots[s];
    ASSIGN_OR_RETURN(slot.tag, RecordTag(collection.name, slot.key));
    slot.store_key = collection.name + "/" + slot.tag;
    ASSIGN_OR_RETURN(slot.fresh, Encode(collection, records[last_record[s]]));
  }

  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    WriteBatch batch;
    std::vector<bool> existed(slots.size());
    for (size_t s = 0; s < slots.size(); ++s) {
      const Slot& slot = slots[s];
      ASSIGN_OR_RETURN(std::optional<std::string> previous,
                       store_.Get(Space::kRecords, slot.store_key));
      existed[s] = previous.has_value();
      RETURN_IF_ERROR(StageReplace(collection, slot.key, slot.tag, slot.store_key, previous,
                                   slot.fresh, batch));
    }
    Status st = store_.Write(batch);
    if (st.code() == StatusCode::kConflict) continue;
    RETURN_IF_ERROR(st);
    std::vector<bool> replaced(records.size());
    std::vector<bool> seen = existed;
    for (size_t i = 0; i < records.size(); ++i) {
      replaced[i] = seen[record_slot[i]];
      seen[record_slot[i]] = true;
    }
    return replaced;
  }
  return Conflict("records changed concurrently; try again", "concurrent_update");
}

StatusOr<bool> RecordBarrier::Put(const schema::CollectionSchema& collection,
                                  const schema::Record& record) {
  const std::string key = schema::RecordKeyOf(collection, record);
  if (key.empty()) return FieldInvalid(collection.key_field, "required", "record has no key");
  return Replace(collection, key, &record);
}

Status RecordBarrier::Erase(const schema::CollectionSchema& collection, std::string_view key) {
  return Replace(collection, key, nullptr).status();
}

StatusOr<std::optional<schema::Record>> RecordBarrier::Get(
    const schema::CollectionSchema& collection, std::string_view key) {
  ASSIGN_OR_RETURN(std::string store_key, RecordStoreKey(collection.name, key));
  ASSIGN_OR_RETURN(std::optional<std::string> sealed, store_.Get(Space::kRecords, store_key));
  if (!sealed) return std::optional<schema::Record>();
  // Both ciphertexts are opened, so a flipped bit anywhere in the value fails.
  ASSIGN_OR_RETURN(
      std::string sealed_key,
      OpenKey(collection.name, std::string_view(store_key).substr(collection.name.size() + 1),
              *sealed));
  if (sealed_key != key) return DataLoss("stored record belongs to another key", "record_moved");
  ASSIGN_OR_RETURN(schema::Record record, Open(collection, key, *sealed));
  return std::optional<schema::Record>(std::move(record));
}

StatusOr<SearchResult> RecordBarrier::Search(const schema::CollectionSchema& collection,
                                             const schema::IndexTerm& term, size_t limit) {
  if (collection.Index(term.index) == nullptr) return NotFound("no such index", "unknown_index");
  ASSIGN_OR_RETURN(std::string term_tag, keys_.BlindIndex(collection.name, term.index, term.value));
  std::string prefix = IndexPrefix(collection.name, term.index) + term_tag;
  ASSIGN_OR_RETURN(std::vector<KeyValue> hits,
                   store_.Scan(Space::kIndex, prefix, PrefixEnd(prefix), limit + 1));
  SearchResult result;
  result.truncated = hits.size() > limit;
  if (result.truncated) hits.resize(limit);
  for (const KeyValue& hit : hits) {
    std::string_view record_tag = std::string_view(hit.key).substr(prefix.size());
    std::string store_key = collection.name + "/";
    store_key.append(record_tag);
    ASSIGN_OR_RETURN(std::optional<std::string> sealed, store_.Get(Space::kRecords, store_key));
    // An index entry always has its record (written in one batch); a miss
    // means a concurrent erase between the scan and the read.
    if (!sealed) continue;
    ASSIGN_OR_RETURN(std::string key, OpenKey(collection.name, record_tag, *sealed));
    ASSIGN_OR_RETURN(schema::Record record, Open(collection, key, *sealed));
    result.records.push_back(std::move(record));
  }
  return result;
}

}  // namespace warden
