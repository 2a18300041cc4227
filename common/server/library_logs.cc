#include "common/server/library_logs.h"

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/log_rate_limiter.h"
#include "common/logging.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"
#include "spdlog/spdlog.h"

namespace jit::server {
namespace {

LogRateLimiter& GrpcLimiter() {
  static LogRateLimiter* limiter =
      new LogRateLimiter(RealClock::Get(), kLibraryLogLines, absl::Minutes(1));
  return *limiter;
}

LogRateLimiter& ProtobufLimiter() {
  static LogRateLimiter* limiter =
      new LogRateLimiter(RealClock::Get(), kLibraryLogLines, absl::Minutes(1));
  return *limiter;
}

void GrpcLog(gpr_log_func_args* args) {
  std::optional<uint64_t> suppressed = GrpcLimiter().Admit();
  if (!suppressed.has_value()) return;
  const spdlog::level::level_enum level =
      args->severity == GPR_LOG_SEVERITY_DEBUG  ? spdlog::level::debug
      : args->severity == GPR_LOG_SEVERITY_INFO ? spdlog::level::info
                                                : spdlog::level::warn;
  spdlog::log(level, "grpc: {}{}", LogSafe(args->message != nullptr ? args->message : "", 512),
              SuppressedNote(*suppressed));
}

void ProtobufLog(google::protobuf::LogLevel level, const char*, int, const std::string& message) {
  std::optional<uint64_t> suppressed = ProtobufLimiter().Admit();
  if (!suppressed.has_value()) return;
  spdlog::log(level >= google::protobuf::LOGLEVEL_ERROR ? spdlog::level::warn : spdlog::level::info,
              "protobuf: {}{}", LogSafe(message, 512), SuppressedNote(*suppressed));
}

}  // namespace

void RouteLibraryLogs() {
  gpr_set_log_function(GrpcLog);
  google::protobuf::SetLogHandler(ProtobufLog);
}

}  // namespace jit::server
