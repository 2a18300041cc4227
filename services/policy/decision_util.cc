#include "services/policy/decision_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/quote.h"
#include "services/policy/decisions.h"

namespace jit::policy::internal {

void ResolveRoles(const RoleSnapshot& snapshot,
                  const google::protobuf::RepeatedPtrField<std::string>& names,
                  ResolvedRoles* out) {
  out->known.reserve(names.size());
  for (const std::string& name : names) {
    const CompiledRole* role = snapshot.Find(name);
    if (role != nullptr) {
      out->known.push_back(role);
    } else {
      out->unknown.push_back(name);
    }
  }
}

MergedOptions MergeOptions(absl::Span<const CompiledRole* const> roles) {
  MergedOptions merged;
  absl::Duration ttl = absl::InfiniteDuration();
  absl::Duration idle = absl::InfiniteDuration();
  absl::Duration request_ttl = absl::InfiniteDuration();
  for (const CompiledRole* role : roles) {
    const CompiledOptions& o = role->options();
    if (o.max_session_ttl > absl::ZeroDuration() && o.max_session_ttl < ttl) {
      ttl = o.max_session_ttl;
      merged.ttl_role = role;
    }
    if (o.require_mfa && !merged.require_mfa) {
      merged.require_mfa = true;
      merged.mfa_role = role;
    }
    merged.record_session |= o.record_session;
    merged.forward_agent = merged.forward_agent || o.forward_agent;
    merged.port_forwarding = merged.port_forwarding || o.port_forwarding;
    merged.pin_source_ip = merged.pin_source_ip || o.pin_source_ip;
    if (o.client_idle_timeout > absl::ZeroDuration() && o.client_idle_timeout < idle) {
      idle = o.client_idle_timeout;
    }
    if (o.request_ttl > absl::ZeroDuration() && o.request_ttl < request_ttl) {
      request_ttl = o.request_ttl;
      merged.request_ttl_role = role;
    }
  }
  merged.max_session_ttl = merged.ttl_role != nullptr ? ttl : kDefaultMaxSessionTtl;
  merged.client_idle_timeout = idle == absl::InfiniteDuration() ? absl::ZeroDuration() : idle;
  merged.request_ttl = merged.request_ttl_role != nullptr ? request_ttl : kDefaultRequestTtl;
  return merged;
}

bool DeniedByAnyRole(absl::Span<const CompiledRole* const> roles,
                     CompiledValueList CompiledConditions::*field, absl::string_view value,
                     const Traits& traits) {
  for (const CompiledRole* role : roles) {
    if ((role->deny().*field).Contains(value, traits)) return true;
  }
  return false;
}

const char* IdentityUnusable(const jit::common::v1::Identity& identity, absl::Time now) {
  if (!identity.has_expire_time()) return "carries no expire_time";
  const absl::Time expire = absl::FromUnixSeconds(identity.expire_time().seconds()) +
                            absl::Nanoseconds(identity.expire_time().nanos());
  return expire <= now ? "has expired" : nullptr;
}

void AddMatch(jit::policy::v1::Explanation* explanation, absl::string_view role,
              absl::string_view side, absl::string_view field, bool matched,
              absl::string_view detail) {
  jit::policy::v1::RuleMatch* m = explanation->add_matches();
  // `role` may be a name the caller sent (a requested role that does not exist); details
  // quote bounded already, and are capped here too.
  const std::string_view role_view(role.data(), role.size());
  const std::string_view detail_view(detail.data(), detail.size());
  m->set_role(std::string(Utf8Prefix(role_view, kMaxRoleNameBytes)));
  m->set_side(std::string(side));
  m->set_field(std::string(field));
  m->set_matched(matched);
  m->set_detail(detail.size() <= kMaxMatchDetailBytes
                    ? std::string(detail)
                    : TruncateText(detail_view, kMaxMatchDetailBytes));
}

std::string NoteUnknownRoles(const ResolvedRoles& roles,
                             jit::policy::v1::Explanation* explanation) {
  if (roles.unknown.empty()) return "";
  // The names come from the caller: at most kMaxListedNames of them, each quoted bounded.
  const auto listed =
      absl::MakeConstSpan(roles.unknown).first(std::min(roles.unknown.size(), kMaxListedNames));
  for (absl::string_view name : listed) {
    AddMatch(explanation, name, "allow", "role", false, "role does not exist; grants nothing");
  }
  return absl::StrCat("; ", roles.unknown.size() == 1 ? "role " : "roles ",
                      QuotedList(roles.unknown),
                      roles.unknown.size() == 1 ? " does not exist and grants nothing"
                                                : " do not exist and grant nothing");
}

std::string QuotedList(absl::Span<const absl::string_view> items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < kMaxListedNames; ++i) {
    if (i > 0) out += ", ";
    AppendQuoteBounded(&out, std::string_view(items[i].data(), items[i].size()));
  }
  if (items.size() > kMaxListedNames) {
    absl::StrAppend(&out, " and ", items.size() - kMaxListedNames, " more");
  }
  return out;
}

void SortUnique(std::vector<std::string>* values) {
  std::sort(values->begin(), values->end());
  values->erase(std::unique(values->begin(), values->end()), values->end());
}

}  // namespace jit::policy::internal
