// The canonical encoding of a stored audit event and the hash chain over it, exactly as
// docs/AUDIT.md ("Canonical encoding", "Hash chain", "Checkpoints") specifies them, so that
// an auditor's own tool computes the same bytes.
//
//   hash(n) = SHA-256(hash(n-1) || CanonicalEvent(event n)),  hash(0) = 32 zero bytes
//
// The encoding covers every stored field of the event: those the producer set and those
// the sink set (sequence, code, ingest_time), never hash and prev_hash themselves. It is
// total: any AuditEvent encodes (numbers are encoded by their IEEE 754 bits, -0 as +0;
// the sink refuses NaN and infinities at ingest, see event_validation.h). Times count whole
// microseconds (the sink truncates at ingest; nanoseconds below are ignored here).
// Thread-safe: plain functions.
#ifndef JIT_SERVICES_AUDIT_CHAIN_CANONICAL_H_
#define JIT_SERVICES_AUDIT_CHAIN_CANONICAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"

namespace jit::audit::chain {

inline constexpr size_t kHashSize = 32;

// The version tag that starts every encoded event.
inline constexpr std::string_view kEventEncodingTag = "jit-audit-event/v1";
// The version tag that starts the bytes a checkpoint signs.
inline constexpr std::string_view kCheckpointEncodingTag = "jit-audit-checkpoint/v1";

// hash(0): 32 zero bytes.
const std::string& GenesisHash();

// Appends the canonical encoding of `event` to `*out`.
void AppendCanonicalEvent(const jit::common::v1::AuditEvent& event, std::string* out);
// The same with `sequence` in place of event.sequence() (appending links an event without
// copying it).
void AppendCanonicalEvent(const jit::common::v1::AuditEvent& event, int64_t sequence,
                          std::string* out);

// The canonical encoding of `event` alone.
std::string CanonicalEvent(const jit::common::v1::AuditEvent& event);

// SHA-256(prev_hash || CanonicalEvent(event)) as 32 raw bytes. `scratch` is reused between
// calls to avoid allocations on long chains (may be null).
std::string ChainHash(std::string_view prev_hash, const jit::common::v1::AuditEvent& event,
                      std::string* scratch = nullptr);
// The same with `sequence` in place of event.sequence().
std::string ChainHash(std::string_view prev_hash, const jit::common::v1::AuditEvent& event,
                      int64_t sequence, std::string* scratch);

// The bytes a checkpoint signs: tag, sequence, the 32-byte hash, the signing time.
std::string CheckpointMessage(int64_t sequence, std::string_view hash, absl::Time signed_at);

// Whole microseconds since the Unix epoch of a proto Timestamp (floor).
int64_t TimestampMicros(const google::protobuf::Timestamp& t);

}  // namespace jit::audit::chain

#endif  // JIT_SERVICES_AUDIT_CHAIN_CANONICAL_H_
