// Prometheus metrics for a service: a registry, the HTTP exposer on its own port, and a
// gRPC server interceptor that counts every RPC by method and code and times it.
//
// Names follow jit_<service>_<subsystem>_<name>_<unit>:
//   jit_<service>_grpc_server_started_total{method}
//   jit_<service>_grpc_server_handled_total{method,code}
//   jit_<service>_grpc_server_handling_seconds{method}   (histogram)
// `method` is the full gRPC method name of a registered service; any other method name is
// counted as "unknown" so that label values stay bounded.
#ifndef JIT_COMMON_SERVER_METRICS_H_
#define JIT_COMMON_SERVER_METRICS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace jit::server {

// Threads serving scrapes, and how long one may wait for a request's bytes: an idle or
// slow connection holds one worker for at most kMetricsReadTimeout, never the exposer.
inline constexpr int kMetricsThreads = 8;
inline constexpr absl::Duration kMetricsReadTimeout = absl::Seconds(2);

// Serves a registry at http://<address>/metrics with kMetricsThreads workers. Owns the HTTP
// listener.
class MetricsExposer {
 public:
  // `address` is "host:port" (port 0 picks a free one). UNAVAILABLE if it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsExposer>> Create(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry);

  // The bound port (useful with port 0).
  int port() const;

 private:
  explicit MetricsExposer(std::unique_ptr<prometheus::Exposer> exposer)
      : exposer_(std::move(exposer)) {}
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// RPC counters and latency for one service. Thread-safe. Outlives the gRPC server.
class GrpcServerMetrics {
 public:
  // `service` becomes the metric prefix jit_<service>_; it must be a lowercase identifier.
  GrpcServerMetrics(std::string_view service, prometheus::Registry& registry, const Clock& clock);

  // Methods whose names are used as label values; others are counted as "unknown".
  void AddKnownMethods(const std::vector<std::string>& full_method_names);

  // Creates the interceptor factory to install on the ServerBuilder.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  // Records one RPC (also used directly by tests).
  void RecordStarted(std::string_view method);
  void RecordHandled(std::string_view method, grpc::StatusCode code, absl::Duration latency);

  const Clock& clock() const { return clock_; }

 private:
  std::string LabelFor(std::string_view method) const;

  const Clock& clock_;
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> known_methods_ ABSL_GUARDED_BY(mu_);
};

// The gRPC status code's canonical name ("OK", "PERMISSION_DENIED", ...).
std::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace jit::server

#endif  // JIT_COMMON_SERVER_METRICS_H_
