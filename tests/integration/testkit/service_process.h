// One real service binary (jit-auth, jit-ca, ...) started by an integration test: the
// standard flags on free 127.0.0.1 ports with the test PKI certificate of that service, a
// database (usually a TestDatabase's conninfo), the addresses of the peers the test started,
// extra flags; waiting until it is SERVING; a clean stop with SIGTERM that must exit 0.
//
//   ASSERT_OK_AND_ASSIGN(auto policy, ServiceProcess::StartServing({
//       .service = "policy", .db_url = db().conninfo(),
//       .peers = {{"auth", auth->address()}},
//       .flags = {"--roles_dir=" + RunfilePath("deploy/local/examples/roles")}}));
//   ... NewStub<PolicyService>(policy->address(), AnonymousCredentials()) ...
//   EXPECT_OK(policy->Stop());
//
// The test lists the binary in its BUILD `data` (e.g. "//services/policy:jit-policy").
// Peers the options do not name point at a port nobody listens on (never at the default
// localhost:710x, where a local constellation may run), so a test only reaches what it
// started. The process's stdout and stderr go to a file in the test's scratch space.
// Destroying a ServiceProcess that still runs kills it (SIGKILL) and reaps it.
// Thread-safety: not thread-safe; one test thread owns it.
#ifndef JIT_TESTS_INTEGRATION_TESTKIT_SERVICE_PROCESS_H_
#define JIT_TESTS_INTEGRATION_TESTKIT_SERVICE_PROCESS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/testing/subprocess.h"

namespace jit::testkit {

// The five services, in the order of their ports.
const std::vector<std::string>& AllServices();

// Runfile path of jit-<service> ("services/<service>/jit-<service>" in the runfiles).
std::string ServiceBinary(const std::string& service);

// How long a service may take to start serving: generous, the machine is shared.
inline constexpr absl::Duration kStartupPatience = absl::Seconds(60);

struct ServiceOptions {
  // "auth", "ca", "requests", "policy" or "audit": names the binary, the certificate and
  // the output file.
  std::string service;
  // --db_url: a TestDatabase's conninfo, or any URL (an unreachable one, say).
  std::string db_url;
  // Peer service name -> "host:port", passed as --<name>_addr.
  std::map<std::string, std::string> peers;
  // Extra flags, after the standard ones (a repeated flag: the last one wins).
  std::vector<std::string> flags;
  // Workspace-relative runfile path of another binary built on common/server/service_main;
  // "" = ServiceBinary(service).
  std::string binary;
  // Test PKI certificate to serve with; "" = the service's own.
  std::string pki_name;
  // gRPC port; 0 = a free one. Set it when a peer must know the address before the start.
  int port = 0;
  // Where stdout and stderr go; "" = "<service>-<port>.log" in the test's scratch space.
  std::string output_path;
};

class ServiceProcess {
 public:
  // Starts the binary without waiting for it to serve (for start-up failures, or several
  // replicas started together). INTERNAL when it cannot be started.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Start(ServiceOptions options);

  // Start, then WaitServing.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> StartServing(
      ServiceOptions options, absl::Duration patience = kStartupPatience);

  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  ~ServiceProcess() = default;

  // Waits until a health check (one Check, wait_for_ready) answers SERVING. FAILED_PRECONDITION
  // with the output when the process ends first; DEADLINE_EXCEEDED with the output when
  // `patience` runs out.
  absl::Status WaitServing(absl::Duration patience = kStartupPatience);

  // SIGTERM, then waits up to `timeout`. INTERNAL with the output unless it exits with 0.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(30));

  // Waits up to `timeout` for the process to end by itself: its exit code
  // (DEADLINE_EXCEEDED if it still runs).
  absl::StatusOr<int> WaitExit(absl::Duration timeout = kStartupPatience);

  const std::string& service() const { return service_; }
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  // "localhost:<port>": for stubs and for other services' --<service>_addr.
  std::string address() const;
  // What the process wrote so far (stdout and stderr).
  std::string Output() const { return process_->Output(); }
  jit::testing::Subprocess& process() { return *process_; }

 private:
  ServiceProcess(std::string service, int port, int metrics_port,
                 std::unique_ptr<jit::testing::Subprocess> process)
      : service_(std::move(service)),
        port_(port),
        metrics_port_(metrics_port),
        process_(std::move(process)) {}

  std::string service_;
  int port_;
  int metrics_port_;
  std::unique_ptr<jit::testing::Subprocess> process_;
};

}  // namespace jit::testkit

#endif  // JIT_TESTS_INTEGRATION_TESTKIT_SERVICE_PROCESS_H_
