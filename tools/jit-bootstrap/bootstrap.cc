#include "tools/jit-bootstrap/bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/auth/spiffe.h"
#include "common/crypto/openssl_util.h"
#include "common/pki/x509_ca.h"

namespace jit::tools {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `data` to `path` with `mode` via a temporary file in the same directory and a
// rename, so a reader never sees a partial file and a key is never briefly world-readable.
absl::Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", tmp, ": ", ErrnoText()));
  bool ok = ::fchmod(fd, mode) == 0;  // the umask may have narrowed or not; be exact
  size_t written = 0;
  while (ok && written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const std::string err = ok ? "" : ErrnoText();
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = ok ? ErrnoText() : err;
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", why));
  }
  return absl::OkStatus();
}

// What this tool trusts must be ours and not writable (`forbidden` mode bits) by anyone
// else: a directory or CA planted by another local user would make every service trust a
// CA that user holds the key of.
absl::Status CheckOwnedPrivately(const std::string& path, const struct stat& st, mode_t forbidden) {
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(absl::StrCat(path, " belongs to uid ", st.st_uid,
                                                      ", not to this user (uid ", ::geteuid(),
                                                      "); refusing to trust it"));
  }
  if ((st.st_mode & forbidden) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is ", (forbidden & 044) != 0 ? "accessible" : "writable",
                     " by group or others (mode ", absl::StrFormat("%04o", st.st_mode & 0777),
                     "); refusing to trust it"));
  }
  return absl::OkStatus();
}

absl::Status CheckOwnedPrivately(const std::string& path, mode_t forbidden) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot stat ", path, ": ", ErrnoText()));
  }
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError(path + " is not a regular file");
  return CheckOwnedPrivately(path, st, forbidden);
}

absl::Status EnsureDir(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("--dir is required");
  struct stat st;
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return absl::FailedPreconditionError(dir + " is not a directory");
    return CheckOwnedPrivately(dir, st, 022);
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir, ": ", ErrnoText()));
  }
  return absl::OkStatus();
}

absl::StatusOr<pki::CertificateAuthority> LoadOrCreateCa(const BootstrapOptions& options,
                                                         absl::Time now, bool* created) {
  const std::string crt = options.dir + "/internal-ca.pem";
  const std::string key = options.dir + "/internal-ca.key";
  const bool have_crt = Exists(crt), have_key = Exists(key);
  *created = false;
  if (have_crt != have_key) {
    return absl::FailedPreconditionError(
        absl::StrCat("found only one of internal-ca.pem and internal-ca.key in ", options.dir,
                     "; restore the other or remove both to create a new CA"));
  }
  if (have_crt) {
    if (absl::Status s = CheckOwnedPrivately(key, 077); !s.ok()) return s;
    if (absl::Status s = CheckOwnedPrivately(crt, 022); !s.ok()) return s;
    absl::StatusOr<std::string> crt_pem = ReadFile(crt);
    if (!crt_pem.ok()) return crt_pem.status();
    absl::StatusOr<std::string> key_pem = ReadFile(key);
    if (!key_pem.ok()) return key_pem.status();
    SecretString key_secret(*std::move(key_pem));
    absl::StatusOr<pki::CertificateAuthority> ca =
        pki::LoadCertificateAuthority(*crt_pem, key_secret.Reveal());
    if (!ca.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("existing CA in ", options.dir, " is unusable: ", ca.status().message()));
    }
    absl::StatusOr<pki::CertificateInfo> info = pki::DescribeCertificate(ca->cert.get());
    if (!info.ok()) return info.status();
    if (info->not_after <= now) {
      return absl::FailedPreconditionError(
          "existing CA certificate has expired; remove internal-ca.pem "
          "and internal-ca.key to create a new one");
    }
    return ca;
  }
  absl::StatusOr<pki::CertificateAuthority> ca =
      pki::CreateCertificateAuthority({.validity = options.ca_validity}, now);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> crt_pem = pki::CertificateToPem(ca->cert.get());
  if (!crt_pem.ok()) return crt_pem.status();
  absl::StatusOr<SecretString> key_pem = crypto::PrivateKeyToPem(ca->key.get());
  if (!key_pem.ok()) return key_pem.status();
  // Key first: a crash between the two leaves "only one file", which is refused loudly.
  if (absl::Status s = WriteFileAtomic(key, key_pem->Reveal(), 0600); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomic(crt, *crt_pem, 0644); !s.ok()) return s;
  *created = true;
  return ca;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// OK when the existing pair at `stem` is exactly what would be issued now.
absl::Status CheckExisting(const pki::CertificateAuthority& ca, const std::string& crt,
                           const std::string& key, const pki::LeafOptions& want, absl::Time now) {
  struct stat st;
  if (::stat(key.c_str(), &st) != 0) return absl::FailedPreconditionError("key file missing");
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError("key file is accessible by group or others");
  }
  absl::StatusOr<std::string> crt_pem = ReadFile(crt);
  if (!crt_pem.ok()) return crt_pem.status();
  absl::StatusOr<std::string> key_pem = ReadFile(key);
  if (!key_pem.ok()) return key_pem.status();
  SecretString key_secret(*std::move(key_pem));
  absl::StatusOr<crypto::X509Ptr> cert = pki::ParseCertificatePem(*crt_pem);
  if (!cert.ok()) return absl::FailedPreconditionError("certificate does not parse");
  absl::StatusOr<crypto::EvpPkeyPtr> pkey = crypto::ParsePrivateKeyPem(key_secret.Reveal());
  if (!pkey.ok() || X509_check_private_key(cert->get(), pkey->get()) != 1) {
    crypto::ClearOpenSslErrors();
    return absl::FailedPreconditionError("key does not match the certificate");
  }
  if (absl::Status s = pki::VerifyCertificate(cert->get(), ca.cert.get(), now, want.server_auth,
                                              want.client_auth);
      !s.ok()) {
    return absl::FailedPreconditionError(s.message());
  }
  absl::StatusOr<pki::CertificateInfo> info = pki::DescribeCertificate(cert->get());
  if (!info.ok()) return info.status();
  if (Sorted(info->uri_sans) != Sorted(want.uri_sans) ||
      Sorted(info->dns_sans) != Sorted(want.dns_sans) ||
      Sorted(info->ip_sans) != Sorted(want.ip_sans)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "its SANs differ (has URI=[", absl::StrJoin(info->uri_sans, ","), "] DNS=[",
        absl::StrJoin(info->dns_sans, ","), "] IP=[", absl::StrJoin(info->ip_sans, ","), "])"));
  }
  return absl::OkStatus();
}

absl::Status IssueOrKeep(const BootstrapOptions& options, const pki::CertificateAuthority& ca,
                         const std::string& stem, const pki::LeafOptions& leaf, absl::Time now,
                         BootstrapReport* report) {
  const std::string crt = options.dir + "/" + stem + ".pem";
  const std::string key = options.dir + "/" + stem + ".key";
  if (Exists(crt) || Exists(key)) {
    absl::Status existing = Exists(crt) && Exists(key)
                                ? CheckExisting(ca, crt, key, leaf, now)
                                : absl::FailedPreconditionError("only one of .pem/.key exists");
    if (existing.ok()) {
      report->kept.push_back(stem);
      return absl::OkStatus();
    }
    if (!options.force) {
      return absl::FailedPreconditionError(absl::StrCat(crt, " exists but ", existing.message(),
                                                        "; rerun with --force to replace it"));
    }
  }
  absl::StatusOr<pki::IssuedCertificate> issued = pki::IssueCertificate(ca, leaf, now);
  if (!issued.ok()) return issued.status();
  if (absl::Status s = WriteFileAtomic(key, issued->key_pem.Reveal(), 0600); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomic(crt, issued->cert_pem, 0644); !s.ok()) return s;
  report->issued.push_back(stem);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BootstrapReport> Bootstrap(const BootstrapOptions& options, absl::Time now) {
  for (const std::string& s : options.services) {
    if (!auth::IsValidServiceName(s) || s == "internal-ca") {
      return absl::InvalidArgumentError(
          absl::StrCat("--services: invalid service name '", s,
                       "' (want [a-z][a-z0-9-]{0,62}; internal-ca is reserved)"));
    }
  }
  for (const std::string& u : options.users) {
    if (!auth::IsValidUserName(u)) {
      return absl::InvalidArgumentError(absl::StrCat("--users: invalid user name '", u, "'"));
    }
  }
  if (options.services.empty() && options.users.empty()) {
    return absl::InvalidArgumentError("nothing to issue: give --services and/or --users");
  }
  // Bounded above as well: "inf" parses as a duration and would overflow the dates.
  constexpr absl::Duration kLongest = absl::Hours(24 * 366 * 30);
  if (options.cert_validity <= absl::ZeroDuration() ||
      options.ca_validity <= absl::ZeroDuration() || options.cert_validity > kLongest ||
      options.ca_validity > kLongest) {
    return absl::InvalidArgumentError("validities must be positive and at most 30 years");
  }
  if (absl::Status s = EnsureDir(options.dir); !s.ok()) return s;
  BootstrapReport report;
  absl::StatusOr<pki::CertificateAuthority> ca = LoadOrCreateCa(options, now, &report.ca_created);
  if (!ca.ok()) return ca.status();
  for (const std::string& service : options.services) {
    pki::LeafOptions leaf{.common_name = service,
                          .uri_sans = {auth::ServiceSpiffeId(service)},
                          .dns_sans = options.dns_sans,
                          .ip_sans = options.ip_sans,
                          .validity = options.cert_validity};
    if (absl::Status s = IssueOrKeep(options, *ca, service, leaf, now, &report); !s.ok()) return s;
  }
  for (const std::string& user : options.users) {
    pki::LeafOptions leaf{.common_name = user,
                          .uri_sans = {auth::UserSpiffeId(user)},
                          .validity = options.cert_validity,
                          .server_auth = false,
                          .client_auth = true};
    if (absl::Status s = IssueOrKeep(options, *ca, "user-" + user, leaf, now, &report); !s.ok()) {
      return s;
    }
  }
  return report;
}

}  // namespace jit::tools
