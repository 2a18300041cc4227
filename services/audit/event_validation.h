// What the sink accepts from IngestEvents, and the normal form it stores. A batch holds at
// most kMaxBatchEvents events; each needs a UUID id, a dotted lowercase type (two or more
// parts), a time in 1970..9999 and a service. Byte limits: type 128, service 64, replica 255,
// actor/target 1024, message 4096, request_id/session_id/remote_addr 256, details 64 KiB as
// stored JSON, depth 32, no NaN/infinity; no U+0000 or invalid UTF-8; a known outcome.
// The first violation is INVALID_ARGUMENT naming event and field ("events[3].details: 70000
// bytes, over the limit of 65536"). Normal form: lowercase id, times in whole microseconds,
// `code` from chain/event_codes.h, ingest_time = time; sequence and hashes cleared (the sink
// sets them). Thread-safe: plain functions.
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
