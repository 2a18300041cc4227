// Using access with the jit CLI: certificates for keys made on this machine, and the system
// programs (ssh, psql, kubectl) pointed at them. Files under <jit_dir> (0700), private keys
// 0600, written atomically (session_file.h):
//   ssh/id_ed25519, ssh/id_ed25519-cert.pub   the SSH key and its certificate (ssh -i)
//   ssh/known_hosts                           "@cert-authority * <host CA>" from GetCaPublicKeys
//   tls/client.key                            the X.509 key (ECDSA P-256, PKCS#8)
//   tls/ca.pem                                the X.509 user CA bundle
//   tls/kube.crt, tls/db-<user>.crt           client certificates
//   grants                                    the request ids the certificates were made for
// Certs makes fresh keys on every run (the private keys never leave the machine) and asks the
// CA for what the session and the active grants allow. SshCommand and DbCommand return the
// argv to exec; SshCommand makes no call at all (cached certificate), and a certificate that
// is missing, expired or lacks the login is an error saying what to run. DbCommand signs a
// database certificate first (cached while valid), so a db user the roles do not allow is
// refused by the CA before any connection is made.
#ifndef JIT_TOOLS_JIT_ACCESS_H_
#define JIT_TOOLS_JIT_ACCESS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/auth/client/user_auth_client.h"
#include "services/ca/client/user_ca_client.h"
#include "services/requests/client/user_requests_client.h"
#include "tools/jit/commands.h"

namespace jit::cli {

struct AccessFiles {
  explicit AccessFiles(const std::string& jit_dir);
  std::string ssh_dir, ssh_key, ssh_cert, known_hosts;
  std::string tls_dir, tls_key, x509_ca, kube_cert;
  std::string grants;
  std::string DbCert(const std::string& db_user) const;
};

// `request_ids`: request ids (or unique prefixes) of the caller's active grants to use;
// empty = every active grant.
absl::Status Certs(auth::UserAuthClient& auth, requests::UserRequestsClient& requests,
                   ca::UserCaClient& ca, const std::string& jit_dir,
                   const std::vector<std::string>& request_ids, const Output& o);

struct SshInput {
  std::string destination;  // [login@]host
  int port = 0;             // 0 = ssh's default
  std::vector<std::string> command;
  std::string ssh_binary = "ssh";
};
absl::StatusOr<std::vector<std::string>> SshCommand(const std::string& jit_dir, const SshInput& in,
                                                    absl::Time now);

struct DbInput {
  std::string name;     // the database's name in the config (db.<name>.*)
  std::string db_user;  // required
  std::string db_name;  // default: name
  std::string addr;     // host:port
  std::string server_ca_file;
  std::vector<std::string> psql_args;
  std::string psql_binary = "psql";
};
// `note` gets one line when a certificate was signed.
absl::StatusOr<std::vector<std::string>> DbCommand(ca::UserCaClient& ca, const std::string& jit_dir,
                                                   const DbInput& in, absl::Time now,
                                                   std::ostream* note);

struct KubeInput {
  std::string cluster;
  std::string server;   // https://host:port
  std::string ca_file;  // the API server's CA
};
// Signs a Kubernetes client certificate and writes <jit_dir>/kube/<cluster>.kubeconfig
// (cluster, user with the certificate and key, context); prints how to use it.
absl::Status KubeLogin(ca::UserCaClient& ca, const std::string& jit_dir, const KubeInput& in,
                       const Output& o);

}  // namespace jit::cli

#endif  // JIT_TOOLS_JIT_ACCESS_H_
