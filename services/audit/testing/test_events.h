// Valid audit events for the sink's tests.
#ifndef JIT_SERVICES_AUDIT_TESTING_TEST_EVENTS_H_
#define JIT_SERVICES_AUDIT_TESTING_TEST_EVENTS_H_

#include <string>

#include "jit/audit/v1/audit.pb.h"
#include "jit/common/v1/audit_event.pb.h"

namespace jit::audit::testing {

// Event number `n`: id 00000000-0000-7000-8000-<n as 12 hex digits>, time 2023-11-14T22:13:20Z
// + n seconds, service "auth", outcome success, a few details.
jit::common::v1::AuditEvent TestEvent(int64_t n, const std::string& type = "auth.login",
                                      const std::string& actor = "user:alice");

// IngestEventsRequest with events first .. first+count-1.
jit::audit::v1::IngestEventsRequest TestBatch(int64_t first, int count,
                                              const std::string& type = "auth.login");

}  // namespace jit::audit::testing

#endif  // JIT_SERVICES_AUDIT_TESTING_TEST_EVENTS_H_
