// Internal helpers shared by the decision functions (decisions.h): role resolution, option
// merging and explanation building. Not part of the policy API.
#ifndef JIT_SERVICES_POLICY_DECISION_UTIL_H_
#define JIT_SERVICES_POLICY_DECISION_UTIL_H_

#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "jit/common/v1/identity.pb.h"
#include "jit/policy/v1/policy.pb.h"
#include "services/policy/compiled_role.h"
#include "services/policy/role_snapshot.h"

namespace jit::policy::internal {

struct ResolvedRoles {
  absl::InlinedVector<const CompiledRole*, 16> known;
  absl::InlinedVector<absl::string_view, 2> unknown;
};

// Looks every name up; unknown names are kept apart (they grant nothing).
void ResolveRoles(const RoleSnapshot& snapshot,
                  const google::protobuf::RepeatedPtrField<std::string>& names, ResolvedRoles* out);

struct MergedOptions {
  absl::Duration max_session_ttl;          // kDefaultMaxSessionTtl if no role sets it
  const CompiledRole* ttl_role = nullptr;  // the role that set the shortest, if any
  bool require_mfa = false;
  const CompiledRole* mfa_role = nullptr;  // first role requiring MFA
  uint32_t record_session = 0;
  absl::Duration client_idle_timeout;  // zero: none
  absl::Duration request_ttl;          // kDefaultRequestTtl if no role sets it
  const CompiledRole* request_ttl_role = nullptr;
  bool forward_agent = false;    // any role allows it
  bool port_forwarding = false;  // any role allows it
  bool pin_source_ip = false;    // any role pins it
};

MergedOptions MergeOptions(absl::Span<const CompiledRole* const> roles);

// True if some role's deny side (`field`) takes `value` away ("*" takes everything).
bool DeniedByAnyRole(absl::Span<const CompiledRole* const> roles,
                     CompiledValueList CompiledConditions::*field, absl::string_view value,
                     const Traits& traits);

// Why the identity may not be used at `now`: "has expired" when its expire_time is not after
// `now`, "carries no expire_time" when it has none (an identity without an end would be
// valid forever: refused, fail closed); nullptr when it is usable. Callers write
// "the identity of \"<name>\" <reason>".
const char* IdentityUnusable(const jit::common::v1::Identity& identity, absl::Time now);

// Longest RuleMatch.detail kept (longer ones are cut with their length).
inline constexpr size_t kMaxMatchDetailBytes = 1024;

// Adds a RuleMatch; a role name longer than any role's is cut, and so is a detail longer
// than kMaxMatchDetailBytes.
void AddMatch(jit::policy::v1::Explanation* explanation, absl::string_view role,
              absl::string_view side, absl::string_view field, bool matched,
              absl::string_view detail);

// Adds a RuleMatch per unknown role and returns a summary suffix
// ("; role \"ghost\" does not exist and grants nothing"), or "" if all roles are known.
std::string NoteUnknownRoles(const ResolvedRoles& roles, jit::policy::v1::Explanation* explanation);

// How many caller-supplied names an explanation lists (the rest are counted).
inline constexpr size_t kMaxListedNames = 8;

// "a", "b" -> "\"a\", \"b\"": each quoted bounded (common/text/quote.h), at most
// kMaxListedNames, then " and <n> more".
std::string QuotedList(absl::Span<const absl::string_view> items);

// Sorts and removes duplicates.
void SortUnique(std::vector<std::string>* values);

}  // namespace jit::policy::internal

#endif  // JIT_SERVICES_POLICY_DECISION_UTIL_H_
