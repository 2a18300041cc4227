#include "services/audit/audit_service_impl.h"

#include "common/grpc_status.h"
#include "services/audit/chain/event_codes.h"

namespace jit::audit {

using jit::common::v1::Identity;

grpc::Status AuditServiceImpl::IngestEvents(grpc::ServerContext* context,
                                            const v1::IngestEventsRequest* request,
                                            v1::IngestEventsResponse* response) {
  return handler_.Run(
      *context, __func__, response,
      [&](const server::Caller& caller) -> absl::StatusOr<v1::IngestEventsResponse> {
        if (caller.identity.kind() != Identity::KIND_SERVICE) {
          return absl::PermissionDeniedError("IngestEvents: only services send audit events");
        }
        absl::StatusOr<v1::IngestEventsResponse> r =
            ingestor_->Ingest(caller.identity.name(), *request);
        if (r.ok()) {
          int unregistered = 0;
          for (const auto& e : request->events()) {
            if (chain::CodeForType(e.type()).empty()) ++unregistered;
          }
          // Duplicates are counted once as such; new events of unknown types as such too.
          metrics_->Ingested(r->accepted(), r->duplicates(), r->accepted() > 0 ? unregistered : 0,
                             r->last_sequence());
        }
        return r;
      });
}

grpc::Status AuditServiceImpl::SearchEvents(grpc::ServerContext* context,
                                            const v1::SearchEventsRequest* request,
                                            v1::SearchEventsResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const server::Caller& caller) {
    return queries_->Search(caller.identity, *request);
  });
}

grpc::Status AuditServiceImpl::VerifyChain(grpc::ServerContext* context,
                                           const v1::VerifyChainRequest* request,
                                           v1::VerifyChainResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const server::Caller& caller) {
    absl::StatusOr<v1::VerifyChainResponse> r = queries_->Verify(caller.identity, *request);
    if (r.ok()) metrics_->Verified(r->ok());
    return r;
  });
}

grpc::Status AuditServiceImpl::ExportEvents(grpc::ServerContext* context,
                                            const v1::ExportEventsRequest* request,
                                            grpc::ServerWriter<v1::ExportEventsResponse>* writer) {
  const std::string method = handler_.FullMethod(__func__);
  absl::StatusOr<Identity> caller = caller_identity_(*context, method);
  if (!caller.ok()) return ToGrpcStatus(caller.status(), method);
  metrics_->StreamOpened();
  const absl::Status s = queries_->Export(
      *caller, *request,
      [&](const v1::ExportEventsResponse& batch) { return writer->Write(batch); },
      [&] { return context->IsCancelled(); });
  metrics_->StreamClosed();
  return ToGrpcStatus(s, method);
}

grpc::Status AuditServiceImpl::GetCheckpointKeys(grpc::ServerContext* context,
                                                 const v1::GetCheckpointKeysRequest* /*request*/,
                                                 v1::GetCheckpointKeysResponse* response) {
  return handler_.Run(*context, __func__, response, [&]() {
    return absl::StatusOr<v1::GetCheckpointKeysResponse>(queries_->CheckpointKeys());
  });
}

grpc::Status AuditServiceImpl::ListCheckpoints(grpc::ServerContext* context,
                                               const v1::ListCheckpointsRequest* request,
                                               v1::ListCheckpointsResponse* response) {
  return handler_.Run(*context, __func__, response, [&](const server::Caller& caller) {
    return queries_->ListCheckpoints(caller.identity, *request);
  });
}

}  // namespace jit::audit
