// The stable code of every audit event type, in the spirit of Teleport's "T1000I": "J", four
// digits, and a level letter (I: information, W: warning - a failure, a refusal or an alert).
// Digits by producer: 1xxx auth, 2xxx policy, 3xxx requests, 4xxx ca, 5xxx audit; 0xxx and
// 6xxx-9xxx are unassigned. A code, once in this table, is never given to another type: a
// type that goes away stays listed as retired. docs/AUDIT.md carries the same table (a test
// compares them).
//
// The sink sets AuditEvent.code from this table at ingest; a type it does not know is stored
// with code "" (so a producer newer than the sink loses nothing).
// Thread-safe: immutable data.
#ifndef JIT_SERVICES_AUDIT_CHAIN_EVENT_CODES_H_
#define JIT_SERVICES_AUDIT_CHAIN_EVENT_CODES_H_

#include <string_view>
#include <vector>

namespace jit::audit::chain {

struct EventTypeInfo {
  std::string_view code;     // "J1000I"
  std::string_view type;     // "auth.login"
  std::string_view service;  // the producer: "auth", "policy", "requests", "ca"
  bool retired = false;      // no longer written; the code stays taken
};

// Every registered type, in code order.
const std::vector<EventTypeInfo>& EventTypes();

// The code of `type`, or "" when the type is not registered.
std::string_view CodeForType(std::string_view type);

}  // namespace jit::audit::chain

#endif  // JIT_SERVICES_AUDIT_CHAIN_EVENT_CODES_H_
