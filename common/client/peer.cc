#include "common/client/peer.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/client/channel_args.h"
#include "common/client/peer_credentials.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/create_channel.h"

namespace jit::client {

namespace {

// The first IPv4 address of `host` ("127.0.0.1" for "localhost"); "" when it has none.
std::string ResolveIpv4(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return "";
  char text[INET_ADDRSTRLEN] = {};
  const auto* in = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  const bool ok = inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr;
  freeaddrinfo(found);
  return ok ? std::string(text) : "";
}

// "jit.auth.v1.AuthService" for "auth".
std::string ServiceFullName(const std::string& name) {
  if (name.empty()) return "";
  std::string upper = name;
  upper[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[0])));
  return absl::StrCat("jit.", name, ".v1.", upper, "Service");
}

bool IsIdempotent(absl::string_view method) {
  for (absl::string_view prefix : {"Get", "List", "Search", "Check", "Verify"}) {
    if (absl::StartsWith(method, prefix)) return true;
  }
  return method == "WhoAmI" || method == "ComputeCertParams";
}

}  // namespace

std::string IdempotentRetryServiceConfig(const std::string& service_full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_full_name);
  if (service == nullptr) return "";
  std::vector<std::string> names;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    if (m->client_streaming() || !IsIdempotent(m->name())) continue;
    names.push_back(
        absl::StrCat(R"({"service":")", service_full_name, R"(","method":")", m->name(), R"("})"));
  }
  if (names.empty()) return "";
  return absl::StrCat(R"({"loadBalancingConfig":[{"round_robin":{}}],"methodConfig":[{"name":[)",
                      absl::StrJoin(names, ","),
                      R"(],"retryPolicy":{"maxAttempts":3,"initialBackoff":"0.05s",)",
                      R"("maxBackoff":"0.5s","backoffMultiplier":2,)",
                      R"("retryableStatusCodes":["UNAVAILABLE"]}}]})");
}

PeerTarget PeerTargetFor(const std::string& name, const std::string& address) {
  PeerTarget t{.target = address, .args = ClientChannelArguments()};
  const bool list = absl::StrContains(address, ',');
  if (!list && !absl::StartsWith(address, "dns:")) return t;
  if (list) {
    std::vector<std::string> resolved;
    std::string first_host;
    for (absl::string_view entry : absl::StrSplit(address, ',', absl::SkipWhitespace())) {
      entry = absl::StripAsciiWhitespace(entry);
      const size_t colon = entry.rfind(':');
      if (colon == absl::string_view::npos) continue;
      const std::string host(entry.substr(0, colon));
      if (first_host.empty()) first_host = host;
      const std::string ip = ResolveIpv4(host);
      if (!ip.empty()) resolved.push_back(absl::StrCat(ip, entry.substr(colon)));
    }
    // Nothing resolves: keep the text, whose calls then fail UNAVAILABLE naming it.
    if (!resolved.empty()) t.target = absl::StrCat("ipv4:", absl::StrJoin(resolved, ","));
    // TLS checks the certificate against the host we meant, not the address dialled.
    if (!first_host.empty()) t.args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, first_host);
  }
  const std::string config = IdempotentRetryServiceConfig(ServiceFullName(name));
  if (config.empty()) {
    t.args.SetLoadBalancingPolicyName("round_robin");
  } else {
    t.args.SetServiceConfigJSON(config);
  }
  return t;
}

PeerClient::PeerClient(std::string name, const std::string& address, const server::TlsMaterial& tls,
                       absl::Duration timeout)
    : name_(std::move(name)), address_(address), timeout_(timeout) {
  PeerTarget t = PeerTargetFor(name_, address);
  channel_ = grpc::CreateCustomChannel(t.target, PeerChannelCredentials(tls, name_), t.args);
}

std::unique_ptr<grpc::ClientContext> PeerClient::NewContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_));
  return ctx;
}

absl::Status PeerClient::ToStatus(const grpc::Status& status) const {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: {
      // gRPC reports a refused handshake as UNAVAILABLE, with our verifier's message.
      const std::string& message = status.error_message();
      const size_t mismatch = message.find(kPeerIdentityMismatch);
      if (mismatch != std::string::npos) {
        return absl::InternalError(absl::StrCat(name_, " service at ", address_,
                                                " presented the wrong identity (",
                                                message.substr(mismatch), ")"));
      }
      return absl::UnavailableError(
          absl::StrCat(name_, " service unavailable: ", status.error_message()));
    }
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::InternalError(
          absl::StrCat(name_, " service refused our service identity: ", status.error_message()));
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
  }
}

}  // namespace jit::client
