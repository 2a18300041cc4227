#include "services/policy/review_rules/review_rule_administration.h"

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/text/quote.h"
#include "common/text/text_fields.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/policy/review_rules/review_rule_evaluator.h"
#include "services/policy/service_name.h"
#include "spdlog/spdlog.h"

namespace jit::policy {
namespace {

namespace pb = ::jit::policy::v1;
using ::jit::common::v1::AuditEvent;
using ::jit::common::v1::Identity;

constexpr char kResource[] = "access_review_rule";
constexpr absl::string_view kTokenPrefix = "review_rule:";
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

absl::Status CheckCaller(const Identity& caller) {
  if (caller.name().empty()) return absl::UnauthenticatedError("no authenticated caller");
  if (caller.kind() != Identity::KIND_USER) {
    return absl::PermissionDeniedError(absl::StrCat(
        QuoteBounded(caller.name()), " is not a person; review rules are managed by people"));
  }
  return absl::OkStatus();
}

audit::AuditActor Actor(const Identity& caller, const audit::AuditActor& call) {
  return {.actor = absl::StrCat("user:", caller.name()),
          .session_id = call.session_id,
          .remote_addr = call.remote_addr};
}

std::string Target(absl::string_view name) { return absl::StrCat("access_review_rule:", name); }

pb::AccessReviewRule WithoutServerFields(pb::AccessReviewRule rule) {
  auto* md = rule.mutable_metadata();
  md->clear_revision();
  md->clear_update_time();
  md->clear_updated_by();
  return rule;
}

}  // namespace

absl::Status ReviewRuleAdministration::Authorize(const Identity& caller,
                                                 absl::string_view verb) const {
  RETURN_IF_ERROR(CheckCaller(caller));
  pb::CheckPermissionRequest request;
  *request.mutable_identity() = caller;
  request.set_resource(kResource);
  request.set_verb(std::string(verb));
  ASSIGN_OR_RETURN(pb::CheckPermissionResponse response, engine_->CheckPermission(request));
  if (!response.allowed()) {
    return absl::PermissionDeniedError(
        absl::StrCat(QuoteBounded(caller.name()), " may not ", verb,
                     " review rules: ", response.explanation().summary()));
  }
  return absl::OkStatus();
}

absl::StatusOr<pb::AccessReviewRule> ReviewRuleAdministration::Write(
    pb::AccessReviewRule rule, std::optional<int64_t> expected, const audit::AuditActor& actor) {
  rule = WithoutServerFields(std::move(rule));
  RETURN_IF_ERROR(ValidateReviewRule(rule));
  if (!expected.has_value() || *expected == 0) {
    ASSIGN_OR_RETURN(const int64_t count, store_->Count());
    if (count >= kMaxReviewRules) {
      absl::StatusOr<pb::AccessReviewRule> existing = store_->Get(rule.metadata().name());
      if (absl::IsNotFound(existing.status())) {
        return absl::FailedPreconditionError(
            absl::StrCat("at most ", kMaxReviewRules, " review rules may exist"));
      }
      RETURN_IF_ERROR(existing.status());
    }
  }
  const absl::Time now = clock_->Now();
  std::map<std::string, std::string> details = {
      {"decision",
       rule.spec().decision() == AccessReviewRuleSpec::DECISION_DENY ? "deny" : "approve"}};
  if (expected.has_value()) details["expected_revision"] = absl::StrCat(*expected);
  ASSIGN_OR_RETURN(AuditEvent event,
                   audit::NewAuditEvent(kPolicyService, "access_review_rule.upsert", now, actor,
                                        Target(rule.metadata().name()), AuditEvent::OUTCOME_SUCCESS,
                                        "review rule written", details));
  return store_->Upsert(rule, expected, now, actor.actor, event);
}

absl::StatusOr<pb::AccessReviewRule> ReviewRuleAdministration::UpsertReviewRule(
    const Identity& caller, const pb::UpsertReviewRuleRequest& request,
    const audit::AuditActor& actor) {
  if (request.has_expected_revision() && request.expected_revision() < 0) {
    return absl::InvalidArgumentError("expected_revision must not be negative");
  }
  if (!request.has_expected_revision()) {
    RETURN_IF_ERROR(Authorize(caller, "create"));
    RETURN_IF_ERROR(Authorize(caller, "update"));
  } else {
    RETURN_IF_ERROR(Authorize(caller, request.expected_revision() == 0 ? "create" : "update"));
  }
  pb::AccessReviewRule rule;
  switch (request.source_case()) {
    case pb::UpsertReviewRuleRequest::kRule:
      rule = request.rule();
      break;
    case pb::UpsertReviewRuleRequest::kRuleDocument: {
      ASSIGN_OR_RETURN(rule, ParseReviewRuleDocument(request.rule_document()));
      break;
    }
    default:
      return absl::InvalidArgumentError("either rule or rule_document is required");
  }
  std::optional<int64_t> expected;
  if (request.has_expected_revision()) expected = request.expected_revision();
  return Write(std::move(rule), expected, Actor(caller, actor));
}

absl::StatusOr<pb::AccessReviewRule> ReviewRuleAdministration::GetReviewRule(
    const Identity& caller, const pb::GetReviewRuleRequest& request) {
  RETURN_IF_ERROR(ValidateMessageText(request));
  RETURN_IF_ERROR(Authorize(caller, "read"));
  if (!IsValidRoleName(request.name())) {
    return absl::NotFoundError(
        absl::StrCat("review rule ", QuoteBounded(request.name()), " not found"));
  }
  return store_->Get(request.name());
}

absl::StatusOr<pb::ListReviewRulesResponse> ReviewRuleAdministration::ListReviewRules(
    const Identity& caller, const pb::ListReviewRulesRequest& request) {
  RETURN_IF_ERROR(Authorize(caller, "list"));
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be between 0 and ", kMaxPageSize));
  }
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  std::string after;
  if (!request.page_token().empty()) {
    std::string decoded;
    if (!absl::WebSafeBase64Unescape(request.page_token(), &decoded) ||
        !absl::StartsWith(decoded, kTokenPrefix)) {
      return absl::InvalidArgumentError("invalid page_token");
    }
    after = decoded.substr(kTokenPrefix.size());
  }
  ASSIGN_OR_RETURN(std::vector<pb::AccessReviewRule> rules, store_->List(after, page_size + 1));
  pb::ListReviewRulesResponse response;
  const bool more = static_cast<int>(rules.size()) > page_size;
  if (more) rules.resize(page_size);
  for (auto& rule : rules) *response.add_rules() = std::move(rule);
  if (more) {
    response.set_next_page_token(absl::WebSafeBase64Escape(
        absl::StrCat(kTokenPrefix, response.rules().rbegin()->metadata().name())));
  }
  return response;
}

absl::StatusOr<pb::DeleteReviewRuleResponse> ReviewRuleAdministration::DeleteReviewRule(
    const Identity& caller, const pb::DeleteReviewRuleRequest& request,
    const audit::AuditActor& actor) {
  RETURN_IF_ERROR(ValidateMessageText(request));
  RETURN_IF_ERROR(Authorize(caller, "delete"));
  std::optional<int64_t> expected;
  if (request.has_expected_revision()) expected = request.expected_revision();
  ASSIGN_OR_RETURN(AuditEvent event,
                   audit::NewAuditEvent(kPolicyService, "access_review_rule.delete", clock_->Now(),
                                        Actor(caller, actor), Target(request.name()),
                                        AuditEvent::OUTCOME_SUCCESS, "review rule deleted"));
  RETURN_IF_ERROR(store_->Delete(request.name(), expected, event));
  return pb::DeleteReviewRuleResponse();
}

absl::Status ReviewRuleAdministration::ImportRules(const std::vector<pb::AccessReviewRule>& rules,
                                                   const audit::AuditActor& actor) {
  for (const pb::AccessReviewRule& rule : rules) {
    absl::StatusOr<pb::AccessReviewRule> current = store_->Get(rule.metadata().name());
    if (current.ok()) {
      if (!google::protobuf::util::MessageDifferencer::Equals(WithoutServerFields(*current),
                                                              WithoutServerFields(rule))) {
        return absl::FailedPreconditionError(
            absl::StrCat("review rule ", QuoteBounded(rule.metadata().name()),
                         " differs from the stored one (change it through the API, or delete "
                         "it first)"));
      }
      continue;
    }
    if (!absl::IsNotFound(current.status())) return current.status();
    absl::StatusOr<pb::AccessReviewRule> written = Write(rule, 0, actor);
    // A replica starting at the same time may have created it: compare again next start.
    if (!written.ok() && !absl::IsAborted(written.status())) return written.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const std::vector<CompiledReviewRule>>>
ReviewRuleAdministration::Compiled() {
  ASSIGN_OR_RETURN(const int64_t generation, store_->Generation());
  {
    absl::MutexLock lock(&mu_);
    if (generation == generation_ && compiled_ != nullptr) return compiled_;
  }
  ASSIGN_OR_RETURN(ReviewRuleStore::Contents contents, store_->ListAll());
  auto compiled = std::make_shared<std::vector<CompiledReviewRule>>();
  for (const pb::AccessReviewRule& rule : contents.rules) {
    absl::StatusOr<CompiledReviewRule> c = CompiledReviewRule::Create(rule);
    if (!c.ok()) {
      spdlog::error("review rule {} does not compile and is left out: {}", rule.metadata().name(),
                    c.status().ToString());
      continue;
    }
    compiled->push_back(*std::move(c));
  }
  absl::MutexLock lock(&mu_);
  if (contents.generation >= generation_) {
    generation_ = contents.generation;
    compiled_ = compiled;
  }
  return std::shared_ptr<const std::vector<CompiledReviewRule>>(compiled);
}

absl::StatusOr<pb::EvaluateReviewRulesResponse> ReviewRuleAdministration::Evaluate(
    const pb::EvaluateReviewRulesRequest& request) {
  ASSIGN_OR_RETURN(auto rules, Compiled());
  return EvaluateReviewRules(*rules, request, clock_->Now(), on_call_);
}

}  // namespace jit::policy
