#include "bench/grpc_bench_kit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/auth/jwks_cache.h"
#include "common/auth/revocation.h"
#include "common/status_macros.h"
#include "common/testing/test_pki_files.h"

namespace jit::bench {

absl::StatusOr<std::unique_ptr<BenchGate>> BenchGate::Create(
    const std::string& service, std::vector<std::pair<std::string, auth::MethodRule>> rules,
    const Clock* clock) {
  std::unique_ptr<BenchGate> gate(new BenchGate());
  gate->clock_ = clock;
  ASSIGN_OR_RETURN(gate->tls_, server::LoadTlsMaterial(jit::testing::TestTlsFiles(service)));
  ASSIGN_OR_RETURN(gate->session_key_,
                   auth::testing::MakeTestSessionKey("k1", "jit-access", "jit-access"));
  ASSIGN_OR_RETURN(auth::MethodAuthorizationTable table,
                   auth::MethodAuthorizationTable::Create(std::move(rules)));
  gate->table_ = std::make_unique<auth::MethodAuthorizationTable>(std::move(table));
  ASSIGN_OR_RETURN(
      gate->service_auth_,
      auth::ServiceAuth::Create({.token_issuer = "jit-access",
                                 .token_audience = "jit-access",
                                 .ca_bundle_pem = gate->tls_.ca_pem,
                                 .table = gate->table_.get()},
                                {.jwks = std::make_unique<auth::StaticJwksSource>(
                                     std::vector<jwt::JsonWebKey>{gate->session_key_.jwk}),
                                 .revocations = std::make_unique<NoRevocations>()},
                                clock));
  // As every service does: the revocation list is loaded, then kept fresh.
  RETURN_IF_ERROR(gate->service_auth_->StartBackgroundRefresh());
  return gate;
}

absl::StatusOr<std::string> BenchGate::Bearer(const jit::common::v1::Identity& user) const {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::string token,
                   session_key_.issuer->Issue(user, now - absl::Minutes(1), now + absl::Hours(1)));
  return absl::StrCat("Bearer ", token);
}

double ProcessCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * values.size()));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

bool SmokeMode(int argc, char** argv) {
  const char* env = std::getenv("JIT_BENCH_SMOKE");
  if (env != nullptr && std::strcmp(env, "0") != 0) return true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) return true;
  }
  return false;
}

}  // namespace jit::bench
