#include "services/requests/notify/sink_payloads.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/digest.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/requests/notify/notification_planner.h"

namespace jit::requests::notify {
namespace {

using nlohmann::json;

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence, marking the cut.
std::string Bounded(std::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "…";
}

std::string TimeText(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProtoTimestamp(t), absl::UTCTimeZone());
}

std::string DurationText(const AccessRequest& r) {
  const google::protobuf::Duration& d =
      r.has_max_duration() ? r.max_duration() : r.requested_duration();
  return absl::FormatDuration(absl::Seconds(d.seconds()));
}

std::string StartText(const AccessRequest& r) {
  if (r.has_access_start_time()) return TimeText(r.access_start_time());
  if (r.has_requested_start_time()) return TimeText(r.requested_start_time());
  return "on approval";
}

std::vector<std::string> ThresholdTexts(const AccessRequest& r) {
  std::vector<std::string> out;
  for (const auto& rt : r.thresholds()) {
    for (const auto& t : rt.thresholds()) {
      out.push_back(absl::StrCat(rt.role(), ": ", t.name().empty() ? "default" : t.name(), " (",
                                 std::max(1u, t.approve()), " approve, ", std::max(1u, t.deny()),
                                 " deny", t.filter().empty() ? "" : ", filter " + t.filter(), ")"));
    }
  }
  if (out.empty()) out.push_back("one approval approves, one denial denies");
  return out;
}

std::string Headline(const QueuedNotification& n) {
  const AccessRequest& r = n.request;
  const std::string roles = absl::StrJoin(r.roles(), ", ");
  if (n.event == kEventBreakGlass) {
    return absl::StrCat("BREAK-GLASS: ", r.user(), " took ", roles, " (review required)");
  }
  if (n.event == kEventCreated) return absl::StrCat(r.user(), " requests ", roles);
  if (n.event == kEventReminder) {
    return absl::StrCat("Reminder: ", r.user(), "'s request for ", roles, " awaits review until ",
                        TimeText(r.pending_expire_time()));
  }
  return absl::StrCat(r.user(), "'s request for ", roles, " was ", n.event,
                      r.resolved_by().empty() ? "" : " by " + r.resolved_by());
}

json RequestJson(const AccessRequest& r) {
  json roles = json::array(), reviewers = json::array(), thresholds = json::array();
  for (const auto& x : r.roles()) roles.push_back(x);
  for (const auto& x : r.suggested_reviewers()) reviewers.push_back(x);
  for (const auto& rt : r.thresholds()) {
    for (const auto& t : rt.thresholds()) {
      thresholds.push_back({{"role", rt.role()},
                            {"name", t.name()},
                            {"filter", t.filter()},
                            {"approve", std::max(1u, t.approve())},
                            {"deny", std::max(1u, t.deny())}});
    }
  }
  json j = {{"id", r.id()},
            {"user", r.user()},
            {"roles", roles},
            {"reason", r.reason()},
            {"state", jit::common::v1::AccessRequestState_Name(r.state())},
            {"duration_seconds",
             r.has_max_duration() ? r.max_duration().seconds() : r.requested_duration().seconds()},
            {"start", StartText(r)},
            {"create_time", TimeText(r.create_time())},
            {"pending_expire_time", TimeText(r.pending_expire_time())},
            {"thresholds", thresholds},
            {"suggested_reviewers", reviewers},
            {"break_glass", r.break_glass()},
            {"resolved_by", r.resolved_by()},
            {"resolve_reason", r.resolve_reason()}};
  return j;
}

std::string Dump(const json& j) {
  // Invalid UTF-8 in user text is replaced rather than thrown.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string SlackBody(const QueuedNotification& n) {
  const AccessRequest& r = n.request;
  const std::string headline = Headline(n);
  json fields = json::array();
  auto field = [&](const std::string& name, const std::string& value) {
    json f;
    f["type"] = "mrkdwn";
    f["text"] = Bounded("*" + name + "*\n" + SlackEscape(value), 1900);
    fields.push_back(f);
  };
  field("Requester", r.user());
  field("Roles", absl::StrJoin(r.roles(), ", "));
  field("Duration", DurationText(r));
  field("Start", StartText(r));
  field("Reason", r.reason().empty() ? "(none)" : Bounded(r.reason(), 1000));
  field("Thresholds", absl::StrJoin(ThresholdTexts(r), "\n"));
  field("Who may approve", r.suggested_reviewers().empty()
                               ? "reviewers allowed by policy"
                               : absl::StrJoin(r.suggested_reviewers(), ", "));
  field("Pending until", TimeText(r.pending_expire_time()));
  if (fields.size() > 10) fields.erase(fields.begin() + 10, fields.end());  // Slack's cap
  json blocks = json::array();
  auto text = [](const char* type, std::string value) {
    json t;
    t["type"] = type;
    t["text"] = std::move(value);
    return t;
  };
  json header;
  header["type"] = "header";
  header["text"] = text("plain_text", Bounded(headline, 140));
  blocks.push_back(header);
  json facts;
  facts["type"] = "section";
  facts["fields"] = fields;
  blocks.push_back(facts);
  json next;
  next["type"] = "section";
  if (n.event == kEventCreated || n.event == kEventReminder) {
    next["text"] = text("mrkdwn", absl::StrCat("Approve with:\n```", ApproveCommand(r), "```"));
    blocks.push_back(next);
  } else if (!r.resolve_reason().empty()) {
    next["text"] =
        text("mrkdwn", absl::StrCat("*Why*: ", SlackEscape(Bounded(r.resolve_reason(), 1000))));
    blocks.push_back(next);
  }
  json context_text;
  context_text["type"] = "mrkdwn";
  context_text["text"] = absl::StrCat(n.urgent ? ":rotating_light: urgent · " : "", "event ",
                                      n.event, " · request ", r.id());
  json context;
  context["type"] = "context";
  context["elements"] = json::array({context_text});
  blocks.push_back(context);
  json body = {{"text", SlackEscape(Bounded(headline, 500))}, {"blocks", blocks}};
  return Dump(body);
}

std::string PagerDutyBody(const SinkConfig& sink, const QueuedNotification& n) {
  const bool resolve =
      n.event != kEventCreated && n.event != kEventBreakGlass && n.event != kEventReminder;
  json body = {{"routing_key", std::string(sink.routing_key.Reveal())},
               {"event_action", resolve ? "resolve" : "trigger"},
               {"dedup_key", n.request.id()}};
  if (!resolve) {
    json details = RequestJson(n.request);
    details["approve_command"] = ApproveCommand(n.request);
    details["event"] = n.event;
    body["payload"] = {{"summary", Bounded(Headline(n), 1000)},
                       {"source", "jit-access"},
                       {"severity", n.urgent ? "critical" : "warning"},
                       {"component", "requests"},
                       {"group", "access-requests"},
                       {"class", n.event},
                       {"custom_details", details}};
  }
  return Dump(body);
}

std::string WebhookBody(const QueuedNotification& n) {
  json body = {{"id", n.id},
               {"event", n.event},
               {"urgent", n.urgent},
               {"summary", Headline(n)},
               {"approve_command", ApproveCommand(n.request)},
               {"request", RequestJson(n.request)}};
  return Dump(body);
}

}  // namespace

std::string SlackEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string ApproveCommand(const AccessRequest& request) {
  return absl::StrCat("jit request approve ", request.id());
}

absl::StatusOr<std::string> WebhookSignature(const SecretString& secret, std::string_view timestamp,
                                             std::string_view body) {
  ASSIGN_OR_RETURN(
      std::string mac,
      crypto::HmacSha256(secret.Reveal(), std::string(timestamp) + "." + std::string(body)));
  return absl::StrCat("v1=", absl::BytesToHexString(mac));
}

absl::StatusOr<HttpCall> RenderCall(const SinkConfig& sink, const QueuedNotification& n,
                                    absl::Time now) {
  HttpCall call;
  call.url = sink.url;
  call.headers.push_back({"Idempotency-Key", SecretString(n.id)});
  switch (sink.kind) {
    case SinkKind::kSlack:
      call.body = SecretString(SlackBody(n));
      break;
    case SinkKind::kPagerDuty:
      call.body = SecretString(PagerDutyBody(sink, n));
      break;
    case SinkKind::kWebhook: {
      std::string body = WebhookBody(n);
      const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(now));
      ASSIGN_OR_RETURN(std::string signature,
                       WebhookSignature(sink.signing_secret, timestamp, body));
      call.headers.push_back({"X-Jit-Event", SecretString(n.event)});
      call.headers.push_back({"X-Jit-Timestamp", SecretString(timestamp)});
      call.headers.push_back({"X-Jit-Signature", SecretString(signature)});
      call.body = SecretString(std::move(body));
      break;
    }
  }
  return call;
}

}  // namespace jit::requests::notify
