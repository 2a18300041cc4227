#include "services/audit/chain/event_codes.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace jit::audit::chain {

const std::vector<EventTypeInfo>& EventTypes() {
  static const std::vector<EventTypeInfo>* const types = new std::vector<EventTypeInfo>{
      // auth
      {"J1000I", "auth.login", "auth"},
      {"J1001W", "auth.login.failed", "auth"},
      {"J1002I", "auth.logout", "auth"},
      {"J1003W", "auth.user.locked", "auth"},
      {"J1004W", "auth.password.check_failed", "auth"},
      {"J1010I", "auth.user.created", "auth"},
      {"J1011I", "auth.user.updated", "auth"},
      {"J1012I", "auth.user.deleted", "auth"},
      {"J1013I", "auth.user.password_set", "auth"},
      {"J1014I", "auth.user.sso_updated", "auth"},
      {"J1020I", "auth.totp.enrollment_started", "auth"},
      {"J1021I", "auth.totp.enabled", "auth"},
      {"J1030I", "auth.signing_key.created", "auth"},
      {"J1031I", "auth.signing_key.rotated", "auth"},
      // policy
      {"J2000I", "role.upsert", "policy"},
      {"J2001I", "role.delete", "policy"},
      // requests
      {"J3000I", "access_request.create", "requests"},
      {"J3001I", "access_request.review", "requests"},
      {"J3002I", "access_request.approve", "requests"},
      {"J3003I", "access_request.deny", "requests"},
      {"J3004I", "access_request.cancel", "requests"},
      {"J3005I", "access_request.expire", "requests"},
      {"J3006W", "access_request.break_glass", "requests"},
      {"J3010I", "grant.revoke", "requests"},
      // ca
      {"J4000I", "cert.issue", "ca"},
      {"J4001I", "cert.revoke", "ca"},
      {"J4010I", "ca.rotate", "ca"},
      {"J4020I", "join_token.create", "ca"},
      {"J4021I", "join_token.redeem", "ca"},
  };
  return *types;
}

std::string_view CodeForType(std::string_view type) {
  static const absl::flat_hash_map<absl::string_view, std::string_view>* const by_type = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, std::string_view>();
    for (const EventTypeInfo& t : EventTypes()) {
      if (!t.retired) m->emplace(absl::string_view(t.type.data(), t.type.size()), t.code);
    }
    return m;
  }();
  auto it = by_type->find(absl::string_view(type.data(), type.size()));
  return it == by_type->end() ? std::string_view() : it->second;
}

}  // namespace jit::audit::chain
