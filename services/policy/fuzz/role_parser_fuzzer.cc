// libFuzzer target for the role document parser (YAML/JSON -> Role), followed by
// compilation and a few decisions over whatever it accepts.
//
// Invariants checked (a violation aborts, which the fuzzer reports as a crash):
//  - errors are INVALID_ARGUMENT with a message; nothing else escapes;
//  - every role the parser returns passes ValidateRole (one source of truth);
//  - decisions over accepted roles return without error for well-formed requests.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/compiled_role.h"
#include "services/policy/decisions.h"
#include "services/policy/role_parser.h"
#include "services/policy/role_snapshot.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void RunDecisions(const jit::policy::RoleSnapshot& snapshot,
                  const std::vector<jit::common::v1::Role>& roles) {
  namespace pb = ::jit::policy::v1;
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  jit::common::v1::Identity identity;
  identity.set_name("fuzz");
  identity.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(now + absl::Hours(1)));
  for (const auto& role : roles) identity.add_roles(role.metadata().name());
  (*identity.mutable_traits())["logins"].add_values("alice");
  (*identity.mutable_traits())["email"].add_values("alice@example.com");
  (*identity.mutable_traits())["groups"].add_values("admin-db");

  for (auto kind : {pb::Resource::KIND_NODE, pb::Resource::KIND_DB, pb::Resource::KIND_KUBE,
                    pb::Resource::KIND_APP}) {
    pb::CheckAccessRequest access;
    *access.mutable_identity() = identity;
    access.mutable_resource()->set_kind(kind);
    (*access.mutable_resource()->mutable_labels())["env"] = "prod";
    access.mutable_resource()->set_login("alice");
    access.mutable_resource()->set_db_user("alice");
    access.mutable_resource()->set_kube_group("viewers");
    Check(jit::policy::CheckAccess(snapshot, access, now).ok());
  }
  if (!roles.empty()) {
    pb::ComputeCertParamsRequest params;
    *params.mutable_identity() = identity;
    Check(jit::policy::ComputeCertParams(snapshot, params, now).ok());

    pb::CheckRequestRequest request;
    *request.mutable_user() = identity;
    request.add_requested_roles(roles.front().metadata().name());
    request.set_reason("fuzz");
    Check(jit::policy::CheckRequest(snapshot, request, now).ok());

    pb::CheckReviewRequest review;
    *review.mutable_reviewer() = identity;
    review.mutable_request()->set_user("someone-else");
    review.mutable_request()->add_roles(roles.front().metadata().name());
    Check(jit::policy::CheckReview(snapshot, review, now).ok());

    pb::CheckPermissionRequest permission;
    *permission.mutable_identity() = identity;
    permission.set_resource("role");
    permission.set_verb("read");
    Check(jit::policy::CheckPermission(snapshot, permission, now).ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view document(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<jit::common::v1::Role>> roles =
      jit::policy::ParseRoleDocuments(document);
  if (!roles.ok()) {
    Check(roles.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!roles.status().message().empty());
    return 0;
  }
  for (const auto& role : *roles) Check(jit::policy::ValidateRole(role).ok());
  absl::StatusOr<std::shared_ptr<const jit::policy::RoleSnapshot>> snapshot =
      jit::policy::RoleSnapshot::Create(*roles);
  if (!snapshot.ok()) {
    // Only duplicate names can fail here: every role is valid.
    Check(snapshot.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  RunDecisions(**snapshot, *roles);
  return 0;
}
