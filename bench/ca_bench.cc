// ca_bench: what one CA core issues per second, next to Go's libraries in the same run.
//
//   bazel run -c opt //bench:ca_bench            # full run (a minute or two)
//   bazel run -c opt //bench:ca_bench -- --smoke # seconds; also JIT_BENCH_SMOKE=1
//   bazel run -c opt //bench:ca_bench -- --only=x509_client_cert_p256
//
// Goals (issue 10), each against a reference measured in the same run on one core:
//   ssh_user_cert_ed25519  an OpenSSH user certificate built, signed by an Ed25519 CA and
//                          encoded as a -cert.pub line (common/ssh) at >= 1.3x the rate of
//                          Go's golang.org/x/crypto/ssh SignCert + MarshalAuthorizedKey
//   ssh_user_cert_p256     the same with an ECDSA P-256 CA, >= 1.3x
//   x509_client_cert_p256  an X.509 client certificate (CN, two O, clientAuth, SKI/AKI, the
//                          jit-access extension) from a P-256 CA as DER + PEM (common/pki) at
//                          >= 3x Go's crypto/x509 CreateCertificate + PEM
// The certificates carry the same content on both sides (bench/go_ref/ca/main.go), with a
// fresh random serial and nonce each. The Go reference is built from that file with Debian's
// golang-go and golang-golang-x-crypto-dev (GOPATH mode, offline) at the start of the run.
//
// Method: process CPU time (user + system; for Go that includes its garbage collector) per
// operation, GOMAXPROCS=1 for Go; repetitions of ours and Go's interleaved, best of each.
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crypto/ca_signer.h"
#include "common/crypto/random.h"
#include "common/pki/client_cert.h"
#include "common/pki/x509_ca.h"
#include "common/ssh/certificate.h"
#include "common/ssh/signature.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"

namespace jit::bench {
namespace {

bool g_smoke = false;

double ProcessCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

void Die(const std::string& what) {
  std::cerr << "ca_bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}

std::shared_ptr<const crypto::CaSigner> NewCa(crypto::CaKeyAlgorithm algorithm) {
  return Must(crypto::CaSigner::Create(Must(crypto::GenerateCaPrivateKey(algorithm), "key")),
              "CA signer");
}

// The Go reference binary, built once per run.
class GoReference {
 public:
  GoReference() {
    const std::string source = testing::RunfilePath("bench/go_ref/ca/main.go");
    const char* tmp = std::getenv("TEST_TMPDIR");
    char dir_template[] = "/tmp/ca_bench_go.XXXXXX";
    owns_dir_ = tmp == nullptr;
    dir_ = tmp != nullptr ? std::string(tmp) : std::string(mkdtemp(dir_template));
    const char* home = std::getenv("HOME");
    // A persistent build cache outside Bazel (by hand); a fresh one in a test's sandbox.
    const std::string cache = tmp == nullptr && home != nullptr
                                  ? absl::StrCat(home, "/.cache/jit-access/go-build")
                                  : dir_ + "/gocache";
    binary_ = dir_ + "/ca_ref";
    auto [rc, out] = testing::RunShell(
        absl::StrCat("GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE=", cache,
                     " go build -o ", binary_, " ", source));
    if (rc != 0) {
      Die(
          absl::StrCat("building the Go reference failed (apt-get install golang-go "
                       "golang-golang-x-crypto-dev):\n",
                       out));
    }
  }
  ~GoReference() {
    if (owns_dir_) testing::RunShell("rm -rf " + dir_);
  }
  // ns per operation of one repetition of `ops` operations.
  double Run(const std::string& which, int ops) const {
    auto [rc, out] =
        testing::RunShell(absl::StrCat(binary_, " -case ", which, " -ops ", ops, " -reps 1"));
    double ns = 0;
    if (rc != 0 || std::sscanf(out.c_str(), "ns_per_op %lf", &ns) != 1) {
      Die(absl::StrCat("Go reference ", which, " failed: ", out));
    }
    return ns;
  }

 private:
  bool owns_dir_ = false;
  std::string dir_;
  std::string binary_;
};

// ns per operation of `ops` calls of `op`.
double Measure(const std::function<size_t()>& op, int ops) {
  size_t sink = 0;
  const double start = ProcessCpuNanos();
  for (int i = 0; i < ops; ++i) sink += op();
  const double ns = (ProcessCpuNanos() - start) / ops;
  if (sink == 0) Die("no output");
  return ns;
}

uint64_t RandomSerial() {
  const std::string b = Must(crypto::RandomBytes(8), "serial");
  uint64_t v = 0;
  for (char c : b) v = v << 8 | static_cast<uint8_t>(c);
  return v | 1;
}

std::function<size_t()> SshCase(crypto::CaKeyAlgorithm algorithm) {
  auto ca = std::shared_ptr<ssh::CaSshSigner>(
      Must(ssh::CaSshSigner::Create(NewCa(algorithm)), "SSH signer"));
  crypto::EvpPkeyPtr user_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  auto user = std::make_shared<ssh::SshPublicKey>(
      Must(ssh::SshPublicKey::FromEvpPkey(user_key.get()), "user key"));
  return [ca, user]() -> size_t {
    const uint64_t now = ssh::ToCertTime(absl::Now());
    ssh::SshCertificateSpec spec{
        .key = *user,
        .serial = RandomSerial(),
        .key_id = "alice/req-7,req-9/18000000000000000123",
        .principals = {"alice", "deploy"},
        .valid_after = now - 60,
        .valid_before = now + 3600,
        .critical_options = {ssh::StringOption("source-address", "10.0.0.0/8")},
        .extensions = {ssh::FlagOption("permit-pty"), ssh::FlagOption("permit-port-forwarding"),
                       ssh::FlagOption("permit-agent-forwarding"),
                       ssh::StringOption("jit-roles@jit-access", "dev,ops"),
                       ssh::StringOption("jit-requests@jit-access", "req-7,req-9")},
    };
    const std::string wire = Must(ssh::SignSshCertificate(spec, *ca), "sign");
    return Must(ssh::SshCertificateLine(wire), "line").size();
  };
}

std::function<size_t()> X509Case() {
  auto signer = NewCa(crypto::CaKeyAlgorithm::kEcdsaP256);
  auto ca = std::make_shared<pki::CertificateAuthority>(Must(
      pki::CreateCertificateAuthorityForKey(
          signer->key(), {.common_name = "jit-access x509-user CA"}, absl::Now() - absl::Hours(1)),
      "CA certificate"));
  auto client =
      std::shared_ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  return [signer, ca, client]() -> size_t {
    const absl::Time now = absl::Now();
    const pki::IssuedClientCertificate issued =
        Must(pki::IssueClientCertificate(*ca, {.public_key = client.get(),
                                               .common_name = "alice",
                                               .organizations = {"system:masters", "dev"},
                                               .not_before = now - absl::Minutes(1),
                                               .not_after = now + absl::Hours(1),
                                               .roles = {"kube-admin"},
                                               .grant_ids = {"req-9"}}),
             "issue");
    return issued.der.size() + issued.pem.size();
  };
}

struct Case {
  std::string goal;
  std::string go_case;
  double target;
  std::function<size_t()> ours;
};

int Main(int argc, char** argv) {
  std::string only;  // --only=<goal>: one case (profiling by hand)
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) g_smoke = true;
    if (std::strncmp(argv[i], "--only=", 7) == 0) only = argv[i] + 7;
  }
  if (const char* env = std::getenv("JIT_BENCH_SMOKE"); env != nullptr && env[0] == '1') {
    g_smoke = true;
  }
  const int ops = g_smoke ? 200 : 3000;
  const int reps = g_smoke ? 1 : 7;
  std::cout << "ca_bench: building the Go reference...\n" << std::flush;
  const GoReference go;
  std::vector<Case> cases = {
      {"ssh_user_cert_ed25519", "ssh-ed25519", 1.3, SshCase(crypto::CaKeyAlgorithm::kEd25519)},
      {"ssh_user_cert_p256", "ssh-p256", 1.3, SshCase(crypto::CaKeyAlgorithm::kEcdsaP256)},
      {"x509_client_cert_p256", "x509-p256", 3.0, X509Case()},
  };
  std::vector<std::string> goals;
  for (Case& c : cases) {
    if (!only.empty() && c.goal != only) continue;
    Measure(c.ours, ops / 10 + 1);  // warm-up
    double best_ours = 1e300, best_go = 1e300;
    for (int r = 0; r < reps; ++r) {
      best_ours = std::min(best_ours, Measure(c.ours, ops));
      best_go = std::min(best_go, go.Run(c.go_case, ops));
    }
    const double ratio = best_go / best_ours;
    std::cout << absl::StrFormat(
        "%-24s ours %8.1f us/op (%7.0f/s)   Go %8.1f us/op (%7.0f/s)   %.2fx\n", c.goal,
        best_ours / 1000, 1e9 / best_ours, best_go / 1000, 1e9 / best_go, ratio);
    std::cout << absl::StrFormat("REF go_%s measured=%.1fus\n", c.goal, best_go / 1000);
    goals.push_back(absl::StrFormat("GOAL %s measured=%.2fx target=%.1fx %s", c.goal, ratio,
                                    c.target, ratio >= c.target ? "PASS" : "MISS"));
  }
  for (const std::string& g : goals) std::cout << g << "\n";
  return 0;
}

}  // namespace
}  // namespace jit::bench

int main(int argc, char** argv) { return jit::bench::Main(argc, argv); }
