#include "tools/jit/commands.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proto_time.h"
#include "tools/jit/session_file.h"

namespace jit::cli {
namespace {

using common::v1::AccessRequest;

constexpr size_t kFullIdLength = 36;  // a UUID

int Approvals(const AccessRequest& r) {
  int n = 0;
  for (const auto& review : r.reviews()) {
    n += review.verdict() == common::v1::AccessReview::VERDICT_APPROVE;
  }
  return n;
}

// "request 7f3c1a2b-... (alice: developer-read-only-jit) is approved until in 30m".
std::string Outcome(const AccessRequest& r, absl::Time now) {
  std::string s = absl::StrCat("request ", r.id(), " (", r.user(), ": ",
                               absl::StrJoin(r.roles(), ","), ") is ", StateName(r.state()));
  if (r.state() == common::v1::ACCESS_REQUEST_STATE_PENDING) {
    absl::StrAppend(&s, ": ", Approvals(r), " approval(s) so far");
    if (r.suggested_reviewers_size() > 0) {
      absl::StrAppend(&s, "; reviewers: ", absl::StrJoin(r.suggested_reviewers(), ", "));
    }
  } else if (r.state() == common::v1::ACCESS_REQUEST_STATE_APPROVED && r.has_access_expire_time()) {
    absl::StrAppend(&s, ", access ends ",
                    RelativeTime(FromProtoTimestamp(r.access_expire_time()), now));
  }
  return s;
}

absl::StatusOr<std::vector<AccessRequest>> ListAll(requests::UserRequestsClient& requests,
                                                   requests::v1::ListRequestsRequest req) {
  std::vector<AccessRequest> all;
  req.set_page_size(500);
  for (int page = 0; page < 1000; ++page) {
    absl::StatusOr<requests::v1::ListRequestsResponse> r = requests.ListRequests(req);
    if (!r.ok()) return r.status();
    for (const AccessRequest& a : r->requests()) all.push_back(a);
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  return all;
}

absl::Status PrintRequests(const std::vector<AccessRequest>& list, const Output& o) {
  if (o.format == Format::kJson) {
    std::vector<const google::protobuf::Message*> ptrs;
    for (const AccessRequest& a : list) ptrs.push_back(&a);
    *o.out << ToJsonArray(ptrs);
  } else {
    *o.out << RequestTable(list, o.now);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Login(auth::UserAuthClient& auth, const std::string& jit_dir, const LoginInput& in,
                   const Output& o) {
  if (in.user.empty()) return absl::InvalidArgumentError("no user name; pass --user NAME");
  auth::v1::LoginRequest req;
  req.set_username(in.user);
  req.set_password(in.password);
  absl::StatusOr<auth::v1::LoginResponse> r = auth.Login(req);
  if (!r.ok() && absl::IsUnauthenticated(r.status()) &&
      absl::StrContains(r.status().message(), "TOTP code required") && in.prompt_totp) {
    absl::StatusOr<std::string> code = in.prompt_totp();
    if (!code.ok()) return code.status();
    req.set_totp_code(*code);
    r = auth.Login(req);
  }
  if (!r.ok()) {
    if (absl::IsUnauthenticated(r.status()) || absl::IsPermissionDenied(r.status())) {
      return absl::UnauthenticatedError(absl::StrCat(
          "login as ", in.user, " failed (", r.status().message(),
          "); check the user name and password (and TOTP code) and try `jit login` again"));
    }
    return r.status();
  }
  if (absl::Status s = SaveSessionToken(jit_dir, r->token()); !s.ok()) return s;
  if (o.format == Format::kJson) {
    auth::v1::LoginResponse shown = *r;
    shown.clear_token();  // the token stays in its 0600 file, never on stdout
    *o.out << ToJson(shown);
  } else {
    *o.out << "logged in as " << r->identity().name() << " until "
           << RelativeTime(FromProtoTimestamp(r->expire_time()), o.now) << "\n"
           << IdentityText(r->identity(), o.now);
  }
  return absl::OkStatus();
}

absl::Status Logout(auth::UserAuthClient* auth, const std::string& jit_dir, const Output& o) {
  absl::Status ended = absl::OkStatus();
  if (auth != nullptr) {
    absl::StatusOr<auth::v1::LogoutResponse> r = auth->Logout();
    if (!r.ok() && !absl::IsUnauthenticated(r.status())) ended = r.status();
  }
  // The token goes whatever jit-auth said: a logout never leaves it behind.
  if (absl::Status s = RemoveSessionToken(jit_dir); !s.ok()) return s;
  if (!ended.ok()) {
    return absl::Status(ended.code(),
                        absl::StrCat("removed the stored token, but could not end the session at "
                                     "jit-auth (",
                                     ended.message(), "); it ends by itself when it expires"));
  }
  if (o.format == Format::kJson) {
    *o.out << "{\"loggedOut\":true}\n";
  } else {
    *o.out << "logged out\n";
  }
  return absl::OkStatus();
}

absl::Status ShowStatus(auth::UserAuthClient& auth, requests::UserRequestsClient& requests,
                        const Output& o) {
  absl::StatusOr<auth::v1::WhoAmIResponse> me = auth.WhoAmI();
  if (!me.ok()) return me.status();
  requests::v1::ListRequestsRequest req;
  req.set_user(me->identity().name());
  req.add_states(common::v1::ACCESS_REQUEST_STATE_PENDING);
  req.add_states(common::v1::ACCESS_REQUEST_STATE_APPROVED);
  absl::StatusOr<std::vector<AccessRequest>> mine = ListAll(requests, req);
  if (!mine.ok()) return mine.status();
  if (o.format == Format::kJson) {
    std::vector<const google::protobuf::Message*> ptrs;
    for (const AccessRequest& a : *mine) ptrs.push_back(&a);
    std::string identity = ToJson(me->identity());
    identity.pop_back();
    std::string list = ToJsonArray(ptrs);
    list.pop_back();
    *o.out << "{\"identity\":" << identity << ",\"requests\":" << list << "}\n";
    return absl::OkStatus();
  }
  *o.out << IdentityText(me->identity(), o.now);
  *o.out << "\nYour pending requests and grants:\n" << RequestTable(*mine, o.now);
  return absl::OkStatus();
}

namespace {

absl::Status WaitForDecision(requests::UserRequestsClient& requests, AccessRequest r,
                             const WaitHooks& wait, const Output& o) {
  requests::v1::GetRequestRequest get;
  get.set_id(r.id());
  while (r.state() == common::v1::ACCESS_REQUEST_STATE_PENDING) {
    std::string line =
        absl::StrCat("request ", r.id(), ": pending, ", Approvals(r), " approval(s)");
    if (r.has_pending_expire_time()) {
      absl::StrAppend(&line, ", lapses ",
                      RelativeTime(FromProtoTimestamp(r.pending_expire_time()), wait.now()));
    }
    *wait.status << "\r" << line << "    " << std::flush;
    wait.sleep(wait.poll);
    absl::StatusOr<AccessRequest> next = requests.GetRequest(get);
    if (!next.ok()) {
      *wait.status << "\n";
      return next.status();
    }
    r = *std::move(next);
  }
  *wait.status << "\n";
  if (r.state() != common::v1::ACCESS_REQUEST_STATE_APPROVED) {
    return absl::FailedPreconditionError(
        absl::StrCat("request ", r.id(), " was ", StateName(r.state()),
                     r.resolved_by().empty() ? "" : " by " + r.resolved_by(),
                     r.resolve_reason().empty() ? "" : " (" + Printable(r.resolve_reason()) + ")",
                     "; see `jit request show ", r.id(), "`"));
  }
  if (o.format == Format::kJson) {
    *o.out << ToJson(r);
  } else {
    *o.out << Outcome(r, o.now) << "\n";
  }
  return absl::OkStatus();
}

// What `request create --dry-run` says: nothing stored, and which automatic review rule
// (a review by system:auto-review naming it) would decide.
absl::Status DryRunOutcome(const AccessRequest& r, const Output& o) {
  if (o.format == Format::kJson) {
    *o.out << ToJson(r);
    return absl::OkStatus();
  }
  *o.out << "dry run: policy allows the request; nothing was stored\n";
  const common::v1::AccessReview* automatic = nullptr;
  for (const auto& review : r.reviews()) {
    if (review.reviewer() == "system:auto-review") automatic = &review;
  }
  if (automatic == nullptr) {
    *o.out << "no review rule decides it: reviewers must approve it\n";
  } else if (r.state() == common::v1::ACCESS_REQUEST_STATE_APPROVED) {
    *o.out << "it would be approved at once: " << Printable(automatic->reason()) << "\n";
  } else if (r.state() == common::v1::ACCESS_REQUEST_STATE_DENIED) {
    *o.out << "it would be denied at once: " << Printable(automatic->reason()) << "\n";
  } else {
    *o.out << Printable(automatic->reason())
           << " (one review; the thresholds need more reviewers)\n";
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RequestCreate(requests::UserRequestsClient& requests, const CreateInput& in,
                           const Output& o, const WaitHooks* wait) {
  if (in.roles.empty()) return absl::InvalidArgumentError("no roles; pass --roles R[,R]");
  requests::v1::CreateRequestRequest req;
  for (const std::string& r : in.roles) req.add_roles(r);
  req.set_reason(in.reason);
  if (!in.duration.empty()) {
    absl::Duration d;
    if (!absl::ParseDuration(in.duration, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--duration \"", in.duration, "\" is not a positive duration; use e.g. 30m or 2h"));
    }
    req.mutable_requested_duration()->set_seconds(absl::ToInt64Seconds(d));
  }
  if (!in.start.empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, in.start, &t, &err)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--start \"", in.start, "\" is not an RFC 3339 time; use e.g. 2026-12-08T09:00:00Z"));
    }
    *req.mutable_start_time() = ToProtoTimestamp(t);
  }
  for (const std::string& r : in.reviewers) req.add_suggested_reviewers(r);
  req.set_break_glass(in.break_glass);
  req.set_dry_run(in.dry_run);
  absl::StatusOr<AccessRequest> r = requests.CreateRequest(req);
  if (!r.ok()) return r.status();
  if (in.dry_run) return DryRunOutcome(*r, o);
  if (wait != nullptr && r->state() == common::v1::ACCESS_REQUEST_STATE_PENDING) {
    if (o.format == Format::kText) *o.out << "created " << Outcome(*r, o.now) << "\n";
    return WaitForDecision(requests, *r, *wait, o);
  }
  if (o.format == Format::kJson) {
    *o.out << ToJson(*r);
  } else {
    *o.out << "created " << Outcome(*r, o.now) << "\n";
    if (r->state() == common::v1::ACCESS_REQUEST_STATE_PENDING) {
      *o.out << "a reviewer approves it with: jit request approve " << r->id()
             << " --reason \"...\"\n";
    }
    if (r->break_glass()) {
      *o.out << "break-glass: granted without approval; reviewers will confirm or flag it "
                "afterwards (an alert has been raised)\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RequestList(auth::UserAuthClient& auth, requests::UserRequestsClient& requests,
                         const ListInput& in, const Output& o) {
  requests::v1::ListRequestsRequest req;
  for (const std::string& s : in.states) {
    absl::StatusOr<common::v1::AccessRequestState> state = ParseState(s);
    if (!state.ok()) return state.status();
    req.add_states(*state);
  }
  req.set_reviewable_by_me(in.reviewable);
  if (in.mine) {
    absl::StatusOr<auth::v1::WhoAmIResponse> me = auth.WhoAmI();
    if (!me.ok()) return me.status();
    req.set_user(me->identity().name());
  }
  absl::StatusOr<std::vector<AccessRequest>> list = ListAll(requests, req);
  if (!list.ok()) return list.status();
  return PrintRequests(*list, o);
}

absl::StatusOr<std::string> ResolveRequestId(requests::UserRequestsClient& requests,
                                             const std::string& prefix) {
  if (prefix.size() >= kFullIdLength) return prefix;
  // What the caller may list, and what they may review (a reviewer may list only some).
  std::vector<std::string> ids;
  for (bool reviewable : {false, true}) {
    requests::v1::ListRequestsRequest req;
    req.set_reviewable_by_me(reviewable);
    absl::StatusOr<std::vector<AccessRequest>> list = ListAll(requests, req);
    if (!list.ok()) return list.status();
    for (const AccessRequest& a : *list) {
      if (std::find(ids.begin(), ids.end(), a.id()) == ids.end()) ids.push_back(a.id());
    }
  }
  return ResolveIdPrefix(prefix, ids);
}

absl::Status RequestShow(requests::UserRequestsClient& requests, const std::string& id,
                         const Output& o) {
  absl::StatusOr<std::string> full = ResolveRequestId(requests, id);
  if (!full.ok()) return full.status();
  requests::v1::GetRequestRequest req;
  req.set_id(*full);
  absl::StatusOr<AccessRequest> r = requests.GetRequest(req);
  if (!r.ok()) return r.status();
  *o.out << (o.format == Format::kJson ? ToJson(*r) : RequestDetail(*r, o.now));
  return absl::OkStatus();
}

absl::Status RequestReview(requests::UserRequestsClient& requests, const std::string& id,
                           bool approve, const std::vector<std::string>& roles,
                           const std::string& reason, const Output& o) {
  absl::StatusOr<std::string> full = ResolveRequestId(requests, id);
  if (!full.ok()) return full.status();
  requests::v1::ReviewRequestRequest req;
  req.set_id(*full);
  req.set_verdict(approve ? common::v1::AccessReview::VERDICT_APPROVE
                          : common::v1::AccessReview::VERDICT_DENY);
  req.set_reason(reason);
  for (const std::string& r : roles) req.add_roles(r);
  absl::StatusOr<AccessRequest> r = requests.ReviewRequest(req);
  if (!r.ok()) return r.status();
  if (o.format == Format::kJson) {
    *o.out << ToJson(*r);
  } else {
    *o.out << (approve ? "approved: " : "denied: ") << Outcome(*r, o.now) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RequestCancel(requests::UserRequestsClient& requests, const std::string& id,
                           const std::string& reason, const Output& o) {
  absl::StatusOr<std::string> full = ResolveRequestId(requests, id);
  if (!full.ok()) return full.status();
  requests::v1::CancelRequestRequest req;
  req.set_id(*full);
  req.set_reason(reason);
  absl::StatusOr<AccessRequest> r = requests.CancelRequest(req);
  if (!r.ok()) return r.status();
  *o.out << (o.format == Format::kJson ? ToJson(*r) : Outcome(*r, o.now) + "\n");
  return absl::OkStatus();
}

absl::Status RequestRevoke(requests::UserRequestsClient& requests, const std::string& id,
                           const std::string& reason, const Output& o) {
  absl::StatusOr<std::string> full = ResolveRequestId(requests, id);
  if (!full.ok()) return full.status();
  requests::v1::RevokeGrantRequest req;
  req.set_id(*full);
  req.set_reason(reason);
  absl::StatusOr<common::v1::Grant> g = requests.RevokeGrant(req);
  if (!g.ok()) return g.status();
  if (o.format == Format::kJson) {
    *o.out << ToJson(*g);
  } else {
    *o.out << "revoked the grant of request " << g->id() << " (" << g->user() << ": "
           << absl::StrJoin(g->roles(), ",") << ")\n";
  }
  return absl::OkStatus();
}

}  // namespace jit::cli
