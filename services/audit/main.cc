// jit-audit: The audit sink: ingest, hash chain, search, SIEM export (issue 12).
//
// audit_app.h: its flags, their checks and the objects it builds.
#include "common/server/service_main.h"
#include "services/audit/audit_app.h"
#include "services/audit/migrations.h"

int main(int argc, char** argv) {
  return jit::server::RunServiceApp<jit::audit::AuditApp>(
      argc, argv,
      {.name = "audit", .ports = jit::server::kAuditPorts, .migrations = jit::audit::Migrations()});
}
