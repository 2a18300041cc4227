#include "tools/jit/format.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proto_time.h"
#include "google/protobuf/util/json_util.h"

namespace jit::cli {
namespace {

using common::v1::AccessRequest;
using common::v1::AccessRequestState;

std::string TimeOrDash(const google::protobuf::Timestamp& ts, absl::Time now) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  return RelativeTime(FromProtoTimestamp(ts), now);
}

int Approvals(const AccessRequest& r) {
  int n = 0;
  for (const auto& review : r.reviews()) {
    n += review.verdict() == common::v1::AccessReview::VERDICT_APPROVE;
  }
  return n;
}

}  // namespace

absl::StatusOr<Format> ParseFormat(const std::string& name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", name, "\"; use --format text or --format json"));
}

std::string ShortDuration(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = -d;
  int64_t s = absl::ToInt64Seconds(d);
  const int64_t day = 86400, hour = 3600, minute = 60;
  if (s < minute) return absl::StrCat(s, "s");
  if (s < hour) {
    return s % minute ? absl::StrCat(s / minute, "m", s % minute, "s")
                      : absl::StrCat(s / minute, "m");
  }
  if (s < day) {
    int64_t m = (s % hour) / minute;
    return m ? absl::StrCat(s / hour, "h", m, "m") : absl::StrCat(s / hour, "h");
  }
  int64_t h = (s % day) / hour;
  return h ? absl::StrCat(s / day, "d", h, "h") : absl::StrCat(s / day, "d");
}

std::string RelativeTime(absl::Time t, absl::Time now) {
  absl::Duration d = t - now;
  if (absl::AbsDuration(d) < absl::Seconds(1)) return "now";
  return d > absl::ZeroDuration() ? absl::StrCat("in ", ShortDuration(d))
                                  : absl::StrCat(ShortDuration(d), " ago");
}

std::string StateName(AccessRequestState state) {
  switch (state) {
    case common::v1::ACCESS_REQUEST_STATE_PENDING:
      return "pending";
    case common::v1::ACCESS_REQUEST_STATE_APPROVED:
      return "approved";
    case common::v1::ACCESS_REQUEST_STATE_DENIED:
      return "denied";
    case common::v1::ACCESS_REQUEST_STATE_CANCELLED:
      return "cancelled";
    case common::v1::ACCESS_REQUEST_STATE_EXPIRED:
      return "expired";
    case common::v1::ACCESS_REQUEST_STATE_REVOKED:
      return "revoked";
    default:
      return "unknown";
  }
}

absl::StatusOr<AccessRequestState> ParseState(const std::string& name) {
  std::string lower = absl::AsciiStrToLower(name);
  for (int i = common::v1::ACCESS_REQUEST_STATE_PENDING;
       i <= common::v1::ACCESS_REQUEST_STATE_REVOKED; ++i) {
    auto state = static_cast<AccessRequestState>(i);
    if (StateName(state) == lower) return state;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown state \"", name,
                   "\"; use one of pending, approved, denied, cancelled, expired, revoked"));
}

std::vector<std::string> UniquePrefixes(const std::vector<std::string>& ids) {
  // Sorted, an id shares its longest prefix with one of its neighbours.
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
  auto shared = [](const std::string& a, const std::string& b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
  };
  std::vector<std::string> out(ids.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const std::string& id = ids[order[k]];
    size_t n = 8;
    if (k > 0) n = std::max(n, shared(id, ids[order[k - 1]]) + 1);
    if (k + 1 < order.size()) n = std::max(n, shared(id, ids[order[k + 1]]) + 1);
    out[order[k]] = id.substr(0, std::min(n, id.size()));
  }
  return out;
}

std::string Printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out.push_back('?');
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out.push_back('?');  // a C1 control character, U+0080..U+009F
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string Table(const std::vector<std::vector<std::string>>& raw_rows) {
  std::vector<std::vector<std::string>> rows = raw_rows;
  for (auto& row : rows) {
    for (std::string& cell : row) cell = Printable(cell);
  }
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (row.size() > width.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string RequestTable(const std::vector<AccessRequest>& requests, absl::Time now) {
  if (requests.empty()) return "no requests\n";
  std::vector<std::vector<std::string>> rows = {
      {"ID", "USER", "ROLES", "STATE", "APPROVALS", "CREATED", "UNTIL", "REASON"}};
  std::vector<std::string> ids;
  for (const AccessRequest& r : requests) ids.push_back(r.id());
  const std::vector<std::string> short_ids = UniquePrefixes(ids);
  for (size_t i = 0; i < requests.size(); ++i) {
    const AccessRequest& r = requests[i];
    std::string until = "-";
    if (r.state() == common::v1::ACCESS_REQUEST_STATE_PENDING) {
      until = TimeOrDash(r.pending_expire_time(), now);
    } else if (r.state() == common::v1::ACCESS_REQUEST_STATE_APPROVED) {
      until = TimeOrDash(r.access_expire_time(), now);
    }
    std::string reason = r.reason();
    if (reason.size() > 40) reason = reason.substr(0, 37) + "...";
    rows.push_back({short_ids[i], r.user(), absl::StrJoin(r.roles(), ","), StateName(r.state()),
                    absl::StrCat(Approvals(r)), TimeOrDash(r.create_time(), now), until, reason});
  }
  return Table(rows);
}

std::string RequestDetail(const AccessRequest& r, absl::Time now) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"ID:", r.id()});
  rows.push_back({"User:", r.user()});
  rows.push_back({"Roles:", absl::StrJoin(r.roles(), ", ")});
  if (r.granted_roles_size() > 0) {
    rows.push_back({"Granted roles:", absl::StrJoin(r.granted_roles(), ", ")});
  }
  rows.push_back({"State:", StateName(r.state())});
  rows.push_back({"Reason:", r.reason()});
  rows.push_back({"Duration:", ShortDuration(absl::Seconds(r.requested_duration().seconds()))});
  rows.push_back({"Created:", TimeOrDash(r.create_time(), now)});
  if (r.state() == common::v1::ACCESS_REQUEST_STATE_PENDING) {
    rows.push_back({"Lapses:", TimeOrDash(r.pending_expire_time(), now)});
  }
  if (r.has_access_start_time()) {
    rows.push_back({"Access:", absl::StrCat("from ", TimeOrDash(r.access_start_time(), now),
                                            " until ", TimeOrDash(r.access_expire_time(), now))});
  }
  if (r.suggested_reviewers_size() > 0) {
    rows.push_back({"Reviewers:", absl::StrJoin(r.suggested_reviewers(), ", ")});
  }
  if (!r.resolved_by().empty()) {
    rows.push_back({"Resolved by:",
                    absl::StrCat(r.resolved_by(),
                                 r.resolve_reason().empty() ? "" : ": " + r.resolve_reason())});
  }
  std::string out = Table(rows);
  if (r.reviews_size() > 0) {
    std::vector<std::vector<std::string>> reviews = {{"  REVIEWER", "VERDICT", "WHEN", "REASON"}};
    for (const auto& review : r.reviews()) {
      reviews.push_back(
          {"  " + review.reviewer(),
           review.verdict() == common::v1::AccessReview::VERDICT_APPROVE ? "approve" : "deny",
           TimeOrDash(review.create_time(), now), review.reason()});
    }
    absl::StrAppend(&out, "Reviews:\n", Table(reviews));
  }
  if (r.history_size() > 0) {
    std::vector<std::vector<std::string>> history = {{"  WHEN", "CHANGE", "BY", "REASON"}};
    for (const auto& t : r.history()) {
      std::string change =
          t.from_state() == common::v1::ACCESS_REQUEST_STATE_UNSPECIFIED
              ? "created"
              : absl::StrCat(StateName(t.from_state()), " -> ", StateName(t.to_state()));
      history.push_back({"  " + TimeOrDash(t.time(), now), change, t.actor(), t.reason()});
    }
    absl::StrAppend(&out, "History:\n", Table(history));
  }
  return out;
}

std::string IdentityText(const common::v1::Identity& identity, absl::Time now) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"User:", identity.name()});
  rows.push_back(
      {"Roles:", identity.roles().empty() ? "-" : absl::StrJoin(identity.roles(), ", ")});
  std::vector<std::string> keys;
  for (const auto& [k, v] : identity.traits()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> traits;
  for (const std::string& k : keys) {
    traits.push_back(absl::StrCat(k, "=", absl::StrJoin(identity.traits().at(k).values(), ",")));
  }
  rows.push_back({"Traits:", traits.empty() ? "-" : absl::StrJoin(traits, " ")});
  rows.push_back({"MFA:", identity.mfa_verified() ? "yes" : "no"});
  rows.push_back({"Session expires:", TimeOrDash(identity.expire_time(), now)});
  return Table(rows);
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json + "\n";
}

std::string ToJsonArray(const std::vector<const google::protobuf::Message*>& messages) {
  std::string out = "[";
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string one = ToJson(*messages[i]);
    one.pop_back();
    absl::StrAppend(&out, i ? "," : "", one);
  }
  return out + "]\n";
}

absl::StatusOr<std::string> ResolveIdPrefix(const std::string& prefix,
                                            const std::vector<std::string>& ids) {
  if (prefix.empty()) {
    return absl::InvalidArgumentError("the request id is empty; `jit request ls` lists them");
  }
  std::vector<std::string> matches;
  for (const std::string& id : ids) {
    if (id == prefix) return id;
    if (absl::StartsWith(id, prefix)) matches.push_back(id);
  }
  if (matches.empty()) {
    return absl::NotFoundError(absl::StrCat("no request you can see has an id starting with \"",
                                            prefix, "\"; `jit request ls` lists them"));
  }
  if (matches.size() > 1) {
    std::vector<std::string> shown;
    for (size_t i = 0; i < matches.size() && i < 5; ++i) shown.push_back(matches[i].substr(0, 12));
    return absl::InvalidArgumentError(absl::StrCat(
        "request id \"", prefix, "\" matches ", matches.size(), " requests (",
        absl::StrJoin(shown, ", "), matches.size() > 5 ? ", ..." : "", "); type more of the id"));
  }
  return matches[0];
}

std::string ErrorSentence(const absl::Status& status) {
  std::string message(status.message());
  while (!message.empty() && (message.back() == '.' || message.back() == '\n')) message.pop_back();
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      if (absl::StrContains(message, "jit login")) return message;
      return absl::StrCat(message, "; run `jit login` (again)");
    case absl::StatusCode::kUnavailable:
      return absl::StrCat(message,
                          "; start the services (deploy/local/up.sh) or point --auth-addr/"
                          "--requests-addr (or ~/.jit/config) at them");
    default:
      return message;
  }
}

}  // namespace jit::cli
