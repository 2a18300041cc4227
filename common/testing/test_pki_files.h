// Paths to the test PKI generated at build time (//common/testing:test_pki).
#ifndef JIT_COMMON_TESTING_TEST_PKI_FILES_H_
#define JIT_COMMON_TESTING_TEST_PKI_FILES_H_

#include <string>

#include "common/server/tls.h"

namespace jit::testing {

// Directory holding internal-ca.pem (the CA bundle), <name>.pem, <name>.key and foreign/.
std::string TestPkiDir();

// Cert/key of `name` ("server", "client", "auth", "ca", "requests", "policy",
// "audit") with the test CA bundle.
server::TlsFiles TestTlsFiles(const std::string& name);

// A certificate from a foreign CA (not trusted by the test CA bundle), with the test CA as
// its trust bundle.
server::TlsFiles ForeignTlsFiles();

}  // namespace jit::testing

#endif  // JIT_COMMON_TESTING_TEST_PKI_FILES_H_
