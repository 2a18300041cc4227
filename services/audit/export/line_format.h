// How ExportEvents and the JSON Lines file exporter write one event per line (no newline
// included; docs/AUDIT.md "Export line formats" documents both for Fluent Bit and Vector).
//
// JSON Lines: one object with every field, always in this order and always present:
//   {"sequence":1,"id":"...","code":"J1000I","type":"auth.login",
//    "time":"2023-11-14T22:13:20.123456Z","service":"auth","replica":"auth-0",
//    "actor":"user:alice","target":"user:alice","outcome":"success","message":"...",
//    "details":{...},"request_id":"","session_id":"...","remote_addr":"...",
//    "ingest_time":"2023-11-14T22:13:21.000000Z","prev_hash":"<hex>","hash":"<hex>"}
// Times are RFC 3339 UTC with exactly six fractional digits; outcome is "unspecified",
// "success", "failure" or "denied"; details as stored (chain/details_json.h). The line
// starts with {"sequence":N, so that a reader finds the sequence without parsing the rest.
//
// CEF (ArcSight Common Event Format 0): header vendor "jit-access", product "jit-audit",
// version "1", signature id = code (the type when the code is ""), name = type, severity 3
// for codes ending in I, 7 for W, 5 otherwise; extension rt (ms since the epoch),
// externalId (id), cn1 (sequence), suser (actor), duser (target), outcome, msg, src
// (remote_addr), dvchost (replica), deviceProcessName (service), cs1 request_id, cs2
// session_id, cs3 details (JSON), cs4 hash; empty values are left out.
// Thread-safe: plain functions.
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
