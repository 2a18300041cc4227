#include "tests/integration/testkit/service_process.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server/tls.h"
#include "common/testing/runfiles.h"
#include "common/testing/test_pki_files.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "tests/integration/testkit/credentials.h"

namespace jit::testkit {
namespace {

using ::jit::testing::PickUnusedPort;
using ::jit::testing::Subprocess;

// A peer address where nothing listens (port 1 is never a test's).
constexpr char kClosedPeer[] = "127.0.0.1:1";

// The end of a process's output, for error messages.
std::string Tail(const std::string& output) {
  constexpr size_t kMax = 4000;
  if (output.size() <= kMax) return output;
  return absl::StrCat("...", output.substr(output.size() - kMax));
}

}  // namespace

const std::vector<std::string>& AllServices() {
  static const auto* names =
      new std::vector<std::string>{"auth", "ca", "requests", "policy", "audit"};
  return *names;
}

std::string ServiceBinary(const std::string& service) {
  return jit::testing::RunfilePath(absl::StrCat("services/", service, "/jit-", service));
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::Start(ServiceOptions options) {
  if (options.service.empty()) return absl::InvalidArgumentError("ServiceOptions.service empty");
  for (const auto& [peer, address] : options.peers) {
    if (std::find(AllServices().begin(), AllServices().end(), peer) == AllServices().end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown peer service \"", peer, "\""));
    }
  }
  const int port = options.port != 0 ? options.port : PickUnusedPort();
  const int metrics_port = PickUnusedPort();
  const server::TlsFiles tls =
      jit::testing::TestTlsFiles(options.pki_name.empty() ? options.service : options.pki_name);
  std::vector<std::string> argv = {options.binary.empty()
                                       ? ServiceBinary(options.service)
                                       : jit::testing::RunfilePath(options.binary),
                                   absl::StrCat("--listen_addr=127.0.0.1:", port),
                                   absl::StrCat("--metrics_addr=127.0.0.1:", metrics_port),
                                   "--tls_cert_file=" + tls.cert_file,
                                   "--tls_key_file=" + tls.key_file,
                                   "--tls_ca_file=" + tls.ca_file,
                                   "--db_url=" + options.db_url,
                                   "--db_pool_size=4",
                                   "--drain_timeout=5s"};
  for (const std::string& peer : AllServices()) {
    auto named = options.peers.find(peer);
    argv.push_back(absl::StrCat(
        "--", peer, "_addr=", named != options.peers.end() ? named->second : kClosedPeer));
  }
  argv.insert(argv.end(), options.flags.begin(), options.flags.end());
  const std::string output_path =
      options.output_path.empty()
          ? jit::testing::TestTempPath(absl::StrCat(options.service, "-", port, ".log"))
          : options.output_path;
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(argv, output_path);
  if (!process.ok()) return process.status();
  return std::unique_ptr<ServiceProcess>(
      new ServiceProcess(options.service, port, metrics_port, *std::move(process)));
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::StartServing(
    ServiceOptions options, absl::Duration patience) {
  absl::StatusOr<std::unique_ptr<ServiceProcess>> process = Start(std::move(options));
  if (!process.ok()) return process.status();
  if (absl::Status serving = (*process)->WaitServing(patience); !serving.ok()) return serving;
  return process;
}

std::string ServiceProcess::address() const { return absl::StrCat("localhost:", port_); }

absl::Status ServiceProcess::WaitServing(absl::Duration patience) {
  // Reconnect quickly while the server is not listening yet.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateCustomChannel(address(), ServiceCredentials("client"), args));
  const absl::Time deadline = absl::Now() + patience;
  while (true) {
    // Checks in short slices so that a process that has ended is noticed.
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(absl::Milliseconds(500)));
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = health->Check(&context, {}, &response);
    if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    if (absl::StatusOr<int> code = process_->Wait(absl::ZeroDuration()); code.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("jit-", service_, " exited with ", *code,
                                                        " before serving:\n", Tail(Output())));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("jit-", service_, " not SERVING on ", address(), " within ",
                       absl::FormatDuration(patience), " (last: ", status.error_message(), "):\n",
                       Tail(Output())));
    }
    if (status.ok() || status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      absl::SleepFor(absl::Milliseconds(100));  // answered, but not SERVING yet
    }
  }
}

absl::Status ServiceProcess::Stop(absl::Duration timeout) {
  process_->Signal(SIGTERM);
  absl::StatusOr<int> code = process_->Wait(timeout);
  if (!code.ok()) {
    return absl::DeadlineExceededError(absl::StrCat("jit-", service_, " still running ",
                                                    absl::FormatDuration(timeout),
                                                    " after SIGTERM:\n", Tail(Output())));
  }
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("jit-", service_, " exited with ", *code, " on SIGTERM:\n", Tail(Output())));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ServiceProcess::WaitExit(absl::Duration timeout) {
  return process_->Wait(timeout);
}

}  // namespace jit::testkit
