#include "common/audit/audit_event.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/proto_time.h"

namespace jit::audit {

using jit::common::v1::Identity;

AuditActor ActorOf(const Identity& caller, std::string_view remote_addr) {
  AuditActor actor{.remote_addr = std::string(remote_addr)};
  switch (caller.kind()) {
    case Identity::KIND_USER:
      actor.actor = absl::StrCat("user:", caller.name());
      actor.session_id = caller.session_id();
      break;
    case Identity::KIND_SERVICE:
      actor.actor = absl::StrCat("service:", caller.name());
      break;
    case Identity::KIND_HOST:
      actor.actor = absl::StrCat("host:", caller.name());
      break;
    default:
      actor.actor = "anonymous";
  }
  return actor;
}

absl::StatusOr<std::string> NewUuidV7(absl::Time time) {
  absl::StatusOr<std::string> random = crypto::RandomBytes(8);
  if (!random.ok()) return random.status();
  const int64_t micros = std::max<int64_t>(0, absl::ToUnixMicros(time));
  const uint64_t millis = static_cast<uint64_t>(micros / 1000) & 0xFFFF'FFFF'FFFFull;
  // rand_a carries the sub-millisecond fraction (RFC 9562 section 6.2, method 3), so ids of
  // one replica stay in time order below a millisecond too.
  const uint64_t fraction = static_cast<uint64_t>(micros % 1000) * 4096 / 1000;
  unsigned char b[16];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(millis >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | (fraction >> 8));  // version 7
  b[7] = static_cast<unsigned char>(fraction & 0xFF);
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<unsigned char>((*random)[i]);
  b[8] = (b[8] & 0x3F) | 0x80;  // RFC 9562 variant
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(out, 36);
}

absl::StatusOr<AuditEvent> NewAuditEvent(std::string_view service, std::string_view type,
                                         absl::Time time, const AuditActor& actor,
                                         std::string_view target, AuditEvent::Outcome outcome,
                                         std::string_view message,
                                         const std::map<std::string, std::string>& details) {
  absl::StatusOr<std::string> id = NewUuidV7(time);
  if (!id.ok()) return id.status();
  AuditEvent event;
  event.set_id(*std::move(id));
  event.set_type(std::string(type));
  // Microseconds: what the outbox's timestamptz keeps, so the stored row and the event agree.
  SetProtoTimestamp(TruncateToMicros(time), event.mutable_time());
  event.set_service(std::string(service));
  event.set_actor(actor.actor);
  event.set_target(std::string(target));
  event.set_outcome(outcome);
  event.set_message(std::string(message));
  event.set_session_id(actor.session_id);
  event.set_remote_addr(actor.remote_addr);
  for (const auto& [key, value] : details) {
    (*event.mutable_details()->mutable_fields())[key].set_string_value(value);
  }
  return event;
}

}  // namespace jit::audit
