// Durations in role documents and protos.
//
// Role documents write durations as Go does ("1h", "30m", "90s", "1h30m", "1.5h", "500ms");
// protos carry google.protobuf.Duration. Both are validated the same way: not negative, not
// infinite, at most kMaxRoleDuration.
#ifndef JIT_SERVICES_POLICY_DURATION_H_
#define JIT_SERVICES_POLICY_DURATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"

namespace jit::policy {

// Longest duration any role option may hold (a sanity bound, not a policy).
inline constexpr absl::Duration kMaxRoleDuration = absl::Hours(24 * 366);

// Parses "1h30m"-style text. Each number needs a unit (h, m, s, ms); "0" alone is zero.
// INVALID_ARGUMENT (message names the text) for anything else, negative values, or values
// above kMaxRoleDuration.
absl::StatusOr<absl::Duration> ParseRoleDuration(absl::string_view text);

// Formats as the shortest "1h30m"/"45s" form ("0s" for zero). Sub-second parts print as
// "1.5s"-style decimals.
std::string FormatRoleDuration(absl::Duration d);

// Converts a proto Duration; INVALID_ARGUMENT if negative, malformed (nanos out of range or
// of the other sign) or above kMaxRoleDuration.
absl::StatusOr<absl::Duration> FromProtoDuration(const google::protobuf::Duration& proto);

// Writes `d` (finite, non-negative) into `proto`.
void ToProtoDuration(absl::Duration d, google::protobuf::Duration* proto);

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_DURATION_H_
