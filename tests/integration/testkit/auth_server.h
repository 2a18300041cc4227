// A real jit-auth for integration tests: its key-encryption key file, a bootstrap users file
// (names, roles, traits, passwords, TOTP secrets) and the process (a ServiceProcess), with a
// client that logs in and asks WhoAmI as a person's CLI does (TLS without a client
// certificate). Other services verify the session tokens it issues against it: start them
// with .peers = {{"auth", auth->address()}}.
//
//   ASSERT_OK_AND_ASSIGN(auto auth, AuthServer::StartServing({
//       .db_url = auth_db.conninfo(),
//       .users = {{.name = "ada", .roles = {"admin"}, .password = "ada's password, long"}}}));
//   ASSERT_OK_AND_ASSIGN(std::string token, auth->LoginToken("ada"));
//
// This library carries //services/auth:jit-auth as data. Its files live in a directory of
// their own in the test's scratch space (dir()). Errors of the calls are the RPCs' own
// (FromGrpcStatus). Thread-safety: not thread-safe; one test thread owns it.
#ifndef JIT_TESTS_INTEGRATION_TESTKIT_AUTH_SERVER_H_
#define JIT_TESTS_INTEGRATION_TESTKIT_AUTH_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "jit/auth/v1/auth.grpc.pb.h"
#include "jit/common/v1/identity.pb.h"
#include "tests/integration/testkit/service_process.h"

namespace jit::testkit {

// A local user created by jit-auth at start (--bootstrap_users_file).
struct LocalUser {
  std::string name;
  std::vector<std::string> roles;
  // At least 12 bytes; "" = no password (cannot log in with one).
  std::string password;
  std::map<std::string, std::vector<std::string>> traits;
  // Base32 TOTP secret, enabled at once; "" = none.
  std::string totp_secret_base32;
};

struct AuthOptions {
  // --db_url of jit-auth (a TestDatabase's conninfo).
  std::string db_url;
  // The bootstrap users; none = no --bootstrap_users_file.
  std::vector<LocalUser> users;
  // The base64 of 32 bytes; "" = a fresh random key.
  std::string key_encryption_key_base64;
  // As in ServiceOptions: peers (policy decides auth's admin verbs), extra flags, port.
  std::map<std::string, std::string> peers;
  std::vector<std::string> flags;
  int port = 0;
};

// Writes a key-encryption key file (mode 0600) at `path` holding `base64`, or a fresh
// random key when it is "". Returns `path` (for --key_encryption_key_file).
absl::StatusOr<std::string> WriteKeyEncryptionKeyFile(const std::string& path,
                                                      const std::string& base64 = "");

class AuthServer {
 public:
  // Writes the files and starts jit-auth without waiting (for start-up failures).
  static absl::StatusOr<std::unique_ptr<AuthServer>> Start(AuthOptions options);
  // Start, then waits until it is SERVING (ServiceProcess::WaitServing).
  static absl::StatusOr<std::unique_ptr<AuthServer>> StartServing(AuthOptions options);

  AuthServer(const AuthServer&) = delete;
  AuthServer& operator=(const AuthServer&) = delete;

  // Login with a password (and a TOTP code when the user has TOTP).
  absl::StatusOr<jit::auth::v1::LoginResponse> Login(const std::string& user,
                                                     const std::string& password,
                                                     const std::string& totp_code = "");
  // The session token of a Login with the password of bootstrap user `user` (and a TOTP
  // code, NextTotpCode, when the user has a TOTP secret). NOT_FOUND when `user` is not one
  // of AuthOptions::users.
  absl::StatusOr<std::string> LoginToken(const std::string& user);
  // A TOTP code of bootstrap user `user` that auth has not seen yet: auth accepts each
  // 30-second step once per user, so a second code within a step waits for the next step
  // (at most 30 s). NOT_FOUND for an unknown user or one without TOTP.
  absl::StatusOr<std::string> NextTotpCode(const std::string& user);
  // The identity the token stands for.
  absl::StatusOr<jit::common::v1::Identity> WhoAmI(const std::string& token);

  // AuthService over TLS without a client certificate (a person's CLI), for any other RPC.
  jit::auth::v1::AuthService::Stub& stub() { return *stub_; }

  ServiceProcess& process() { return *process_; }
  std::string address() const { return process_->address(); }
  int metrics_port() const { return process_->metrics_port(); }
  // The directory holding the key-encryption key ("kek"), users and secret files.
  const std::string& dir() const { return dir_; }
  const std::string& key_encryption_key_file() const { return kek_file_; }

  // Closes stub()'s connection (so that draining has nothing to wait for), then
  // ServiceProcess::Stop. stub() is a fresh, unconnected stub afterwards.
  absl::Status Stop();

 private:
  AuthServer(AuthOptions options, std::string dir, std::string kek_file,
             std::unique_ptr<ServiceProcess> process);

  const AuthOptions options_;
  const std::string dir_;
  const std::string kek_file_;
  std::unique_ptr<ServiceProcess> process_;
  std::unique_ptr<jit::auth::v1::AuthService::Stub> stub_;
  std::map<std::string, int64_t> last_totp_step_;  // per user, of NextTotpCode
};

}  // namespace jit::testkit

#endif  // JIT_TESTS_INTEGRATION_TESTKIT_AUTH_SERVER_H_
