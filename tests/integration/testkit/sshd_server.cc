#include "tests/integration/testkit/sshd_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/crypto/ed25519.h"
#include "common/ssh/private_key.h"
#include "tests/integration/testkit/test_files.h"

namespace jit::testkit {
namespace {

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

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", path, ": ", strerror(errno)));
  }
  if (::chmod(path.c_str(), mode) != 0) {
    return absl::InternalError(absl::StrCat("chmod ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string KnownHostsCaLine(int port, const std::string& host_ca_line) {
  return absl::StrCat("@cert-authority [127.0.0.1]:", port, " ", host_ca_line, "\n");
}

absl::StatusOr<std::unique_ptr<SshdServer>> SshdServer::Create() {
  if (geteuid() != 0) {
    return absl::FailedPreconditionError(
        "a test sshd needs root (privilege separation, /run); run the tests as root");
  }
  if (access(kSshdBinary, X_OK) != 0 || access(kSshBinary, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "sshd or ssh missing (apt-get install openssh-server openssh-client)");
  }
  // sshd's privilege separation directory.
  if (absl::Status s = MakeDir("/run/sshd", 0755); !s.ok()) return s;
  static std::atomic<int> counter{0};
  const std::string dir =
      absl::StrCat("/run/jit-testkit-sshd-", getpid(), "-", counter.fetch_add(1));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (absl::Status s = MakeDir(dir, 0755); !s.ok()) return s;
  if (absl::Status s = MakeDir(dir + "/principals", 0755); !s.ok()) return s;

  absl::StatusOr<SecretString> seed = crypto::GenerateEd25519Seed();
  if (!seed.ok()) return seed.status();
  absl::StatusOr<SecretString> key_file =
      ssh::EncodeOpenSshEd25519PrivateKey(*seed, "jit-testkit sshd host key");
  if (!key_file.ok()) return key_file.status();
  if (absl::Status s =
          WriteTestFile(dir + "/host_ed25519_key", std::string(key_file->Reveal()), 0600);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> public_key = crypto::Ed25519PublicKeyFromSeed(*seed);
  if (!public_key.ok()) return public_key.status();
  absl::StatusOr<ssh::SshPublicKey> host_key = ssh::SshPublicKey::FromEd25519(*public_key);
  if (!host_key.ok()) return host_key.status();
  return std::unique_ptr<SshdServer>(new SshdServer(dir, *std::move(host_key)));
}

SshdServer::~SshdServer() {
  process_.reset();  // SIGKILL and reap if still running
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

absl::Status SshdServer::SetRevokedKeys(const std::string& krl) {
  // Written beside and renamed: sshd never sees a half-written file.
  const std::string tmp = dir_ + "/revoked_keys.tmp";
  if (absl::Status s = WriteTestFile(tmp, krl, 0644); !s.ok()) return s;
  if (::rename(tmp.c_str(), (dir_ + "/revoked_keys").c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status SshdServer::SetTrustedUserCaKeys(const std::vector<std::string>& lines) {
  const std::string tmp = dir_ + "/trusted_user_ca_keys.tmp";
  if (absl::Status s = WriteTestFile(tmp, absl::StrJoin(lines, "\n") + "\n", 0644); !s.ok()) {
    return s;
  }
  if (::rename(tmp.c_str(), (dir_ + "/trusted_user_ca_keys").c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status SshdServer::SetAuthorizedPrincipals(const std::string& user,
                                                 const std::vector<std::string>& principals) {
  return WriteTestFile(absl::StrCat(dir_, "/principals/", user),
                       principals.empty() ? "" : absl::StrJoin(principals, "\n") + "\n", 0644);
}

absl::Status SshdServer::Start(const SshdOptions& options, absl::Duration patience) {
  if (process_ != nullptr) return absl::FailedPreconditionError("sshd already started");
  if (options.trusted_user_ca_keys.empty()) {
    return absl::InvalidArgumentError("a test sshd needs at least one trusted user CA");
  }
  port_ = jit::testing::PickUnusedPort();
  std::vector<std::string> config = {
      absl::StrCat("Port ", port_),
      "ListenAddress 127.0.0.1",
      "AddressFamily inet",
      absl::StrCat("HostKey ", dir_, "/host_ed25519_key"),
      "PidFile none",
      absl::StrCat("TrustedUserCAKeys ", dir_, "/trusted_user_ca_keys"),
      absl::StrCat("AuthorizedPrincipalsFile ", dir_, "/principals/%u"),
      "AuthorizedKeysFile none",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes yes",
      "PermitRootLogin prohibit-password",
      "LogLevel DEBUG2",
      "MaxStartups 100",
      "MaxAuthTries 3",
  };
  if (absl::Status s =
          WriteTestFile(dir_ + "/trusted_user_ca_keys",
                        absl::StrJoin(options.trusted_user_ca_keys, "\n") + "\n", 0644);
      !s.ok()) {
    return s;
  }
  for (const auto& [user, principals] : options.authorized_principals) {
    if (absl::Status s = SetAuthorizedPrincipals(user, principals); !s.ok()) return s;
  }
  if (!options.host_certificate.empty()) {
    const std::string path = dir_ + "/host_ed25519_key-cert.pub";
    if (absl::Status s = WriteTestFile(path, options.host_certificate + "\n", 0644); !s.ok()) {
      return s;
    }
    config.push_back("HostCertificate " + path);
  }
  if (options.revoked_keys.has_value()) {
    if (absl::Status s = SetRevokedKeys(*options.revoked_keys); !s.ok()) return s;
    config.push_back(absl::StrCat("RevokedKeys ", dir_, "/revoked_keys"));
  }
  for (const std::string& line : options.extra_config) config.push_back(line);
  const std::string config_path = dir_ + "/sshd_config";
  if (absl::Status s = WriteTestFile(config_path, absl::StrJoin(config, "\n") + "\n", 0644);
      !s.ok()) {
    return s;
  }
  auto process = jit::testing::Subprocess::Start({kSshdBinary, "-D", "-e", "-f", config_path},
                                                 dir_ + "/sshd.log");
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  const absl::Time deadline = absl::Now() + patience;
  while (!Listening(port_)) {
    absl::StatusOr<int> exited = process_->Wait(absl::Milliseconds(50));
    if (exited.ok()) {
      return absl::InternalError(absl::StrCat("sshd exited with ", *exited, ":\n", Log()));
    }
    if (absl::Now() > deadline) {
      return absl::InternalError(absl::StrCat("sshd did not listen on port ", port_, " within ",
                                              absl::FormatDuration(patience), ":\n", Log()));
    }
  }
  return absl::OkStatus();
}

absl::Status SshdServer::Stop(absl::Duration timeout) {
  if (process_ == nullptr) return absl::OkStatus();
  process_->Signal(SIGTERM);
  absl::StatusOr<int> exited = process_->Wait(timeout);
  if (!exited.ok()) {
    return absl::InternalError(absl::StrCat("sshd did not stop:\n", Log()));
  }
  return absl::OkStatus();
}

std::string SshdServer::Log() const { return jit::testing::ReadFileOrEmpty(dir_ + "/sshd.log"); }

std::string SshdServer::LogSince(size_t mark) const {
  const std::string log = Log();
  return mark <= log.size() ? log.substr(mark) : log;
}

absl::StatusOr<SshResult> SshdServer::RunSsh(const SshClientOptions& client) {
  const std::string dir = absl::StrCat(dir_, "/client-", clients_++);
  if (absl::Status s = MakeDir(dir, 0700); !s.ok()) return s;
  const std::string key = dir + "/id";
  if (absl::Status s = WriteTestFile(key, std::string(client.private_key.Reveal()), 0600);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteTestFile(key + "-cert.pub", client.certificate + "\n", 0644); !s.ok()) {
    return s;
  }
  const std::string known_hosts = dir + "/known_hosts";
  if (absl::Status s = WriteTestFile(known_hosts, client.known_hosts, 0644); !s.ok()) return s;
  const std::string strict = client.known_hosts.empty() ? "no" : "yes";
  const std::string command = absl::StrCat(
      "timeout 60 ", kSshBinary, " -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes",
      " -o IdentityAgent=none -o PasswordAuthentication=no -o ConnectTimeout=20",
      " -o StrictHostKeyChecking=", strict, " -o UserKnownHostsFile=", known_hosts,
      " -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR", " -i ", key,
      " -o CertificateFile=", key, "-cert.pub -p ", port_, " ", ShellQuote(client.user),
      "@127.0.0.1 -- ", ShellQuote(client.command), " </dev/null");
  auto [rc, output] = jit::testing::RunShell(command);
  return SshResult{rc, output};
}

}  // namespace jit::testkit
