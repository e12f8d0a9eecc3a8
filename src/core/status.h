// Status and StatusOr: Warden's one error type.
//
// A Status is either OK or carries a code, a stable machine-readable reason
// (for example "purpose_required"), a human message and, for validation
// failures, the fields and rules that were broken. Codes map one-to-one to
// the HTTP statuses of the API (SPEC §5), so an error travels from the layer
// that found it to the client without being re-classified.
//
// Messages never contain secrets or personal data: callers name fields and
// rules, not values.
#ifndef WARDEN_CORE_STATUS_H_
#define WARDEN_CORE_STATUS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace warden {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,    // 400: malformed request or value
  kUnauthenticated,    // 401: no or bad credentials
  kPermissionDenied,   // 403: authenticated but not allowed
  kNotFound,           // 404
  kConflict,           // 409: already exists, concurrent change
  kPayloadTooLarge,    // 413
  kUnprocessable,      // 422: well-formed but violates the schema
  kLocked,             // 423: account locked or suspended
  kResourceExhausted,  // 429: rate limit or quota
  kUnavailable,        // 503: sealed, audit down, store down
  kInternal,           // 500: a bug or an unexpected failure
  kDataLoss,           // 500: corruption or tampering detected
};

// The HTTP status for `code` (200 for kOk).
int HttpStatusOf(StatusCode code);
// A short stable name: "invalid_argument", "not_found", ...
std::string_view StatusCodeName(StatusCode code);

// One broken rule of one field, as reported to clients.
struct FieldViolation {
  std::string field;  // dotted path, e.g. "phones[1]"
  std::string rule;   // stable rule name, e.g. "checksum"
  bool operator==(const FieldViolation&) const = default;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string reason, std::string message,
         std::vector<FieldViolation> fields = {});

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // Stable machine-readable reason; defaults to StatusCodeName(code()).
  const std::string& reason() const;
  const std::string& message() const;
  const std::vector<FieldViolation>& fields() const;

  // "not_found: no such record" — for logs and test failure messages.
  std::string ToString() const;

  // Prefixes the message with `context` ("opening store: ...").
  Status WithContext(std::string_view context) const;

  // Explicitly drops this status; searchable, like RocksDB's PermitUncheckedError.
  void IgnoreError() const {}

  bool operator==(const Status& other) const;

 private:
  struct Rep {
    StatusCode code;
    std::string reason;
    std::string message;
    std::vector<FieldViolation> fields;
  };
  std::shared_ptr<const Rep> rep_;  // null when OK; immutable so copies are cheap
};

// Constructors for the common cases. `reason` is the stable API error code.
Status InvalidArgument(std::string message, std::string reason = "invalid_argument");
Status Unauthenticated(std::string message, std::string reason = "unauthenticated");
Status PermissionDenied(std::string message, std::string reason = "forbidden");
Status NotFound(std::string message, std::string reason = "not_found");
Status Conflict(std::string message, std::string reason = "conflict");
Status PayloadTooLarge(std::string message, std::string reason = "payload_too_large");
Status Locked(std::string message, std::string reason = "locked");
Status ResourceExhausted(std::string message, std::string reason = "resource_exhausted");
Status Unavailable(std::string message, std::string reason = "unavailable");
Status Internal(std::string message, std::string reason = "internal");
Status DataLoss(std::string message, std::string reason = "data_loss");
// A validation failure of one field: 422 with reason "validation_failed".
Status FieldInvalid(std::string field, std::string rule, std::string message);

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const T& value) : v_(value) {}            // NOLINT: implicit by design
  StatusOr(T&& value) : v_(std::move(value)) {}      // NOLINT
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Internal("StatusOr built from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // Precondition: ok().
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  // By value: `for (auto& x : *F())` must not bind to a dying temporary.
  T operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

namespace internal_status {
inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal_status

}  // namespace warden

#define WARDEN_CONCAT_INNER_(a, b) a##b
#define WARDEN_CONCAT_(a, b) WARDEN_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (a Status or StatusOr) is not OK.
#define RETURN_IF_ERROR(expr)                                 \
  do {                                                        \
    if (auto&& _warden_st = (expr); !_warden_st.ok())         \
      return ::warden::internal_status::AsStatus(_warden_st); \
  } while (0)

// ASSIGN_OR_RETURN(auto x, F()): declares/assigns x from a StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(WARDEN_CONCAT_(_warden_sor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // WARDEN_CORE_STATUS_H_
