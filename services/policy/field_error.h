// INVALID_ARGUMENT errors that name the field of a role they are about.
//
// The message reads "<path>: <problem>" (path like `spec.allow.node_labels["env"][1]`), and
// the path is also attached as a payload so that the document parser can map it back to a
// line number without parsing the message.
#ifndef JIT_SERVICES_POLICY_FIELD_ERROR_H_
#define JIT_SERVICES_POLICY_FIELD_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace jit::policy {

inline constexpr absl::string_view kFieldPathPayload = "type.jit.dev/policy.field_path";

inline absl::Status FieldError(absl::string_view path, absl::string_view problem) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
  status.SetPayload(kFieldPathPayload, absl::Cord(path));
  return status;
}

// Prefixes an error from a lower layer (e.g. "invalid regular expression ...") with `path`.
inline absl::Status WithFieldPath(absl::string_view path, const absl::Status& status) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(path, ": ", status.message()));
  out.SetPayload(kFieldPathPayload, absl::Cord(path));
  return out;
}

// The path attached by FieldError, if any.
inline std::optional<std::string> FieldPathOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kFieldPathPayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_FIELD_ERROR_H_
