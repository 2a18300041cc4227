// JSON text for an event's details (google.protobuf.Struct) as the sink stores and exports
// them: keys sorted by their bytes, numbers in the shortest form that reads back as the same
// IEEE 754 double (-0 written as 0), strings escaped as RFC 8259 requires (control characters
// as \uXXXX or their short escapes, everything else as UTF-8). Reading the text back gives
// the same Struct, so the canonical encoding (canonical.h) computed from stored rows matches
// the one computed at ingest; PostgreSQL's jsonb keeps the numeric value exactly, whatever
// form it prints it in.
// Thread-safe: plain functions.
#ifndef JIT_SERVICES_AUDIT_CHAIN_DETAILS_JSON_H_
#define JIT_SERVICES_AUDIT_CHAIN_DETAILS_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"

namespace jit::audit::chain {

// `details` as a JSON object. Non-finite numbers (refused at ingest) are written as null.
std::string DetailsToJson(const google::protobuf::Struct& details);

// Appends a JSON string literal for `s` (UTF-8) to `*out`.
void AppendJsonString(std::string_view s, std::string* out);

// Appends `value` as JSON to `*out`.
void AppendJsonValue(const google::protobuf::Value& value, std::string* out);

// Appends the shortest round-trip form of a finite double ("1", "0.1", "1e+300").
void AppendJsonNumber(double d, std::string* out);

// Parses a JSON object (as stored in audit.events.details). DATA_LOSS when the text is not
// a JSON object (a stored row that cannot be read is damage, not bad input).
absl::StatusOr<google::protobuf::Struct> DetailsFromJson(std::string_view json);

}  // namespace jit::audit::chain

#endif  // JIT_SERVICES_AUDIT_CHAIN_DETAILS_JSON_H_
