// A real OpenSSH sshd for tests that prove certificates with the program users run: its own
// configuration on a free 127.0.0.1 port, trusting the user CAs the test names
// (TrustedUserCAKeys), mapping login users to accepted principals (AuthorizedPrincipalsFile),
// optionally presenting a host certificate (HostCertificate) and checking a KRL
// (RevokedKeys); started and stopped by PID; its log (LogLevel DEBUG2, where sshd writes the
// reason of every refusal) readable by the test. RunSsh runs the real ssh client against it.
//
//   ASSERT_OK_AND_ASSIGN(auto sshd, SshdServer::Create());
//   // sign a host certificate for sshd->host_key() if wanted, then
//   ASSERT_OK(sshd->Start({.trusted_user_ca_keys = {ca_line},
//                          .authorized_principals = {{"root", {"alice"}}}}));
//   const size_t mark = sshd->LogSize();
//   ASSERT_OK_AND_ASSIGN(SshResult r, sshd->RunSsh({.private_key = key, .certificate = cert,
//                                                   .user = "root"}));
//   EXPECT_THAT(sshd->LogSince(mark), HasSubstr("Certificate invalid: expired"));
//
// Facts it relies on (/work/shared/PEERS.md): sshd runs by absolute path as root (it needs
// root for privilege separation, and /run/sshd); StrictModes refuses principal files below
// a world-writable directory such as /tmp, so the fixture's files live in a 0755 directory
// under /run, removed on destruction; the login user's account must not be locked ("!"
// password; `usermod -p '*'`); the default login user is root (PermitRootLogin
// prohibit-password allows certificates). RevokedKeys, TrustedUserCAKeys and the principals
// files are re-read on every login, so SetRevokedKeys / SetTrustedUserCaKeys /
// SetAuthorizedPrincipals take effect without a restart;
// a missing or unreadable KRL refuses every key.
//
// Errors: FAILED_PRECONDITION when not running as root or sshd is missing; INTERNAL with
// sshd's log when it does not start or stop cleanly. Destroying a running server kills it
// (SIGKILL) and reaps it. Thread-safety: one test thread owns it.
#ifndef JIT_TESTS_INTEGRATION_TESTKIT_SSHD_SERVER_H_
#define JIT_TESTS_INTEGRATION_TESTKIT_SSHD_SERVER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"
#include "common/ssh/public_key.h"
#include "common/testing/subprocess.h"

namespace jit::testkit {

inline constexpr char kSshdBinary[] = "/usr/sbin/sshd";
inline constexpr char kSshBinary[] = "/usr/bin/ssh";

struct SshdOptions {
  // OpenSSH public key lines of CAs trusted for user certificates (TrustedUserCAKeys).
  std::vector<std::string> trusted_user_ca_keys;
  // Login user -> principals accepted for that user (AuthorizedPrincipalsFile <dir>/%u).
  std::map<std::string, std::vector<std::string>> authorized_principals;
  // An OpenSSH certificate line for host_key() (HostCertificate); "" = none.
  std::string host_certificate;
  // A binary KRL (RevokedKeys); nullopt = no RevokedKeys line at all.
  std::optional<std::string> revoked_keys;
  // More sshd_config lines, appended last.
  std::vector<std::string> extra_config;
};

struct SshClientOptions {
  // An OpenSSH private key file (ssh::EncodeOpenSshEd25519PrivateKey) and the certificate
  // line to present with it.
  SecretString private_key;
  std::string certificate;
  std::string user = "root";
  std::string command = "echo jit-ok";
  // known_hosts content; "" = do not check the host key (StrictHostKeyChecking=no).
  // With content, StrictHostKeyChecking=yes: e.g. KnownHostsCaLine(port, host_ca_line).
  std::string known_hosts;
};

struct SshResult {
  int exit_code = -1;
  // ssh's stdout and stderr.
  std::string output;
};

class SshdServer {
 public:
  // Makes the directory and a fresh Ed25519 host key; does not start sshd.
  static absl::StatusOr<std::unique_ptr<SshdServer>> Create();

  SshdServer(const SshdServer&) = delete;
  SshdServer& operator=(const SshdServer&) = delete;
  ~SshdServer();

  // The host's public key (sign a host certificate for it before Start).
  const ssh::SshPublicKey& host_key() const { return host_key_; }

  // Writes sshd_config and the files it names, starts sshd on a free port and waits until
  // it listens. INVALID_ARGUMENT without a trusted CA; INTERNAL with the log if it fails.
  absl::Status Start(const SshdOptions& options, absl::Duration patience = absl::Seconds(30));
  // SIGTERM by PID, then waits; INTERNAL with the log unless it ends.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(30));

  // Replace the files sshd re-reads at every login.
  absl::Status SetRevokedKeys(const std::string& krl);
  absl::Status SetAuthorizedPrincipals(const std::string& user,
                                       const std::vector<std::string>& principals);
  // TrustedUserCAKeys (re-read by sshd at every certificate login), as jit-host sync
  // rewrites it: written beside and renamed.
  absl::Status SetTrustedUserCaKeys(const std::vector<std::string>& lines);

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // sshd's log so far, its size, and what it wrote after a LogSize() mark.
  std::string Log() const;
  size_t LogSize() const { return Log().size(); }
  std::string LogSince(size_t mark) const;

  // Runs the real ssh client (no user configuration, no agent, only the given identity)
  // against this server. The result carries ssh's exit code: 0 when the command ran, 255
  // when authentication or the host key check failed.
  absl::StatusOr<SshResult> RunSsh(const SshClientOptions& client);

 private:
  SshdServer(std::string dir, ssh::SshPublicKey host_key)
      : dir_(std::move(dir)), host_key_(std::move(host_key)) {}

  std::string dir_;
  ssh::SshPublicKey host_key_;
  int port_ = 0;
  int clients_ = 0;
  std::unique_ptr<jit::testing::Subprocess> process_;
};

// "@cert-authority [127.0.0.1]:<port> <host CA line>": trust host certificates of that CA
// for this server (the certificate's principal is matched against 127.0.0.1).
std::string KnownHostsCaLine(int port, const std::string& host_ca_line);

}  // namespace jit::testkit

#endif  // JIT_TESTS_INTEGRATION_TESTKIT_SSHD_SERVER_H_
