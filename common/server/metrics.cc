#include "common/server/metrics.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

namespace jit::server {
namespace {

const std::vector<double>& LatencyBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcServerMetrics& metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(metrics.clock().Now()) {
    metrics_.RecordStarted(method_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_.RecordHandled(method_, methods->GetSendStatus().error_code(),
                             metrics_.clock().Now() - start_);
    }
    methods->Proceed();
  }

 private:
  GrpcServerMetrics& metrics_;
  const std::string method_;
  const absl::Time start_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcServerMetrics& metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method() ? info->method() : "");
  }

 private:
  GrpcServerMetrics& metrics_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsExposer>> MetricsExposer::Create(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // CivetWeb serves one connection per worker thread until the request is read: with one
    // thread, one idle TCP connection blinded every scrape for its read timeout (30 s by
    // default). Several workers and a short read timeout keep scrapes flowing.
    exposer = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", address,                      //
        "num_threads", std::to_string(kMetricsThreads),  //
        "request_timeout_ms", std::to_string(absl::ToInt64Milliseconds(kMetricsReadTimeout)),
        "enable_keep_alive", "no"});
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics_addr: cannot listen on ", address, ": ", e.what()));
  }
  exposer->RegisterCollectable(registry);
  return std::unique_ptr<MetricsExposer>(new MetricsExposer(std::move(exposer)));
}

int MetricsExposer::port() const {
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

GrpcServerMetrics::GrpcServerMetrics(std::string_view service, prometheus::Registry& registry,
                                     const Clock& clock)
    : clock_(clock),
      started_(prometheus::BuildCounter()
                   .Name(absl::StrCat("jit_", std::string(service), "_grpc_server_started_total"))
                   .Help("RPCs started on the server, by method.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name(absl::StrCat("jit_", std::string(service), "_grpc_server_handled_total"))
                   .Help("RPCs completed on the server, by method and status code.")
                   .Register(registry)),
      handling_seconds_(
          prometheus::BuildHistogram()
              .Name(absl::StrCat("jit_", std::string(service), "_grpc_server_handling_seconds"))
              .Help("Time from the start of an RPC to its status being sent, by method.")
              .Register(registry)) {}

void GrpcServerMetrics::AddKnownMethods(const std::vector<std::string>& full_method_names) {
  absl::MutexLock lock(&mu_);
  for (const std::string& name : full_method_names) known_methods_.insert(name);
}

std::string GrpcServerMetrics::LabelFor(std::string_view method) const {
  absl::ReaderMutexLock lock(&mu_);
  if (known_methods_.contains(std::string(method))) return std::string(method);
  return "unknown";
}

void GrpcServerMetrics::RecordStarted(std::string_view method) {
  started_.Add({{"method", LabelFor(method)}}).Increment();
}

void GrpcServerMetrics::RecordHandled(std::string_view method, grpc::StatusCode code,
                                      absl::Duration latency) {
  const std::string label = LabelFor(method);
  handled_.Add({{"method", label}, {"code", std::string(GrpcCodeName(code))}}).Increment();
  handling_seconds_.Add({{"method", label}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::MakeInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(*this);
}

std::string_view GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

}  // namespace jit::server
