// CheckRequest: may a user request roles, and on what terms?
#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "common/text/quote.h"
#include "services/policy/decision_util.h"
#include "services/policy/decisions.h"
#include "services/policy/duration.h"

namespace jit::policy {
namespace {

using internal::AddMatch;
using internal::NoteUnknownRoles;
using internal::ResolvedRoles;
using ::jit::common::v1::RoleThresholds;
using ::jit::common::v1::ThresholdSpec;
using ::jit::policy::v1::CheckRequestRequest;
using ::jit::policy::v1::CheckRequestResponse;
using ::jit::policy::v1::Explanation;

constexpr size_t kMaxReasonLength = 4096;
constexpr int kMaxRequestedRoles = 64;

absl::Status ValidateRequest(const CheckRequestRequest& request) {
  if (request.user().name().empty()) return absl::InvalidArgumentError("user.name is required");
  if (request.requested_roles_size() == 0) {
    return absl::InvalidArgumentError("requested_roles must name at least one role");
  }
  if (request.requested_roles_size() > kMaxRequestedRoles) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxRequestedRoles, " roles per request"));
  }
  const auto& roles = request.requested_roles();
  for (int i = 0; i < roles.size(); ++i) {
    if (roles[i].empty()) {
      return absl::InvalidArgumentError("requested_roles contains an empty name");
    }
    for (int j = 0; j < i; ++j) {
      if (roles[j] == roles[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("requested_roles lists ", QuoteBounded(roles[i]), " twice"));
      }
    }
  }
  if (request.reason().size() > kMaxReasonLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason longer than ", kMaxReasonLength, " bytes"));
  }
  return absl::OkStatus();
}

bool IsBlank(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// Thresholds for one requested role, collected from the roles allowing it.
void AddThresholds(absl::Span<const CompiledRole* const> allowing, RoleThresholds* out) {
  struct Entry {
    const CompiledRole* from;
    const CompiledThreshold* threshold;  // nullptr: the default threshold
  };
  std::vector<Entry> entries;
  for (const CompiledRole* role : allowing) {
    if (role->allow().thresholds.empty()) {
      entries.push_back({role, nullptr});
    } else {
      for (const CompiledThreshold& t : role->allow().thresholds) entries.push_back({role, &t});
    }
  }
  auto same_spec = [](const ThresholdSpec& a, const ThresholdSpec& b) {
    return a.filter() == b.filter() && a.approve() == b.approve() && a.deny() == b.deny();
  };
  for (const Entry& entry : entries) {
    ThresholdSpec spec;
    if (entry.threshold == nullptr) {
      spec.set_name("default");
      spec.set_approve(1);
      spec.set_deny(1);
    } else {
      spec.set_name(entry.threshold->name);
      spec.set_filter(entry.threshold->filter);
      spec.set_approve(entry.threshold->approve);
      spec.set_deny(entry.threshold->deny);
    }
    bool duplicate = false;
    bool name_clash = false;
    for (const ThresholdSpec& existing : out->thresholds()) {
      if (existing.name() == spec.name()) {
        if (same_spec(existing, spec)) {
          duplicate = true;
        } else {
          name_clash = true;
        }
      }
    }
    if (duplicate) continue;
    if (name_clash) spec.set_name(absl::StrCat(entry.from->name(), "/", spec.name()));
    *out->add_thresholds() = std::move(spec);
  }
}

}  // namespace

absl::StatusOr<CheckRequestResponse> CheckRequest(const RoleSnapshot& snapshot,
                                                  const CheckRequestRequest& request,
                                                  absl::Time now) {
  if (absl::Status s = ValidateRequest(request); !s.ok()) return s;
  absl::StatusOr<absl::Duration> requested_duration =
      FromProtoDuration(request.requested_duration());
  if (!requested_duration.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("requested_duration: ", requested_duration.status().message()));
  }
  const auto& user = request.user();
  CheckRequestResponse response;
  Explanation* e = response.mutable_explanation();
  if (const char* unusable = internal::IdentityUnusable(user, now)) {
    e->set_summary(
        absl::StrCat("denied: the identity of ", QuoteBounded(user.name()), " ", unusable));
    return response;
  }
  ResolvedRoles base;
  internal::ResolveRoles(snapshot, user.roles(), &base);
  const Traits& traits = user.traits();

  std::vector<std::string> denials;
  std::string allowances;
  absl::InlinedVector<const CompiledRole*, 8> targets;
  absl::InlinedVector<const std::string*, 4> prompts;
  std::vector<std::string> suggested;
  const CompiledRole* reason_role = nullptr;
  // Per requested role: the longest max_duration its allowing roles grant; then the
  // shortest of those across requested roles.
  absl::Duration role_cap = absl::InfiniteDuration();
  const CompiledRole* role_cap_role = nullptr;
  absl::InlinedVector<const CompiledRole*, 8> allowing;
  for (const std::string& requested : request.requested_roles()) {
    const CompiledRole* target = snapshot.Find(requested);
    if (target == nullptr) {
      AddMatch(e, requested, "allow", "request.roles", false, "requested role does not exist");
      denials.push_back(absl::StrCat("role ", QuoteBounded(requested), " does not exist"));
      continue;
    }
    targets.push_back(target);
    const CompiledRole* denied_by = nullptr;
    const std::string* deny_expression = nullptr;
    for (const CompiledRole* role : base.known) {
      deny_expression = role->deny().request_roles.Match(requested, traits);
      if (deny_expression != nullptr) {
        denied_by = role;
        break;
      }
    }
    if (denied_by != nullptr) {
      const std::string detail =
          absl::StrCat(QuoteBounded(requested), " matches \"", *deny_expression, "\"");
      AddMatch(e, denied_by->name(), "deny", "request.roles", true, detail);
      denials.push_back(absl::StrCat("role \"", denied_by->name(), "\" denies requesting ",
                                     QuoteBounded(requested), " (deny.request.roles: ", detail,
                                     ")"));
      continue;
    }
    allowing.clear();
    const std::string* first_expression = nullptr;
    for (const CompiledRole* role : base.known) {
      const std::string* expression = role->allow().request_roles.Match(requested, traits);
      if (expression == nullptr) continue;
      if (allowing.empty()) first_expression = expression;
      allowing.push_back(role);
    }
    if (allowing.empty()) {
      AddMatch(e, requested, "allow", "request.roles", false,
               "no base role lists it in allow.request.roles");
      denials.push_back(absl::StrCat("no role of ", QuoteBounded(user.name()),
                                     " allows requesting ", QuoteBounded(requested)));
      continue;
    }
    if (request.break_glass()) {
      // Only roles that allow break-glass count; the others' terms do not apply.
      allowing.erase(std::remove_if(allowing.begin(), allowing.end(),
                                    [](const CompiledRole* r) { return !r->allow().break_glass; }),
                     allowing.end());
      if (allowing.empty()) {
        AddMatch(e, requested, "allow", "request.break_glass", false,
                 "no role allowing the request allows break-glass");
        denials.push_back(absl::StrCat("no role of ", QuoteBounded(user.name()),
                                       " allows break-glass for ", QuoteBounded(requested)));
        continue;
      }
      first_expression = allowing.front()->allow().request_roles.Match(requested, traits);
    }
    const std::string detail =
        absl::StrCat(QuoteBounded(requested), " matches \"", *first_expression, "\"");
    AddMatch(e, allowing.front()->name(), "allow", "request.roles", true, detail);
    absl::StrAppend(&allowances, allowances.empty() ? "" : "; ", "role \"",
                    allowing.front()->name(), "\" allows requesting ", QuoteBounded(requested));

    absl::Duration longest = absl::ZeroDuration();
    const CompiledRole* longest_role = nullptr;
    for (const CompiledRole* role : allowing) {
      const CompiledConditions& allow = role->allow();
      const absl::Duration cap =
          request.break_glass() ? allow.break_glass_max_duration : allow.request_max_duration;
      if (cap > longest) {
        longest = cap;
        longest_role = role;
      }
      if (allow.reason_required && reason_role == nullptr) reason_role = role;
      if (!allow.reason_prompt.empty() &&
          std::none_of(prompts.begin(), prompts.end(),
                       [&](const std::string* p) { return *p == allow.reason_prompt; })) {
        prompts.push_back(&allow.reason_prompt);
      }
      allow.suggested_reviewers.Expand(traits, &suggested);
    }
    if (longest_role != nullptr && longest < role_cap) {
      role_cap = longest;
      role_cap_role = longest_role;
    }
    RoleThresholds* thresholds = response.add_thresholds();
    thresholds->set_role(requested);
    AddThresholds(allowing, thresholds);
  }

  response.set_reason_required(reason_role != nullptr);
  if (!prompts.empty()) {
    std::string* prompt = response.mutable_reason_prompt();
    for (const std::string* p : prompts) absl::StrAppend(prompt, prompt->empty() ? "" : "; ", *p);
  }
  const std::string unknown_note = NoteUnknownRoles(base, e);
  if (!denials.empty()) {
    response.clear_thresholds();
    e->set_summary(absl::StrCat("denied: ", absl::StrJoin(denials, "; "), unknown_note));
    return response;
  }
  if (reason_role != nullptr && IsBlank(request.reason())) {
    response.clear_thresholds();
    AddMatch(e, reason_role->name(), "allow", "request.reason", false, "a reason is required");
    e->set_summary(absl::StrCat("denied: role \"", reason_role->name(),
                                "\" requires a reason for this request", unknown_note));
    return response;
  }

  // Granted length.
  const internal::MergedOptions target_options = internal::MergeOptions(targets);
  absl::Duration limit = target_options.max_session_ttl;
  const CompiledRole* limit_role = target_options.ttl_role;
  const char* limit_field = "options.max_session_ttl";
  std::string limit_note =
      target_options.ttl_role != nullptr
          ? absl::StrCat("max_session_ttl ", FormatRoleDuration(limit), " of role \"",
                         target_options.ttl_role->name(), "\"")
          : absl::StrCat("default max_session_ttl ", FormatRoleDuration(limit));
  if (role_cap_role != nullptr && role_cap < limit) {
    limit = role_cap;
    limit_role = role_cap_role;
    limit_field =
        request.break_glass() ? "request.break_glass_max_duration" : "request.max_duration";
    limit_note = absl::StrCat(limit_field, " ", FormatRoleDuration(limit), " of role \"",
                              role_cap_role->name(), "\"");
  }
  absl::Duration granted = limit;
  std::string duration_note;
  if (*requested_duration > absl::ZeroDuration() && *requested_duration <= limit) {
    granted = *requested_duration;
    duration_note = absl::StrCat("access for ", FormatRoleDuration(granted), " as requested (",
                                 limit_note, ")");
  } else if (*requested_duration > absl::ZeroDuration()) {
    duration_note = absl::StrCat("access capped at ", FormatRoleDuration(granted), " (requested ",
                                 FormatRoleDuration(*requested_duration), "; ", limit_note, ")");
    AddMatch(e, limit_role != nullptr ? limit_role->name() : "", "allow", limit_field, true,
             duration_note);
  } else {
    duration_note =
        absl::StrCat("access for up to ", FormatRoleDuration(granted), " (", limit_note, ")");
  }
  ToProtoDuration(granted, response.mutable_max_duration());

  // Pending TTL: shortest request_ttl over the requester's and the requested roles.
  absl::InlinedVector<const CompiledRole*, 24> all_roles(base.known.begin(), base.known.end());
  all_roles.insert(all_roles.end(), targets.begin(), targets.end());
  const internal::MergedOptions all_options = internal::MergeOptions(all_roles);
  ToProtoDuration(all_options.request_ttl, response.mutable_request_ttl());

  for (std::string& reviewer : suggested) {
    const auto& added = response.suggested_reviewers();
    if (std::find(added.begin(), added.end(), reviewer) == added.end()) {
      response.add_suggested_reviewers(std::move(reviewer));
    }
  }

  response.set_allowed(true);
  response.set_break_glass(request.break_glass());
  e->set_summary(absl::StrCat("allowed", request.break_glass() ? " (break-glass)" : "", ": ",
                              allowances, "; ", duration_note, unknown_note));
  return response;
}

}  // namespace jit::policy
