// The rejects format: one JSON line for each row of a record file that was
// not accepted, written by `warden validate` and by both imports (offline
// and online), so one tool can read what any of them rejected:
//
//   {"line":12,"field":"national_id","rule":"checksum","message":"..."}
//
// `line` is the 1-based line of the input where the row starts; `field` and
// `rule` are the first violation of the status (an empty field and the
// status's reason when it names none, e.g. a row that is not valid JSON); a
// status naming several fields adds them all as "fields":[{"field","rule"}].
// The message is the status's, which names rules, never values.
#ifndef WARDEN_SCHEMA_REJECT_LINE_H_
#define WARDEN_SCHEMA_REJECT_LINE_H_

#include <cstdint>
#include <string>

#include "core/status.h"

namespace warden::schema {

// The rejects line (ending in '\n') for the row at `line` that failed with
// `status` (not OK). Invalid UTF-8 in the message is replaced, so the line is
// always valid JSON.
std::string RejectLine(uint64_t line, const Status& status);

}  // namespace warden::schema

#endif  // WARDEN_SCHEMA_REJECT_LINE_H_
