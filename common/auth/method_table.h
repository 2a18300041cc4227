// The per-RPC authorization table: for every full gRPC method name, who may call it.
//
//   /jit.requests.v1.RequestsService/ListActiveGrants  -> services {ca}
//   /jit.auth.v1.AuthService/Login                      -> public
//
// A method that is not in the table is denied (fail closed). The table answers "which kind
// of caller may reach this handler"; finer rules (admin verbs, self-review) stay in the
// service logic and policy.
#ifndef JIT_COMMON_AUTH_METHOD_TABLE_H_
#define JIT_COMMON_AUTH_METHOD_TABLE_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace jit::auth {

// Who may call one method.
struct MethodRule {
  // Anyone, without credentials (Login, GetJwks, health checks).
  bool public_access = false;
  // People presenting a valid session token.
  bool users = false;
  // Any jit-access service certificate.
  bool any_service = false;
  // These services (by name, as in spiffe://jit-access/service/<name>).
  absl::flat_hash_set<std::string> services;
  // Machines enrolled by join token (spiffe://jit-access/host/<name>).
  bool hosts = false;

  bool AllowsService(std::string_view name) const {
    return any_service || services.contains(absl::string_view(name.data(), name.size()));
  }
};

// Shorthands for readable tables.
MethodRule Public();
MethodRule Users();
MethodRule Services(std::initializer_list<std::string> names);
MethodRule AnyService();
MethodRule UsersAndServices(std::initializer_list<std::string> names);
MethodRule UsersAndAnyService();
MethodRule Hosts();

// Immutable after Create; thread-safe.
class MethodAuthorizationTable {
 public:
  // INVALID_ARGUMENT for a malformed method name ("/package.Service/Method"), a duplicate, a
  // rule that allows nobody, or an invalid service name.
  static absl::StatusOr<MethodAuthorizationTable> Create(
      std::vector<std::pair<std::string, MethodRule>> rules);

  // The rule for `full_method`, or nullptr (deny).
  const MethodRule* Find(std::string_view full_method) const;

  std::vector<std::string> Methods() const;

 private:
  absl::flat_hash_map<std::string, MethodRule> rules_;
};

// The method of gRPC server reflection, which common/server serves on every service.
inline constexpr std::string_view kServerReflectionMethod =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

// The table for every RPC of the five jit-access services, grpc.health.v1 and server
// reflection (see the .cc for the reasoning per method). Services own their rows; the test beside
// it fails when a proto gains a method without one.
const MethodAuthorizationTable& JitMethodTable();

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_METHOD_TABLE_H_
