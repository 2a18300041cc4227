// A real PostgreSQL 15 that authenticates clients by X.509 certificate, for tests that prove
// client certificates and CRLs with the server users run: its own cluster (initdb) on a free
// 127.0.0.1 port with ssl=on, a server certificate for 127.0.0.1 from a throwaway server CA,
// ssl_ca_file = the client CA bundle the test gives, optionally ssl_crl_file, and pg_hba
// `hostssl all all 127.0.0.1/32 cert` as the only TCP line; started and stopped by PID. RunPsql
// runs the real psql with a client certificate (sslmode=verify-full).
//
//   ASSERT_OK_AND_ASSIGN(auto pg, PostgresTlsServer::Start({.client_ca_pem = ca_pem,
//                                                           .roles = {"app_reader"}}));
//   ASSERT_OK_AND_ASSIGN(PsqlResult r, pg->RunPsql("app_reader", cert_pem, key_pem));
//   EXPECT_EQ(r.output, "app_reader\n");
//
// Facts it relies on (/work/shared/PEERS.md): PostgreSQL refuses to run as root, so the
// cluster runs as `postgres` (setpriv, so the PID is postgres's own) in a directory under
// /tmp that user can reach, removed on destruction; key files are 0600 and owned by whoever
// reads them; the CN must equal the role; a CRL file changed on disk is read only after
// pg_reload_conf() (SetCrl does that and waits for the reload); a CRL whose nextUpdate has
// passed or whose thisUpdate is in the future refuses every client. The superuser reaches
// the cluster only through its private unix socket (trust), never over TCP.
//
// Errors: FAILED_PRECONDITION when not root or PostgreSQL 15 is missing; INVALID_ARGUMENT
// without a client CA; INTERNAL with the server log when it does not start, reload or stop.
// Destroying a running server kills it (SIGKILL) and reaps it. Thread-safety: one test
// thread owns it.
#ifndef JIT_TESTS_INTEGRATION_TESTKIT_POSTGRES_TLS_SERVER_H_
#define JIT_TESTS_INTEGRATION_TESTKIT_POSTGRES_TLS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"
#include "common/testing/subprocess.h"

namespace jit::testkit {

inline constexpr char kPostgresBinDir[] = "/usr/lib/postgresql/15/bin";

struct PostgresTlsOptions {
  // PEM bundle of the CAs whose client certificates are trusted (ssl_ca_file).
  std::string client_ca_pem;
  // PEM CRL(s) (ssl_crl_file); "" = no CRL checking.
  std::string crl_pem;
  // Roles created with LOGIN; a client logs in as one with a certificate whose CN is its name.
  std::vector<std::string> roles;
};

struct PsqlResult {
  int exit_code = -1;
  // psql's stdout and stderr (-At: the bare value of a one-column query).
  std::string output;
};

class PostgresTlsServer {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresTlsServer>> Start(
      const PostgresTlsOptions& options, absl::Duration patience = absl::Seconds(60));

  PostgresTlsServer(const PostgresTlsServer&) = delete;
  PostgresTlsServer& operator=(const PostgresTlsServer&) = delete;
  ~PostgresTlsServer();

  // Fast shutdown (SIGINT) by PID, then waits.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(30));

  // Replaces ssl_crl_file and reloads the configuration; returns when the server has
  // reloaded. INTERNAL if PostgreSQL kept its old SSL configuration (a bad CRL) or the
  // server was started without a CRL (ssl_crl_file can only be set at start here).
  absl::Status SetCrl(const std::string& crl_pem);

  // psql over TLS to 127.0.0.1 as `user`, presenting `cert_pem` (and its chain, if any)
  // with `key_pem`, verifying the server (sslmode=verify-full); runs `sql`.
  absl::StatusOr<PsqlResult> RunPsql(const std::string& user, const std::string& cert_pem,
                                     const SecretString& key_pem,
                                     const std::string& sql = "SELECT current_user");

  // A statement as the superuser through the unix socket (setting up roles, tables).
  absl::StatusOr<PsqlResult> RunAsSuperuser(const std::string& sql);

  int port() const { return port_; }
  // The CA of the server's certificate (clients verify the server with it).
  const std::string& server_ca_pem() const { return server_ca_pem_; }
  std::string Log() const;
  size_t LogSize() const { return Log().size(); }
  std::string LogSince(size_t mark) const;

 private:
  PostgresTlsServer(std::string dir, int port, std::string server_ca_pem, bool has_crl)
      : dir_(std::move(dir)),
        port_(port),
        server_ca_pem_(std::move(server_ca_pem)),
        has_crl_(has_crl) {}

  std::string dir_;
  int port_;
  std::string server_ca_pem_;
  bool has_crl_;
  int clients_ = 0;
  std::unique_ptr<jit::testing::Subprocess> process_;
};

}  // namespace jit::testkit

#endif  // JIT_TESTS_INTEGRATION_TESTKIT_POSTGRES_TLS_SERVER_H_
