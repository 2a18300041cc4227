// The internal CA of the ca service: the X.509 CA that certifies services
// (spiffe://jit-access/service/<name>) and enrolled hosts (spiffe://jit-access/host/<name>).
// It is the CA every service already trusts for mTLS (deploy/local/up.sh's
// pki/internal-ca.pem, made by jit-bootstrap), imported once: the first ca start given
// --internal_ca_cert_file and --internal_ca_key_file stores it in PostgreSQL (key sealed
// under the KEK, audited as internal_ca.import); every replica then loads it from there. A
// later start with files for a different CA keeps the stored one and says so in the log.
#ifndef JIT_SERVICES_CA_JOIN_INTERNAL_CA_LOADER_H_
#define JIT_SERVICES_CA_JOIN_INTERNAL_CA_LOADER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pki/x509_ca.h"
#include "services/ca/join/join_store.h"

namespace jit::ca::join {

// Both paths or neither; each readable (the key 0600) and together a CA with its key.
// INVALID_ARGUMENT / FAILED_PRECONDITION naming the flag otherwise.
absl::Status ValidateInternalCaFiles(const std::string& cert_file, const std::string& key_file);

// The stored CA (importing it from the files first when none is stored and files are
// given); nullopt when there is none and no files (enrolment then answers
// FAILED_PRECONDITION). Errors: the store's; DATA_LOSS when the stored CA does not load.
absl::StatusOr<std::optional<pki::CertificateAuthority>> LoadInternalCa(
    JoinStore& store, const std::string& cert_file, const std::string& key_file, absl::Time now);

}  // namespace jit::ca::join

#endif  // JIT_SERVICES_CA_JOIN_INTERNAL_CA_LOADER_H_
