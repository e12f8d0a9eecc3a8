// Bootstrap, login and logout. Secrets read from request bodies are copied
// into SecretBytes at once and the JSON copies wiped.
#include "access/totp.h"
#include "api/routes.h"

namespace warden::api {
namespace {

// Takes string member `name` of the body as a secret, wiping the JSON copy.
StatusOr<SecretBytes> TakeSecret(const http::Request& req, std::string_view name) {
  auto& body = const_cast<nlohmann::json&>(req.json);  // the request is ours until we answer
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object", "bad_json");
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) {
    return FieldInvalid(std::string(name), "required", std::string(name) + " is required");
  }
  std::string& text = it->get_ref<std::string&>();
  SecretBytes secret = SecretBytes::CopyFrom(text);
  SecureWipe(text);
  return secret;
}

StatusOr<std::string> RequiredString(const http::Request& req, std::string_view name) {
  if (!req.json.is_object()) return InvalidArgument("the body must be a JSON object", "bad_json");
  auto it = req.json.find(name);
  if (it == req.json.end() || !it->is_string()) {
    return FieldInvalid(std::string(name), "required", std::string(name) + " is required");
  }
  return it->get<std::string>();
}

nlohmann::json EnrollmentJson(const access::Enrollment& e) {
  nlohmann::json answer = {{"account_id", e.account_id},
                           {"totp_secret", std::string(e.totp_secret_base32.view())},
                           {"otpauth_uri", std::string(e.otpauth_uri.view())}};
  // The same URI as a QR code for the authenticator app's camera; the URI
  // alone still enrols if the code cannot be drawn.
  if (StatusOr<SecretBytes> qr = access::QrCodeSvg(e.otpauth_uri); qr.ok()) {
    answer["otpauth_qr_svg"] = std::string(qr->view());
  }
  return answer;
}

// The audit entry of a login or an enrolment, made before any session
// exists: where the call came from and, when it failed, why. The name typed
// may be anything (even a password): only its keyed hash is kept.
audit::AuditEvent SignInEvent(audit::AuditAction action, const http::Request& req,
                              const std::string& username, const Status& outcome) {
  audit::AuditEvent event;
  event.action = action;
  event.actor.client_address = req.client_address;
  if (!outcome.ok()) {
    event.subjects.push_back({audit::IdentifierKind::kOther, "username/" + username});
    event.outcome = audit::AuditOutcome::kDenied;
    event.status = static_cast<uint16_t>(HttpStatusOf(outcome.code()));
    event.error_reason = outcome.reason();
  }
  return event;
}

StatusOr<http::Response> Bootstrap(const ApiContext& ctx, const ApiRoute& route,
                                   const http::Request& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<node::UnsealedServices> services, RequireUnsealed(ctx));
  ASSIGN_OR_RETURN(std::string_view bearer, BearerToken(req));
  SecretBytes token = SecretBytes::CopyFrom(bearer);
  ASSIGN_OR_RETURN(std::string username, RequiredString(req, "username"));
  ASSIGN_OR_RETURN(SecretBytes password, TakeSecret(req, "password"));
  StatusOr<access::Enrollment> enrolled =
      services->access->authenticator().Bootstrap(token, username, password);
  audit::AuditEvent event;
  event.action = *route.audit;
  event.actor.account = enrolled.ok() ? enrolled->account_id : "";
  event.actor.role = "security_officer";
  event.actor.client_address = req.client_address;
  event.outcome = enrolled.ok() ? audit::AuditOutcome::kSuccess : audit::AuditOutcome::kDenied;
  event.status =
      static_cast<uint16_t>(enrolled.ok() ? 201 : HttpStatusOf(enrolled.status().code()));
  event.error_reason = enrolled.ok() ? "" : enrolled.status().reason();
  event.detail = "bootstrap security officer";
  RETURN_IF_ERROR(services->audit->Append(event).status());
  RETURN_IF_ERROR(enrolled);
  return http::Response::Json(201, EnrollmentJson(*enrolled));
}

StatusOr<http::Response> Login(const ApiContext& ctx, const ApiRoute& route,
                               const http::Request& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<node::UnsealedServices> services, RequireUnsealed(ctx));
  ASSIGN_OR_RETURN(std::string username, RequiredString(req, "username"));
  ASSIGN_OR_RETURN(std::string totp, RequiredString(req, "totp"));
  ASSIGN_OR_RETURN(SecretBytes password, TakeSecret(req, "password"));
  access::Authenticator& authenticator = services->access->authenticator();
  StatusOr<access::IssuedToken> issued =
      authenticator.Login(username, password, totp, req.client_address);

  audit::AuditEvent event = SignInEvent(*route.audit, req, username, issued.status());
  if (issued.ok()) {
    ASSIGN_OR_RETURN(access::Principal who,
                     authenticator.Authenticate(issued->token.view(), req.client_address));
    event.actor.account = who.account_id;
    event.actor.session = who.session_id;
    event.actor.role = RolesLabel(who.roles);
  }
  RETURN_IF_ERROR(services->audit->Append(event).status());
  RETURN_IF_ERROR(issued);
  return http::Response::Json(200, {{"token", std::string(issued->token.view())},
                                    {"expires_at", FormatRfc3339(issued->expires_at_micros)},
                                    {"roles", issued->roles.Names()}});
}

// {"username", "enrolment_codes": [half, half], "password"}: the holder of a
// new or reset account sets their own password and receives their TOTP
// secret. Audited like a login, success or not.
StatusOr<http::Response> Enrol(const ApiContext& ctx, const ApiRoute& route,
                               const http::Request& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<node::UnsealedServices> services, RequireUnsealed(ctx));
  ASSIGN_OR_RETURN(std::string username, RequiredString(req, "username"));
  auto& body = const_cast<nlohmann::json&>(req.json);  // the request is ours until we answer
  auto codes = body.find("enrolment_codes");
  if (codes == body.end() || !codes->is_array() || codes->size() != 2 || !(*codes)[0].is_string() ||
      !(*codes)[1].is_string()) {
    return FieldInvalid("enrolment_codes", "required",
                        "enrolment_codes must hold the two halves of the code");
  }
  std::array<SecretBytes, 2> halves;
  for (size_t i = 0; i < 2; ++i) {
    std::string& text = (*codes)[i].get_ref<std::string&>();
    halves[i] = SecretBytes::CopyFrom(text);
    SecureWipe(text);
  }
  ASSIGN_OR_RETURN(SecretBytes password, TakeSecret(req, "password"));
  StatusOr<access::Enrollment> enrolled =
      services->access->authenticator().Enrol(username, halves[0], halves[1], password);

  audit::AuditEvent event = SignInEvent(*route.audit, req, username, enrolled.status());
  event.detail = "enrol";
  if (enrolled.ok()) event.actor.account = enrolled->account_id;
  RETURN_IF_ERROR(services->audit->Append(event).status());
  RETURN_IF_ERROR(enrolled);
  return http::Response::Json(200, EnrollmentJson(*enrolled));
}

// {"password", "new_password"}: the holder of a session changes their own password.
Answer ChangePassword(const RequestScope& scope) {
  return RunAudited(scope, "", [&](audit::AuditEvent& event) -> StatusOr<http::Response> {
    event.detail = "change own password";
    ASSIGN_OR_RETURN(SecretBytes current, TakeSecret(scope.request, "password"));
    ASSIGN_OR_RETURN(SecretBytes replacement, TakeSecret(scope.request, "new_password"));
    RETURN_IF_ERROR(scope.access().authenticator().ChangePassword(scope.who, current, replacement));
    return http::Response::NoContent();
  });
}

Answer Logout(const RequestScope& scope) {
  ASSIGN_OR_RETURN(std::string_view token, BearerToken(scope.request));
  return RunAudited(scope, "", [&](audit::AuditEvent&) -> StatusOr<http::Response> {
    RETURN_IF_ERROR(scope.access().authenticator().Logout(token));
    return http::Response::NoContent();
  });
}

}  // namespace

Status MountAuthRoutes(http::Router& router, const ApiContext& ctx) {
  RETURN_IF_ERROR(MountPublicCall(router, ctx, "bootstrap", Bootstrap));
  RETURN_IF_ERROR(MountPublicCall(router, ctx, "login", Login));
  RETURN_IF_ERROR(MountCall(router, ctx, "logout", Logout));
  RETURN_IF_ERROR(MountPublicCall(router, ctx, "enrol", Enrol));
  return MountCall(router, ctx, "changePassword", ChangePassword);
}

}  // namespace warden::api
