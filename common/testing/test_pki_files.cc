#include "common/testing/test_pki_files.h"

#include <cstdlib>

namespace jit::testing {

std::string TestPkiDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  std::string root = srcdir != nullptr ? std::string(srcdir) + "/" +
                                             (workspace != nullptr ? workspace : "jit_access")
                                       : ".";
  return root + "/common/testing/pki";
}

server::TlsFiles TestTlsFiles(const std::string& name) {
  const std::string dir = TestPkiDir();
  return {.cert_file = dir + "/" + name + ".pem",
          .key_file = dir + "/" + name + ".key",
          .ca_file = dir + "/ca.pem"};
}

server::TlsFiles ForeignTlsFiles() {
  const std::string dir = TestPkiDir();
  return {.cert_file = dir + "/foreign/intruder.pem",
          .key_file = dir + "/foreign/intruder.key",
          .ca_file = dir + "/ca.pem"};
}

}  // namespace jit::testing
