// Decides, for one incoming RPC, who the caller is and whether the method table lets them
// call. Transport-free: the gRPC glue (grpc_authorizer.h) extracts CallCredentials from a
// ServerContext or an AuthMetadataProcessor call and hands them here.
//
// Order: the method must be in the table (else PERMISSION_DENIED: fail closed). Public
// methods pass without looking at credentials. A bearer token, when sent, decides: it must
// verify (else UNAUTHENTICATED, never a fall-back to the certificate) and the method must
// admit users (else PERMISSION_DENIED). Without a token, a verified service certificate must
// name a service the method admits (else PERMISSION_DENIED). No credentials at all, or a
// certificate that is not a valid jit-access identity: UNAUTHENTICATED.
#ifndef JIT_COMMON_AUTH_CALL_AUTHORIZER_H_
#define JIT_COMMON_AUTH_CALL_AUTHORIZER_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/method_table.h"
#include "common/auth/peer_certificate_verifier.h"
#include "common/auth/token_verifier.h"
#include "jit/common/v1/identity.pb.h"

namespace jit::auth {

// How the session token of a call fared, for metrics (bounded: one label value each).
enum class TokenVerificationResult { kValid, kExpired, kRevoked, kInvalid, kUnavailable };
// "valid", "expired", "revoked", "invalid", "unavailable".
const char* TokenVerificationResultName(TokenVerificationResult result);
// The result a TokenVerifier status stands for (token_verifier.h lists its errors).
TokenVerificationResult ClassifyTokenVerification(const absl::Status& status);

// Told the outcome of every token verification done for a call's gate (once per call: the
// handler's re-check of the same call is not reported). Thread-safe; must not block.
class TokenVerificationObserver {
 public:
  virtual ~TokenVerificationObserver() = default;
  virtual void Record(TokenVerificationResult result) = 0;
};

struct CallCredentials {
  // Every "authorization" metadata value sent (more than one is refused).
  std::vector<std::string_view> authorization;
  // The TLS peer's leaf certificate (PEM), "" when the peer sent none.
  std::string_view peer_cert_pem;
};

// Thread-safe; borrows its dependencies, which must outlive it.
class CallAuthorizer {
 public:
  // `peers` may be null on a server that accepts no service callers; `observer` may be null.
  static absl::StatusOr<std::unique_ptr<CallAuthorizer>> Create(
      const MethodAuthorizationTable* table, TokenVerifier* tokens,
      const PeerCertificateVerifier* peers, TokenVerificationObserver* observer = nullptr);

  // The caller's identity when it may call `full_method`. For public methods the identity is
  // KIND_UNSPECIFIED (anonymous) unless a valid service certificate was presented.
  // `record_token_result`: report the token verification to the observer (the per-call gate
  // does; a handler asking again for the same call does not).
  absl::StatusOr<jit::common::v1::Identity> Authorize(std::string_view full_method,
                                                      const CallCredentials& credentials,
                                                      bool record_token_result = false) const;

 private:
  CallAuthorizer(const MethodAuthorizationTable* table, TokenVerifier* tokens,
                 const PeerCertificateVerifier* peers, TokenVerificationObserver* observer)
      : table_(table), tokens_(tokens), peers_(peers), observer_(observer) {}

  absl::StatusOr<PeerIdentity> PeerOf(const CallCredentials& credentials) const;

  const MethodAuthorizationTable* const table_;
  TokenVerifier* const tokens_;
  const PeerCertificateVerifier* const peers_;
  TokenVerificationObserver* const observer_;
};

// The Identity of a service that proved itself with a certificate.
jit::common::v1::Identity ServiceIdentity(const PeerIdentity& peer);

}  // namespace jit::auth

#endif  // JIT_COMMON_AUTH_CALL_AUTHORIZER_H_
