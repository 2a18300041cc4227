// AuditServiceImpl: the gRPC adapter of jit.audit.v1.AuditService. Each handler unpacks the
// call, asks the logic (EventIngestor for IngestEvents, AuditQueries for the rest) and
// converts the status once (server::UnaryHandler; jit::ToGrpcStatus for the ExportEvents
// stream), recording the service's metrics. No rule lives here beyond one: IngestEvents
// takes the sending service's name from its certificate (the method table admits only
// service identities; a person's token is PERMISSION_DENIED before the handler).
// Thread-safe; the logic and metrics are borrowed and must outlive the service.
#ifndef JIT_SERVICES_AUDIT_AUDIT_SERVICE_IMPL_H_
#define JIT_SERVICES_AUDIT_AUDIT_SERVICE_IMPL_H_

#include "common/server/unary_handler.h"
#include "jit/audit/v1/audit.grpc.pb.h"
#include "services/audit/audit_metrics.h"
#include "services/audit/audit_queries.h"
#include "services/audit/event_ingestor.h"

namespace jit::audit {

class AuditServiceImpl final : public v1::AuditService::Service {
 public:
  AuditServiceImpl(EventIngestor* ingestor, AuditQueries* queries, AuditMetrics* metrics,
                   server::CallerIdentityFn caller_identity)
      : ingestor_(ingestor),
        queries_(queries),
        metrics_(metrics),
        caller_identity_(caller_identity),
        handler_(server::UnaryHandler::For<v1::AuditService>(std::move(caller_identity))) {}

  grpc::Status IngestEvents(grpc::ServerContext* context, const v1::IngestEventsRequest* request,
                            v1::IngestEventsResponse* response) override;
  grpc::Status SearchEvents(grpc::ServerContext* context, const v1::SearchEventsRequest* request,
                            v1::SearchEventsResponse* response) override;
  grpc::Status VerifyChain(grpc::ServerContext* context, const v1::VerifyChainRequest* request,
                           v1::VerifyChainResponse* response) override;
  grpc::Status ExportEvents(grpc::ServerContext* context, const v1::ExportEventsRequest* request,
                            grpc::ServerWriter<v1::ExportEventsResponse>* writer) override;
  grpc::Status GetCheckpointKeys(grpc::ServerContext* context,
                                 const v1::GetCheckpointKeysRequest* request,
                                 v1::GetCheckpointKeysResponse* response) override;
  grpc::Status ListCheckpoints(grpc::ServerContext* context,
                               const v1::ListCheckpointsRequest* request,
                               v1::ListCheckpointsResponse* response) override;

 private:
  EventIngestor* const ingestor_;
  AuditQueries* const queries_;
  AuditMetrics* const metrics_;
  const server::CallerIdentityFn caller_identity_;
  const server::UnaryHandler handler_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_AUDIT_SERVICE_IMPL_H_
