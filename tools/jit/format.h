// How the jit CLI shows things: aligned tables with relative times for people, the
// protobuf JSON mapping for scripts (--format json: field names in lowerCamelCase, enums
// by name, timestamps RFC 3339; stable as the protos are), and the one-sentence errors.
// Pure functions of their arguments and `now`.
#ifndef JIT_TOOLS_JIT_FORMAT_H_
#define JIT_TOOLS_JIT_FORMAT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "jit/common/v1/access_request.pb.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::cli {

enum class Format { kText, kJson };
absl::StatusOr<Format> ParseFormat(const std::string& name);

// "45s", "29m", "1h5m", "2d3h" (the two largest units, rounded down).
std::string ShortDuration(absl::Duration d);
// "in 29m", "5m ago", "now".
std::string RelativeTime(absl::Time t, absl::Time now);

// "pending", "approved", ...; ParseState accepts these names.
std::string StateName(common::v1::AccessRequestState state);
absl::StatusOr<common::v1::AccessRequestState> ParseState(const std::string& name);

// For each id, its shortest prefix of at least 8 characters that no other id in `ids`
// starts with (UUIDv7 ids made within the same minute share their first 8 characters).
std::vector<std::string> UniquePrefixes(const std::vector<std::string>& ids);

// `text` with every control character (C0, DEL, C1) replaced by '?', so that text written by
// another person (a reason) cannot move the cursor or rewrite the terminal.
std::string Printable(const std::string& text);

// Columns padded to the widest cell, two spaces apart; the first row is the header. Cells
// pass through Printable.
std::string Table(const std::vector<std::vector<std::string>>& rows);

// ID, USER, ROLES, STATE, APPROVALS, CREATED, UNTIL (pending: the request lapses; approved:
// the access ends), REASON. "no requests" when empty.
std::string RequestTable(const std::vector<common::v1::AccessRequest>& requests, absl::Time now);
// One request with its reviews and history.
std::string RequestDetail(const common::v1::AccessRequest& request, absl::Time now);
// Who is logged in: user, roles, traits, session expiry.
std::string IdentityText(const common::v1::Identity& identity, absl::Time now);

// The message as one JSON object (protobuf JSON mapping) and a newline.
std::string ToJson(const google::protobuf::Message& message);
// JSON array of messages.
std::string ToJsonArray(const std::vector<const google::protobuf::Message*>& messages);

// The id among `ids` that `prefix` names: an exact match, else the only id starting with
// it. None: NOT_FOUND naming the prefix and `jit request ls`; several: INVALID_ARGUMENT
// listing them (short) and asking for more characters.
absl::StatusOr<std::string> ResolveIdPrefix(const std::string& prefix,
                                            const std::vector<std::string>& ids);

// The error as one sentence for stderr, with what to do added where the code says it:
// UNAUTHENTICATED -> log in again; UNAVAILABLE -> start the services or fix the address.
std::string ErrorSentence(const absl::Status& status);

}  // namespace jit::cli

#endif  // JIT_TOOLS_JIT_FORMAT_H_
