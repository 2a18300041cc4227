#include "common/grpc_status.h"

#include <string>

#include "common/text/quote.h"
#include "spdlog/spdlog.h"

namespace jit {
namespace {

bool HidesDetail(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status, std::string_view method) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (HidesDetail(status.code())) {
    spdlog::error("rpc {} failed: {}", method, status.ToString());
    return grpc::Status(code, "internal error");
  }
  const std::string_view message(status.message().data(), status.message().size());
  return grpc::Status(code, TruncateText(message, kMaxStatusMessageBytes));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace jit
