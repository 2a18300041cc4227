#include "tools/jit/admin.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proto_time.h"
#include "tools/jit/format.h"

namespace jit::cli {
namespace {

std::string OutcomeName(common::v1::AuditEvent::Outcome outcome) {
  switch (outcome) {
    case common::v1::AuditEvent::OUTCOME_SUCCESS:
      return "success";
    case common::v1::AuditEvent::OUTCOME_FAILURE:
      return "failure";
    case common::v1::AuditEvent::OUTCOME_DENIED:
      return "denied";
    default:
      return "-";
  }
}

std::string RoleSummary(const common::v1::Role& r) {
  std::vector<std::string> parts;
  const auto& allow = r.spec().allow();
  if (allow.logins_size() > 0) {
    parts.push_back(absl::StrCat("logins ", absl::StrJoin(allow.logins(), ",")));
  }
  if (allow.db_users_size() > 0) {
    parts.push_back(absl::StrCat("db_users ", absl::StrJoin(allow.db_users(), ",")));
  }
  if (allow.request().roles_size() > 0) {
    parts.push_back(absl::StrCat("may request ", absl::StrJoin(allow.request().roles(), ",")));
  }
  if (allow.review_requests().roles_size() > 0) {
    parts.push_back(absl::StrCat("reviews ", absl::StrJoin(allow.review_requests().roles(), ",")));
  }
  if (allow.rules_size() > 0) parts.push_back(absl::StrCat(allow.rules_size(), " admin rule(s)"));
  return parts.empty() ? "-" : absl::StrJoin(parts, "; ");
}

void PrintRole(const common::v1::Role& r, const Output& o) {
  if (o.format == Format::kJson) {
    *o.out << ToJson(r);
    return;
  }
  *o.out << Table({{"NAME", "REVISION", "UPDATED BY", "ALLOWS"},
                   {r.metadata().name(), absl::StrCat(r.metadata().revision()),
                    r.metadata().updated_by(), RoleSummary(r)}});
}

}  // namespace

absl::Status RoleApply(policy::UserPolicyClient& policy, const std::string& document,
                       const Output& o) {
  if (document.empty()) return absl::InvalidArgumentError("the role file is empty");
  policy::v1::UpsertRoleRequest req;
  req.set_role_document(document);
  absl::StatusOr<common::v1::Role> r = policy.UpsertRole(req);
  if (!r.ok()) return r.status();
  if (o.format == Format::kText) *o.out << "applied role " << r->metadata().name() << "\n";
  PrintRole(*r, o);
  return absl::OkStatus();
}

absl::Status RoleList(policy::UserPolicyClient& policy, const Output& o) {
  policy::v1::ListRolesRequest req;
  req.set_page_size(1000);
  std::vector<common::v1::Role> roles;
  for (int page = 0; page < 100; ++page) {
    absl::StatusOr<policy::v1::ListRolesResponse> r = policy.ListRoles(req);
    if (!r.ok()) return r.status();
    for (const common::v1::Role& role : r->roles()) roles.push_back(role);
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  if (o.format == Format::kJson) {
    std::vector<const google::protobuf::Message*> ptrs;
    for (const auto& r : roles) ptrs.push_back(&r);
    *o.out << ToJsonArray(ptrs);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "REVISION", "DESCRIPTION", "ALLOWS"}};
  for (const auto& r : roles) {
    rows.push_back({r.metadata().name(), absl::StrCat(r.metadata().revision()),
                    r.metadata().description(), RoleSummary(r)});
  }
  *o.out << (roles.empty() ? "no roles\n" : Table(rows));
  return absl::OkStatus();
}

absl::Status RoleGet(policy::UserPolicyClient& policy, const std::string& name, const Output& o) {
  policy::v1::GetRoleRequest req;
  req.set_name(name);
  absl::StatusOr<common::v1::Role> r = policy.GetRole(req);
  if (!r.ok()) return r.status();
  // The whole role: JSON in both modes (what `jit role apply -f` accepts back).
  *o.out << ToJson(*r);
  return absl::OkStatus();
}

absl::Status RoleRemove(policy::UserPolicyClient& policy, const std::string& name,
                        const Output& o) {
  policy::v1::DeleteRoleRequest req;
  req.set_name(name);
  absl::StatusOr<policy::v1::DeleteRoleResponse> r = policy.DeleteRole(req);
  if (!r.ok()) return r.status();
  *o.out << (o.format == Format::kJson ? absl::StrCat("{\"removed\":\"", name, "\"}\n")
                                       : absl::StrCat("removed role ", name, "\n"));
  return absl::OkStatus();
}

absl::Status UserAdd(auth::UserAuthClient& auth, const UserAddInput& in, const Output& o) {
  if (in.name.empty()) return absl::InvalidArgumentError("no user name");
  auth::v1::CreateUserRequest req;
  req.mutable_user()->set_name(in.name);
  for (const std::string& r : in.roles) req.mutable_user()->add_roles(r);
  auto& traits = *req.mutable_user()->mutable_traits();
  for (const std::string& l : in.logins) traits["logins"].add_values(l);
  for (const std::string& d : in.db_users) traits["db_users"].add_values(d);
  req.set_password(in.password);
  absl::StatusOr<auth::v1::User> u = auth.CreateUser(req);
  if (!u.ok()) return u.status();
  if (o.format == Format::kJson) {
    *o.out << ToJson(*u);
  } else {
    *o.out << "added user " << u->name() << " (roles " << absl::StrJoin(u->roles(), ",") << ")"
           << (in.password.empty() ? "; set a password with `jit user passwd " + u->name() + "`"
                                   : "")
           << "\n";
  }
  return absl::OkStatus();
}

absl::Status UserList(auth::UserAuthClient& auth, const Output& o) {
  auth::v1::ListUsersRequest req;
  req.set_page_size(1000);
  std::vector<auth::v1::User> users;
  for (int page = 0; page < 100; ++page) {
    absl::StatusOr<auth::v1::ListUsersResponse> r = auth.ListUsers(req);
    if (!r.ok()) return r.status();
    for (const auth::v1::User& u : r->users()) users.push_back(u);
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  if (o.format == Format::kJson) {
    std::vector<const google::protobuf::Message*> ptrs;
    for (const auto& u : users) ptrs.push_back(&u);
    *o.out << ToJsonArray(ptrs);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "ROLES", "TOTP", "LOCKED", "ORIGIN"}};
  for (const auto& u : users) {
    rows.push_back({u.name(), absl::StrJoin(u.roles(), ","), u.totp_enabled() ? "yes" : "no",
                    u.locked() ? "yes" : "no", u.origin()});
  }
  *o.out << (users.empty() ? "no users\n" : Table(rows));
  return absl::OkStatus();
}

absl::Status UserRemove(auth::UserAuthClient& auth, const std::string& name, const Output& o) {
  auth::v1::DeleteUserRequest req;
  req.set_name(name);
  absl::StatusOr<auth::v1::DeleteUserResponse> r = auth.DeleteUser(req);
  if (!r.ok()) return r.status();
  *o.out << (o.format == Format::kJson ? absl::StrCat("{\"removed\":\"", name, "\"}\n")
                                       : absl::StrCat("removed user ", name, "\n"));
  return absl::OkStatus();
}

absl::Status UserPassword(auth::UserAuthClient& auth, const std::string& name,
                          const std::string& password, const std::string& current,
                          const Output& o) {
  auth::v1::SetPasswordRequest req;
  req.set_name(name);
  req.set_new_password(password);
  req.set_current_password(current);
  absl::StatusOr<auth::v1::SetPasswordResponse> r = auth.SetPassword(req);
  if (!r.ok()) return r.status();
  *o.out << (o.format == Format::kJson ? absl::StrCat("{\"passwordSet\":\"", name, "\"}\n")
                                       : absl::StrCat("password of ", name, " set\n"));
  return absl::OkStatus();
}

absl::Status UserTotp(auth::UserAuthClient& auth, const std::string& name, const std::string& code,
                      const Output& o) {
  if (code.empty()) {
    auth::v1::EnrollTotpRequest req;
    req.set_name(name);
    absl::StatusOr<auth::v1::EnrollTotpResponse> r = auth.EnrollTotp(req);
    if (!r.ok()) return r.status();
    if (o.format == Format::kJson) {
      *o.out << ToJson(*r);
    } else {
      *o.out << "add this to an authenticator app:\n  " << r->otpauth_uri() << "\n  secret "
             << r->secret_base32() << "\nthen confirm: jit user totp "
             << (name.empty() ? "" : name + " ") << "--code CODE\n";
    }
    return absl::OkStatus();
  }
  auth::v1::ConfirmTotpRequest req;
  req.set_name(name);
  req.set_code(code);
  absl::StatusOr<auth::v1::ConfirmTotpResponse> r = auth.ConfirmTotp(req);
  if (!r.ok()) return r.status();
  *o.out << (o.format == Format::kJson ? "{\"totpEnabled\":true}\n"
                                       : "TOTP is on: logins now ask for a code\n");
  return absl::OkStatus();
}

absl::Status CaExport(ca::UserCaClient& ca, const std::string& kind, const std::string& pattern,
                      const Output& o) {
  ca::v1::GetCaPublicKeysRequest req;
  req.set_known_hosts_pattern(pattern);
  absl::StatusOr<ca::v1::GetCaPublicKeysResponse> r = ca.GetCaPublicKeys(req);
  if (!r.ok()) return r.status();
  if (kind == "ssh-user") {
    *o.out << r->trusted_user_ca_keys();
  } else if (kind == "ssh-host") {
    *o.out << r->known_hosts();
  } else if (kind == "x509-user") {
    *o.out << r->x509_ca_bundle_pem();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--kind \"", kind, "\" is not one of ssh-user, ssh-host, x509-user"));
  }
  return absl::OkStatus();
}

absl::Status AuditSearch(audit::UserAuditClient& audit, const AuditSearchInput& in,
                         const Output& o) {
  audit::v1::SearchEventsRequest req;
  req.set_ascending(true);
  for (const std::string& t : in.types) req.add_types(t);
  if (!in.since.empty()) {
    absl::Duration ago;
    absl::Time t;
    std::string err;
    if (absl::ParseDuration(in.since, &ago) && ago > absl::ZeroDuration()) {
      t = o.now - ago;
    } else if (!absl::ParseTime(absl::RFC3339_full, in.since, &t, &err)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--since \"", in.since, "\" is neither a duration (2h) nor an RFC 3339 time"));
    }
    *req.mutable_start_time() = ToProtoTimestamp(t);
  }
  if (!in.user.empty()) {
    req.set_actor(absl::StrContains(in.user, ':') ? in.user : "user:" + in.user);
  }
  // Events about an access request name it as their target.
  if (!in.request_id.empty()) req.set_target("access_request:" + in.request_id);
  req.set_page_size(1000);
  std::vector<common::v1::AuditEvent> events;
  while (static_cast<int>(events.size()) < in.limit) {
    absl::StatusOr<audit::v1::SearchEventsResponse> r = audit.SearchEvents(req);
    if (!r.ok()) return r.status();
    for (const auto& e : r->events()) {
      if (static_cast<int>(events.size()) < in.limit) events.push_back(e);
    }
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  if (o.format == Format::kJson) {
    std::vector<const google::protobuf::Message*> ptrs;
    for (const auto& e : events) ptrs.push_back(&e);
    *o.out << ToJsonArray(ptrs);
    return absl::OkStatus();
  }
  if (events.empty()) {
    *o.out << "no events\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"SEQ", "TIME", "TYPE", "ACTOR", "TARGET", "OUTCOME", "REQUEST", "MESSAGE"}};
  for (const auto& e : events) {
    std::string request = "-";
    if (absl::StartsWith(e.target(), "access_request:")) {
      request = e.target().substr(std::string("access_request:").size(), 8);
    }
    rows.push_back({absl::StrCat(e.sequence()), RelativeTime(FromProtoTimestamp(e.time()), o.now),
                    e.type(), e.actor(), e.target(), OutcomeName(e.outcome()), request,
                    e.message().substr(0, 80)});
  }
  *o.out << Table(rows);
  return absl::OkStatus();
}

absl::Status AuditVerify(audit::UserAuditClient& audit, const Output& o) {
  absl::StatusOr<audit::v1::VerifyChainResponse> r = audit.VerifyChain({});
  if (!r.ok()) return r.status();
  if (!r->ok()) {
    return absl::DataLossError(absl::StrCat(
        "the audit chain is broken at event ", r->first_bad_sequence(), ": ",
        Printable(r->problem()), "; keep the database as it is and compare with an export"));
  }
  if (o.format == Format::kJson) {
    *o.out << ToJson(*r);
  } else {
    *o.out << "audit chain intact: " << r->checked() << " event(s) checked, head #"
           << r->head_sequence() << " " << r->head_hash() << ", " << r->checkpoints_checked()
           << " signed checkpoint(s) checked\n";
  }
  return absl::OkStatus();
}

}  // namespace jit::cli
