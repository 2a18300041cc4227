#include "tests/integration/testkit/auth_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/base32.h"
#include "common/crypto/base64.h"
#include "common/crypto/random.h"
#include "common/grpc_status.h"
#include "nlohmann/json.hpp"
#include "services/auth/totp.h"
#include "tests/integration/testkit/credentials.h"
#include "tests/integration/testkit/test_files.h"

namespace jit::testkit {
namespace {

namespace v1 = ::jit::auth::v1;

// The bootstrap users file (JSON, which YAML reads as it is) and the secret files it names,
// in `dir`. Returns the file's path.
absl::StatusOr<std::string> WriteBootstrapUsers(const std::string& dir,
                                                const std::vector<LocalUser>& users) {
  nlohmann::json list = nlohmann::json::array();
  for (const LocalUser& user : users) {
    nlohmann::json entry = {{"name", user.name}, {"roles", user.roles}};
    if (!user.traits.empty()) entry["traits"] = user.traits;
    if (!user.password.empty()) {
      const std::string file = user.name + ".password";
      if (absl::Status s = WriteTestFile(dir + "/" + file, user.password + "\n"); !s.ok()) {
        return s;
      }
      entry["password_file"] = file;
    }
    if (!user.totp_secret_base32.empty()) {
      const std::string file = user.name + ".totp";
      if (absl::Status s = WriteTestFile(dir + "/" + file, user.totp_secret_base32 + "\n");
          !s.ok()) {
        return s;
      }
      entry["totp_secret_file"] = file;
    }
    list.push_back(std::move(entry));
  }
  const std::string path = dir + "/users.yaml";
  if (absl::Status s = WriteTestFile(path, nlohmann::json{{"users", list}}.dump(2) + "\n");
      !s.ok()) {
    return s;
  }
  return path;
}

}  // namespace

absl::StatusOr<std::string> WriteKeyEncryptionKeyFile(const std::string& path,
                                                      const std::string& base64) {
  std::string content = base64;
  if (content.empty()) {
    absl::StatusOr<SecretString> key = crypto::RandomSecret(32);
    if (!key.ok()) return key.status();
    content = crypto::Base64Encode(key->Reveal());
  }
  if (absl::Status s = WriteTestFile(path, content + "\n", 0600); !s.ok()) return s;
  return path;
}

AuthServer::AuthServer(AuthOptions options, std::string dir, std::string kek_file,
                       std::unique_ptr<ServiceProcess> process)
    : options_(std::move(options)),
      dir_(std::move(dir)),
      kek_file_(std::move(kek_file)),
      process_(std::move(process)),
      stub_(NewStub<v1::AuthService>(process_->address(), AnonymousCredentials())) {}

absl::StatusOr<std::unique_ptr<AuthServer>> AuthServer::Start(AuthOptions options) {
  absl::StatusOr<std::string> dir = MakeTestDir("auth");
  if (!dir.ok()) return dir.status();
  absl::StatusOr<std::string> kek =
      WriteKeyEncryptionKeyFile(*dir + "/kek", options.key_encryption_key_base64);
  if (!kek.ok()) return kek.status();
  ServiceOptions service = {.service = "auth",
                            .db_url = options.db_url,
                            .peers = options.peers,
                            .flags = {"--key_encryption_key_file=" + *kek},
                            .port = options.port,
                            .output_path = *dir + "/auth.log"};
  if (!options.users.empty()) {
    absl::StatusOr<std::string> users = WriteBootstrapUsers(*dir, options.users);
    if (!users.ok()) return users.status();
    service.flags.push_back("--bootstrap_users_file=" + *users);
  }
  service.flags.insert(service.flags.end(), options.flags.begin(), options.flags.end());
  absl::StatusOr<std::unique_ptr<ServiceProcess>> process =
      ServiceProcess::Start(std::move(service));
  if (!process.ok()) return process.status();
  return std::unique_ptr<AuthServer>(
      new AuthServer(std::move(options), *std::move(dir), *std::move(kek), *std::move(process)));
}

absl::StatusOr<std::unique_ptr<AuthServer>> AuthServer::StartServing(AuthOptions options) {
  absl::StatusOr<std::unique_ptr<AuthServer>> auth = Start(std::move(options));
  if (!auth.ok()) return auth.status();
  if (absl::Status serving = (*auth)->process().WaitServing(); !serving.ok()) return serving;
  return auth;
}

absl::Status AuthServer::Stop() {
  stub_.reset();
  absl::Status stopped = process_->Stop();
  stub_ = NewStub<v1::AuthService>(process_->address(), AnonymousCredentials());
  return stopped;
}

absl::StatusOr<v1::LoginResponse> AuthServer::Login(const std::string& user,
                                                    const std::string& password,
                                                    const std::string& totp_code) {
  v1::LoginRequest request;
  request.set_username(user);
  request.set_password(password);
  request.set_totp_code(totp_code);
  v1::LoginResponse response;
  const grpc::Status status = stub_->Login(CallContext().get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<std::string> AuthServer::NextTotpCode(const std::string& user) {
  for (const LocalUser& local : options_.users) {
    if (local.name != user || local.totp_secret_base32.empty()) continue;
    absl::StatusOr<std::string> secret = crypto::Base32Decode(local.totp_secret_base32);
    if (!secret.ok()) return secret.status();
    int64_t& last = last_totp_step_[user];
    int64_t step = auth::TotpStep(absl::Now());
    while (step <= last) {  // not a timing assertion: a fresh step is what auth requires
      absl::SleepFor(absl::Milliseconds(500));
      step = auth::TotpStep(absl::Now());
    }
    last = step;
    return auth::TotpCode(SecretString(*std::move(secret)), step);
  }
  return absl::NotFoundError(absl::StrCat("no bootstrap user \"", user, "\" with TOTP"));
}

absl::StatusOr<std::string> AuthServer::LoginToken(const std::string& user) {
  for (const LocalUser& local : options_.users) {
    if (local.name != user) continue;
    std::string code;
    if (!local.totp_secret_base32.empty()) {
      absl::StatusOr<std::string> next = NextTotpCode(user);
      if (!next.ok()) return next.status();
      code = *next;
    }
    absl::StatusOr<v1::LoginResponse> login = Login(user, local.password, code);
    if (!login.ok()) return login.status();
    return login->token();
  }
  return absl::NotFoundError(absl::StrCat("no bootstrap user \"", user, "\""));
}

absl::StatusOr<jit::common::v1::Identity> AuthServer::WhoAmI(const std::string& token) {
  v1::WhoAmIResponse response;
  const grpc::Status status = stub_->WhoAmI(CallContext(token).get(), {}, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response.identity();
}

}  // namespace jit::testkit
