// Default ports of the five services on one host (deploy/local/up.sh, tests, README).
// In Kubernetes every service listens on its own pod, still on these ports.
#ifndef JIT_COMMON_SERVER_PORTS_H_
#define JIT_COMMON_SERVER_PORTS_H_

namespace jit::server {

struct ServicePorts {
  int grpc;
  int metrics;
};

inline constexpr ServicePorts kAuthPorts{7101, 9101};
inline constexpr ServicePorts kCaPorts{7102, 9102};
inline constexpr ServicePorts kRequestsPorts{7103, 9103};
inline constexpr ServicePorts kPolicyPorts{7104, 9104};
inline constexpr ServicePorts kAuditPorts{7105, 9105};

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_PORTS_H_
