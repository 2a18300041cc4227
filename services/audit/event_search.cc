#include "services/audit/event_search.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "services/audit/chain/canonical.h"
#include "services/audit/event_validation.h"

namespace jit::audit {
namespace {

using jit::audit::v1::SearchEventsRequest;
using jit::audit::v1::SearchEventsResponse;

constexpr char kTokenVersion[] = "s1";

// What a page token is bound to: every field of the request but the paging ones.
std::string Fingerprint(const SearchEventsRequest& request) {
  SearchEventsRequest filter = request;
  filter.clear_page_size();
  filter.clear_page_token();
  std::string bytes;
  filter.SerializeToString(&bytes);  // deterministic enough: no maps in the message
  const crypto::Sha256Digest d = crypto::Sha256(bytes);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(d.data()), 8));
}

std::string EncodeToken(const SearchPosition& p, const std::string& fingerprint) {
  return crypto::Base64UrlEncode(
      absl::StrCat(kTokenVersion, ":", p.time_micros, ":", p.sequence, ":", fingerprint));
}

absl::StatusOr<SearchPosition> DecodeToken(std::string_view token, const std::string& fingerprint) {
  const absl::Status malformed = absl::InvalidArgumentError("page_token: malformed");
  absl::StatusOr<std::string> text = crypto::Base64UrlDecode(token);
  if (!text.ok()) return malformed;
  std::vector<std::string> parts = absl::StrSplit(*text, ':');
  SearchPosition p;
  if (parts.size() != 4 || parts[0] != kTokenVersion ||
      !absl::SimpleAtoi(parts[1], &p.time_micros) || !absl::SimpleAtoi(parts[2], &p.sequence)) {
    return malformed;
  }
  if (parts[3] != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: belongs to another query (filters and order must stay the same)");
  }
  return p;
}

absl::Status CheckText(absl::string_view field, const std::string& value, size_t limit) {
  if (value.size() > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value.size(), " bytes, over the limit of ", limit));
  }
  if (!IsStorableText(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not valid UTF-8, or holds U+0000"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SearchEventsResponse> EventSearch::Search(const SearchEventsRequest& request) {
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", request.page_size(), " is outside 0 to ", kMaxPageSize));
  }
  SearchQuery q;
  q.limit = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  q.ascending = request.ascending();
  if (request.has_start_time()) q.start = FromProtoTimestamp(request.start_time());
  if (request.has_end_time()) q.end = FromProtoTimestamp(request.end_time());
  if (q.start && q.end && *q.start >= *q.end) {
    return absl::InvalidArgumentError("start_time: must be before end_time");
  }
  if (request.types_size() > kMaxTypeFilters) {
    return absl::InvalidArgumentError(absl::StrCat(
        "types: ", request.types_size(), " filters, over the limit of ", kMaxTypeFilters));
  }
  for (const std::string& t : request.types()) {
    if (absl::EndsWith(t, ".*")) {
      const std::string prefix = t.substr(0, t.size() - 1);  // keeps the '.'
      if (!IsValidEventType(absl::StrCat(prefix, "x"))) {
        return absl::InvalidArgumentError(
            absl::StrCat("types: \"", t, "\" is not a type or a prefix such as \"auth.*\""));
      }
      q.type_prefixes.push_back(prefix);
    } else {
      if (!IsValidEventType(t)) {
        return absl::InvalidArgumentError(
            absl::StrCat("types: \"", t, "\" is not a type or a prefix such as \"auth.*\""));
      }
      q.exact_types.push_back(t);
    }
  }
  RETURN_IF_ERROR(CheckText("actor", request.actor(), 1024));
  RETURN_IF_ERROR(CheckText("target", request.target(), 1024));
  RETURN_IF_ERROR(CheckText("request_id", request.request_id(), 256));
  q.actor = request.actor();
  q.target = request.target();
  q.request_id = request.request_id();
  if (request.outcome() != jit::common::v1::AuditEvent::OUTCOME_UNSPECIFIED) {
    if (!jit::common::v1::AuditEvent::Outcome_IsValid(request.outcome())) {
      return absl::InvalidArgumentError(
          absl::StrCat("outcome: unknown value ", static_cast<int>(request.outcome())));
    }
    q.outcome = request.outcome();
  }
  const std::string fingerprint = Fingerprint(request);
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(q.after, DecodeToken(request.page_token(), fingerprint));
  }

  // One more than asked: whether there is a next page.
  const int page = q.limit;
  q.limit = page + 1;
  ASSIGN_OR_RETURN(std::vector<AuditEvent> events, store_->Search(q));
  SearchEventsResponse out;
  const bool more = static_cast<int>(events.size()) > page;
  if (more) events.resize(page);
  for (AuditEvent& e : events) *out.add_events() = std::move(e);
  if (more) {
    const AuditEvent& last = out.events(out.events_size() - 1);
    out.set_next_page_token(EncodeToken(
        SearchPosition{chain::TimestampMicros(last.time()), last.sequence()}, fingerprint));
  }
  return out;
}

}  // namespace jit::audit
