#include "services/policy/http_decision_hook.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace jit::policy {
namespace {

absl::StatusOr<nlohmann::json> MessageToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("encoding the hook input: ", status.ToString()));
  }
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::InternalError("encoding the hook input");
  return parsed;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpDecisionHook>> HttpDecisionHook::Create(
    HttpDecisionHookOptions options) {
  if (absl::Status s = http::CheckUrlAllowed(options.url, /*allow_loopback_http=*/true); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "decision hook url must be https:// (or http:// to 127.0.0.1 or [::1], e.g. an OPA "
        "sidecar): ",
        s.message()));
  }
  if (options.timeout < absl::Milliseconds(1) || options.timeout > absl::Seconds(30)) {
    return absl::InvalidArgumentError("decision hook timeout must be between 1ms and 30s");
  }
  if (options.max_response_bytes == 0) {
    return absl::InvalidArgumentError("decision hook max_response_bytes must be positive");
  }
  absl::StatusOr<std::unique_ptr<http::CurlHttpClient>> client =
      http::CurlHttpClient::Create({.connect_timeout = options.timeout,
                                    .total_timeout = options.timeout,
                                    .max_response_bytes = options.max_response_bytes,
                                    .ca_file = options.ca_file,
                                    .allow_loopback_http = true});
  if (!client.ok()) return client.status();
  return std::unique_ptr<HttpDecisionHook>(
      new HttpDecisionHook(std::move(options), *std::move(client)));
}

absl::StatusOr<std::string> HttpDecisionHook::BuildBody(const HookInput& input) {
  nlohmann::json in;
  in["decision"] = std::string(input.decision);
  if (input.request != nullptr) {
    absl::StatusOr<nlohmann::json> request = MessageToJson(*input.request);
    if (!request.ok()) return request.status();
    in["request"] = *std::move(request);
  }
  nlohmann::json local;
  local["allowed"] = true;
  if (input.local_explanation != nullptr) {
    absl::StatusOr<nlohmann::json> explanation = MessageToJson(*input.local_explanation);
    if (!explanation.ok()) return explanation.status();
    local["explanation"] = *std::move(explanation);
  }
  in["local"] = std::move(local);
  nlohmann::json body;
  body["input"] = std::move(in);
  return body.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<HookVerdict> HttpDecisionHook::Evaluate(const HookInput& input) const {
  absl::StatusOr<std::string> request_body = BuildBody(input);
  if (!request_body.ok()) return request_body.status();
  std::vector<http::Field> headers;
  if (!options_.bearer_token.empty()) {
    std::string value = "Bearer ";
    value.append(options_.bearer_token.Reveal());
    headers.push_back({"Authorization", SecretString(std::move(value))});
  }
  absl::StatusOr<http::HttpResponse> response = client_->Post(
      options_.url, "application/json", SecretString(*std::move(request_body)), headers);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat("decision hook: ", response.status().message()));
  }
  if (response->status != 200) {
    return absl::UnavailableError(absl::StrCat("decision hook answered HTTP ", response->status));
  }
  const nlohmann::json reply =
      nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object()) {
    return absl::InvalidArgumentError("decision hook reply is not a JSON object");
  }
  auto result = reply.find("result");
  if (result == reply.end() || !result->is_object()) {
    return absl::InvalidArgumentError(
        "decision hook reply has no \"result\" object (undefined decision)");
  }
  auto allow = result->find("allow");
  if (allow == result->end() || !allow->is_boolean()) {
    return absl::InvalidArgumentError("decision hook reply has no boolean result.allow");
  }
  HookVerdict verdict;
  verdict.allow = allow->get<bool>();
  auto reason = result->find("reason");
  if (reason != result->end() && reason->is_string()) {
    verdict.reason = reason->get<std::string>().substr(0, 1024);
  }
  return verdict;
}

}  // namespace jit::policy
