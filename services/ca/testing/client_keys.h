// Keys and requests a CA client would send, for the ca service's tests: fresh key pairs, their
// OpenSSH public key lines, PKCS#10 CSRs and PEM public keys. Failures abort the test
// (testonly code; OpenSSL cannot fail here short of memory exhaustion).
#ifndef JIT_SERVICES_CA_TESTING_CLIENT_KEYS_H_
#define JIT_SERVICES_CA_TESTING_CLIENT_KEYS_H_

#include <string>

#include "common/crypto/openssl_util.h"

namespace jit::ca::testing {

// "ED25519", "P-256", "P-384", "RSA-2048", "RSA-1024" (weak, for refusal tests).
crypto::EvpPkeyPtr NewClientKey(const std::string& kind);
// "ssh-ed25519 AAAA... comment" (any RSA size).
std::string SshPublicKeyLine(EVP_PKEY* key, const std::string& comment = "test");
// A CSR signed by `key` with CN=`cn`, PEM.
std::string CsrPem(EVP_PKEY* key, const std::string& cn = "anything");
// "-----BEGIN PUBLIC KEY-----".
std::string PublicKeyPem(EVP_PKEY* key);
// PKCS#8 PEM of the private key.
std::string PrivateKeyPem(EVP_PKEY* key);

}  // namespace jit::ca::testing

#endif  // JIT_SERVICES_CA_TESTING_CLIENT_KEYS_H_
