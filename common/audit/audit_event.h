// Building audit events (jit.common.v1.AuditEvent), the same way in every service.
//
//   ASSIGN_OR_RETURN(AuditEvent event,
//                    audit::NewAuditEvent("policy", "role.upsert", clock->Now(), call.actor,
//                                         "role:dba", AuditEvent::OUTCOME_SUCCESS,
//                                         "role updated", {{"revision", "4"}}));
//
// Ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds of the event's time, then 12 bits
// of sub-millisecond fraction, then 62 random bits, so ids sort by time and the audit
// sink's indexes grow at one end. Event types are dotted ("<service>.<noun>.<verb>" or
// "<noun>.<verb>"); details are strings and never secrets. Pure functions; thread-safe.
#ifndef JIT_COMMON_AUDIT_AUDIT_EVENT_H_
#define JIT_COMMON_AUDIT_AUDIT_EVENT_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jit/common/v1/audit_event.pb.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::audit {

using jit::common::v1::AuditEvent;

// Who did it and from where, for the events of one call.
struct AuditActor {
  std::string actor;        // "user:alice", "service:ca", "system", "anonymous"
  std::string session_id;   // the caller's session, if any
  std::string remote_addr;  // the caller's address, if known
};

// The actor for an authenticated caller (an Identity from the call's authorization):
// "user:<name>" with its session, "service:<name>", or "anonymous".
AuditActor ActorOf(const jit::common::v1::Identity& caller, std::string_view remote_addr);

// A new event of `service` ("auth", "policy", ...) with a UUIDv7 id for `time`.
// INTERNAL only if randomness fails.
absl::StatusOr<AuditEvent> NewAuditEvent(std::string_view service, std::string_view type,
                                         absl::Time time, const AuditActor& actor,
                                         std::string_view target, AuditEvent::Outcome outcome,
                                         std::string_view message,
                                         const std::map<std::string, std::string>& details = {});

// A UUIDv7 for `time` in canonical text form (36 lowercase characters). Times before 1970
// give the zero timestamp. INTERNAL only if randomness fails.
absl::StatusOr<std::string> NewUuidV7(absl::Time time);

}  // namespace jit::audit

#endif  // JIT_COMMON_AUDIT_AUDIT_EVENT_H_
