#include "common/proto_time.h"

#include <cstdint>

namespace jit {
namespace {

// google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
constexpr int64_t kMinSeconds = -62'135'596'800;
constexpr int64_t kMaxSeconds = 253'402'300'799;

}  // namespace

void SetProtoTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const absl::Time min = absl::FromUnixSeconds(kMinSeconds);
  const absl::Time max = absl::FromUnixSeconds(kMaxSeconds) + absl::Nanoseconds(999'999'999);
  if (t < min) t = min;
  if (t > max) t = max;
  // Floor division: the remainder (nanos) is never negative.
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds towards the past
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  SetProtoTimestamp(t, &out);
  return out;
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Time TruncateToMicros(absl::Time t) {
  // absl::ToUnixMicros rounds towards the past, also before 1970.
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

}  // namespace jit
