#include "services/auth/audit_outbox.h"

#include <cstdio>

#include "common/crypto/random.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace jit::auth {

absl::StatusOr<std::string> NewUuid() {
  absl::StatusOr<std::string> bytes = crypto::RandomBytes(16);
  if (!bytes.ok()) return bytes.status();
  unsigned char b[16];
  for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>((*bytes)[i]);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(out, 36);
}

void AppendOrLog(AuditOutbox& outbox, const absl::StatusOr<AuditEvent>& event) {
  const absl::Status s = event.ok() ? outbox.Append(*event) : event.status();
  if (!s.ok()) {
    spdlog::error("audit event lost type={} error={}", event.ok() ? event->type() : "?",
                  LogSafe(s.ToString(), 256));
  }
}

absl::StatusOr<AuditEvent> NewAuditEvent(std::string_view type, absl::Time time,
                                         const AuditActor& actor, std::string_view target,
                                         AuditEvent::Outcome outcome, std::string_view message,
                                         const std::map<std::string, std::string>& details) {
  absl::StatusOr<std::string> id = NewUuid();
  if (!id.ok()) return id.status();
  AuditEvent event;
  event.set_id(*std::move(id));
  event.set_type(std::string(type));
  const int64_t micros = absl::ToUnixMicros(time);
  event.mutable_time()->set_seconds(micros / 1'000'000);
  event.mutable_time()->set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
  event.set_service("auth");
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

}  // namespace jit::auth
