// jit-requests: The access-request lifecycle: requests, reviews, grants and break-glass (issue 9).
//
// requests_app.h: its flags, their checks and the objects it builds.
#include "common/server/service_main.h"
#include "services/requests/migrations.h"
#include "services/requests/requests_app.h"

int main(int argc, char** argv) {
  return jit::server::RunServiceApp<jit::requests::RequestsApp>(
      argc, argv,
      {.name = "requests",
       .ports = jit::server::kRequestsPorts,
       .migrations = jit::requests::Migrations()});
}
