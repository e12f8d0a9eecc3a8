#include "core/status.h"

#include <gtest/gtest.h>

namespace warden {
namespace {

StatusOr<int> ParsePositive(int v) {
  if (v <= 0) return FieldInvalid("count", "positive", "count must be positive");
  return v;
}

StatusOr<int> Doubled(int v) {
  ASSIGN_OR_RETURN(int parsed, ParsePositive(v));
  return parsed * 2;
}

Status CheckBoth(int a, int b) {
  RETURN_IF_ERROR(ParsePositive(a));
  RETURN_IF_ERROR(ParsePositive(b));
  return Status::Ok();
}

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, CodesMapToHttpStatuses) {
  EXPECT_EQ(HttpStatusOf(InvalidArgument("x").code()), 400);
  EXPECT_EQ(HttpStatusOf(Unauthenticated("x").code()), 401);
  EXPECT_EQ(HttpStatusOf(PermissionDenied("x").code()), 403);
  EXPECT_EQ(HttpStatusOf(NotFound("x").code()), 404);
  EXPECT_EQ(HttpStatusOf(Conflict("x").code()), 409);
  EXPECT_EQ(HttpStatusOf(PayloadTooLarge("x").code()), 413);
  EXPECT_EQ(HttpStatusOf(FieldInvalid("f", "r", "m").code()), 422);
  EXPECT_EQ(HttpStatusOf(Locked("x").code()), 423);
  EXPECT_EQ(HttpStatusOf(ResourceExhausted("x").code()), 429);
  EXPECT_EQ(HttpStatusOf(Unavailable("x").code()), 503);
  EXPECT_EQ(HttpStatusOf(Internal("x").code()), 500);
}

TEST(StatusTest, FieldInvalidNamesFieldAndRule) {
  Status s = FieldInvalid("national_id", "checksum", "check character does not match");
  ASSERT_EQ(s.fields().size(), 1u);
  EXPECT_EQ(s.fields()[0].field, "national_id");
  EXPECT_EQ(s.fields()[0].rule, "checksum");
  EXPECT_EQ(s.reason(), "validation_failed");
}

TEST(StatusTest, ReasonDefaultsToCodeName) {
  EXPECT_EQ(Status(StatusCode::kNotFound, "", "gone").reason(), "not_found");
  EXPECT_EQ(InvalidArgument("no purpose", "purpose_required").reason(), "purpose_required");
}

TEST(StatusTest, WithContextKeepsCodeAndFields) {
  Status s = FieldInvalid("phone", "format", "bad").WithContext("line 7");
  EXPECT_EQ(s.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(s.message(), "line 7: bad");
  EXPECT_EQ(s.fields().size(), 1u);
}

TEST(StatusOrTest, MacrosPropagateErrors) {
  EXPECT_EQ(*Doubled(4), 8);
  StatusOr<int> bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().fields()[0].rule, "positive");
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(1, 0).code(), StatusCode::kUnprocessable);
}

TEST(StatusOrTest, BuiltFromOkStatusIsAnInternalError) {
  StatusOr<int> v{Status::Ok()};
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace warden
