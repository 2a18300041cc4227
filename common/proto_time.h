// absl::Time <-> google.protobuf.Timestamp, the one conversion every service uses (audit
// events, role metadata, identities, grants). Times before 1970 are exact: the nanos of a
// Timestamp are never negative, so -0.5 s is {seconds: -1, nanos: 500000000}.
// Times outside the Timestamp range (years 1-9999) are clamped to it. Pure functions.
#ifndef JIT_COMMON_PROTO_TIME_H_
#define JIT_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace jit {

// `t` at nanosecond precision.
google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
void SetProtoTimestamp(absl::Time t, google::protobuf::Timestamp* out);

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t);

// `t` truncated towards the past to whole microseconds: what PostgreSQL's timestamptz keeps.
absl::Time TruncateToMicros(absl::Time t);

}  // namespace jit

#endif  // JIT_COMMON_PROTO_TIME_H_
