// The policy service's name, in one place: the binary jit-policy, its PostgreSQL schema
// "policy" (roles and its audit_outbox), its metrics prefix jit_policy_ and the `service` of
// the audit events it writes.
#ifndef JIT_SERVICES_POLICY_SERVICE_NAME_H_
#define JIT_SERVICES_POLICY_SERVICE_NAME_H_

namespace jit::policy {

inline constexpr char kPolicyService[] = "policy";

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_SERVICE_NAME_H_
