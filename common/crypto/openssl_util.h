// RAII handles for OpenSSL objects and the one place where OpenSSL's error queue becomes an
// absl::Status.
//
// Every OpenSSL object in jit-access lives in one of these unique_ptr aliases; nothing calls
// a *_free function by hand.
//
//   EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
//   if (key == nullptr) return OpenSslError("generating P-256 key");
#ifndef JIT_COMMON_CRYPTO_OPENSSL_UTIL_H_
#define JIT_COMMON_CRYPTO_OPENSSL_UTIL_H_

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/secret.h"

namespace jit::crypto {

template <auto FreeFn>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};

template <typename T, auto FreeFn>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<FreeFn>>;

using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpMdPtr = OpenSslPtr<EVP_MD, EVP_MD_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using EcdsaSigPtr = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = OpenSslPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using Asn1IntegerPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1TimePtr = OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;
using Asn1OctetStringPtr = OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using GeneralNamePtr = OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;

// Drains OpenSSL's thread-local error queue into one status:
// INTERNAL "<context>: <error>; <error>...". The queue is empty afterwards. Use after any
// OpenSSL call that failed; callers that need a caller-facing code (INVALID_ARGUMENT for a
// malformed PEM, say) wrap it with their own.
absl::Status OpenSslError(std::string_view context,
                          absl::StatusCode code = absl::StatusCode::kInternal);

// Clears the error queue without reporting (after an expected failure, e.g. a signature that
// does not verify).
void ClearOpenSslErrors();

// The bytes held by a memory BIO.
std::string BioContents(BIO* bio);

// PEM helpers. Private keys are PKCS#8, unencrypted (encryption at rest is the key store's
// job); they come back as SecretString.
absl::StatusOr<SecretString> PrivateKeyToPem(EVP_PKEY* key);
absl::StatusOr<std::string> PublicKeyToPem(EVP_PKEY* key);
// INVALID_ARGUMENT when the text is not a private key PEM.
absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(std::string_view pem);
absl::StatusOr<EvpPkeyPtr> ParsePublicKeyPem(std::string_view pem);

// A fresh NIST P-256 key pair.
absl::StatusOr<EvpPkeyPtr> GenerateP256Key();

}  // namespace jit::crypto

#endif  // JIT_COMMON_CRYPTO_OPENSSL_UTIL_H_
