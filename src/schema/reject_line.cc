#include "schema/reject_line.h"

#include <nlohmann/json.hpp>

namespace warden::schema {

std::string RejectLine(uint64_t line, const Status& status) {
  nlohmann::json j;
  j["line"] = line;
  const std::vector<FieldViolation>& fields = status.fields();
  j["field"] = fields.empty() ? "" : fields[0].field;
  j["rule"] = fields.empty() ? status.reason() : fields[0].rule;
  j["message"] = status.message();
  if (fields.size() > 1) {
    nlohmann::json all = nlohmann::json::array();
    for (const FieldViolation& f : fields) all.push_back({{"field", f.field}, {"rule", f.rule}});
    j["fields"] = std::move(all);
  }
  std::string out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.push_back('\n');
  return out;
}

}  // namespace warden::schema
