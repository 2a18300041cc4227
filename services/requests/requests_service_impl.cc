#include "services/requests/requests_service_impl.h"

#include <utility>

#include "absl/time/time.h"
#include "common/grpc_status.h"

namespace jit::requests {

using ::jit::server::Caller;

RequestsServiceImpl::RequestsServiceImpl(RequestLifecycle* lifecycle,
                                         server::CallerIdentityFn caller_identity,
                                         RequestWatch* watch)
    : lifecycle_(lifecycle),
      watch_(watch),
      caller_identity_(caller_identity),
      handler_(server::UnaryHandler::For<v1::RequestsService>(std::move(caller_identity))) {}

grpc::Status RequestsServiceImpl::CreateRequest(grpc::ServerContext* context,
                                                const v1::CreateRequestRequest* request,
                                                AccessRequest* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return lifecycle_->Create(caller.identity, caller.actor, *request);
  });
}

grpc::Status RequestsServiceImpl::GetRequest(grpc::ServerContext* context,
                                             const v1::GetRequestRequest* request,
                                             AccessRequest* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return lifecycle_->Get(caller.identity, *request);
  });
}

grpc::Status RequestsServiceImpl::ListRequests(grpc::ServerContext* context,
                                               const v1::ListRequestsRequest* request,
                                               v1::ListRequestsResponse* response) {
  // A reviewable_by_me scan stops early enough for its short page to reach the caller.
  const absl::Time deadline = absl::FromChrono(context->deadline()) - absl::Milliseconds(100);
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return lifecycle_->List(caller.identity, *request, deadline);
  });
}

grpc::Status RequestsServiceImpl::ReviewRequest(grpc::ServerContext* context,
                                                const v1::ReviewRequestRequest* request,
                                                AccessRequest* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return lifecycle_->Review(caller.identity, caller.actor, *request);
  });
}

grpc::Status RequestsServiceImpl::CancelRequest(grpc::ServerContext* context,
                                                const v1::CancelRequestRequest* request,
                                                AccessRequest* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return lifecycle_->Cancel(caller.identity, caller.actor, *request);
  });
}

grpc::Status RequestsServiceImpl::RevokeGrant(grpc::ServerContext* context,
                                              const v1::RevokeGrantRequest* request,
                                              Grant* response) {
  return handler_.Run(*context, __func__, response, [&](const Caller& caller) {
    return lifecycle_->RevokeGrant(caller.identity, caller.actor, *request);
  });
}

grpc::Status RequestsServiceImpl::ListActiveGrants(grpc::ServerContext* context,
                                                   const v1::ListActiveGrantsRequest* request,
                                                   v1::ListActiveGrantsResponse* response) {
  // The method table admits only the ca; the logic needs no caller.
  return handler_.Run(*context, __func__, response,
                      [&] { return lifecycle_->ListActiveGrants(*request); });
}

grpc::Status RequestsServiceImpl::WatchRequests(grpc::ServerContext* context,
                                                const v1::WatchRequestsRequest* request,
                                                grpc::ServerWriter<v1::RequestEvent>* writer) {
  const std::string method = handler_.FullMethod(__func__);
  absl::StatusOr<Identity> caller = caller_identity_(*context, method);
  if (!caller.ok()) return ToGrpcStatus(caller.status(), method);
  if (watch_ == nullptr) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not served here");
  const absl::Status s = watch_->Watch(
      *caller, *request, [&](const v1::RequestEvent& event) { return writer->Write(event); },
      [&] { return context->IsCancelled(); });
  return ToGrpcStatus(s, method);
}

}  // namespace jit::requests
