// LeakSample: the identifiers of a leaked sample, read from a file for
// `warden audit trace` (G11).
//
// The file is one of
//   - plain text: one national ID (or mobile number) per line; blank lines
//     and lines starting with '#' are skipped;
//   - CSV with a header row, or JSON Lines: records from which `national_id`
//     and `phones` are taken (other fields are ignored; a CSV `phones` cell
//     holds numbers separated by ';').
// Values are normalised as the server stores them (IDs by GB 11643, 15-digit
// ones converted; phones to E.164), so they hash to what the audit trail
// holds. A line that cannot be read, holds neither field, or holds a value
// that does not validate is rejected as a whole and counted; reading goes on.
// Rejection notes name the line, the field and the rule, never the value.
//
// The identifiers are personal data: the destructor wipes them.
#ifndef WARDEN_CLI_LEAK_SAMPLE_H_
#define WARDEN_CLI_LEAK_SAMPLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace warden::cli {

enum class SampleFormat { kAuto, kIds, kCsv, kJsonLines };

struct LeakSample {
  LeakSample() = default;
  ~LeakSample();
  LeakSample(LeakSample&&) = default;
  LeakSample& operator=(LeakSample&&) = default;

  std::vector<std::string> national_ids;      // normalised, sorted, distinct
  std::vector<std::string> phones;            // E.164, sorted, distinct
  SampleFormat format = SampleFormat::kAuto;  // as detected
  uint64_t lines_read = 0;                    // records or non-blank lines
  uint64_t rejected = 0;
  std::vector<std::string>
      rejections;  // the first kMaxRejectionNotes, "line 7: national_id: checksum"

  static constexpr size_t kMaxRejectionNotes = 20;
  size_t size() const { return national_ids.size() + phones.size(); }
};

// Reads `path`. kAuto picks the format from the name (.csv, .jsonl, .ndjson,
// .json) or else from the first non-blank line ('{' JSON Lines, a ',' CSV,
// otherwise plain text). Errors: the file cannot be opened. A file of which
// no line is usable is not an error here: the sample is then empty.
StatusOr<LeakSample> ReadLeakSample(const std::string& path, SampleFormat format,
                                    const Clock& clock);

std::string_view SampleFormatName(SampleFormat format);

}  // namespace warden::cli

#endif  // WARDEN_CLI_LEAK_SAMPLE_H_
