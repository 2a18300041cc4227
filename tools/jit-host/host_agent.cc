#include "tools/jit-host/host_agent.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/absl_string_view.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/openssl_util.h"
#include "common/ssh/certificate.h"
#include "common/ssh/private_key.h"
#include "common/ssh/public_key.h"
#include "common/status_macros.h"
#include "tools/jit-host/atomic_file.h"

namespace jit::host {
namespace {

namespace v1 = ::jit::ca::v1;

std::string Join(const std::string& dir, absl::string_view name) {
  return absl::StrCat(dir, "/", name);
}

absl::Status MakeDir(const std::string& dir, int mode) {
  if (mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("cannot create ", dir, ": ", std::strerror(errno)));
}

// The host key's public line: read from the directory, or a new Ed25519 key written there.
absl::StatusOr<std::string> HostPublicKey(const HostFiles& files) {
  ASSIGN_OR_RETURN(std::optional<std::string> pub, ReadFileIfExists(files.host_key_pub));
  ASSIGN_OR_RETURN(std::optional<std::string> priv, ReadFileIfExists(files.host_key));
  if (pub.has_value() && priv.has_value()) {
    return std::string(absl::StripAsciiWhitespace(*pub));
  }
  if (priv.has_value()) {
    ASSIGN_OR_RETURN(ssh::OpenSshEd25519PrivateKey key,
                     ssh::ParseOpenSshEd25519PrivateKey(SecretString(std::move(*priv))));
    const std::string line = key.public_key.ToLine("jit-host");
    RETURN_IF_ERROR(AtomicWriteFile(files.host_key_pub, line + "\n", 0644));
    return line;
  }
  ASSIGN_OR_RETURN(SecretString seed, crypto::GenerateEd25519Seed());
  ASSIGN_OR_RETURN(std::string raw_pub, crypto::Ed25519PublicKeyFromSeed(seed));
  ASSIGN_OR_RETURN(ssh::SshPublicKey key, ssh::SshPublicKey::FromEd25519(raw_pub));
  ASSIGN_OR_RETURN(SecretString file, ssh::EncodeOpenSshEd25519PrivateKey(seed, "jit-host"));
  RETURN_IF_ERROR(AtomicWriteFile(files.host_key, file.Reveal(), 0600));
  const std::string line = key.ToLine("jit-host");
  RETURN_IF_ERROR(AtomicWriteFile(files.host_key_pub, line + "\n", 0644));
  return line;
}

struct IdentityKey {
  SecretString private_pem;
  std::string public_pem;
};

absl::StatusOr<IdentityKey> NewIdentityKey() {
  ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, crypto::GenerateP256Key());
  IdentityKey out;
  ASSIGN_OR_RETURN(out.private_pem, crypto::PrivateKeyToPem(key.get()));
  ASSIGN_OR_RETURN(out.public_pem, crypto::PublicKeyToPem(key.get()));
  return out;
}

// Writes `content` to `path` when it differs from what is there; true when it wrote.
absl::StatusOr<bool> ReplaceIfChanged(const std::string& path, std::string_view content,
                                      int mode = 0644) {
  ASSIGN_OR_RETURN(std::optional<std::string> old, ReadFileIfExists(path));
  if (old.has_value() && *old == content) return false;
  RETURN_IF_ERROR(AtomicWriteFile(path, content, mode));
  return true;
}

}  // namespace

HostFiles::HostFiles(const HostDirs& dirs) {
  identity = Join(dirs.state_dir, "identity.pem");
  internal_ca = Join(dirs.state_dir, "internal-ca.pem");
  host_conf = Join(dirs.state_dir, "host.conf");
  const std::string& key_dir = dirs.sshd_dir.empty() ? dirs.state_dir : dirs.sshd_dir;
  host_key = Join(key_dir, "ssh_host_ed25519_key");
  host_key_pub = host_key + ".pub";
  host_cert = host_key + "-cert.pub";
  if (!dirs.sshd_dir.empty()) {
    trusted_user_ca_keys = Join(dirs.sshd_dir, "jit_trusted_user_ca_keys.pub");
    revoked_keys = Join(dirs.sshd_dir, "jit_revoked_keys.krl");
  }
  if (!dirs.postgres_dir.empty()) {
    user_ca = Join(dirs.postgres_dir, "jit_user_ca.pem");
    user_crl = Join(dirs.postgres_dir, "jit_user_crl.pem");
  }
}

absl::Status SaveHostConfig(const HostConfig& config) {
  return AtomicWriteFile(
      HostFiles(config.dirs).host_conf,
      absl::StrCat("ca_addr=", config.ca_addr, "\n", "sshd_dir=", config.dirs.sshd_dir, "\n",
                   "postgres_dir=", config.dirs.postgres_dir, "\n"),
      0644);
}

absl::StatusOr<HostConfig> LoadHostConfig(const std::string& state_dir) {
  HostConfig config;
  config.dirs.state_dir = state_dir;
  ASSIGN_OR_RETURN(std::optional<std::string> text,
                   ReadFileIfExists(HostFiles(config.dirs).host_conf));
  if (!text.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "not enrolled: no ", HostFiles(config.dirs).host_conf, " (run jit-host enroll first)"));
  }
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.first == "ca_addr") config.ca_addr = kv.second;
    if (kv.first == "sshd_dir") config.dirs.sshd_dir = kv.second;
    if (kv.first == "postgres_dir") config.dirs.postgres_dir = kv.second;
  }
  if (config.ca_addr.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(HostFiles(config.dirs).host_conf, ": no ca_addr (enrol again)"));
  }
  return config;
}

absl::StatusOr<EnrollResult> Enroll(const EnrollOptions& options, HostCaClient& client) {
  const HostDirs& dirs = options.config.dirs;
  if (options.token.empty()) return absl::InvalidArgumentError("--token: required");
  if (options.names.empty()) return absl::InvalidArgumentError("--names: at least one name");
  if (dirs.state_dir.empty()) return absl::InvalidArgumentError("--state-dir: required");
  RETURN_IF_ERROR(MakeDir(dirs.state_dir, 0700));
  if (!dirs.sshd_dir.empty()) RETURN_IF_ERROR(MakeDir(dirs.sshd_dir, 0755));
  if (!dirs.postgres_dir.empty()) RETURN_IF_ERROR(MakeDir(dirs.postgres_dir, 0755));
  const HostFiles files(dirs);
  ASSIGN_OR_RETURN(std::string host_pub, HostPublicKey(files));
  ASSIGN_OR_RETURN(IdentityKey identity, NewIdentityKey());

  v1::EnrollHostRequest request;
  request.set_join_token(options.token);
  request.set_host_public_key(host_pub);
  for (const std::string& n : options.names) request.add_principals(n);
  request.set_identity_public_key_pem(identity.public_pem);
  ASSIGN_OR_RETURN(v1::EnrollHostResponse response, client.EnrollHost(request));

  RETURN_IF_ERROR(AtomicWriteFile(
      files.identity,
      absl::StrCat(response.identity_certificate_pem(), AsAbsl(identity.private_pem.Reveal())),
      0600));
  RETURN_IF_ERROR(AtomicWriteFile(files.internal_ca, response.internal_ca_bundle_pem()));
  RETURN_IF_ERROR(AtomicWriteFile(files.host_cert, response.host_certificate() + "\n"));
  RETURN_IF_ERROR(SaveHostConfig(options.config));

  EnrollResult result;
  result.host_certificate = response.host_certificate();
  if (!dirs.sshd_dir.empty()) {
    result.sshd_config = {
        absl::StrCat("HostKey ", files.host_key),
        absl::StrCat("HostCertificate ", files.host_cert),
        absl::StrCat("TrustedUserCAKeys ", files.trusted_user_ca_keys),
        absl::StrCat("RevokedKeys ", files.revoked_keys),
    };
  }
  if (!dirs.postgres_dir.empty()) {
    result.postgresql_conf = {
        absl::StrCat("ssl_ca_file = '", files.user_ca, "'"),
        absl::StrCat("ssl_crl_file = '", files.user_crl, "'"),
    };
  }
  return result;
}

absl::StatusOr<IdentityPems> SplitIdentity(std::string_view file) {
  constexpr std::string_view kKeyBegin = "-----BEGIN PRIVATE KEY-----";
  const size_t key = file.find(kKeyBegin);
  if (key == std::string_view::npos || file.find("-----BEGIN CERTIFICATE-----") != 0) {
    return absl::InvalidArgumentError(
        "identity file: expected a certificate then a private key (enrol again)");
  }
  return IdentityPems{std::string(file.substr(0, key)), std::string(file.substr(key))};
}

SyncReport Sync(const HostConfig& config, HostCaClient& client, PostgresReloader* reloader,
                const Clock& clock, const SyncOptions& options) {
  SyncReport report;
  const HostFiles files(config.dirs);
  auto fail = [&](std::string line) {
    report.ok = false;
    report.lines.push_back(std::move(line));
  };
  auto note = [&](std::string line) { report.lines.push_back(std::move(line)); };

  // Trust anchors.
  absl::StatusOr<v1::GetCaPublicKeysResponse> keys = client.GetCaPublicKeys();
  if (!keys.ok()) {
    fail(absl::StrCat("CA keys: ", keys.status().ToString(), "; keeping the last good files"));
  } else {
    auto put = [&](const std::string& path, const std::string& content, absl::string_view what) {
      if (path.empty()) return;
      if (content.empty()) {
        fail(absl::StrCat(what, ": the ca sent none; keeping ", path));
        return;
      }
      absl::StatusOr<bool> changed = ReplaceIfChanged(path, content);
      if (!changed.ok()) {
        fail(absl::StrCat(what, ": ", changed.status().message()));
      } else if (*changed) {
        note(absl::StrCat(what, ": updated ", path));
      }
    };
    put(files.trusted_user_ca_keys, keys->trusted_user_ca_keys(), "trusted user CA keys");
    put(files.user_ca, keys->x509_ca_bundle_pem(), "X.509 user CA bundle");
  }

  // Revocation lists: an error keeps the last good file (never an empty one).
  if (!files.revoked_keys.empty()) {
    absl::StatusOr<v1::GetRevocationListResponse> krl =
        client.GetRevocationList(v1::CA_TYPE_SSH_USER);
    if (!krl.ok()) {
      fail(absl::StrCat("KRL: ", krl.status().ToString(), "; keeping the last good ",
                        files.revoked_keys));
    } else if (krl->revocation_list().empty()) {
      fail(absl::StrCat("KRL: the ca sent an empty list; keeping the last good ",
                        files.revoked_keys));
    } else {
      absl::StatusOr<bool> changed = ReplaceIfChanged(files.revoked_keys, krl->revocation_list());
      if (!changed.ok()) {
        fail(absl::StrCat("KRL: ", changed.status().message()));
      } else if (*changed) {
        note(absl::StrCat("KRL: updated ", files.revoked_keys));
      }
    }
  }
  if (!files.user_crl.empty()) {
    absl::StatusOr<v1::GetRevocationListResponse> crl =
        client.GetRevocationList(v1::CA_TYPE_X509_USER);
    if (!crl.ok()) {
      fail(absl::StrCat("CRL: ", crl.status().ToString(), "; keeping the last good ",
                        files.user_crl));
    } else if (crl->crl_pem().empty()) {
      fail(absl::StrCat("CRL: the ca sent no PEM CRL; keeping the last good ", files.user_crl));
    } else {
      absl::StatusOr<bool> changed = ReplaceIfChanged(files.user_crl, crl->crl_pem());
      if (!changed.ok()) {
        fail(absl::StrCat("CRL: ", changed.status().message()));
      } else if (*changed) {
        note(absl::StrCat("CRL: updated ", files.user_crl));
        if (reloader != nullptr) {
          absl::Status reloaded = reloader->Reload();
          if (reloaded.ok()) {
            report.crl_changed = true;
            note("PostgreSQL: reloaded");
          } else {
            fail(absl::StrCat("PostgreSQL reload: ", reloaded.message()));
          }
        }
      }
    }
  }

  // Renewal of the host certificate (and the identity with it).
  absl::StatusOr<std::optional<std::string>> cert_line = ReadFileIfExists(files.host_cert);
  absl::StatusOr<ssh::SshCertificate> cert =
      cert_line.ok() && cert_line->has_value()
          ? ssh::SshCertificate::FromLine(AsStd(absl::StripAsciiWhitespace(**cert_line)))
          : absl::StatusOr<ssh::SshCertificate>(absl::NotFoundError("no host certificate"));
  const absl::Time now = clock.Now();
  const bool renew =
      !cert.ok() || absl::FromUnixSeconds(static_cast<int64_t>(cert->valid_before())) - now <
                        options.renew_before;
  if (renew) {
    absl::StatusOr<std::optional<std::string>> pub = ReadFileIfExists(files.host_key_pub);
    absl::StatusOr<IdentityKey> identity = NewIdentityKey();
    if (!pub.ok() || !pub->has_value()) {
      fail(absl::StrCat("renewal: cannot read ", files.host_key_pub));
    } else if (!identity.ok()) {
      fail(absl::StrCat("renewal: ", identity.status().message()));
    } else {
      v1::RenewHostRequest request;
      request.set_host_public_key(std::string(absl::StripAsciiWhitespace(**pub)));
      request.set_identity_public_key_pem(identity->public_pem);
      absl::StatusOr<v1::RenewHostResponse> renewed = client.RenewHost(request);
      if (!renewed.ok()) {
        fail(absl::StrCat("renewal: ", renewed.status().ToString(),
                          "; the current host certificate stays"));
      } else {
        absl::Status s = AtomicWriteFile(files.host_cert, renewed->host_certificate() + "\n");
        if (s.ok() && !renewed->identity_certificate_pem().empty()) {
          s = AtomicWriteFile(files.identity,
                              absl::StrCat(renewed->identity_certificate_pem(),
                                           AsAbsl(identity->private_pem.Reveal())),
                              0600);
        }
        if (s.ok()) {
          note(absl::StrCat("host certificate renewed: ", files.host_cert));
        } else {
          fail(absl::StrCat("renewal: ", s.message()));
        }
      }
    }
  }
  return report;
}

}  // namespace jit::host
