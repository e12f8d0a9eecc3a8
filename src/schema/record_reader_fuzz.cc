// Fuzz target: the CSV / JSON Lines reader and record validation must return
// rows or errors for any input, never crash or read out of bounds; and a CSV
// text cut at the record ends CsvRecordScanner finds reads as the same rows
// as the whole (the offline import relies on it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "core/clock.h"
#include "schema/csv_pieces_test_util.h"
#include "schema/record.h"
#include "schema/record_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::schema;
  static const warden::FakeClock clock;
  std::string text(reinterpret_cast<const char*>(data), size);
  const Schema& registry = Schema::Registry();
  const CollectionSchema* collection =
      &registry.collections()[size % registry.collections().size()];
  for (RecordFormat format : {RecordFormat::kCsv, RecordFormat::kJsonLines}) {
    std::istringstream in(text);
    RecordReader reader(in, format, collection);
    int rows = 0;
    while (auto row = reader.Next()) {
      if (row->record.ok()) {
        auto r = ValidateRecord(*collection, *row->record, clock);
        if (r.ok()) {
          (void)IndexTerms(*collection, *r);
          (void)MaskRecord(*collection, *r);
        }
      }
      if (++rows > 1000) break;
    }
  }
  if (std::optional<std::vector<RowOutcome>> pieces = ReadCsvRowsInPieces(text, collection)) {
    if (*pieces != ReadCsvRows(text, 0, collection)) std::abort();
  }
  return 0;
}
