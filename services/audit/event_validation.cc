#include "services/audit/event_validation.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/proto_time.h"
#include "services/audit/chain/canonical.h"
#include "services/audit/chain/details_json.h"
#include "services/audit/chain/event_codes.h"

namespace jit::audit {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using jit::common::v1::AuditEvent;

// 1970-01-01T00:00:00Z and 10000-01-01T00:00:00Z.
constexpr int64_t kMinSeconds = 0;
constexpr int64_t kEndSeconds = 253402300800;

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

class EventChecker {
 public:
  explicit EventChecker(int index) : prefix_(absl::StrCat("events[", index, "].")) {}

  absl::Status Text(absl::string_view field, std::string_view value, size_t limit,
                    bool required = false) {
    if (required && value.empty()) return Error(field, "missing");
    if (value.size() > limit) {
      return Error(field, absl::StrCat(value.size(), " bytes, over the limit of ", limit));
    }
    if (!IsStorableText(value)) return Error(field, "not valid UTF-8, or holds U+0000");
    return absl::OkStatus();
  }

  absl::Status Details(const Struct& details) {
    if (absl::Status s = StructValues(details, 1); !s.ok()) return s;
    const size_t size = chain::DetailsToJson(details).size();
    if (size > kMaxDetailsBytes) {
      return Error("details", absl::StrCat(size, " bytes, over the limit of ", kMaxDetailsBytes));
    }
    return absl::OkStatus();
  }

  absl::Status Error(absl::string_view field, absl::string_view problem) const {
    return absl::InvalidArgumentError(absl::StrCat(prefix_, field, ": ", problem));
  }

 private:
  absl::Status StructValues(const Struct& s, int depth) {
    if (depth > kMaxDetailsDepth) {
      return Error("details", absl::StrCat("nested deeper than ", kMaxDetailsDepth, " levels"));
    }
    for (const auto& [key, value] : s.fields()) {
      if (!IsStorableText(key)) return Error("details", "a key is not valid UTF-8 or holds U+0000");
      if (absl::Status st = ValueOk(value, depth); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

  absl::Status ValueOk(const Value& v, int depth) {
    switch (v.kind_case()) {
      case Value::kNumberValue:
        if (!std::isfinite(v.number_value())) {
          return Error("details", "NaN and infinite numbers have no JSON form");
        }
        return absl::OkStatus();
      case Value::kStringValue:
        if (!IsStorableText(v.string_value())) {
          return Error("details", "a string is not valid UTF-8 or holds U+0000");
        }
        return absl::OkStatus();
      case Value::kStructValue:
        return StructValues(v.struct_value(), depth + 1);
      case Value::kListValue:
        if (depth + 1 > kMaxDetailsDepth) {
          return Error("details", absl::StrCat("nested deeper than ", kMaxDetailsDepth, " levels"));
        }
        for (const Value& item : v.list_value().values()) {
          if (absl::Status st = ValueOk(item, depth + 1); !st.ok()) return st;
        }
        return absl::OkStatus();
      default:
        return absl::OkStatus();
    }
  }

  const std::string prefix_;
};

absl::StatusOr<AuditEvent> CheckEvent(const AuditEvent& in, int index, absl::Time ingest_time) {
  EventChecker c(index);
  if (in.id().empty()) return c.Error("id", "missing");
  if (!IsUuid(in.id())) return c.Error("id", "not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
  if (in.type().empty()) return c.Error("type", "missing");
  if (absl::Status s = c.Text("type", in.type(), 128); !s.ok()) return s;
  if (!IsValidEventType(in.type())) {
    return c.Error("type",
                   "must be dotted lowercase words (letters, digits, '_'), e.g. \"auth.login\"");
  }
  if (!in.has_time()) return c.Error("time", "missing");
  if (in.time().seconds() < kMinSeconds || in.time().seconds() >= kEndSeconds ||
      in.time().nanos() < 0 || in.time().nanos() > 999'999'999) {
    return c.Error("time", "out of range (1970-01-01 to 9999-12-31)");
  }
  if (absl::Status s = c.Text("service", in.service(), 64, /*required=*/true); !s.ok()) return s;
  if (absl::Status s = c.Text("replica", in.replica(), 255); !s.ok()) return s;
  if (absl::Status s = c.Text("actor", in.actor(), 1024); !s.ok()) return s;
  if (absl::Status s = c.Text("target", in.target(), 1024); !s.ok()) return s;
  if (!AuditEvent::Outcome_IsValid(in.outcome())) {
    return c.Error("outcome", absl::StrCat("unknown value ", static_cast<int>(in.outcome())));
  }
  if (absl::Status s = c.Text("message", in.message(), 4096); !s.ok()) return s;
  if (absl::Status s = c.Details(in.details()); !s.ok()) return s;
  if (absl::Status s = c.Text("request_id", in.request_id(), 256); !s.ok()) return s;
  if (absl::Status s = c.Text("session_id", in.session_id(), 256); !s.ok()) return s;
  if (absl::Status s = c.Text("remote_addr", in.remote_addr(), 256); !s.ok()) return s;

  AuditEvent out = in;
  out.set_id(absl::AsciiStrToLower(in.id()));
  out.mutable_time()->set_nanos(in.time().nanos() / 1000 * 1000);
  out.set_code(std::string(chain::CodeForType(in.type())));
  SetProtoTimestamp(ingest_time, out.mutable_ingest_time());
  out.clear_sequence();
  out.clear_hash();
  out.clear_prev_hash();
  return out;
}

}  // namespace

bool IsValidEventType(std::string_view type) {
  int parts = 0;
  for (absl::string_view part : absl::StrSplit(absl::string_view(type.data(), type.size()), '.')) {
    if (part.empty() || !absl::ascii_islower(static_cast<unsigned char>(part[0]))) return false;
    for (char c : part) {
      if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
        return false;
      }
    }
    ++parts;
  }
  return parts >= 2;
}

bool IsStorableText(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and code points beyond U+10FFFF are invalid.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

absl::StatusOr<std::vector<AuditEvent>> ValidateBatch(
    const google::protobuf::RepeatedPtrField<AuditEvent>& events, absl::Time ingest_time) {
  if (events.size() > kMaxBatchEvents) {
    return absl::InvalidArgumentError(absl::StrCat(
        "events: ", events.size(), " events, over the limit of ", kMaxBatchEvents, " per batch"));
  }
  const absl::Time stamp = TruncateToMicros(ingest_time);
  std::vector<AuditEvent> out;
  out.reserve(events.size());
  for (int i = 0; i < events.size(); ++i) {
    absl::StatusOr<AuditEvent> e = CheckEvent(events[i], i, stamp);
    if (!e.ok()) return e.status();
    out.push_back(*std::move(e));
  }
  return out;
}

}  // namespace jit::audit
