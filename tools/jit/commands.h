// The jit CLI's commands as plain functions over the typed clients (the fakes in unit
// tests, gRPC in the binary): each does its calls, writes its result to `out` in the chosen
// format and returns OK, or returns the error (the caller prints ErrorSentence and exits
// non-zero) having written nothing. Request ids may be a unique prefix of an id the caller
// can list (format.h, ResolveIdPrefix). The server decides what the caller may do; these
// functions never second-guess it (a self-approval is refused by jit-requests).
#ifndef JIT_TOOLS_JIT_COMMANDS_H_
#define JIT_TOOLS_JIT_COMMANDS_H_

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/auth/client/user_auth_client.h"
#include "services/requests/client/user_requests_client.h"
#include "tools/jit/format.h"

namespace jit::cli {

struct Output {
  std::ostream* out;
  Format format = Format::kText;
  absl::Time now;
};

struct LoginInput {
  std::string user;
  std::string password;
  // Asked only when the server says the user needs a TOTP code.
  std::function<absl::StatusOr<std::string>()> prompt_totp;
};

// Logs in and stores the token under `jit_dir` (session_file.h).
absl::Status Login(auth::UserAuthClient& auth, const std::string& jit_dir, const LoginInput& in,
                   const Output& o);
// Ends the session at jit-auth (an already expired or revoked session is fine) and removes
// the stored token. `auth` is null when there is no stored token.
absl::Status Logout(auth::UserAuthClient* auth, const std::string& jit_dir, const Output& o);
// Who am I, plus my pending requests and active grants with time left.
absl::Status ShowStatus(auth::UserAuthClient& auth, requests::UserRequestsClient& requests,
                        const Output& o);

struct CreateInput {
  std::vector<std::string> roles;
  std::string reason;
  std::string duration;  // "30m"
  std::string start;     // RFC 3339, or empty (at approval)
  std::vector<std::string> reviewers;
  // Emergency self-elevation: granted at once when a role allows it, reviewed afterwards.
  bool break_glass = false;
  // Check with policy and show which automatic review rule would decide; store nothing.
  bool dry_run = false;
};
// How `request create --wait` waits: `sleep` between polls (the binary sleeps for real,
// tests advance a fake clock), `now` for the live line, written to `status` ("\r" updated).
struct WaitHooks {
  std::function<void(absl::Duration)> sleep;
  std::function<absl::Time()> now;
  std::ostream* status;
  absl::Duration poll = absl::Seconds(1);
};
// With `wait`, a pending request is polled (GetRequest) until it is decided: approved
// returns OK (the outcome on `out`); denied, cancelled or expired is FAILED_PRECONDITION
// naming who ended it and why.
absl::Status RequestCreate(requests::UserRequestsClient& requests, const CreateInput& in,
                           const Output& o, const WaitHooks* wait = nullptr);

struct ListInput {
  std::vector<std::string> states;  // names, see ParseState
  bool reviewable = false;
  bool mine = false;
};
absl::Status RequestList(auth::UserAuthClient& auth, requests::UserRequestsClient& requests,
                         const ListInput& in, const Output& o);

// The full id that `prefix` names among the requests the caller can list.
absl::StatusOr<std::string> ResolveRequestId(requests::UserRequestsClient& requests,
                                             const std::string& prefix);

absl::Status RequestShow(requests::UserRequestsClient& requests, const std::string& id,
                         const Output& o);
// approve = true: approve (optionally only `roles`); false: deny.
absl::Status RequestReview(requests::UserRequestsClient& requests, const std::string& id,
                           bool approve, const std::vector<std::string>& roles,
                           const std::string& reason, const Output& o);
absl::Status RequestCancel(requests::UserRequestsClient& requests, const std::string& id,
                           const std::string& reason, const Output& o);
absl::Status RequestRevoke(requests::UserRequestsClient& requests, const std::string& id,
                           const std::string& reason, const Output& o);

}  // namespace jit::cli

#endif  // JIT_TOOLS_JIT_COMMANDS_H_
