// jit-policy: roles and access decisions (services/policy/README.md).
//
// policy_app.h: its flags, their checks and the objects it builds; policy_service_impl.cc:
// every RPC and the logic it runs.
#include "common/server/service_main.h"
#include "services/policy/migrations.h"
#include "services/policy/policy_app.h"

int main(int argc, char** argv) {
  return jit::server::RunServiceApp<jit::policy::PolicyApp>(
      argc, argv,
      {.name = "policy",
       .ports = jit::server::kPolicyPorts,
       .migrations = jit::policy::Migrations()});
}
