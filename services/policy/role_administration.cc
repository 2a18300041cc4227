#include "services/policy/role_administration.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "common/text/text_fields.h"
#include "services/policy/role_parser.h"

namespace jit::policy {
namespace {

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::Identity;
using ::jit::common::v1::Role;

absl::Status CheckCaller(const Identity& caller) {
  if (caller.name().empty()) return absl::UnauthenticatedError("no authenticated caller");
  if (caller.kind() != Identity::KIND_USER) {
    return absl::PermissionDeniedError(
        absl::StrCat(QuoteBounded(caller.name()), " is not a person; roles are managed by people"));
  }
  return absl::OkStatus();
}

// Who the change is recorded for: "user:<name>" (metadata.updated_by and the event's actor),
// with the call's session and address.
audit::AuditActor Actor(const Identity& caller, const audit::AuditActor& call) {
  return {.actor = absl::StrCat("user:", caller.name()),
          .session_id = call.session_id,
          .remote_addr = call.remote_addr};
}

}  // namespace

absl::StatusOr<bool> RoleAdministration::Allowed(const Identity& caller, absl::string_view verb,
                                                 std::string* why) const {
  pb::CheckPermissionRequest request;
  *request.mutable_identity() = caller;
  request.set_resource("role");
  request.set_verb(std::string(verb));
  ASSIGN_OR_RETURN(pb::CheckPermissionResponse response, engine_->CheckPermission(request));
  if (why != nullptr) *why = response.explanation().summary();
  return response.allowed();
}

absl::Status RoleAdministration::Authorize(const Identity& caller, absl::string_view verb) const {
  RETURN_IF_ERROR(CheckCaller(caller));
  std::string why;
  ASSIGN_OR_RETURN(bool allowed, Allowed(caller, verb, &why));
  if (!allowed) {
    return absl::PermissionDeniedError(
        absl::StrCat(QuoteBounded(caller.name()), " may not ", verb, " roles: ", why));
  }
  return absl::OkStatus();
}

absl::StatusOr<Role> RoleAdministration::UpsertRole(const Identity& caller,
                                                    const pb::UpsertRoleRequest& request,
                                                    const audit::AuditActor& actor) {
  if (request.has_expected_revision() && request.expected_revision() == 0) {
    RETURN_IF_ERROR(Authorize(caller, "create"));
    return catalog_->UpsertRole(request, Actor(caller, actor));
  }
  if (request.has_expected_revision() && request.expected_revision() > 0) {
    RETURN_IF_ERROR(Authorize(caller, "update"));
    return catalog_->UpsertRole(request, Actor(caller, actor));
  }
  if (request.has_expected_revision()) {
    return absl::InvalidArgumentError("expected_revision must not be negative");
  }
  RETURN_IF_ERROR(CheckCaller(caller));
  std::string why_create, why_update;
  ASSIGN_OR_RETURN(bool may_create, Allowed(caller, "create", &why_create));
  ASSIGN_OR_RETURN(bool may_update, Allowed(caller, "update", &why_update));
  if (may_create && may_update) return catalog_->UpsertRole(request, Actor(caller, actor));
  if (!may_create && !may_update) {
    return absl::PermissionDeniedError(
        absl::StrCat(QuoteBounded(caller.name()), " may not create or update roles: ", why_create));
  }
  // One of the two: find out which the write would be, and pin it to that.
  pb::UpsertRoleRequest pinned;
  if (request.has_role_document()) {
    ASSIGN_OR_RETURN(*pinned.mutable_role(), ParseRoleDocument(request.role_document()));
  } else if (request.has_role()) {
    *pinned.mutable_role() = request.role();
  } else {
    return absl::InvalidArgumentError("either role or role_document is required");
  }
  pb::GetRoleRequest get;
  get.set_name(pinned.role().metadata().name());
  absl::StatusOr<Role> current = catalog_->GetRole(get);
  if (absl::IsNotFound(current.status())) {
    if (!may_create) {
      return absl::PermissionDeniedError(absl::StrCat(QuoteBounded(caller.name()),
                                                      " may not create roles (role \"", get.name(),
                                                      "\" does not exist): ", why_create));
    }
    pinned.set_expected_revision(0);
  } else if (current.ok()) {
    if (!may_update) {
      return absl::PermissionDeniedError(absl::StrCat(QuoteBounded(caller.name()),
                                                      " may not update roles (role \"", get.name(),
                                                      "\" exists): ", why_update));
    }
    pinned.set_expected_revision(current->metadata().revision());
  } else {
    return current.status();
  }
  return catalog_->UpsertRole(pinned, Actor(caller, actor));
}

absl::StatusOr<Role> RoleAdministration::GetRole(const Identity& caller,
                                                 const pb::GetRoleRequest& request) {
  RETURN_IF_ERROR(ValidateMessageText(request));  // a NUL is INVALID_ARGUMENT, not NOT_FOUND
  RETURN_IF_ERROR(Authorize(caller, "read"));
  return catalog_->GetRole(request);
}

absl::StatusOr<pb::ListRolesResponse> RoleAdministration::ListRoles(
    const Identity& caller, const pb::ListRolesRequest& request) {
  RETURN_IF_ERROR(Authorize(caller, "list"));
  return catalog_->ListRoles(request);
}

absl::StatusOr<pb::DeleteRoleResponse> RoleAdministration::DeleteRole(
    const Identity& caller, const pb::DeleteRoleRequest& request, const audit::AuditActor& actor) {
  RETURN_IF_ERROR(ValidateMessageText(request));
  RETURN_IF_ERROR(Authorize(caller, "delete"));
  return catalog_->DeleteRole(request, Actor(caller, actor));
}

}  // namespace jit::policy
