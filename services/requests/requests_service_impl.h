// RequestsServiceImpl: the gRPC adapter of jit.requests.v1.RequestsService. Each method
// hands the call to RequestLifecycle through common/server's UnaryHandler, which finds the
// caller (the method table admits people to every RPC but ListActiveGrants, which only the
// ca may call) and converts the status in one place. No rule lives here.
// WatchRequests streams through RequestWatch (request_watch.h); without one (null) it is
// UNIMPLEMENTED.
// Thread-safe; the lifecycle is borrowed and must outlive the service.
#ifndef JIT_SERVICES_REQUESTS_REQUESTS_SERVICE_IMPL_H_
#define JIT_SERVICES_REQUESTS_REQUESTS_SERVICE_IMPL_H_

#include "common/server/unary_handler.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "services/requests/request_lifecycle.h"
#include "services/requests/request_watch.h"

namespace jit::requests {

class RequestsServiceImpl final : public v1::RequestsService::Service {
 public:
  RequestsServiceImpl(RequestLifecycle* lifecycle, server::CallerIdentityFn caller_identity,
                      RequestWatch* watch = nullptr);

  grpc::Status CreateRequest(grpc::ServerContext* context, const v1::CreateRequestRequest* request,
                             AccessRequest* response) override;
  grpc::Status GetRequest(grpc::ServerContext* context, const v1::GetRequestRequest* request,
                          AccessRequest* response) override;
  grpc::Status ListRequests(grpc::ServerContext* context, const v1::ListRequestsRequest* request,
                            v1::ListRequestsResponse* response) override;
  grpc::Status ReviewRequest(grpc::ServerContext* context, const v1::ReviewRequestRequest* request,
                             AccessRequest* response) override;
  grpc::Status CancelRequest(grpc::ServerContext* context, const v1::CancelRequestRequest* request,
                             AccessRequest* response) override;
  grpc::Status RevokeGrant(grpc::ServerContext* context, const v1::RevokeGrantRequest* request,
                           Grant* response) override;
  grpc::Status ListActiveGrants(grpc::ServerContext* context,
                                const v1::ListActiveGrantsRequest* request,
                                v1::ListActiveGrantsResponse* response) override;
  grpc::Status WatchRequests(grpc::ServerContext* context, const v1::WatchRequestsRequest* request,
                             grpc::ServerWriter<v1::RequestEvent>* writer) override;

 private:
  RequestLifecycle* const lifecycle_;
  RequestWatch* const watch_;
  const server::CallerIdentityFn caller_identity_;
  const server::UnaryHandler handler_;
};

}  // namespace jit::requests

#endif  // JIT_SERVICES_REQUESTS_REQUESTS_SERVICE_IMPL_H_
