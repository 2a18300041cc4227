#include "tools/jit/access.h"

#include <dirent.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/openssl_util.h"
#include "common/proto_time.h"
#include "common/ssh/certificate.h"
#include "common/ssh/private_key.h"
#include "common/ssh/public_key.h"
#include "tools/jit/format.h"
#include "tools/jit/session_file.h"

namespace jit::cli {
namespace {

using common::v1::AccessRequest;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The caller's approved requests whose access is on now.
absl::StatusOr<std::vector<AccessRequest>> ActiveGrants(auth::UserAuthClient& auth,
                                                        requests::UserRequestsClient& requests,
                                                        absl::Time now) {
  absl::StatusOr<auth::v1::WhoAmIResponse> me = auth.WhoAmI();
  if (!me.ok()) return me.status();
  requests::v1::ListRequestsRequest req;
  req.set_user(me->identity().name());
  req.add_states(common::v1::ACCESS_REQUEST_STATE_APPROVED);
  req.set_page_size(500);
  std::vector<AccessRequest> out;
  for (int page = 0; page < 100; ++page) {
    absl::StatusOr<requests::v1::ListRequestsResponse> r = requests.ListRequests(req);
    if (!r.ok()) return r.status();
    for (const AccessRequest& a : r->requests()) {
      if (a.user() != me->identity().name()) continue;
      if (a.has_access_start_time() && FromProtoTimestamp(a.access_start_time()) > now) continue;
      if (a.has_access_expire_time() && FromProtoTimestamp(a.access_expire_time()) <= now) {
        continue;
      }
      out.push_back(a);
    }
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  return out;
}

std::string RolesOf(const ssh::SshCertificate& cert) {
  for (const ssh::SshCertOption& e : cert.extensions()) {
    if (e.name != "jit-roles@jit-access") continue;
    absl::StatusOr<std::string_view> v = ssh::OptionString(e);
    if (v.ok()) return std::string(*v);
  }
  return "";
}

absl::Status Mkdirs(const AccessFiles& f, const std::string& jit_dir) {
  for (const std::string& d : {jit_dir, f.ssh_dir, f.tls_dir}) {
    if (absl::Status s = EnsurePrivateDir(d); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// notAfter of a PEM certificate, and whether its public key is `key`'s.
struct X509Info {
  absl::Time not_after;
  bool matches_key = false;
};
std::optional<X509Info> ReadX509(const std::string& pem, EVP_PKEY* key) {
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::nullopt;
  crypto::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  crypto::ClearOpenSslErrors();
  if (!cert) return std::nullopt;
  const ASN1_TIME* t = X509_get0_notAfter(cert.get());
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  X509Info info;
  info.not_after = absl::FromTM(tm, absl::UTCTimeZone());
  info.matches_key = key != nullptr && X509_check_private_key(cert.get(), key) == 1;
  crypto::ClearOpenSslErrors();
  return info;
}

std::vector<std::string> ReadGrants(const AccessFiles& f) {
  std::vector<std::string> ids;
  if (std::optional<std::string> text = ReadFile(f.grants)) {
    for (absl::string_view l : absl::StrSplit(*text, '\n', absl::SkipWhitespace())) {
      ids.emplace_back(absl::StripAsciiWhitespace(l));
    }
  }
  return ids;
}

// A libpq conninfo value, single-quoted.
std::string ConnValue(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

bool SafeName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-' && c != '.' && c != '@') return false;
  }
  return s[0] != '.';
}

constexpr char kRequestHint[] = "jit request create --roles ROLE --reason \"...\" --duration 30m";

}  // namespace

AccessFiles::AccessFiles(const std::string& jit_dir)
    : ssh_dir(jit_dir + "/ssh"),
      ssh_key(ssh_dir + "/id_ed25519"),
      ssh_cert(ssh_dir + "/id_ed25519-cert.pub"),
      known_hosts(ssh_dir + "/known_hosts"),
      tls_dir(jit_dir + "/tls"),
      tls_key(tls_dir + "/client.key"),
      x509_ca(tls_dir + "/ca.pem"),
      kube_cert(tls_dir + "/kube.crt"),
      grants(jit_dir + "/grants") {}

std::string AccessFiles::DbCert(const std::string& db_user) const {
  return absl::StrCat(tls_dir, "/db-", db_user, ".crt");
}

absl::Status Certs(auth::UserAuthClient& auth, requests::UserRequestsClient& requests,
                   ca::UserCaClient& ca, const std::string& jit_dir,
                   const std::vector<std::string>& request_ids, const Output& o) {
  absl::StatusOr<std::vector<AccessRequest>> active = ActiveGrants(auth, requests, o.now);
  if (!active.ok()) return active.status();
  std::vector<std::string> grant_ids;
  if (request_ids.empty()) {
    for (const AccessRequest& a : *active) grant_ids.push_back(a.id());
  } else {
    std::vector<std::string> ids;
    for (const AccessRequest& a : *active) ids.push_back(a.id());
    for (const std::string& p : request_ids) {
      absl::StatusOr<std::string> id = ResolveIdPrefix(p, ids);
      if (!id.ok() && !absl::IsNotFound(id.status())) return id.status();  // ambiguous
      if (!id.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("request ", Printable(p),
                         " is not one of your active grants; `jit status` lists them"));
      }
      grant_ids.push_back(*id);
    }
  }
  const AccessFiles f(jit_dir);
  if (absl::Status s = Mkdirs(f, jit_dir); !s.ok()) return s;

  // SSH: a fresh Ed25519 key, signed for the session and the grants.
  absl::StatusOr<SecretString> seed = crypto::GenerateEd25519Seed();
  if (!seed.ok()) return seed.status();
  absl::StatusOr<std::string> raw_public = crypto::Ed25519PublicKeyFromSeed(*seed);
  if (!raw_public.ok()) return raw_public.status();
  absl::StatusOr<ssh::SshPublicKey> ssh_public = ssh::SshPublicKey::FromEd25519(*raw_public);
  if (!ssh_public.ok()) return ssh_public.status();
  ca::v1::SignUserSshCertRequest ssh_req;
  ssh_req.set_public_key(ssh_public->ToLine());
  for (const std::string& g : grant_ids) ssh_req.add_grant_ids(g);
  absl::StatusOr<ca::v1::SignUserSshCertResponse> ssh_cert = ca.SignUserSshCert(ssh_req);
  if (!ssh_cert.ok()) return ssh_cert.status();
  absl::StatusOr<SecretString> key_file = ssh::EncodeOpenSshEd25519PrivateKey(*seed, "jit");
  if (!key_file.ok()) return key_file.status();

  // Trust: the host CA for known_hosts, the X.509 bundle.
  ca::v1::GetCaPublicKeysRequest keys_req;
  keys_req.set_known_hosts_pattern("*");
  absl::StatusOr<ca::v1::GetCaPublicKeysResponse> keys = ca.GetCaPublicKeys(keys_req);
  if (!keys.ok()) return keys.status();

  // X.509: a fresh P-256 key; a Kubernetes certificate when the roles allow a group.
  absl::StatusOr<crypto::EvpPkeyPtr> tls_key = crypto::GenerateP256Key();
  if (!tls_key.ok()) return tls_key.status();
  absl::StatusOr<SecretString> tls_key_pem = crypto::PrivateKeyToPem(tls_key->get());
  if (!tls_key_pem.ok()) return tls_key_pem.status();
  absl::StatusOr<std::string> tls_public = crypto::PublicKeyToPem(tls_key->get());
  if (!tls_public.ok()) return tls_public.status();
  ca::v1::SignUserX509CertRequest kube_req;
  kube_req.set_public_key_pem(*tls_public);
  kube_req.set_target(ca::v1::SignUserX509CertRequest::TARGET_KUBERNETES);
  for (const std::string& g : grant_ids) kube_req.add_grant_ids(g);
  absl::StatusOr<ca::v1::SignUserX509CertResponse> kube = ca.SignUserX509Cert(kube_req);
  if (!kube.ok() && !absl::IsPermissionDenied(kube.status())) return kube.status();

  // Write everything, keys first; old database certificates belong to the old key.
  for (const auto& [path, contents] : std::vector<std::pair<std::string, std::string>>{
           {f.ssh_key, std::string(key_file->Reveal())},
           {f.ssh_cert, ssh_cert->certificate() + "\n"},
           {f.known_hosts, keys->known_hosts()},
           {f.tls_key, std::string(tls_key_pem->Reveal())},
           {f.x509_ca, keys->x509_ca_bundle_pem()},
           {f.grants, absl::StrJoin(grant_ids, "\n") + "\n"}}) {
    if (absl::Status s = WritePrivateFile(path, contents); !s.ok()) return s;
  }
  if (kube.ok()) {
    if (absl::Status s = WritePrivateFile(f.kube_cert, kube->certificate_pem()); !s.ok()) return s;
  } else {
    unlink(f.kube_cert.c_str());
  }
  if (DIR* d = opendir(f.tls_dir.c_str())) {
    std::vector<std::string> stale;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (absl::StartsWith(n, "db-") && absl::EndsWith(n, ".crt")) stale.push_back(n);
    }
    closedir(d);
    for (const std::string& n : stale) unlink((f.tls_dir + "/" + n).c_str());
  }

  const common::v1::IssuedCertificate& issued = ssh_cert->issued();
  if (o.format == Format::kJson) {
    std::string ssh_json = ToJson(issued);
    ssh_json.pop_back();
    std::string kube_json = "null";
    if (kube.ok()) {
      kube_json = ToJson(kube->issued());
      kube_json.pop_back();
    }
    std::vector<std::string> quoted;
    for (const std::string& g : grant_ids) quoted.push_back(absl::StrCat("\"", g, "\""));
    *o.out << "{\"ssh\":" << ssh_json << ",\"sshKeyFile\":\"" << f.ssh_key
           << "\",\"kubernetes\":" << kube_json << ",\"grants\":[" << absl::StrJoin(quoted, ",")
           << "]}\n";
    return absl::OkStatus();
  }
  const std::string until = issued.has_valid_before()
                                ? RelativeTime(FromProtoTimestamp(issued.valid_before()), o.now)
                                : "?";
  *o.out << "certificates for " << Printable(issued.user()) << " (keys made here, in " << jit_dir
         << ")\n";
  std::vector<std::vector<std::string>> rows = {{"KIND", "ALLOWS", "UNTIL"}};
  rows.push_back({"ssh", absl::StrCat("logins ", absl::StrJoin(issued.principals(), ", ")), until});
  if (kube.ok()) {
    rows.push_back({"kubernetes",
                    absl::StrCat("user ", Printable(kube->issued().user()), ", groups ",
                                 absl::StrJoin(kube->issued().principals(), ", ")),
                    RelativeTime(FromProtoTimestamp(kube->issued().valid_before()), o.now)});
  }
  rows.push_back({"database", "signed per db user by `jit db connect NAME --db-user U`", until});
  *o.out << Table(rows);
  if (grant_ids.empty()) {
    *o.out << "no active grant: base roles only (ask for more with " << kRequestHint << ")\n";
  } else {
    *o.out << "grants: " << absl::StrJoin(UniquePrefixes(grant_ids), ", ") << "\n";
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SshCommand(const std::string& jit_dir, const SshInput& in,
                                                    absl::Time now) {
  const AccessFiles f(jit_dir);
  std::string login, host = in.destination;
  if (size_t at = in.destination.rfind('@'); at != std::string::npos) {
    login = in.destination.substr(0, at);
    host = in.destination.substr(at + 1);
  }
  if (host.empty() || host[0] == '-') {
    return absl::InvalidArgumentError("no host; use `jit ssh [login@]host [command]`");
  }
  std::optional<std::string> line = ReadFile(f.ssh_cert);
  std::optional<std::string> key = ReadFile(f.ssh_key);
  if (!line || !key || !ReadFile(f.known_hosts)) {
    return absl::FailedPreconditionError(
        "you have no SSH certificate yet; run `jit certs` (after `jit login`)");
  }
  absl::StatusOr<ssh::SshCertificate> cert =
      ssh::SshCertificate::FromLine(std::string(absl::StripAsciiWhitespace(*line)));
  if (!cert.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(f.ssh_cert, " is not a certificate; run `jit certs` again"));
  }
  const absl::Time before = absl::FromUnixSeconds(static_cast<int64_t>(
      std::min<uint64_t>(cert->valid_before(), static_cast<uint64_t>(INT64_MAX))));
  if (before <= now) {
    return absl::FailedPreconditionError(absl::StrCat(
        "your SSH certificate (roles ", RolesOf(*cert), ") expired ", RelativeTime(before, now),
        "; run `jit certs` for a new one, and if your grant has ended ask again: ", kRequestHint));
  }
  if (!login.empty() && std::find(cert->principals().begin(), cert->principals().end(), login) ==
                            cert->principals().end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("your certificate (roles ", RolesOf(*cert), ") does not allow login \"",
                     Printable(login), "\" (it allows: ", absl::StrJoin(cert->principals(), ", "),
                     "); ask for a role that allows it: ", kRequestHint, ", then `jit certs`"));
  }
  std::vector<std::string> argv = {in.ssh_binary,
                                   "-i",
                                   f.ssh_key,
                                   "-o",
                                   "CertificateFile=" + f.ssh_cert,
                                   "-o",
                                   "IdentitiesOnly=yes",
                                   "-o",
                                   "IdentityAgent=none",
                                   "-o",
                                   "UserKnownHostsFile=" + f.known_hosts,
                                   "-o",
                                   "GlobalKnownHostsFile=/dev/null",
                                   "-o",
                                   "StrictHostKeyChecking=yes",
                                   "-o",
                                   "UpdateHostKeys=no"};
  if (in.port > 0) {
    argv.push_back("-p");
    argv.push_back(absl::StrCat(in.port));
  }
  if (!login.empty()) {
    argv.push_back("-l");
    argv.push_back(login);
  }
  argv.push_back("--");
  argv.push_back(host);
  for (const std::string& c : in.command) argv.push_back(c);
  return argv;
}

absl::StatusOr<std::vector<std::string>> DbCommand(ca::UserCaClient& ca, const std::string& jit_dir,
                                                   const DbInput& in, absl::Time now,
                                                   std::ostream* note) {
  if (!SafeName(in.db_user)) {
    return absl::InvalidArgumentError(
        "--db-user must be a database user name (letters, digits, _ - . @)");
  }
  if (in.addr.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no address for database ", Printable(in.name), "; pass --addr HOST:PORT or set db.",
        Printable(in.name), ".addr in ", jit_dir, "/config"));
  }
  std::vector<std::string> hp = absl::StrSplit(in.addr, absl::MaxSplits(':', 1));
  int port = 0;
  if (hp.size() != 2 || hp[0].empty() || !absl::SimpleAtoi(hp[1], &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("database address \"", Printable(in.addr), "\" is not HOST:PORT"));
  }
  if (in.server_ca_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no server CA for database ", Printable(in.name),
                     " (sslmode=verify-full needs one); pass --server-ca-file or set db.",
                     Printable(in.name), ".server_ca_file in ", jit_dir, "/config"));
  }
  const AccessFiles f(jit_dir);
  std::optional<std::string> key_pem = ReadFile(f.tls_key);
  if (!key_pem) {
    return absl::FailedPreconditionError(
        "you have no keys yet; run `jit certs` (after `jit login`)");
  }
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::ParsePrivateKeyPem(*key_pem);
  if (!key.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(f.tls_key, " is not a private key; run `jit certs` again"));
  }
  const std::string cert_path = f.DbCert(in.db_user);
  const std::string db_name = in.db_name.empty() ? in.name : in.db_name;
  std::optional<std::string> cached = ReadFile(cert_path);
  std::optional<X509Info> info;
  if (cached) info = ReadX509(*cached, key->get());
  if (!info || !info->matches_key || info->not_after <= now + absl::Minutes(1)) {
    absl::StatusOr<std::string> public_pem = crypto::PublicKeyToPem(key->get());
    if (!public_pem.ok()) return public_pem.status();
    ca::v1::SignUserX509CertRequest req;
    req.set_public_key_pem(*public_pem);
    req.set_target(ca::v1::SignUserX509CertRequest::TARGET_DATABASE);
    req.set_db_user(in.db_user);
    req.set_db_name(db_name);
    for (const std::string& g : ReadGrants(f)) req.add_grant_ids(g);
    absl::StatusOr<ca::v1::SignUserX509CertResponse> r = ca.SignUserX509Cert(req);
    if (absl::IsPermissionDenied(r.status())) {
      return absl::PermissionDeniedError(
          absl::StrCat("jit did not connect to ", Printable(in.name), ": ", r.status().message(),
                       "; ask for a role that allows db user \"", in.db_user, "\": ", kRequestHint,
                       ", then `jit certs`"));
    }
    if (!r.ok()) return r.status();
    if (absl::Status s = WritePrivateFile(cert_path, r->certificate_pem()); !s.ok()) return s;
    if (!r->ca_chain_pem().empty()) {
      if (absl::Status s = WritePrivateFile(f.x509_ca, r->ca_chain_pem()); !s.ok()) return s;
    }
    if (note != nullptr) {
      *note << "certificate for db user " << in.db_user << " until "
            << RelativeTime(FromProtoTimestamp(r->issued().valid_before()), now) << "\n";
    }
  }
  std::vector<std::string> argv = {
      in.psql_binary,
      absl::StrCat("host=", ConnValue(hp[0]), " port=", port, " dbname=", ConnValue(db_name),
                   " user=", ConnValue(in.db_user),
                   " sslmode=verify-full sslrootcert=", ConnValue(in.server_ca_file),
                   " sslcert=", ConnValue(cert_path), " sslkey=", ConnValue(f.tls_key))};
  for (const std::string& a : in.psql_args) argv.push_back(a);
  return argv;
}

absl::Status KubeLogin(ca::UserCaClient& ca, const std::string& jit_dir, const KubeInput& in,
                       const Output& o) {
  if (!SafeName(in.cluster)) {
    return absl::InvalidArgumentError("the cluster name may hold letters, digits, _ - . @");
  }
  if (in.server.empty() || in.ca_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no API server or CA for cluster ", in.cluster,
                     "; pass --server URL --ca-file FILE or set kube.", in.cluster,
                     ".server and kube.", in.cluster, ".ca_file in ", jit_dir, "/config"));
  }
  const AccessFiles f(jit_dir);
  std::optional<std::string> key_pem = ReadFile(f.tls_key);
  if (!key_pem) {
    return absl::FailedPreconditionError(
        "you have no keys yet; run `jit certs` (after `jit login`)");
  }
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::ParsePrivateKeyPem(*key_pem);
  if (!key.ok()) return absl::FailedPreconditionError("run `jit certs` again (bad key file)");
  absl::StatusOr<std::string> public_pem = crypto::PublicKeyToPem(key->get());
  if (!public_pem.ok()) return public_pem.status();
  ca::v1::SignUserX509CertRequest req;
  req.set_public_key_pem(*public_pem);
  req.set_target(ca::v1::SignUserX509CertRequest::TARGET_KUBERNETES);
  for (const std::string& g : ReadGrants(f)) req.add_grant_ids(g);
  absl::StatusOr<ca::v1::SignUserX509CertResponse> r = ca.SignUserX509Cert(req);
  if (absl::IsPermissionDenied(r.status())) {
    return absl::PermissionDeniedError(
        absl::StrCat("no Kubernetes access: ", r.status().message(),
                     "; ask for a role that allows it: ", kRequestHint, ", then `jit certs`"));
  }
  if (!r.ok()) return r.status();
  const std::string kube_dir = jit_dir + "/kube";
  if (absl::Status s = EnsurePrivateDir(kube_dir); !s.ok()) return s;
  const std::string cert_path = absl::StrCat(kube_dir, "/", in.cluster, ".crt");
  if (absl::Status s = WritePrivateFile(cert_path, r->certificate_pem()); !s.ok()) return s;
  const std::string user = absl::StrCat("jit-", r->issued().user());
  const std::string config_path = absl::StrCat(kube_dir, "/", in.cluster, ".kubeconfig");
  // JSON is YAML; the values are quoted so nothing in them can change the structure.
  auto q = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
    }
    return out + "\"";
  };
  const std::string config = absl::StrCat(
      "apiVersion: v1\nkind: Config\nclusters:\n- name: ", q(in.cluster),
      "\n  cluster:\n    server: ", q(in.server), "\n    certificate-authority: ", q(in.ca_file),
      "\nusers:\n- name: ", q(user), "\n  user:\n    client-certificate: ", q(cert_path),
      "\n    client-key: ", q(f.tls_key), "\ncontexts:\n- name: ", q(in.cluster),
      "\n  context:\n    cluster: ", q(in.cluster), "\n    user: ", q(user),
      "\ncurrent-context: ", q(in.cluster), "\n");
  if (absl::Status s = WritePrivateFile(config_path, config); !s.ok()) return s;
  if (o.format == Format::kJson) {
    std::string issued = ToJson(r->issued());
    issued.pop_back();
    *o.out << "{\"kubeconfig\":" << q(config_path) << ",\"certificate\":" << issued << "}\n";
  } else {
    *o.out << "kubeconfig for " << in.cluster << " as " << Printable(r->issued().user())
           << " (groups " << absl::StrJoin(r->issued().principals(), ", ") << ") until "
           << RelativeTime(FromProtoTimestamp(r->issued().valid_before()), o.now)
           << "\nuse it with: export KUBECONFIG=" << config_path << "\n";
  }
  return absl::OkStatus();
}

}  // namespace jit::cli
