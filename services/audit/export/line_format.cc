#include "services/audit/export/line_format.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/audit/chain/canonical.h"
#include "services/audit/chain/details_json.h"

namespace jit::audit {
namespace {

using jit::common::v1::AuditEvent;

constexpr absl::string_view kSequencePrefix = "{\"sequence\":";

std::string_view OutcomeName(AuditEvent::Outcome outcome) {
  switch (outcome) {
    case AuditEvent::OUTCOME_SUCCESS:
      return "success";
    case AuditEvent::OUTCOME_FAILURE:
      return "failure";
    case AuditEvent::OUTCOME_DENIED:
      return "denied";
    default:
      return "unspecified";
  }
}

void Field(std::string_view name, std::string_view value, std::string* out) {
  out->push_back(',');
  chain::AppendJsonString(name, out);
  out->push_back(':');
  chain::AppendJsonString(value, out);
}

// CEF header fields escape '\' and '|'.
std::string CefHeader(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '|') out.push_back('\\');
    if (c == '\n' || c == '\r') {
      out.push_back(' ');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// CEF extension values escape '\' and '=' and write line breaks as \n / \r.
void CefExtension(absl::string_view key, std::string_view value, std::string* out) {
  if (value.empty()) return;
  absl::StrAppend(out, " ", key, "=");
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '=':
        out->append("\\=");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace

std::string Rfc3339Micros(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

std::string JsonLine(const AuditEvent& e) {
  std::string out;
  out.reserve(512);
  absl::StrAppend(&out, kSequencePrefix, e.sequence());
  Field("id", e.id(), &out);
  Field("code", e.code(), &out);
  Field("type", e.type(), &out);
  Field("time", Rfc3339Micros(chain::TimestampMicros(e.time())), &out);
  Field("service", e.service(), &out);
  Field("replica", e.replica(), &out);
  Field("actor", e.actor(), &out);
  Field("target", e.target(), &out);
  Field("outcome", OutcomeName(e.outcome()), &out);
  Field("message", e.message(), &out);
  out.append(",\"details\":");
  out.append(chain::DetailsToJson(e.details()));
  Field("request_id", e.request_id(), &out);
  Field("session_id", e.session_id(), &out);
  Field("remote_addr", e.remote_addr(), &out);
  Field("ingest_time", Rfc3339Micros(chain::TimestampMicros(e.ingest_time())), &out);
  Field("prev_hash", e.prev_hash(), &out);
  Field("hash", e.hash(), &out);
  out.push_back('}');
  return out;
}

std::optional<int64_t> JsonLineSequence(std::string_view line) {
  if (absl::string_view(line.data(), line.size()).substr(0, kSequencePrefix.size()) !=
      kSequencePrefix) {
    return std::nullopt;
  }
  line.remove_prefix(kSequencePrefix.size());
  const size_t comma = line.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  int64_t sequence;
  if (!absl::SimpleAtoi(absl::string_view(line.data(), comma), &sequence)) return std::nullopt;
  return sequence;
}

std::string CefLine(const AuditEvent& e) {
  const std::string& code = e.code();
  const int severity = code.empty() ? 5 : (code.back() == 'W' ? 7 : 3);
  std::string out =
      absl::StrCat("CEF:0|jit-access|jit-audit|1|", CefHeader(code.empty() ? e.type() : code), "|",
                   CefHeader(e.type()), "|", severity, "|");
  out.append("rt=");
  absl::StrAppend(&out, chain::TimestampMicros(e.time()) / 1000);
  CefExtension("externalId", e.id(), &out);
  absl::StrAppend(&out, " cn1=", e.sequence(), " cn1Label=sequence");
  CefExtension("suser", e.actor(), &out);
  CefExtension("duser", e.target(), &out);
  CefExtension("outcome", OutcomeName(e.outcome()), &out);
  CefExtension("msg", e.message(), &out);
  CefExtension("src", e.remote_addr(), &out);
  CefExtension("dvchost", e.replica(), &out);
  CefExtension("deviceProcessName", e.service(), &out);
  CefExtension("cs1", e.request_id(), &out);
  if (!e.request_id().empty()) out.append(" cs1Label=request_id");
  CefExtension("cs2", e.session_id(), &out);
  if (!e.session_id().empty()) out.append(" cs2Label=session_id");
  CefExtension("cs3", chain::DetailsToJson(e.details()), &out);
  out.append(" cs3Label=details");
  CefExtension("cs4", e.hash(), &out);
  out.append(" cs4Label=hash");
  return out;
}

}  // namespace jit::audit
