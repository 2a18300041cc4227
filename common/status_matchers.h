// gMock matchers for absl::Status and absl::StatusOr<T>.
//
//   EXPECT_THAT(store.Get("x"), IsOk());
//   EXPECT_THAT(svc.Review(...), StatusIs(absl::StatusCode::kPermissionDenied));
//   EXPECT_THAT(Parse("bad"), StatusIs(absl::StatusCode::kInvalidArgument,
//                                      HasSubstr("line 3")));
//   EXPECT_THAT(process.Wait(), IsOkAndHolds(0));
//   ASSERT_OK_AND_ASSIGN(Role role, ParseRole(yaml));
#ifndef JIT_COMMON_STATUS_MATCHERS_H_
#define JIT_COMMON_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jit::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = ::jit::testing::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(StatusIs, code,
          std::string(negation ? "does not have" : "has") + " code " +
              absl::StatusCodeToString(code)) {
  const absl::Status& status = ::jit::testing::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string(negation ? "does not have" : "has") + " code " +
               absl::StatusCodeToString(code) + " and a matching message") {
  const absl::Status& status = ::jit::testing::GetStatus(arg);
  *result_listener << "status is " << status;
  if (status.code() != code) return false;
  return ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

// Matches an OK absl::StatusOr<T> whose value equals `expected`.
MATCHER_P(IsOkAndHolds, expected,
          std::string(negation ? "is not OK or does not hold " : "is OK and holds ") +
              ::testing::PrintToString(expected)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  *result_listener << "holds " << ::testing::PrintToString(*arg);
  return *arg == expected;
}

}  // namespace jit::testing

#define JIT_MATCHERS_CONCAT_INNER_(a, b) a##b
#define JIT_MATCHERS_CONCAT_(a, b) JIT_MATCHERS_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::jit::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::jit::testing::IsOk())

// Asserts that `rexpr` (an absl::StatusOr<T>) is OK and moves its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                              \
  JIT_ASSERT_OK_AND_ASSIGN_IMPL_(JIT_MATCHERS_CONCAT_(jit_statusor_, __LINE__), lhs, \
                                 rexpr)

#define JIT_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  ASSERT_TRUE(statusor.ok()) << statusor.status();           \
  lhs = *std::move(statusor)

#endif  // JIT_COMMON_STATUS_MATCHERS_H_
