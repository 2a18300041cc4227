#include "services/requests/request_store.h"

#include "common/proto_time.h"

namespace jit::requests {

std::optional<absl::Time> DueTime(const AccessRequest& request) {
  switch (request.state()) {
    case jit::common::v1::ACCESS_REQUEST_STATE_PENDING:
      return FromProtoTimestamp(request.pending_expire_time());
    case jit::common::v1::ACCESS_REQUEST_STATE_APPROVED:
      return FromProtoTimestamp(request.access_expire_time());
    default:
      return std::nullopt;
  }
}

bool AwaitsPostReview(const AccessRequest& request) {
  return request.break_glass() &&
         request.post_review() == jit::common::v1::BREAK_GLASS_REVIEW_AWAITING;
}

}  // namespace jit::requests
