#include "common/testing/test_pki_files.h"

#include "common/testing/runfiles.h"

namespace jit::testing {

std::string TestPkiDir() { return RunfilePath("common/testing/pki"); }

server::TlsFiles TestTlsFiles(const std::string& name) {
  const std::string dir = TestPkiDir();
  return {.cert_file = dir + "/" + name + ".pem",
          .key_file = dir + "/" + name + ".key",
          .ca_file = dir + "/internal-ca.pem"};
}

server::TlsFiles ForeignTlsFiles() {
  const std::string dir = TestPkiDir();
  return {.cert_file = dir + "/foreign/intruder.pem",
          .key_file = dir + "/foreign/intruder.key",
          .ca_file = dir + "/internal-ca.pem"};
}

}  // namespace jit::testing
