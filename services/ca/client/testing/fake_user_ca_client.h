// A UserCaClient for unit tests of the jit CLI: each method answers what the test set and
// records its requests (common/client/testing/fake_rpc.h); unset methods fail with
// UNIMPLEMENTED.
#ifndef JIT_SERVICES_CA_CLIENT_TESTING_FAKE_USER_CA_CLIENT_H_
#define JIT_SERVICES_CA_CLIENT_TESTING_FAKE_USER_CA_CLIENT_H_

#include "common/client/testing/fake_rpc.h"
#include "services/ca/client/user_ca_client.h"

namespace jit::ca::testing {

class FakeUserCaClient final : public UserCaClient {
 public:
  client::testing::FakeRpc<v1::SignUserSshCertRequest, v1::SignUserSshCertResponse> sign_ssh{
      "SignUserSshCert"};
  client::testing::FakeRpc<v1::SignUserX509CertRequest, v1::SignUserX509CertResponse> sign_x509{
      "SignUserX509Cert"};
  client::testing::FakeRpc<v1::GetCaPublicKeysRequest, v1::GetCaPublicKeysResponse> keys{
      "GetCaPublicKeys"};

  absl::StatusOr<v1::SignUserSshCertResponse> SignUserSshCert(
      const v1::SignUserSshCertRequest& r) override {
    return sign_ssh.Call(r);
  }
  absl::StatusOr<v1::SignUserX509CertResponse> SignUserX509Cert(
      const v1::SignUserX509CertRequest& r) override {
    return sign_x509.Call(r);
  }
  absl::StatusOr<v1::GetCaPublicKeysResponse> GetCaPublicKeys(
      const v1::GetCaPublicKeysRequest& r) override {
    return keys.Call(r);
  }
};

}  // namespace jit::ca::testing

#endif  // JIT_SERVICES_CA_CLIENT_TESTING_FAKE_USER_CA_CLIENT_H_
