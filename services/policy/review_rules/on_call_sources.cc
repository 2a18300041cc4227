#include "services/policy/review_rules/on_call_sources.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/secret_file.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/policy/role_parser.h"
#include "yaml-cpp/yaml.h"

ABSL_FLAG(std::string, on_call_schedule_file, "",
          "YAML file of on-call shifts for review rules with on_call: true");
ABSL_FLAG(std::string, pagerduty_token_file, "",
          "File holding a PagerDuty REST API token (on-call condition of review rules)");
ABSL_FLAG(std::vector<std::string>, pagerduty_schedule_ids, {},
          "PagerDuty schedule ids whose on-call users count as on call");
ABSL_FLAG(std::string, pagerduty_api_url, "https://api.pagerduty.com",
          "PagerDuty REST API base URL");

namespace jit::policy {
namespace {

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("bad time \"", text, "\": ", error));
  }
  return t;
}

}  // namespace

bool CoveredByShift(const std::vector<OnCallShift>& shifts, const jit::common::v1::Identity& user,
                    absl::Time now) {
  std::vector<std::string> names = {user.name()};
  auto it = user.traits().find("email");
  if (it != user.traits().end()) {
    for (const std::string& e : it->second.values()) names.push_back(e);
  }
  for (const OnCallShift& shift : shifts) {
    if (now < shift.start || now >= shift.end) continue;
    for (const std::string& name : names) {
      if (!name.empty() && absl::EqualsIgnoreCase(name, shift.user)) return true;
    }
  }
  return false;
}

absl::StatusOr<std::unique_ptr<StaticOnCallSource>> StaticOnCallSource::FromYaml(
    absl::string_view yaml) {
  ASSIGN_OR_RETURN(std::vector<YAML::Node> docs, LoadBoundedYamlDocuments(yaml, 4 << 20));
  std::vector<OnCallShift> shifts;
  try {
    if (docs.size() != 1 || !docs[0].IsMap() || !docs[0]["shifts"] ||
        !docs[0]["shifts"].IsSequence()) {
      return absl::InvalidArgumentError("expected one document with a list `shifts`");
    }
    int i = 0;
    for (const YAML::Node& s : docs[0]["shifts"]) {
      const std::string where = absl::StrCat("shifts[", i++, "]");
      if (!s.IsMap() || !s["user"] || !s["start"] || !s["end"] || !s["user"].IsScalar() ||
          !s["start"].IsScalar() || !s["end"].IsScalar() || s.size() != 3) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", s.Mark().line + 1, ": ", where, ": expected {user, start, end}"));
      }
      OnCallShift shift;
      shift.user = s["user"].Scalar();
      absl::StatusOr<absl::Time> start = ParseRfc3339(s["start"].Scalar());
      absl::StatusOr<absl::Time> end = ParseRfc3339(s["end"].Scalar());
      if (!start.ok() || !end.ok() || *end <= *start || shift.user.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", s.Mark().line + 1, ": ", where,
                         ": user must be set and start/end RFC 3339 times with end after start"));
      }
      shift.start = *start;
      shift.end = *end;
      shifts.push_back(std::move(shift));
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed schedule: ", e.what()));
  }
  return std::unique_ptr<StaticOnCallSource>(new StaticOnCallSource(std::move(shifts)));
}

absl::StatusOr<std::unique_ptr<StaticOnCallSource>> StaticOnCallSource::FromFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<std::unique_ptr<StaticOnCallSource>> source = FromYaml(buffer.str());
  if (!source.ok()) {
    return absl::Status(source.status().code(),
                        absl::StrCat(path, ": ", source.status().message()));
  }
  return source;
}

absl::StatusOr<bool> StaticOnCallSource::IsOnCall(const jit::common::v1::Identity& user,
                                                  absl::Time now) {
  return CoveredByShift(shifts_, user, now);
}

absl::StatusOr<std::vector<OnCallShift>> ParsePagerDutyOnCalls(absl::string_view body) {
  const nlohmann::json doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("PagerDuty oncalls: not a JSON object");
  }
  auto list = doc.find("oncalls");
  if (list == doc.end() || !list->is_array()) {
    return absl::InvalidArgumentError("PagerDuty oncalls: no \"oncalls\" list");
  }
  std::vector<OnCallShift> out;
  for (const nlohmann::json& entry : *list) {
    if (!entry.is_object()) return absl::InvalidArgumentError("PagerDuty oncalls: bad entry");
    auto user = entry.find("user");
    if (user == entry.end() || !user->is_object()) {
      return absl::InvalidArgumentError("PagerDuty oncalls: entry without user");
    }
    auto email = user->find("email");
    if (email == user->end() || !email->is_string()) {
      // Without include[]=users the user is a reference without e-mail: nobody can match.
      return absl::InvalidArgumentError(
          "PagerDuty oncalls: user without email (include[]=users missing?)");
    }
    OnCallShift shift;
    shift.user = email->get<std::string>();
    shift.start = absl::InfinitePast();
    shift.end = absl::InfiniteFuture();
    auto start = entry.find("start");
    if (start != entry.end() && start->is_string()) {
      ASSIGN_OR_RETURN(shift.start, ParseRfc3339(start->get<std::string>()));
    }
    auto end = entry.find("end");
    if (end != entry.end() && end->is_string()) {
      ASSIGN_OR_RETURN(shift.end, ParseRfc3339(end->get<std::string>()));
    }
    out.push_back(std::move(shift));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PagerDutyOnCallSource>> PagerDutyOnCallSource::Create(
    http::HttpClient* http, const Clock* clock, SecretString token, PagerDutyOptions options) {
  if (options.schedule_ids.empty()) {
    return absl::InvalidArgumentError("pagerduty_schedule_ids: name at least one schedule");
  }
  if (token.Reveal().empty()) return absl::InvalidArgumentError("pagerduty_token_file: empty");
  for (const std::string& id : options.schedule_ids) {
    if (id.empty() || id.size() > 64 ||
        !std::all_of(id.begin(), id.end(), [](char c) { return absl::ascii_isalnum(c); })) {
      return absl::InvalidArgumentError(
          absl::StrCat("pagerduty_schedule_ids: \"", id, "\" is not a schedule id"));
    }
  }
  while (absl::EndsWith(options.api_url, "/")) options.api_url.pop_back();
  return std::unique_ptr<PagerDutyOnCallSource>(
      new PagerDutyOnCallSource(http, clock, std::move(token), std::move(options)));
}

std::string PagerDutyOnCallSource::OnCallsUrl(absl::Time now) const {
  const std::string at =
      http::PercentEncode(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone()));
  std::string url = absl::StrCat(options_.api_url, "/oncalls?time_zone=UTC&since=", at,
                                 "&until=", at, "&include%5B%5D=users&limit=100");
  for (const std::string& id : options_.schedule_ids) {
    absl::StrAppend(&url, "&schedule_ids%5B%5D=", http::PercentEncode(id));
  }
  return url;
}

absl::StatusOr<bool> PagerDutyOnCallSource::IsOnCall(const jit::common::v1::Identity& user,
                                                     absl::Time now) {
  {
    absl::MutexLock lock(&mu_);
    if (now < cached_until_) return CoveredByShift(cached_, user, now);
  }
  std::vector<http::Field> headers;
  std::string authorization = "Token token=";
  authorization.append(token_.Reveal());
  headers.push_back({"Authorization", SecretString(std::move(authorization))});
  headers.push_back(
      {"Accept", SecretString(std::string("application/vnd.pagerduty+json;version=2"))});
  ASSIGN_OR_RETURN(http::HttpResponse response, http_->GetWithHeaders(OnCallsUrl(now), headers));
  if (response.status != 200) {
    return absl::UnavailableError(
        absl::StrCat("PagerDuty oncalls answered HTTP ", response.status));
  }
  ASSIGN_OR_RETURN(std::vector<OnCallShift> shifts, ParsePagerDutyOnCalls(response.body));
  absl::Time until = clock_->Now() + options_.cache_ttl;
  for (const OnCallShift& s : shifts) until = std::min(until, s.end);
  const bool on_call = CoveredByShift(shifts, user, now);
  absl::MutexLock lock(&mu_);
  cached_ = std::move(shifts);
  cached_until_ = until;
  return on_call;
}

OnCallConfig OnCallConfigFromFlags() {
  return {.schedule_file = absl::GetFlag(FLAGS_on_call_schedule_file),
          .pagerduty_token_file = absl::GetFlag(FLAGS_pagerduty_token_file),
          .pagerduty_schedule_ids = absl::GetFlag(FLAGS_pagerduty_schedule_ids),
          .pagerduty_api_url = absl::GetFlag(FLAGS_pagerduty_api_url)};
}

namespace {

// A PagerDuty source that owns its HTTP client and clock.
class OwningPagerDutySource final : public OnCallSource {
 public:
  OwningPagerDutySource(std::unique_ptr<http::HttpClient> http, std::unique_ptr<Clock> clock)
      : http_(std::move(http)), clock_(std::move(clock)) {}
  absl::Status Init(SecretString token, PagerDutyOptions options) {
    ASSIGN_OR_RETURN(source_, PagerDutyOnCallSource::Create(http_.get(), clock_.get(),
                                                            std::move(token), std::move(options)));
    return absl::OkStatus();
  }
  absl::StatusOr<bool> IsOnCall(const jit::common::v1::Identity& user, absl::Time now) override {
    return source_->IsOnCall(user, now);
  }

 private:
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<PagerDutyOnCallSource> source_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<OnCallSource>> OnCallSourceOf(const OnCallConfig& config) {
  const bool pd = !config.pagerduty_token_file.empty() || !config.pagerduty_schedule_ids.empty();
  if (!config.schedule_file.empty() && pd) {
    return absl::InvalidArgumentError(
        "on_call_schedule_file: set it or the pagerduty_* flags, not both");
  }
  if (!config.schedule_file.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<StaticOnCallSource> source,
                     StaticOnCallSource::FromFile(config.schedule_file));
    return std::unique_ptr<OnCallSource>(std::move(source));
  }
  if (!pd) return nullptr;
  if (config.pagerduty_token_file.empty()) {
    return absl::InvalidArgumentError("pagerduty_token_file: required with pagerduty_schedule_ids");
  }
  absl::StatusOr<SecretString> token = ReadSecretFile(config.pagerduty_token_file);
  if (!token.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("pagerduty_token_file: ", token.status().message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<http::CurlHttpClient> http,
                   http::CurlHttpClient::Create({.total_timeout = absl::Seconds(3)}));
  auto source =
      std::make_unique<OwningPagerDutySource>(std::move(http), std::make_unique<RealClock>());
  RETURN_IF_ERROR(source->Init(*std::move(token), {.api_url = config.pagerduty_api_url,
                                                   .schedule_ids = config.pagerduty_schedule_ids}));
  return std::unique_ptr<OnCallSource>(std::move(source));
}

}  // namespace jit::policy
