// jit-host's work, over a HostCaClient (the ca service) and the local file system:
//
// Enroll redeems a join token: it reads (or generates) the host's Ed25519 key, generates an
// X.509 identity key, calls EnrollHost and writes what sshd and PostgreSQL need plus the
// state later syncs use; then a first Sync fetches trust anchors and revocation lists.
// Sync fetches GetCaPublicKeys and GetRevocationList (KRL for ssh-user, CRL for x509-user),
// replaces each file that changed atomically (atomic_file.h), asks PostgreSQL to reload when
// the CRL changed, and renews the host certificate and identity (RenewHost, over mTLS as
// spiffe://jit-access/host/<name>) once less than `renew_before` of it is left. A part that
// fails keeps the last good file and is reported; the others still run.
//
// Files (names fixed so the printed config lines stay right):
//   state dir:   identity.pem (0600: the identity certificate, then its key, replaced
//                together), internal-ca.pem, host.conf
//   sshd dir:    ssh_host_ed25519_key (0600, kept if present) + .pub,
//                ssh_host_ed25519_key-cert.pub, jit_trusted_user_ca_keys.pub,
//                jit_revoked_keys.krl
//   postgres dir: jit_user_ca.pem, jit_user_crl.pem
// Not thread-safe (one run at a time per state dir).
#ifndef JIT_TOOLS_JIT_HOST_HOST_AGENT_H_
#define JIT_TOOLS_JIT_HOST_HOST_AGENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "jit/ca/v1/ca.pb.h"

namespace jit::host {

class HostCaClient {
 public:
  virtual ~HostCaClient() = default;
  virtual absl::StatusOr<ca::v1::EnrollHostResponse> EnrollHost(
      const ca::v1::EnrollHostRequest& request) = 0;
  virtual absl::StatusOr<ca::v1::RenewHostResponse> RenewHost(
      const ca::v1::RenewHostRequest& request) = 0;
  virtual absl::StatusOr<ca::v1::GetCaPublicKeysResponse> GetCaPublicKeys() = 0;
  virtual absl::StatusOr<ca::v1::GetRevocationListResponse> GetRevocationList(
      ca::v1::CaType type) = 0;
};

// Asks PostgreSQL to re-read its configuration (pg_reload_conf, or a command).
class PostgresReloader {
 public:
  virtual ~PostgresReloader() = default;
  virtual absl::Status Reload() = 0;
};

struct HostDirs {
  std::string state_dir;
  std::string sshd_dir;      // "" = no sshd on this host
  std::string postgres_dir;  // "" = no PostgreSQL on this host
};

// Paths of the files above.
struct HostFiles {
  explicit HostFiles(const HostDirs& dirs);
  std::string identity, internal_ca, host_conf;
  std::string host_key, host_key_pub, host_cert, trusted_user_ca_keys, revoked_keys;
  std::string user_ca, user_crl;
};

// What host.conf records at enrolment (the ca address and the directories).
struct HostConfig {
  std::string ca_addr;
  HostDirs dirs;
};
absl::Status SaveHostConfig(const HostConfig& config);
// Reads <state_dir>/host.conf. FAILED_PRECONDITION "not enrolled" when it is missing.
absl::StatusOr<HostConfig> LoadHostConfig(const std::string& state_dir);

struct EnrollOptions {
  std::string token;
  std::vector<std::string> names;
  HostConfig config;
};

struct EnrollResult {
  // Lines for sshd_config / postgresql.conf, for the operator to add.
  std::vector<std::string> sshd_config;
  std::vector<std::string> postgresql_conf;
  std::string host_certificate;
};

// Errors: INVALID_ARGUMENT for bad options; the ca's answer (e.g. PERMISSION_DENIED "join
// token refused: ..."); FAILED_PRECONDITION for a file that cannot be written. Nothing is
// written before the ca accepted the token except the host key (kept for the next try).
absl::StatusOr<EnrollResult> Enroll(const EnrollOptions& options, HostCaClient& client);

struct SyncOptions {
  // Renew when less than this is left of the host certificate.
  absl::Duration renew_before = absl::Hours(24 * 10);
};

struct SyncReport {
  bool ok = true;                  // every part succeeded
  bool crl_changed = false;        // and PostgreSQL was asked to reload
  std::vector<std::string> lines;  // one line per thing done or failed, for the operator
};

// The identity file's two halves. INVALID_ARGUMENT when either is missing.
struct IdentityPems {
  std::string cert_pem;
  std::string key_pem;
};
absl::StatusOr<IdentityPems> SplitIdentity(std::string_view file);

// `reloader` may be null (no reload asked for).
SyncReport Sync(const HostConfig& config, HostCaClient& client, PostgresReloader* reloader,
                const Clock& clock, const SyncOptions& options = {});

}  // namespace jit::host

#endif  // JIT_TOOLS_JIT_HOST_HOST_AGENT_H_
