// FakeRpc: one method of a fake peer client (services/<name>/client/testing/). It records
// every request and answers with what the test set: a fixed reply or status, or a function
// of the request. A method no answer was set for fails with UNIMPLEMENTED naming it, so a
// test never gets an allow it did not ask for. Thread-safe.
//
//   FakeRpc<CheckPermissionRequest, CheckPermissionResponse> check_permission{"CheckPermission"};
//   check_permission.Answer(absl::UnavailableError("policy down"));
//   ... code under test calls check_permission.Call(request) ...
//   EXPECT_EQ(check_permission.requests().back().verb(), "create");
#ifndef JIT_COMMON_CLIENT_TESTING_FAKE_RPC_H_
#define JIT_COMMON_CLIENT_TESTING_FAKE_RPC_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace jit::client::testing {

template <typename Request, typename Response>
class FakeRpc {
 public:
  explicit FakeRpc(std::string name) : name_(std::move(name)) {}

  // Every later call answers `answer`.
  void Answer(absl::StatusOr<Response> answer) {
    Handle([answer = std::move(answer)](const Request&) { return answer; });
  }
  // Every later call answers `handler(request)`.
  void Handle(std::function<absl::StatusOr<Response>(const Request&)> handler) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(handler);
  }

  absl::StatusOr<Response> Call(const Request& request) {
    std::function<absl::StatusOr<Response>(const Request&)> handler;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      handler = handler_;
    }
    if (!handler) return absl::UnimplementedError(absl::StrCat("fake ", name_, ": no answer set"));
    return handler(request);
  }

  std::vector<Request> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  const std::string name_;
  mutable absl::Mutex mu_;
  std::function<absl::StatusOr<Response>(const Request&)> handler_ ABSL_GUARDED_BY(mu_);
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jit::client::testing

#endif  // JIT_COMMON_CLIENT_TESTING_FAKE_RPC_H_
