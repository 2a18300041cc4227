// jit-auth: who you are. Local users with TOTP, OIDC single sign-on, session tokens, the
// keys and revocations every service verifies tokens with (services/auth/README.md).
//
// auth_app.h: its flags, their checks and the objects it builds; auth_service_impl.cc: every
// RPC and the logic it runs.
#include "common/server/service_main.h"
#include "services/auth/auth_app.h"
#include "services/auth/migrations.h"
#include "services/auth/service_name.h"

int main(int argc, char** argv) {
  return jit::server::RunServiceApp<jit::auth::AuthApp>(argc, argv,
                                                        {.name = jit::auth::kAuthService,
                                                         .ports = jit::server::kAuthPorts,
                                                         .migrations = jit::auth::Migrations()});
}
