// How ExportEvents and the JSON Lines file exporter write one event per line (no newline
// included). docs/AUDIT.md "Export line formats" is the specification for readers (Fluent
// Bit, Vector): JSON Lines with every field always present in a fixed order, starting with
// {"sequence":N, times RFC 3339 UTC with six fractional digits; or CEF 0 (vendor
// "jit-access", product "jit-audit", signature id = the event code). Thread-safe: plain
// functions.
#ifndef JIT_SERVICES_AUDIT_EXPORT_LINE_FORMAT_H_
#define JIT_SERVICES_AUDIT_EXPORT_LINE_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jit/common/v1/audit_event.pb.h"

namespace jit::audit {

std::string JsonLine(const jit::common::v1::AuditEvent& event);
std::string CefLine(const jit::common::v1::AuditEvent& event);

// The sequence at the start of a JSON line ({"sequence":N,...}), if it has that form.
std::optional<int64_t> JsonLineSequence(std::string_view line);

// "2023-11-14T22:13:20.123456Z" for whole microseconds since the epoch.
std::string Rfc3339Micros(int64_t micros);

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_EXPORT_LINE_FORMAT_H_
