// revocation_bench, first part: building an OpenSSH KRL for 100,000 revoked certificate
// serials (common/ssh BuildKrl) next to `ssh-keygen -k` building one from the same serials
// in the same run.
//
//   bazel run -c opt //bench:revocation_bench            # full run
//   bazel run -c opt //bench:revocation_bench -- --smoke # 10,000 serials; also JIT_BENCH_SMOKE=1
//
// Goals (issue 11), for two sets of serials: "random" (uniform 64-bit serials, what the CA
// issues) and "runs" (consecutive serials in runs of 50-500 with gaps of 1,000-100,000):
//   krl_size_<set>      our KRL is no larger than ssh-keygen's (measured = ours / theirs)
//   krl_build_<set>     we build it >= 10x faster (measured = their CPU time / ours)
// Times are CPU time (user + system): ours in this process, ssh-keygen's as its child's
// rusage, best of the repetitions. ssh-keygen reads the serials from a spec file
// ("serial: N" per line), which is its interface; writing that file is not timed. Both KRLs
// are then checked with `ssh-keygen -Q` against a certificate with a revoked serial (a KRL
// ssh-keygen cannot read back would refuse every key on a real sshd).
//
// Second part, with a PostgreSQL (--pg_url=URL or JIT_TEST_PG_URL; skipped without one and
// in smoke mode): what a host's fetch costs, GetRevocationList(ssh-user) through the ca's
// CertRevoker and PostgresRevocationStore for 100,000 revoked, unexpired certificates in a
// fresh database (wall time, best of the repetitions): the first call after a change
// (reads the set, bumps the list number under its row lock, builds the KRL) and an
// unchanged list (reads without locks, builds the KRL). No goal in the issue; a REF line.
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/crypto/ca_signer.h"
#include "common/db/migrations.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"
#include "common/ssh/certificate.h"
#include "common/ssh/krl.h"
#include "common/ssh/signature.h"
#include "common/testing/subprocess.h"
#include "pqxx/pqxx"
#include "services/ca/ca_keyring.h"
#include "services/ca/cert_revoker.h"
#include "services/ca/migrations.h"
#include "services/ca/postgres_revocation_store.h"
#include "services/ca/testing/in_memory_ca_key_store.h"

namespace jit::bench {
namespace {

double ProcessCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double ChildrenCpuNanos() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto ns = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1e9 + static_cast<double>(tv.tv_usec) * 1e3;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

void Die(const std::string& what) {
  std::cerr << "revocation_bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) Die("cannot write " + path);
}

std::vector<uint64_t> RandomSerials(size_t n, std::mt19937_64& rng) {
  std::vector<uint64_t> out;
  out.reserve(n);
  while (out.size() < n) out.push_back(rng() | 1);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

std::vector<uint64_t> SerialsInRuns(size_t n, std::mt19937_64& rng) {
  std::vector<uint64_t> out;
  out.reserve(n);
  uint64_t next = 1'000'000;
  while (out.size() < n) {
    const uint64_t run = 50 + rng() % 451;
    for (uint64_t i = 0; i < run && out.size() < n; ++i) out.push_back(next++);
    next += 1'000 + rng() % 99'001;
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

struct Result {
  double ours_ns = 1e300;
  double theirs_ns = 1e300;
  size_t ours_size = 0;
  size_t theirs_size = 0;
  bool ours_valid = false;
  bool theirs_valid = false;
};

// Whether `ssh-keygen -Q` reads `krl` and says the certificate is revoked.
bool SshKeygenSaysRevoked(const std::string& krl, const std::string& cert) {
  auto [rc, out] = testing::RunShell(absl::StrCat("ssh-keygen -Q -f ", krl, " ", cert));
  return rc == 1 && out.find(": REVOKED") != std::string::npos;
}

// GetRevocationList(ssh-user) from PostgreSQL with `n` revoked certificates.
void ServicePath(size_t n, int reps) {
  absl::StatusOr<std::unique_ptr<db::testing::TestDatabase>> database =
      db::testing::TestDatabase::Create();
  if (!database.ok()) Die("database: " + database.status().ToString());
  auto pool = Must(db::PgPool::Create((*database)->PoolOptions(2)), "pool");
  if (absl::Status s = db::ApplyMigrations(*pool, "ca", ca::Migrations()); !s.ok()) {
    Die("migrations: " + s.ToString());
  }
  RealClock clock;
  ca::testing::InMemoryCaKeyStore keys;
  auto keyring = Must(ca::CaKeyring::Open(keys, clock), "keyring");
  const ca::CaKeyring::Key& key = keyring->Active(ca::CaKind::kSshUser);
  {
    pqxx::connection c((*database)->conninfo());
    pqxx::work w(c);
    w.exec_params(
        "INSERT INTO ca.ca_keys (key_id, kind, algorithm, state, public_key, sealed_private_key, "
        "create_time, state_time) VALUES ($1, 'ssh-user', 'ed25519', 'active', $2, '\\x00', "
        "now(), now())",
        key.key_id, key.public_key);
    // Random 63-bit serials (md5 of the row number), valid for a day, all revoked.
    w.exec_params(
        "INSERT INTO ca.issued_certs (kind, serial, ca_key_id, key_id, principals, user_name, "
        "grant_ids, public_key_fingerprint, valid_after, valid_before, issue_time, certificate, "
        "revoke_time, revoke_reason) SELECT 'ssh-user', "
        "((('x' || substr(md5(g::text), 1, 16))::bit(64)::bigint & 9223372036854775807) | 1)"
        "::text, $1, 'u/' || g, '{root}', 'u', '{}', 'SHA256:x', now() - interval '1 minute', "
        "now() + interval '1 day', now(), 'c', now(), 'bench' FROM generate_series(1, $2) g "
        "ON CONFLICT DO NOTHING",
        key.key_id, static_cast<int64_t>(n));
    w.exec("ANALYZE ca.issued_certs");
    w.commit();
  }
  ca::PostgresRevocationStore store(pool.get());
  ca::CertRevoker revoker(keyring.get(), &store, nullptr, nullptr, &clock);
  ca::v1::GetRevocationListRequest request;
  request.set_type(ca::v1::CA_TYPE_SSH_USER);
  double first_ms = 1e300, unchanged_ms = 1e300;
  size_t size = 0;
  for (int rep = 0; rep < reps; ++rep) {
    // A change: one more revoked certificate, so the next fetch publishes a new list.
    {
      pqxx::connection c((*database)->conninfo());
      pqxx::work w(c);
      w.exec_params(
          "INSERT INTO ca.issued_certs (kind, serial, ca_key_id, key_id, principals, user_name, "
          "grant_ids, public_key_fingerprint, valid_after, valid_before, issue_time, "
          "certificate, revoke_time, revoke_reason) VALUES ('ssh-user', $1, $2, 'x', '{root}', "
          "'u', '{}', 'SHA256:x', now() - interval '1 minute', now() + interval '1 day', now(), "
          "'c', now(), 'bench')",
          std::to_string(1000 + rep), key.key_id);
      w.commit();
    }
    absl::Time start = absl::Now();
    auto first = Must(revoker.GetRevocationList(request), "GetRevocationList (changed)");
    first_ms = std::min(first_ms, absl::ToDoubleMilliseconds(absl::Now() - start));
    start = absl::Now();
    auto again = Must(revoker.GetRevocationList(request), "GetRevocationList (unchanged)");
    unchanged_ms = std::min(unchanged_ms, absl::ToDoubleMilliseconds(absl::Now() - start));
    size = again.revocation_list().size();
    auto krl = Must(ssh::Krl::Parse(again.revocation_list()), "KRL");
    if (!krl.IsSerialRevoked(key.ssh->public_key().wire(), 1000 + rep)) Die("serial missing");
  }
  std::cout << absl::StrFormat(
      "service %zu revoked: KRL %zu bytes; GetRevocationList changed %.1f ms, unchanged %.1f ms "
      "(wall, PostgreSQL included)\n",
      n, size, first_ms, unchanged_ms);
  std::cout << absl::StrFormat("REF service_krl_changed measured=%.1fms\n", first_ms);
  std::cout << absl::StrFormat("REF service_krl_unchanged measured=%.1fms\n", unchanged_ms);
}

int Main(int argc, char** argv) {
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) smoke = true;
    if (std::strncmp(argv[i], "--pg_url=", 9) == 0) setenv("JIT_TEST_PG_URL", argv[i] + 9, 1);
  }
  if (const char* env = std::getenv("JIT_BENCH_SMOKE"); env != nullptr && env[0] == '1') {
    smoke = true;
  }
  const size_t n = smoke ? 10'000 : 100'000;
  const int reps = smoke ? 1 : 5;
  const char* tmp = std::getenv("TEST_TMPDIR");
  char dir_template[] = "/tmp/revocation_bench.XXXXXX";
  const std::string dir = tmp != nullptr ? std::string(tmp) : std::string(mkdtemp(dir_template));

  auto ca = Must(ssh::CaSshSigner::Create(Must(
                     crypto::CaSigner::Create(Must(
                         crypto::GenerateCaPrivateKey(crypto::CaKeyAlgorithm::kEd25519), "key")),
                     "signer")),
                 "SSH signer");
  WriteFile(dir + "/ca.pub", ca->public_key().ToLine("bench CA") + "\n");
  crypto::EvpPkeyPtr user_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  const ssh::SshPublicKey user = Must(ssh::SshPublicKey::FromEvpPkey(user_key.get()), "user");

  std::mt19937_64 rng(20261204);
  struct Set {
    std::string name;
    std::vector<uint64_t> serials;
  };
  std::vector<Set> sets = {{"random", RandomSerials(n, rng)}, {"runs", SerialsInRuns(n, rng)}};
  std::vector<std::string> goals;
  std::cout << absl::StrFormat("revocation_bench: %zu serials per set, best of %d\n", n, reps);
  for (const Set& set : sets) {
    Result r;
    std::string spec_text;
    spec_text.reserve(set.serials.size() * 28);
    for (uint64_t s : set.serials) absl::StrAppend(&spec_text, "serial: ", s, "\n");
    const std::string spec_path = absl::StrCat(dir, "/spec-", set.name);
    WriteFile(spec_path, spec_text);
    const std::string theirs = absl::StrCat(dir, "/krl-", set.name, "-ssh-keygen");
    const std::string ours_path = absl::StrCat(dir, "/krl-", set.name, "-ours");
    std::string ours;
    for (int rep = 0; rep < reps; ++rep) {
      ssh::KrlSpec spec{.version = 1, .generated = absl::Now(), .comment = ""};
      const double start = ProcessCpuNanos();
      spec.certificates.push_back({.ca_key_wire = ca->public_key().wire(), .serials = set.serials});
      ours = Must(ssh::BuildKrl(spec), "BuildKrl");
      r.ours_ns = std::min(r.ours_ns, ProcessCpuNanos() - start);

      const double child_start = ChildrenCpuNanos();
      auto [rc, out] = testing::RunShell(
          absl::StrCat("ssh-keygen -q -k -f ", theirs, " -s ", dir, "/ca.pub ", spec_path));
      if (rc != 0) Die("ssh-keygen -k failed: " + out);
      r.theirs_ns = std::min(r.theirs_ns, ChildrenCpuNanos() - child_start);
    }
    WriteFile(ours_path, ours);
    r.ours_size = ours.size();
    r.theirs_size = testing::ReadFileOrEmpty(theirs).size();
    // A certificate with a revoked serial: both KRLs must say so.
    ssh::SshCertificateSpec cert{.key = user,
                                 .serial = set.serials[set.serials.size() / 2],
                                 .key_id = "bench",
                                 .principals = {"root"},
                                 .valid_after = 0,
                                 .valid_before = ssh::kValidForever};
    WriteFile(
        dir + "/cert.pub",
        Must(ssh::SshCertificateLine(Must(ssh::SignSshCertificate(cert, *ca), "cert")), "line") +
            "\n");
    r.ours_valid = SshKeygenSaysRevoked(ours_path, dir + "/cert.pub");
    r.theirs_valid = SshKeygenSaysRevoked(theirs, dir + "/cert.pub");
    if (!r.ours_valid) Die("ssh-keygen -Q does not accept our KRL for set " + set.name);

    const double size_ratio = static_cast<double>(r.ours_size) / r.theirs_size;
    const double speedup = r.theirs_ns / r.ours_ns;
    std::cout << absl::StrFormat(
        "%-7s ours %8zu bytes %8.2f ms   ssh-keygen %8zu bytes %8.2f ms%s   size %.3fx  "
        "speed %.1fx\n",
        set.name, r.ours_size, r.ours_ns / 1e6, r.theirs_size, r.theirs_ns / 1e6,
        r.theirs_valid ? "" : " (ssh-keygen -Q cannot read it back)", size_ratio, speedup);
    std::cout << absl::StrFormat("REF sshkeygen_krl_%s measured=%.2fms\n", set.name,
                                 r.theirs_ns / 1e6);
    goals.push_back(absl::StrFormat("GOAL krl_size_%s measured=%.3fx target=1x %s", set.name,
                                    size_ratio, size_ratio <= 1.0 ? "PASS" : "MISS"));
    goals.push_back(absl::StrFormat("GOAL krl_build_%s measured=%.1fx target=10x %s", set.name,
                                    speedup, speedup >= 10.0 ? "PASS" : "MISS"));
  }
  for (const std::string& g : goals) std::cout << g << "\n";
  if (tmp == nullptr) testing::RunShell("rm -rf " + dir);
  if (!smoke && std::getenv("JIT_TEST_PG_URL") != nullptr) ServicePath(n, reps);
  return 0;
}

}  // namespace
}  // namespace jit::bench

int main(int argc, char** argv) { return jit::bench::Main(argc, argv); }
