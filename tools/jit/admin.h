// The jit CLI's administrative commands over the RPCs the services offer: roles (policy),
// users (auth), CA trust export (ca), audit search and chain verification (audit). The
// services decide who may (an admin role's rules; MFA where a role requires it); these
// functions only shape requests and output, like commands.h: OK with the result on `out`,
// or the error with nothing written.
#ifndef JIT_TOOLS_JIT_ADMIN_H_
#define JIT_TOOLS_JIT_ADMIN_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/audit/client/user_audit_client.h"
#include "services/auth/client/user_auth_client.h"
#include "services/ca/client/user_ca_client.h"
#include "services/policy/client/user_policy_client.h"
#include "tools/jit/commands.h"

namespace jit::cli {

// jit role apply -f FILE: the document (YAML or JSON, Teleport format) as written; creates
// or updates. ls / get NAME / rm NAME.
absl::Status RoleApply(policy::UserPolicyClient& policy, const std::string& document,
                       const Output& o);
absl::Status RoleList(policy::UserPolicyClient& policy, const Output& o);
absl::Status RoleGet(policy::UserPolicyClient& policy, const std::string& name, const Output& o);
absl::Status RoleRemove(policy::UserPolicyClient& policy, const std::string& name, const Output& o);

struct UserAddInput {
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> logins;    // trait "logins"
  std::vector<std::string> db_users;  // trait "db_users"
  std::string password;               // "" = cannot log in with a password yet
};
absl::Status UserAdd(auth::UserAuthClient& auth, const UserAddInput& in, const Output& o);
absl::Status UserList(auth::UserAuthClient& auth, const Output& o);
absl::Status UserRemove(auth::UserAuthClient& auth, const std::string& name, const Output& o);
// `current` is required when a user sets their own password.
absl::Status UserPassword(auth::UserAuthClient& auth, const std::string& name,
                          const std::string& password, const std::string& current, const Output& o);
// Without `code`: starts enrolment and prints the otpauth URI and secret. With `code`:
// confirms it (TOTP is on from then).
absl::Status UserTotp(auth::UserAuthClient& auth, const std::string& name, const std::string& code,
                      const Output& o);

// kind: ssh-user (TrustedUserCAKeys lines), ssh-host (known_hosts "@cert-authority" lines
// for `pattern`), x509-user (PEM bundle). Written raw (files to install), also in json mode.
absl::Status CaExport(ca::UserCaClient& ca, const std::string& kind, const std::string& pattern,
                      const Output& o);

struct AuditSearchInput {
  std::vector<std::string> types;  // exact or "request.*"
  std::string since;               // "2h" (ago) or RFC 3339; "" = all
  std::string user;                // actor, e.g. "user:alice" or "alice"
  std::string request_id;          // events whose target is this access request
  int limit = 1000;
};
// Oldest first, as a table: TIME, TYPE, ACTOR, TARGET, OUTCOME, REQUEST, MESSAGE.
absl::Status AuditSearch(audit::UserAuditClient& audit, const AuditSearchInput& in,
                         const Output& o);
// OK "audit chain intact: ..." or DATA_LOSS naming the first bad sequence and the problem.
absl::Status AuditVerify(audit::UserAuditClient& audit, const Output& o);

}  // namespace jit::cli

#endif  // JIT_TOOLS_JIT_ADMIN_H_
