#include "services/requests/notify/notify_config.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/http/http_client.h"
#include "common/secret_file.h"
#include "common/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace jit::requests::notify {
namespace {

absl::Status CheckKeys(const YAML::Node& node, const std::string& where,
                       const std::set<std::string>& allowed) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, ": must be a map"));
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (allowed.count(key) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key '", key.substr(0, 64),
                                                     "' (allowed: ", absl::StrJoin(allowed, ", "),
                                                     ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Strings(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": must be a list of strings"));
  }
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": must be a list of strings"));
    }
    out.push_back(item.as<std::string>());
  }
  return out;
}

absl::StatusOr<absl::Duration> DurationField(const YAML::Node& node, const std::string& where,
                                             absl::Duration fallback, absl::Duration min,
                                             absl::Duration max) {
  if (!node) return fallback;
  absl::Duration d;
  if (!node.IsScalar() || !absl::ParseDuration(node.as<std::string>(), &d)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": not a duration (e.g. 5s, 100ms)"));
  }
  if (d < min || d > max) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": must be between ",
                                                   absl::FormatDuration(min), " and ",
                                                   absl::FormatDuration(max)));
  }
  return d;
}

absl::StatusOr<SecretString> SecretField(const YAML::Node& node, const std::string& where,
                                         const std::string& base_dir) {
  if (!node || !node.IsScalar() || node.as<std::string>().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": a file path is required"));
  }
  std::string path = node.as<std::string>();
  if (path[0] != '/' && !base_dir.empty()) path = absl::StrCat(base_dir, "/", path);
  absl::StatusOr<SecretString> secret = ReadSecretFile(path);
  if (!secret.ok()) {
    return absl::Status(secret.status().code(),
                        absl::StrCat(where, ": ", secret.status().message()));
  }
  return secret;
}

absl::StatusOr<std::vector<Route>> Routes(const YAML::Node& node, const std::string& where,
                                          const std::set<std::string>& sinks, bool requesters) {
  std::vector<Route> out;
  if (!node) return out;
  if (!node.IsSequence()) return absl::InvalidArgumentError(where + ": must be a list");
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string at = absl::StrCat(where, "[", i, "]");
    const YAML::Node& r = node[i];
    RETURN_IF_ERROR(CheckKeys(r, at,
                              requesters ? std::set<std::string>{"users", "sinks"}
                                         : std::set<std::string>{"roles", "reviewers", "sinks"}));
    Route route;
    if (requesters) {
      ASSIGN_OR_RETURN(route.users, Strings(r["users"], at + ".users"));
      if (route.users.empty()) return absl::InvalidArgumentError(at + ".users: must not be empty");
    } else {
      ASSIGN_OR_RETURN(route.roles, Strings(r["roles"], at + ".roles"));
      ASSIGN_OR_RETURN(route.reviewers, Strings(r["reviewers"], at + ".reviewers"));
      if (route.roles.empty() && route.reviewers.empty()) {
        return absl::InvalidArgumentError(at + ": needs roles or reviewers");
      }
    }
    ASSIGN_OR_RETURN(route.sinks, Strings(r["sinks"], at + ".sinks"));
    if (route.sinks.empty()) return absl::InvalidArgumentError(at + ".sinks: must not be empty");
    for (const std::string& s : route.sinks) {
      if (sinks.count(s) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ".sinks: unknown sink '", s.substr(0, 64), "'"));
      }
    }
    out.push_back(std::move(route));
  }
  return out;
}

absl::StatusOr<NotifyConfig> FromYaml(const YAML::Node& root, const std::string& base_dir) {
  NotifyConfig config;
  if (!root || root.IsNull()) return absl::InvalidArgumentError("notify config: empty");
  RETURN_IF_ERROR(CheckKeys(
      root, "notify config",
      {"sinks", "routes", "default", "requesters", "reminder_fraction", "max_attempts",
       "send_timeout", "min_backoff", "max_backoff", "poll_interval", "allow_loopback_http"}));
  const YAML::Node sinks = root["sinks"];
  if (!sinks || !sinks.IsSequence() || sinks.size() == 0) {
    return absl::InvalidArgumentError("sinks: at least one sink is required");
  }
  if (root["allow_loopback_http"])
    config.allow_loopback_http = root["allow_loopback_http"].as<bool>();
  std::set<std::string> names;
  for (size_t i = 0; i < sinks.size(); ++i) {
    const std::string at = absl::StrCat("sinks[", i, "]");
    const YAML::Node& s = sinks[i];
    RETURN_IF_ERROR(
        CheckKeys(s, at, {"name", "kind", "url", "url_file", "routing_key_file", "secret_file"}));
    SinkConfig sink;
    sink.name = s["name"] ? s["name"].as<std::string>() : "";
    if (sink.name.empty() || sink.name.size() > 64) {
      return absl::InvalidArgumentError(at + ".name: 1 to 64 characters required");
    }
    if (!names.insert(sink.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".name: '", sink.name, "' used twice"));
    }
    const std::string kind = s["kind"] ? s["kind"].as<std::string>() : "";
    const std::set<std::string> keys = [&] {
      std::set<std::string> k;
      for (const auto& kv : s) k.insert(kv.first.as<std::string>());
      return k;
    }();
    auto only = [&](const std::set<std::string>& allowed) -> absl::Status {
      for (const std::string& k : keys) {
        if (k != "name" && k != "kind" && allowed.count(k) == 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(at, ".", k, ": not a field of a ", kind, " sink"));
        }
      }
      return absl::OkStatus();
    };
    if (kind == "slack" || kind == "webhook") {
      sink.kind = kind == "slack" ? SinkKind::kSlack : SinkKind::kWebhook;
      RETURN_IF_ERROR(only(kind == "slack" ? std::set<std::string>{"url_file"}
                                           : std::set<std::string>{"url_file", "secret_file"}));
      ASSIGN_OR_RETURN(sink.url, SecretField(s["url_file"], at + ".url_file", base_dir));
      if (sink.kind == SinkKind::kWebhook) {
        ASSIGN_OR_RETURN(sink.signing_secret,
                         SecretField(s["secret_file"], at + ".secret_file", base_dir));
      }
    } else if (kind == "pagerduty") {
      sink.kind = SinkKind::kPagerDuty;
      RETURN_IF_ERROR(only({"routing_key_file", "url"}));
      ASSIGN_OR_RETURN(sink.routing_key,
                       SecretField(s["routing_key_file"], at + ".routing_key_file", base_dir));
      sink.url = SecretString(s["url"] ? s["url"].as<std::string>() : kPagerDutyEventsUrl);
    } else {
      return absl::InvalidArgumentError(at + ".kind: one of slack, pagerduty, webhook");
    }
    // Never name the URL in the error: it may be the secret.
    if (!http::CheckUrlAllowed(sink.url.Reveal(), config.allow_loopback_http).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": the sink URL must be an https:// URL without credentials"));
    }
    config.sinks.push_back(std::move(sink));
  }
  ASSIGN_OR_RETURN(config.routes, Routes(root["routes"], "routes", names, false));
  ASSIGN_OR_RETURN(config.requesters, Routes(root["requesters"], "requesters", names, true));
  ASSIGN_OR_RETURN(config.default_sinks, Strings(root["default"], "default"));
  for (const std::string& s : config.default_sinks) {
    if (names.count(s) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("default: unknown sink '", s.substr(0, 64), "'"));
    }
  }
  if (root["reminder_fraction"]) {
    config.reminder_fraction = root["reminder_fraction"].as<double>();
    if (!(config.reminder_fraction >= 0 && config.reminder_fraction < 1)) {
      return absl::InvalidArgumentError("reminder_fraction: must be in [0, 1) (0 = no reminder)");
    }
  }
  if (root["max_attempts"]) {
    config.max_attempts = root["max_attempts"].as<int>();
    if (config.max_attempts < 1 || config.max_attempts > 100) {
      return absl::InvalidArgumentError("max_attempts: must be between 1 and 100");
    }
  }
  ASSIGN_OR_RETURN(config.send_timeout,
                   DurationField(root["send_timeout"], "send_timeout", config.send_timeout,
                                 absl::Milliseconds(100), absl::Minutes(1)));
  ASSIGN_OR_RETURN(config.min_backoff,
                   DurationField(root["min_backoff"], "min_backoff", config.min_backoff,
                                 absl::Milliseconds(10), absl::Hours(1)));
  ASSIGN_OR_RETURN(config.max_backoff,
                   DurationField(root["max_backoff"], "max_backoff", config.max_backoff,
                                 config.min_backoff, absl::Hours(24)));
  ASSIGN_OR_RETURN(config.poll_interval,
                   DurationField(root["poll_interval"], "poll_interval", config.poll_interval,
                                 absl::Milliseconds(10), absl::Minutes(1)));
  return config;
}

}  // namespace

std::string_view SinkKindName(SinkKind kind) {
  switch (kind) {
    case SinkKind::kSlack:
      return "slack";
    case SinkKind::kPagerDuty:
      return "pagerduty";
    case SinkKind::kWebhook:
      return "webhook";
  }
  return "unknown";
}

const SinkConfig* NotifyConfig::Sink(std::string_view name) const {
  for (const SinkConfig& s : sinks) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

absl::StatusOr<NotifyConfig> ParseNotifyConfig(std::string_view yaml, const std::string& base_dir) {
  try {
    return FromYaml(YAML::Load(std::string(yaml)), base_dir);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("notify config: ", e.what()));
  }
}

absl::StatusOr<NotifyConfig> LoadNotifyConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  const size_t slash = path.rfind('/');
  absl::StatusOr<NotifyConfig> config = ParseNotifyConfig(
      text.str(), slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1)));
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace jit::requests::notify
