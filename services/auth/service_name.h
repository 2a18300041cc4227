// The auth service's name, in one place: the binary jit-auth, its PostgreSQL schema "auth"
// (its stores' tables and its audit_outbox), its metrics prefix jit_auth_ and the `service`
// of the audit events it writes.
#ifndef JIT_SERVICES_AUTH_SERVICE_NAME_H_
#define JIT_SERVICES_AUTH_SERVICE_NAME_H_

namespace jit::auth {

inline constexpr char kAuthService[] = "auth";

}  // namespace jit::auth

#endif  // JIT_SERVICES_AUTH_SERVICE_NAME_H_
