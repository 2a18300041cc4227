// jit-ca: The certificate authority: short-lived OpenSSH and X.509 certificates, CA keys, rotation,
// revocation lists (issues 10, 11).
//
// ca_app.h: its flags, their checks and the objects it builds.
#include "common/server/service_main.h"
#include "services/ca/ca_app.h"
#include "services/ca/migrations.h"

int main(int argc, char** argv) {
  return jit::server::RunServiceApp<jit::ca::CaApp>(
      argc, argv,
      {.name = "ca", .ports = jit::server::kCaPorts, .migrations = jit::ca::Migrations()});
}
