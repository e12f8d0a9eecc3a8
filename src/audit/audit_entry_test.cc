#include "audit/audit_entry.h"

#include <gtest/gtest.h>

#include "core/bytes.h"

namespace warden::audit {
namespace {

AuditEntry SampleEntry() {
  AuditEntry e;
  e.seq = 7;
  e.time_micros = 1'700'000'000'000'000;
  e.prev_hash = std::string(32, '\xab');
  e.action = AuditAction::kReveal;
  e.outcome = AuditOutcome::kDenied;
  e.status = 403;
  e.error_reason = "forbidden";
  e.account = "officer-3";
  e.session = "s-9";
  e.role = "officer";
  e.client_address = "192.0.2.1";
  e.collection = "persons";
  e.purpose_kind = "case";
  e.result_count = 2;
  e.subjects = {{IdentifierKind::kNationalId, std::string(32, '\x01')},
                {IdentifierKind::kPhone, std::string(32, '\x02')}};
  e.fields = {"phones", "current_address"};
  e.sealed_context = "sealed";
  e.mac = std::string(kEntryMacSize, '\xcd');
  return e;
}

// The fields of the pinned encodings below.
AuditEntry PinnedEntry() {
  AuditEntry e;
  e.seq = 1;
  e.time_micros = 2;
  e.prev_hash = std::string(32, '\0');
  e.action = AuditAction::kLogin;
  e.status = 200;
  e.account = "a";
  e.subjects = {{IdentifierKind::kPhone, std::string(32, '\x03')}};
  e.fields = {"f"};
  return e;
}

// Everything after the version byte, up to the MAC.
constexpr std::string_view kPinnedBodyHex =
    "0000000000000001"                                                  // seq
    "0000000000000002"                                                  // time
    "0000000000000000000000000000000000000000000000000000000000000000"  // prev hash
    "01"
    "00"
    "00c8"        // action outcome status
    "00000000"    // error_reason
    "0000000161"  // account "a"
    "00000000"
    "00000000"
    "00000000"
    "00000000"
    "00000000"          // session..purpose
    "0000000000000000"  // result count
    "00000001"
    "02"  // one phone subject
    "0303030303030303030303030303030303030303030303030303030303030303"
    "00000001"
    "0000000166"  // fields ["f"]
    "00000000";   // no sealed context

TEST(AuditEntryTest, EncodeDecodeRoundTrips) {
  AuditEntry e = SampleEntry();
  StatusOr<AuditEntry> back = DecodeEntry(EncodeEntry(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, e);
}

// The serialisation is fixed: a change to it must be deliberate (a new
// version), never a side effect. This pins version 1 byte for byte: entries
// written before version 2 must still decode and hash the same.
TEST(AuditEntryTest, Version1EncodingIsPinned) {
  AuditEntry e = PinnedEntry();
  e.version = kLegacyEntryFormatVersion;
  EXPECT_EQ(HexEncode(EncodeEntry(e)), "01" + std::string(kPinnedBodyHex));
  StatusOr<AuditEntry> back = DecodeEntry(EncodeEntry(e));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, e);
}

// Version 2: the same body after the version byte, then the MAC. The MAC is a
// known answer computed independently: HMAC-SHA256 under HKDF-SHA256(32 bytes
// of 0x11, salt "warden-audit", info "entry-mac-v2") over the bytes before it.
TEST(AuditEntryTest, Version2EncodingAndMacArePinned) {
  StatusOr<std::unique_ptr<EntryMac>> mac =
      EntryMac::FromAuditHashKey(SecretBytes::CopyFrom(std::string(32, '\x11')));
  ASSERT_TRUE(mac.ok());
  AuditEntry e = PinnedEntry();
  std::string encoded = (*mac)->Encode(e);
  EXPECT_EQ(HexEncode(encoded),
            "02" + std::string(kPinnedBodyHex) +
                "0cfbeb5f1f723ef2cc329c3fcf6b1edd5672368b4b170bcc4863b65e4c20b116");
  EXPECT_EQ(EncodeEntry(e), encoded);
  EXPECT_TRUE((*mac)->Verify(encoded));
}

TEST(AuditEntryTest, MacFailsForAnyChangedByteAnotherKeyOrVersion1) {
  StatusOr<std::unique_ptr<EntryMac>> mac =
      EntryMac::FromAuditHashKey(SecretBytes::CopyFrom(std::string(32, '\x11')));
  StatusOr<std::unique_ptr<EntryMac>> other =
      EntryMac::FromAuditHashKey(SecretBytes::CopyFrom(std::string(32, '\x12')));
  ASSERT_TRUE(mac.ok() && other.ok());
  AuditEntry e = SampleEntry();
  const std::string encoded = (*mac)->Encode(e);
  for (size_t i = 1; i < encoded.size(); ++i) {
    std::string changed = encoded;
    changed[i] ^= 0x01;
    EXPECT_FALSE((*mac)->Verify(changed)) << "byte " << i;
  }
  EXPECT_FALSE((*other)->Verify(encoded));
  AuditEntry legacy = SampleEntry();
  legacy.version = kLegacyEntryFormatVersion;
  legacy.mac.clear();
  EXPECT_FALSE((*mac)->Verify(EncodeEntry(legacy)));
  EXPECT_FALSE((*mac)->Verify(""));
}

TEST(AuditEntryTest, TruncatedEntryIsDataLoss) {
  std::string bytes = EncodeEntry(SampleEntry());
  for (size_t n : {size_t{0}, size_t{1}, size_t{40}, bytes.size() - 1}) {
    StatusOr<AuditEntry> e = DecodeEntry(std::string_view(bytes).substr(0, n));
    EXPECT_EQ(e.status().code(), StatusCode::kDataLoss) << "length " << n;
  }
}

TEST(AuditEntryTest, TrailingBytesAreRejected) {
  EXPECT_EQ(DecodeEntry(EncodeEntry(SampleEntry()) + "x").status().code(), StatusCode::kDataLoss);
}

TEST(AuditEntryTest, UnknownVersionIsRejected) {
  std::string bytes = EncodeEntry(SampleEntry());
  for (char version : {'\0', '\3', '\xff'}) {
    bytes[0] = version;
    EXPECT_EQ(DecodeEntry(bytes).status().code(), StatusCode::kDataLoss);
  }
}

TEST(AuditEntryTest, UnknownActionOrKindIsRejected) {
  std::string bytes = EncodeEntry(SampleEntry());
  std::string bad_action = bytes;
  bad_action[1 + 8 + 8 + 32] = static_cast<char>(kMaxAuditAction + 1);
  EXPECT_FALSE(DecodeEntry(bad_action).ok());
  AuditEntry e = SampleEntry();
  e.subjects[0].kind = static_cast<IdentifierKind>(kMaxIdentifierKind + 1);
  EXPECT_FALSE(DecodeEntry(EncodeEntry(e)).ok());
}

TEST(AuditEntryTest, HugeLengthDoesNotAllocate) {
  std::string bytes = EncodeEntry(SampleEntry());
  // The error_reason length field follows the fixed header.
  size_t at = 1 + 8 + 8 + 32 + 4;
  bytes[at] = '\x7f';
  EXPECT_EQ(DecodeEntry(bytes).status().code(), StatusCode::kDataLoss);
}

TEST(AuditEntryTest, CheckpointRoundTrips) {
  AuditCheckpoint c{42, std::string(32, '\x05'), 99, std::string(64, '\x06')};
  StatusOr<AuditCheckpoint> back = DecodeCheckpoint(EncodeCheckpoint(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, c);
  EXPECT_FALSE(DecodeCheckpoint(EncodeCheckpoint(c).substr(1)).ok());
}

TEST(AuditEntryTest, CheckpointMessageBindsEveryField) {
  std::string base = CheckpointMessage(1, std::string(32, 'h'), 5);
  EXPECT_NE(base, CheckpointMessage(2, std::string(32, 'h'), 5));
  EXPECT_NE(base, CheckpointMessage(1, std::string(32, 'i'), 5));
  EXPECT_NE(base, CheckpointMessage(1, std::string(32, 'h'), 6));
}

TEST(AuditEntryTest, ActionAndKindNamesRoundTrip) {
  for (uint8_t i = 1; i <= kMaxAuditAction; ++i) {
    auto a = static_cast<AuditAction>(i);
    EXPECT_EQ(ParseAuditAction(AuditActionName(a)), a);
  }
  for (uint8_t i = 1; i <= kMaxIdentifierKind; ++i) {
    auto k = static_cast<IdentifierKind>(i);
    EXPECT_EQ(ParseIdentifierKind(IdentifierKindName(k)), k);
  }
  EXPECT_FALSE(ParseAuditAction("drop_table").has_value());
}

TEST(AuditEntryTest, IndexKeysSortBySeqAndEndWithIt) {
  EXPECT_LT(audit_keys::Entry(255), audit_keys::Entry(256));
  std::string k = audit_keys::Account("officer-1", 12345);
  EXPECT_EQ(audit_keys::SeqOfKey(k), 12345u);
  // A longer account whose name starts like another's does not share its prefix.
  std::string short_prefix = audit_keys::Account("ab");
  EXPECT_NE(audit_keys::Account("abc", 1).compare(0, short_prefix.size(), short_prefix), 0);
}

}  // namespace
}  // namespace warden::audit
