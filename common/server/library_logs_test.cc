#include "common/server/library_logs.h"

#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/grpc.h"
#include "grpc/support/log.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace jit::server {
namespace {

using ::testing::HasSubstr;

TEST(LibraryLogsTest, GrpcAndProtobufLinesGoToTheServiceLogRateLimited) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  logger->set_pattern("%v");
  spdlog::set_default_logger(logger);
  RouteLibraryLogs();
  grpc_init();  // as a service does: routing first, then gRPC starts

  for (int i = 0; i < 1000; ++i) {
    gpr_log(GPR_ERROR, "Handshake failed with fatal error SSL_ERROR_SSL: %d", i);
    GOOGLE_LOG(ERROR) << "String field 'x' contains invalid UTF-8 data " << i;
  }
  const std::string text = out.str();
  const std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 2u * kLibraryLogLines);
  EXPECT_THAT(text, HasSubstr("grpc: Handshake failed with fatal error SSL_ERROR_SSL: 0"));
  EXPECT_THAT(text, HasSubstr("protobuf: String field 'x' contains invalid UTF-8 data 0"));
  grpc_shutdown();
}

}  // namespace
}  // namespace jit::server
