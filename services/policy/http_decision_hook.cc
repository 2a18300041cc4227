#include "services/policy/http_decision_hook.h"

#include <curl/curl.h>

#include <algorithm>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace jit::policy {
namespace {

constexpr size_t kMaxIdleHandles = 8;

// libcurl's process-wide initialisation must run once, before any handle exists.
absl::Status InitCurlOnce() {
  static absl::once_flag once;
  static CURLcode result = CURLE_OK;
  absl::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_global_init: ", curl_easy_strerror(result)));
  }
  return absl::OkStatus();
}

struct Body {
  std::string data;
  size_t limit = 0;
  bool overflow = false;
};

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  Body* body = static_cast<Body*>(userdata);
  const size_t n = size * nmemb;
  if (body->data.size() + n > body->limit) {
    body->overflow = true;
    return 0;  // makes libcurl fail with CURLE_WRITE_ERROR
  }
  body->data.append(ptr, n);
  return n;
}

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
  if (!absl::StartsWith(options.url, "http://") && !absl::StartsWith(options.url, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("decision hook url must start with http:// or https://, got \"",
                     options.url, "\""));
  }
  if (options.timeout < absl::Milliseconds(1) || options.timeout > absl::Seconds(30)) {
    return absl::InvalidArgumentError("decision hook timeout must be between 1ms and 30s");
  }
  if (options.max_response_bytes == 0) {
    return absl::InvalidArgumentError("decision hook max_response_bytes must be positive");
  }
  if (absl::Status s = InitCurlOnce(); !s.ok()) return s;
  return std::unique_ptr<HttpDecisionHook>(new HttpDecisionHook(std::move(options)));
}

HttpDecisionHook::~HttpDecisionHook() {
  absl::MutexLock lock(&mu_);
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpDecisionHook::AcquireHandle() const {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void HttpDecisionHook::ReleaseHandle(void* handle) const {
  curl_easy_reset(static_cast<CURL*>(handle));  // keeps live connections
  absl::MutexLock lock(&mu_);
  if (idle_handles_.size() < kMaxIdleHandles) {
    idle_handles_.push_back(handle);
    return;
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
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

  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  struct HandleReturner {
    const HttpDecisionHook* hook;
    CURL* curl;
    curl_slist* headers = nullptr;
    ~HandleReturner() {
      curl_slist_free_all(headers);
      hook->ReleaseHandle(curl);
    }
  } returner{this, curl};

  returner.headers = curl_slist_append(returner.headers, "Content-Type: application/json");
  returner.headers = curl_slist_append(returner.headers, "Accept: application/json");
  std::string authorization;
  if (!options_.bearer_token.empty()) {
    authorization = "Authorization: Bearer ";
    authorization.append(options_.bearer_token.Reveal());
    returner.headers = curl_slist_append(returner.headers, authorization.c_str());
  }
  Body body;
  body.limit = options_.max_response_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(absl::ToInt64Milliseconds(options_.timeout));
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, returner.headers);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request_body->data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_body->size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());

  const CURLcode code = curl_easy_perform(curl);
  if (!authorization.empty()) {
    // Wipe the copy of the token.
    std::fill(authorization.begin(), authorization.end(), '\0');
  }
  if (body.overflow) {
    return absl::InvalidArgumentError(absl::StrCat("decision hook reply larger than ",
                                                   options_.max_response_bytes, " bytes"));
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(absl::StrCat(
        "decision hook did not answer within ", absl::FormatDuration(options_.timeout)));
  }
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("decision hook request failed: ",
                                               error[0] != '\0' ? error : curl_easy_strerror(code)));
  }
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  if (http_status != 200) {
    return absl::UnavailableError(absl::StrCat("decision hook answered HTTP ", http_status));
  }
  const nlohmann::json reply =
      nlohmann::json::parse(body.data, nullptr, /*allow_exceptions=*/false);
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
