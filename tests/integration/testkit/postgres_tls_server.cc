#include "tests/integration/testkit/postgres_tls_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/pki/x509_ca.h"
#include "tests/integration/testkit/test_files.h"

namespace jit::testkit {
namespace {

constexpr char kReloadLine[] = "received SIGHUP, reloading configuration files";

bool Listening(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string ShellQuote(const std::string& s) {
  return "'" + absl::StrReplaceAll(s, {{"'", "'\\''"}}) + "'";
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

struct PostgresUser {
  uid_t uid;
  gid_t gid;
};

absl::Status WriteOwned(const std::string& path, const std::string& content, mode_t mode,
                        const PostgresUser& owner) {
  if (absl::Status s = WriteTestFile(path, content, mode); !s.ok()) return s;
  if (::chown(path.c_str(), owner.uid, owner.gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

std::string AsPostgres(const std::string& command) {
  return absl::StrCat("setpriv --reuid=postgres --regid=postgres --init-groups ", command);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresTlsServer>> PostgresTlsServer::Start(
    const PostgresTlsOptions& options, absl::Duration patience) {
  if (geteuid() != 0) {
    return absl::FailedPreconditionError(
        "a test PostgreSQL is run as the postgres user, which needs root; run the tests as root");
  }
  const std::string bin = kPostgresBinDir;
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr || access((bin + "/postgres").c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        "PostgreSQL 15 missing (apt-get install postgresql-15 postgresql-client-15)");
  }
  if (options.client_ca_pem.empty()) {
    return absl::InvalidArgumentError("a TLS test PostgreSQL needs a client CA (ssl_ca_file)");
  }
  const PostgresUser owner{pw->pw_uid, pw->pw_gid};
  char tmpl[] = "/tmp/jit-testkit-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  const std::string dir = tmpl;
  if (::chown(dir.c_str(), owner.uid, owner.gid) != 0 || ::chmod(dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("preparing ", dir, ": ", strerror(errno)));
  }
  const int port = jit::testing::PickUnusedPort();
  // From here the destructor removes the directory.
  auto server = std::unique_ptr<PostgresTlsServer>(
      new PostgresTlsServer(dir, port, "", !options.crl_pem.empty()));

  auto [rc, out] = jit::testing::RunShell(
      AsPostgres(absl::StrCat(bin, "/initdb -D ", dir, "/data -U postgres --auth=trust ",
                              "--no-locale -E UTF8 --no-sync")));
  if (rc != 0) return absl::InternalError("initdb failed:\n" + out);

  // TLS: a throwaway server CA and a certificate for 127.0.0.1.
  absl::StatusOr<pki::CertificateAuthority> server_ca = pki::CreateCertificateAuthority(
      {.common_name = "jit-testkit PostgreSQL server CA"}, absl::Now());
  if (!server_ca.ok()) return server_ca.status();
  absl::StatusOr<pki::IssuedCertificate> server_cert =
      pki::IssueCertificate(*server_ca,
                            {.common_name = "127.0.0.1",
                             .dns_sans = {"localhost"},
                             .ip_sans = {"127.0.0.1"},
                             .server_auth = true,
                             .client_auth = false},
                            absl::Now());
  if (!server_cert.ok()) return server_cert.status();
  absl::StatusOr<std::string> server_ca_pem = pki::CertificateToPem(server_ca->cert.get());
  if (!server_ca_pem.ok()) return server_ca_pem.status();
  server->server_ca_pem_ = *server_ca_pem;
  for (const auto& [name, content, mode] :
       std::initializer_list<std::tuple<const char*, std::string, mode_t>>{
           {"server.crt", server_cert->cert_pem, 0644},
           {"server.key", std::string(server_cert->key_pem.Reveal()), 0600},
           {"client_ca.pem", options.client_ca_pem, 0644},
       }) {
    if (absl::Status s = WriteOwned(absl::StrCat(dir, "/", name), content, mode, owner); !s.ok()) {
      return s;
    }
  }
  if (server->has_crl_) {
    if (absl::Status s = WriteOwned(dir + "/crl.pem", options.crl_pem, 0644, owner); !s.ok()) {
      return s;
    }
  }
  const std::string sock = dir + "/sock";
  if (::mkdir(sock.c_str(), 0700) != 0 || ::chown(sock.c_str(), owner.uid, owner.gid) != 0) {
    return absl::InternalError(absl::StrCat("preparing ", sock, ": ", strerror(errno)));
  }
  std::vector<std::string> conf = {
      "# jit-access tests/integration/testkit/postgres_tls_server",
      "listen_addresses = '127.0.0.1'",
      absl::StrCat("port = ", port),
      absl::StrCat("unix_socket_directories = '", sock, "'"),
      "unix_socket_permissions = 0700",
      "max_connections = 50",
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "logging_collector = off",
      "log_connections = on",
      "ssl = on",
      absl::StrCat("ssl_cert_file = '", dir, "/server.crt'"),
      absl::StrCat("ssl_key_file = '", dir, "/server.key'"),
      absl::StrCat("ssl_ca_file = '", dir, "/client_ca.pem'"),
  };
  if (server->has_crl_) conf.push_back(absl::StrCat("ssl_crl_file = '", dir, "/crl.pem'"));
  const std::string conf_path = dir + "/data/postgresql.conf";
  std::string existing = jit::testing::ReadFileOrEmpty(conf_path);
  if (absl::Status s =
          WriteOwned(conf_path, existing + "\n" + absl::StrJoin(conf, "\n") + "\n", 0600, owner);
      !s.ok()) {
    return s;
  }
  // The first matching line wins: the superuser only through the socket, everyone over TCP
  // only with a certificate.
  if (absl::Status s = WriteOwned(dir + "/data/pg_hba.conf",
                                  "local   all  postgres                trust\n"
                                  "hostssl all  all       127.0.0.1/32  cert\n",
                                  0600, owner);
      !s.ok()) {
    return s;
  }

  auto process =
      jit::testing::Subprocess::Start({"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                                       "--init-groups", bin + "/postgres", "-D", dir + "/data"},
                                      dir + "/postgres.log");
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);
  const absl::Time deadline = absl::Now() + patience;
  while (!(Listening(port) &&
           server->Log().find("ready to accept connections") != std::string::npos)) {
    absl::StatusOr<int> exited = server->process_->Wait(absl::Milliseconds(50));
    if (exited.ok()) {
      return absl::InternalError(
          absl::StrCat("PostgreSQL exited with ", *exited, ":\n", server->Log()));
    }
    if (absl::Now() > deadline) {
      return absl::InternalError("PostgreSQL did not start in time:\n" + server->Log());
    }
  }
  for (const std::string& role : options.roles) {
    const std::string quoted = "\"" + absl::StrReplaceAll(role, {{"\"", "\"\""}}) + "\"";
    absl::StatusOr<PsqlResult> created = server->RunAsSuperuser("CREATE ROLE " + quoted + " LOGIN");
    if (!created.ok()) return created.status();
    if (created->exit_code != 0) {
      return absl::InternalError(absl::StrCat("creating role ", role, ": ", created->output));
    }
  }
  return server;
}

PostgresTlsServer::~PostgresTlsServer() {
  if (process_ != nullptr) {
    process_->Signal(SIGINT);
    (void)process_->Wait(absl::Seconds(20));
    process_.reset();  // SIGKILL if it still runs, and reap
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

absl::Status PostgresTlsServer::Stop(absl::Duration timeout) {
  if (process_ == nullptr) return absl::OkStatus();
  process_->Signal(SIGINT);  // fast shutdown
  absl::StatusOr<int> exited = process_->Wait(timeout);
  if (!exited.ok()) return absl::InternalError("PostgreSQL did not stop:\n" + Log());
  return absl::OkStatus();
}

std::string PostgresTlsServer::Log() const {
  return jit::testing::ReadFileOrEmpty(dir_ + "/postgres.log");
}

std::string PostgresTlsServer::LogSince(size_t mark) const {
  const std::string log = Log();
  return mark <= log.size() ? log.substr(mark) : log;
}

absl::StatusOr<PsqlResult> PostgresTlsServer::RunAsSuperuser(const std::string& sql) {
  auto [rc, out] = jit::testing::RunShell(
      absl::StrCat("PGCONNECT_TIMEOUT=20 timeout 60 psql -X -w -At -v ON_ERROR_STOP=1 ",
                   ShellQuote(absl::StrCat("host=", dir_, "/sock port=", port_,
                                           " user=postgres dbname=postgres")),
                   " -c ", ShellQuote(sql)));
  return PsqlResult{rc, out};
}

absl::Status PostgresTlsServer::SetCrl(const std::string& crl_pem) {
  if (!has_crl_) {
    return absl::FailedPreconditionError("the server was started without ssl_crl_file");
  }
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) return absl::InternalError("user postgres vanished");
  const std::string tmp = dir_ + "/crl.pem.tmp";
  if (absl::Status s = WriteOwned(tmp, crl_pem, 0644, {pw->pw_uid, pw->pw_gid}); !s.ok()) {
    return s;
  }
  if (::rename(tmp.c_str(), (dir_ + "/crl.pem").c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename: ", strerror(errno)));
  }
  const size_t mark = LogSize();
  const size_t reloads = Count(Log(), kReloadLine);
  absl::StatusOr<PsqlResult> reload = RunAsSuperuser("SELECT pg_reload_conf()");
  if (!reload.ok()) return reload.status();
  if (reload->exit_code != 0) return absl::InternalError("pg_reload_conf: " + reload->output);
  // The postmaster reloads (and rebuilds its SSL context) before it accepts the next
  // connection once it logged the SIGHUP.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (Count(Log(), kReloadLine) <= reloads) {
    if (absl::Now() > deadline) return absl::InternalError("PostgreSQL did not reload:\n" + Log());
    absl::SleepFor(absl::Milliseconds(20));
  }
  // A failed SSL reload is logged right after; a psql round trip makes sure it was written.
  (void)RunAsSuperuser("SELECT 1");
  if (LogSince(mark).find("SSL configuration was not reloaded") != std::string::npos) {
    return absl::InternalError("PostgreSQL kept its old SSL configuration:\n" + LogSince(mark));
  }
  return absl::OkStatus();
}

absl::StatusOr<PsqlResult> PostgresTlsServer::RunPsql(const std::string& user,
                                                      const std::string& cert_pem,
                                                      const SecretString& key_pem,
                                                      const std::string& sql) {
  absl::StatusOr<std::string> dir = MakeTestDir("psql-client");
  if (!dir.ok()) return dir.status();
  const std::string client = absl::StrCat(*dir, "/", clients_++);
  if (::mkdir(client.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("mkdir ", client, ": ", strerror(errno)));
  }
  for (const auto& [name, content, mode] :
       std::initializer_list<std::tuple<const char*, std::string, mode_t>>{
           {"client.crt", cert_pem, 0644},
           {"client.key", std::string(key_pem.Reveal()), 0600},
           {"server_ca.pem", server_ca_pem_, 0644},
       }) {
    if (absl::Status s = WriteTestFile(absl::StrCat(client, "/", name), content, mode); !s.ok()) {
      return s;
    }
  }
  const std::string conninfo =
      absl::StrCat("host=127.0.0.1 port=", port_, " dbname=postgres user=", user,
                   " sslmode=verify-full sslrootcert=", client, "/server_ca.pem sslcert=", client,
                   "/client.crt sslkey=", client, "/client.key");
  auto [rc, out] =
      jit::testing::RunShell(absl::StrCat("PGCONNECT_TIMEOUT=20 timeout 60 psql -X -w -At ",
                                          ShellQuote(conninfo), " -c ", ShellQuote(sql)));
  return PsqlResult{rc, out};
}

}  // namespace jit::testkit
