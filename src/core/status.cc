#include "core/status.h"

namespace warden {

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kConflict: return 409;
    case StatusCode::kPayloadTooLarge: return 413;
    case StatusCode::kUnprocessable: return 422;
    case StatusCode::kLocked: return 423;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
    case StatusCode::kDataLoss: return 500;
  }
  return 500;
}

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kPermissionDenied: return "forbidden";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kPayloadTooLarge: return "payload_too_large";
    case StatusCode::kUnprocessable: return "validation_failed";
    case StatusCode::kLocked: return "locked";
    case StatusCode::kResourceExhausted: return "resource_exhausted";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kInternal: return "internal";
    case StatusCode::kDataLoss: return "data_loss";
  }
  return "internal";
}

Status::Status(StatusCode code, std::string reason, std::string message,
               std::vector<FieldViolation> fields) {
  if (code == StatusCode::kOk) return;
  if (reason.empty()) reason = std::string(StatusCodeName(code));
  rep_ = std::make_shared<const Rep>(
      Rep{code, std::move(reason), std::move(message), std::move(fields)});
}

const std::string& Status::reason() const {
  static const std::string kOkReason = "ok";
  return rep_ ? rep_->reason : kOkReason;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

const std::vector<FieldViolation>& Status::fields() const {
  static const std::vector<FieldViolation> kNone;
  return rep_ ? rep_->fields : kNone;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = rep_->reason + ": " + rep_->message;
  for (const FieldViolation& f : rep_->fields) out += " [" + f.field + ": " + f.rule + "]";
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(rep_->code, rep_->reason, std::string(context) + ": " + rep_->message,
                rep_->fields);
}

bool Status::operator==(const Status& other) const {
  if (ok() || other.ok()) return ok() == other.ok();
  return rep_->code == other.rep_->code && rep_->reason == other.rep_->reason &&
         rep_->message == other.rep_->message && rep_->fields == other.rep_->fields;
}

Status InvalidArgument(std::string m, std::string r) {
  return Status(StatusCode::kInvalidArgument, std::move(r), std::move(m));
}
Status Unauthenticated(std::string m, std::string r) {
  return Status(StatusCode::kUnauthenticated, std::move(r), std::move(m));
}
Status PermissionDenied(std::string m, std::string r) {
  return Status(StatusCode::kPermissionDenied, std::move(r), std::move(m));
}
Status NotFound(std::string m, std::string r) {
  return Status(StatusCode::kNotFound, std::move(r), std::move(m));
}
Status Conflict(std::string m, std::string r) {
  return Status(StatusCode::kConflict, std::move(r), std::move(m));
}
Status PayloadTooLarge(std::string m, std::string r) {
  return Status(StatusCode::kPayloadTooLarge, std::move(r), std::move(m));
}
Status Locked(std::string m, std::string r) {
  return Status(StatusCode::kLocked, std::move(r), std::move(m));
}
Status ResourceExhausted(std::string m, std::string r) {
  return Status(StatusCode::kResourceExhausted, std::move(r), std::move(m));
}
Status Unavailable(std::string m, std::string r) {
  return Status(StatusCode::kUnavailable, std::move(r), std::move(m));
}
Status Internal(std::string m, std::string r) {
  return Status(StatusCode::kInternal, std::move(r), std::move(m));
}
Status DataLoss(std::string m, std::string r) {
  return Status(StatusCode::kDataLoss, std::move(r), std::move(m));
}
Status FieldInvalid(std::string field, std::string rule, std::string message) {
  std::vector<FieldViolation> fields{{std::move(field), std::move(rule)}};
  return Status(StatusCode::kUnprocessable, "validation_failed", std::move(message),
                std::move(fields));
}

}  // namespace warden
