#include "services/audit/testing/test_events.h"

#include <cstdio>

namespace jit::audit::testing {

using jit::common::v1::AuditEvent;

AuditEvent TestEvent(int64_t n, const std::string& type, const std::string& actor) {
  AuditEvent e;
  char id[40];
  std::snprintf(id, sizeof(id), "00000000-0000-7000-8000-%012llx",
                static_cast<unsigned long long>(n));
  e.set_id(id);
  e.set_type(type);
  e.mutable_time()->set_seconds(1'700'000'000 + n);
  e.mutable_time()->set_nanos(123'456'000);
  e.set_service("auth");
  e.set_replica("auth-0");
  e.set_actor(actor);
  e.set_target("user:bob");
  e.set_outcome(AuditEvent::OUTCOME_SUCCESS);
  e.set_message("event " + std::to_string(n));
  auto& f = *e.mutable_details()->mutable_fields();
  f["n"].set_number_value(static_cast<double>(n));
  f["ratio"].set_number_value(0.1 * static_cast<double>(n));
  f["note"].set_string_value("tab\there \"quoted\" caf\xc3\xa9");
  f["tags"].mutable_list_value()->add_values()->set_string_value("a");
  e.set_session_id("session-1");
  e.set_remote_addr("ipv4:127.0.0.1:5000");
  return e;
}

jit::audit::v1::IngestEventsRequest TestBatch(int64_t first, int count, const std::string& type) {
  jit::audit::v1::IngestEventsRequest request;
  for (int i = 0; i < count; ++i) *request.add_events() = TestEvent(first + i, type);
  return request;
}

}  // namespace jit::audit::testing
