// What the sink accepts from IngestEvents, and the normal form it stores.
//
// A batch holds at most kMaxBatchEvents events. Each event needs an id (a UUID, any case),
// a dotted type ("auth.login": lowercase letters, digits and '_', two or more parts), a time
// between 1970-01-01 and 9999-12-31 and a service; every other field may be empty. Limits
// (bytes of UTF-8): type 128, service 64, replica 255, actor and target 1024, message 4096,
// request_id, session_id and remote_addr 256, details 64 KiB as stored JSON
// (chain/details_json.h) and nested at most 32 deep, no NaN or infinite number. No string
// may hold U+0000 or invalid UTF-8 (PostgreSQL text cannot), and the outcome must be one of
// the enum's values.
//
// Every violation is INVALID_ARGUMENT naming the event and the field ("events[3].details:
// 70000 bytes, over the limit of 65536"); the first one found is reported.
//
// Normal form: id in lowercase, time truncated to whole microseconds, `code` from the code
// table (chain/event_codes.h), `ingest_time` = the given time (whole microseconds);
// sequence, hash and prev_hash cleared (the sink sets them; what a producer put there is
// ignored).
// Thread-safe: plain functions.
#ifndef JIT_SERVICES_AUDIT_EVENT_VALIDATION_H_
#define JIT_SERVICES_AUDIT_EVENT_VALIDATION_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"

namespace jit::audit {

inline constexpr int kMaxBatchEvents = 1000;
inline constexpr size_t kMaxDetailsBytes = 64 * 1024;
inline constexpr int kMaxDetailsDepth = 32;

// Validates the whole batch and returns it in normal form, stamped with `ingest_time`.
absl::StatusOr<std::vector<jit::common::v1::AuditEvent>> ValidateBatch(
    const google::protobuf::RepeatedPtrField<jit::common::v1::AuditEvent>& events,
    absl::Time ingest_time);

// Whether `type` is a well-formed dotted type (for search filters too).
bool IsValidEventType(std::string_view type);

// Whether `s` is valid UTF-8 without U+0000.
bool IsStorableText(std::string_view s);

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_EVENT_VALIDATION_H_
