// How integration tests call a running service: channel credentials for each kind of caller
// (a service with its certificate, a person's client with TLS only, the bearer token on top)
// and a call context with a deadline.
//
// The credentials come from the test PKI (//common/testing:test_pki, a data dependency of
// this library). A missing or broken PKI file is a broken build, not a test outcome: the
// helpers then print the reason and abort.
// Thread-safety: the functions are thread-safe; a ClientContext is for one call.
#ifndef JIT_TESTS_INTEGRATION_TESTKIT_CREDENTIALS_H_
#define JIT_TESTS_INTEGRATION_TESTKIT_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/client/channel_args.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace jit::testkit {

// Deadline of one call made by a test: generous, the machine is shared.
inline constexpr absl::Duration kCallDeadline = absl::Seconds(20);

// mTLS as the test PKI certificate `pki_name` ("auth", "ca", "requests", "policy", "audit",
// "client", "server"): how a service (or an unlisted client) calls.
std::shared_ptr<grpc::ChannelCredentials> ServiceCredentials(const std::string& pki_name);

// TLS trusting the test CA, without a client certificate: a person's CLI.
std::shared_ptr<grpc::ChannelCredentials> AnonymousCredentials();

// A context whose deadline is `deadline` from now and, for a non-empty `token`, the header
// "authorization: Bearer <token>".
std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token = "",
                                                 absl::Duration deadline = kCallDeadline);

// A stub of `S` (e.g. jit::policy::v1::PolicyService) on a new channel to `address`, with
// the project's client channel arguments (metadata limit).
template <typename S>
std::unique_ptr<typename S::Stub> NewStub(const std::string& address,
                                          std::shared_ptr<grpc::ChannelCredentials> credentials) {
  return S::NewStub(
      grpc::CreateCustomChannel(address, std::move(credentials), client::ClientChannelArguments()));
}

}  // namespace jit::testkit

#endif  // JIT_TESTS_INTEGRATION_TESTKIT_CREDENTIALS_H_
