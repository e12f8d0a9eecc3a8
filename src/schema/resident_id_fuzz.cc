// Fuzz target: the resident-ID parser and the value normalisers accept or
// reject any bytes without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "schema/resident_id.h"
#include "schema/values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::schema;
  static const warden::FakeClock clock;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto id = ParseResidentId(text, CivilDate{2024, 6, 1});
  if (id.ok() && id->number.size() != 18) __builtin_trap();
  for (FieldType t : {FieldType::kCnResidentId, FieldType::kName, FieldType::kAddress,
                      FieldType::kDate, FieldType::kDivisionCode, FieldType::kPhone}) {
    (void)NormaliseValue(t, text, clock);
  }
  return 0;
}
