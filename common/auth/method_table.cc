#include "common/auth/method_table.h"

#include "absl/strings/str_cat.h"
#include "common/auth/spiffe.h"

namespace jit::auth {
namespace {

bool IsIdentifierPart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "/pkg.sub.Service/Method"
bool ValidMethodName(std::string_view m) {
  if (m.size() < 4 || m[0] != '/') return false;
  const size_t slash = m.find('/', 1);
  if (slash == std::string_view::npos || slash == 1 || slash + 1 >= m.size()) return false;
  const std::string_view service = m.substr(1, slash - 1);
  const std::string_view method = m.substr(slash + 1);
  if (service.find('.') == std::string_view::npos) return false;
  for (char c : service) {
    if (!IsIdentifierPart(c) && c != '.') return false;
  }
  for (char c : method) {
    if (!IsIdentifierPart(c)) return false;
  }
  return service.front() != '.' && service.back() != '.';
}

}  // namespace

MethodRule Public() { return MethodRule{.public_access = true}; }
MethodRule Users() { return MethodRule{.users = true}; }
MethodRule AnyService() { return MethodRule{.any_service = true}; }
MethodRule UsersAndAnyService() { return MethodRule{.users = true, .any_service = true}; }
MethodRule Hosts() { return MethodRule{.hosts = true}; }
MethodRule Services(std::initializer_list<std::string> names) {
  MethodRule r;
  r.services.insert(names.begin(), names.end());
  return r;
}
MethodRule UsersAndServices(std::initializer_list<std::string> names) {
  MethodRule r = Services(names);
  r.users = true;
  return r;
}

absl::StatusOr<MethodAuthorizationTable> MethodAuthorizationTable::Create(
    std::vector<std::pair<std::string, MethodRule>> rules) {
  MethodAuthorizationTable table;
  for (auto& [method, rule] : rules) {
    if (!ValidMethodName(method)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid method name '", method, "'"));
    }
    if (!rule.public_access && !rule.users && !rule.any_service && rule.services.empty() &&
        !rule.hosts) {
      return absl::InvalidArgumentError(absl::StrCat(method, ": rule allows nobody"));
    }
    for (const std::string& s : rule.services) {
      if (!IsValidServiceName(s)) {
        return absl::InvalidArgumentError(absl::StrCat(method, ": invalid service name '", s, "'"));
      }
    }
    if (!table.rules_.emplace(method, std::move(rule)).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate method '", method, "'"));
    }
  }
  return table;
}

const MethodRule* MethodAuthorizationTable::Find(std::string_view full_method) const {
  const auto it = rules_.find(absl::string_view(full_method.data(), full_method.size()));
  return it == rules_.end() ? nullptr : &it->second;
}

std::vector<std::string> MethodAuthorizationTable::Methods() const {
  std::vector<std::string> out;
  out.reserve(rules_.size());
  for (const auto& [m, r] : rules_) out.push_back(m);
  return out;
}

const MethodAuthorizationTable& JitMethodTable() {
  static const MethodAuthorizationTable* const table = [] {
    const std::string a = "/jit.auth.v1.AuthService/";
    const std::string c = "/jit.ca.v1.CaService/";
    const std::string r = "/jit.requests.v1.RequestsService/";
    const std::string p = "/jit.policy.v1.PolicyService/";
    const std::string u = "/jit.audit.v1.AuditService/";
    const std::string h = "/grpc.health.v1.Health/";
    std::vector<std::pair<std::string, MethodRule>> rules = {
        // auth: logging in needs no credentials; the request carries them.
        {a + "Login", Public()},
        {a + "WhoAmI", UsersAndAnyService()},
        {a + "Logout", Users()},
        {a + "GetJwks", Public()},  // public keys
        {a + "BeginOidcLogin", Public()},
        {a + "CompleteOidcLogin", Public()},
        // Admin verbs are checked in the handler against the caller's roles.
        {a + "CreateUser", Users()},
        {a + "GetUser", Users()},
        {a + "ListUsers", Users()},
        {a + "UpdateUser", Users()},
        {a + "DeleteUser", Users()},
        {a + "SetPassword", Users()},
        {a + "EnrollTotp", Users()},
        {a + "ConfirmTotp", Users()},
        {a + "ResetTotp", Users()},
        {a + "RotateSigningKey", Users()},
        {a + "ListRevokedSessions", AnyService()},  // every service's token verifier
        // ca
        {c + "SignUserSshCert", Users()},
        {c + "SignHostSshCert", Users()},  // no service mints host certificates
        {c + "SignUserX509Cert", Users()},
        {c + "GetCaPublicKeys", Public()},  // trust anchors are public
        {c + "ListIssuedCerts", Users()},
        {c + "RotateCa", Users()},
        // KRL/CRL distribution: people, services (and, with jit-host, enrolled hosts)
        {c + "GetRevocationList",
         MethodRule{.users = true, .any_service = true, .hosts = true}},  // jit-host sync
        {c + "RevokeCerts", UsersAndServices({"requests"})},
        // ca enrolment (issue 11): redeeming a join token is proven by the token itself.
        {c + "CreateJoinToken", Users()},
        {c + "EnrollHost", Public()},
        {c + "JoinService", Public()},
        {c + "RenewHost", Hosts()},  // an enrolled host's identity certificate
        // requests
        {r + "CreateRequest", Users()},
        {r + "GetRequest", Users()},
        {r + "ListRequests", Users()},
        {r + "ReviewRequest", Users()},
        {r + "CancelRequest", Users()},
        {r + "RevokeGrant", Users()},
        {r + "ListActiveGrants", Services({"ca"})},
        {r + "WatchRequests", Users()},
        // policy
        {p + "UpsertRole", Users()},
        {p + "GetRole", Users()},
        {p + "ListRoles", Users()},
        {p + "DeleteRole", Users()},
        {p + "CheckRequest", Services({"requests"})},
        {p + "CheckReview", Services({"requests"})},
        {p + "ComputeCertParams", Services({"ca"})},
        {p + "CheckAccess", AnyService()},
        {p + "CheckPermission", AnyService()},
        // policy: automatic review rules (issue 15)
        {p + "UpsertReviewRule", Users()},
        {p + "GetReviewRule", Users()},
        {p + "ListReviewRules", Users()},
        {p + "DeleteReviewRule", Users()},
        {p + "EvaluateReviewRules", Services({"requests"})},
        // audit
        {u + "IngestEvents", AnyService()},
        {u + "SearchEvents", Users()},
        {u + "VerifyChain", Users()},
        // people with the export permission, and a SIEM shipper running with the service
        // certificate spiffe://jit-access/service/audit-export (no other service reads the log)
        {u + "ExportEvents", UsersAndServices({"audit-export"})},
        {u + "GetCheckpointKeys", Public()},  // checkpoint public keys, like CA keys
        {u + "ListCheckpoints", Users()},
        // health (load balancers, kubelet)
        {h + "Check", Public()},
        {h + "Watch", Public()},
        // server reflection (grpcurl, debugging): the API is public, but not to strangers
        {std::string(kServerReflectionMethod), UsersAndAnyService()},
    };
    absl::StatusOr<MethodAuthorizationTable> t = MethodAuthorizationTable::Create(std::move(rules));
    // The table is a constant of this program: a mistake in it is a programming error,
    // caught by method_table_test before it can ship.
    if (!t.ok()) std::abort();
    return new MethodAuthorizationTable(*std::move(t));
  }();
  return *table;
}

}  // namespace jit::auth
