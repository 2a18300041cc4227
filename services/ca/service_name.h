// The ca service's name: its PostgreSQL schema, audit source and metrics prefix.
#ifndef JIT_SERVICES_CA_SERVICE_NAME_H_
#define JIT_SERVICES_CA_SERVICE_NAME_H_

namespace jit::ca {

inline constexpr char kCaService[] = "ca";

}  // namespace jit::ca

#endif  // JIT_SERVICES_CA_SERVICE_NAME_H_
