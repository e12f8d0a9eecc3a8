// RecordBarrier: the only way from the API to stored records (Vault's
// barrier). Everything that crosses it into the Store is sealed or keyed:
//
//   record      Space::kRecords  <collection> '/' Tag(key)
//                                  → u32be(n) SealRecord(collection, hex(Tag), "v1:key", key)
//                                    SealRecord(collection, key, "v1:record", CBOR(record))
//   index entry Space::kIndex    <collection> '/' <index> '/' BlindIndex(term) Tag(key) → ""
//
// where Tag(key) is the blind index of the record key under the reserved index
// ".key". The store therefore holds no field value, record key or search term
// in the clear (G2). The record key is sealed under the tag (so a search hit
// can recover it) and the record under the key; a stored value copied under
// another record's tag fails to open at either step.
//
// A Put or Erase writes the record and every index entry in one atomic batch
// guarded by the previous ciphertext, so a crash or a concurrent writer never
// leaves a record without its index entries or an entry without its record
// (G8), and an erased record is found by no query (G12).
//
// Records passed in must be normalised (schema::ValidateRecord). Thread-safe.
#ifndef WARDEN_STORE_RECORD_BARRIER_H_
#define WARDEN_STORE_RECORD_BARRIER_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_ring.h"
#include "schema/record.h"
#include "schema/schema.h"
#include "store/store.h"

namespace warden {

struct SearchResult {
  std::vector<schema::Record> records;
  bool truncated = false;  // more matched than the limit
};

class RecordBarrier {
 public:
  // `store` and `keys` must outlive the barrier. Every collection used must
  // have been added to `keys` (KeyRing::AddCollection).
  RecordBarrier(Store& store, const crypto::KeyRing& keys);

  // Creates or replaces the record with key RecordKeyOf(record), replacing its
  // index entries. Returns true when a record was replaced, false when created.
  StatusOr<bool> Put(const schema::CollectionSchema& collection, const schema::Record& record);

  // Creates or replaces every record in one guarded write: all are written or
  // none. Entry i of the answer is true when record i replaced a version
  // (stored, or earlier in `records` under the same key), as if they were
  // put one after another; the last record of a key is the one stored.
  // kConflict "concurrent_update" when other writers keep changing them.
  StatusOr<std::vector<bool>> PutMany(const schema::CollectionSchema& collection,
                                      std::span<const schema::Record> records);

  // The record, or nullopt when absent. kDataLoss when its ciphertext does not
  // open (tampering, or a record moved between keys).
  StatusOr<std::optional<schema::Record>> Get(const schema::CollectionSchema& collection,
                                              std::string_view key);

  // Removes the record and all its index entries. kNotFound when absent.
  Status Erase(const schema::CollectionSchema& collection, std::string_view key);

  // The records whose index `term.index` holds `term.value`, at most `limit`,
  // in no meaningful order.
  StatusOr<SearchResult> Search(const schema::CollectionSchema& collection,
                                const schema::IndexTerm& term, size_t limit);

  // The store entries of `record` (record and index entries), without reading
  // a previous version: for the bulk import into an empty key range.
  StatusOr<std::vector<std::pair<Space, KeyValue>>> Encode(
      const schema::CollectionSchema& collection, const schema::Record& record) const;

  // The keyed tag that stands for `key` in store keys; also the handle by
  // which other layers (canaries) refer to a record without holding its key.
  StatusOr<std::string> RecordTag(std::string_view collection, std::string_view key) const;

 private:
  StatusOr<std::string> RecordStoreKey(std::string_view collection, std::string_view key) const;
  // Adds the index-entry keys of `record` to `out`.
  Status AppendIndexKeys(const schema::CollectionSchema& collection, const schema::Record& record,
                         std::string_view record_tag, std::vector<std::string>& out) const;
  StatusOr<std::string> Seal(std::string_view collection, std::string_view key,
                             std::string_view tag, const schema::Record& record) const;
  // The record key sealed in a stored value, checked against its tag.
  StatusOr<std::string> OpenKey(std::string_view collection, std::string_view tag,
                                std::string_view stored) const;
  StatusOr<schema::Record> Open(const schema::CollectionSchema& collection, std::string_view key,
                                std::string_view stored) const;
  // Adds to `batch` the replacement of `previous` (the value stored under
  // `store_key`, if any) by `fresh` (empty to erase), guarded by `previous`:
  // the Expect, the removal of index entries `fresh` no longer has, the puts.
  Status StageReplace(const schema::CollectionSchema& collection, std::string_view key,
                      std::string_view tag, const std::string& store_key,
                      const std::optional<std::string>& previous,
                      const std::vector<std::pair<Space, KeyValue>>& fresh,
                      WriteBatch& batch) const;
  // Writes `record` (or erases when null) guarded by the current ciphertext;
  // returns whether a previous version existed.
  StatusOr<bool> Replace(const schema::CollectionSchema& collection, std::string_view key,
                         const schema::Record* record);

  Store& store_;
  const crypto::KeyRing& keys_;
};

}  // namespace warden

#endif  // WARDEN_STORE_RECORD_BARRIER_H_
