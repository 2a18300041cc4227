// libFuzzer target for the predicate language (and the trait-template parser, which reads
// the same kind of input).
//
// Invariants checked (a violation aborts):
//  - errors are INVALID_ARGUMENT and name the position;
//  - accepted predicates respect the node bound and evaluate without crashing;
//  - accepted templates expand without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "services/policy/predicate.h"
#include "services/policy/trait_template.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view source(reinterpret_cast<const char*>(data), size);

  jit::policy::StringField roles;
  roles.Add("dba");
  roles.Add("sre");
  jit::policy::StringField requested;
  requested.Add("db-admin");
  jit::policy::Traits traits;
  traits["team"].add_values("storage");
  traits["email"].add_values("alice@example.com");
  traits["groups"].add_values("admin-db");
  jit::policy::PredicateInput input;
  input.subject_name = "bob";
  input.subject_roles = &roles;
  input.subject_traits = &traits;
  input.request_roles = &requested;
  input.request_reason = "INC-1 disk";
  input.request_user = "alice";
  input.request_traits = &traits;

  for (auto scope : {jit::policy::PredicateScope::kReview, jit::policy::PredicateScope::kRule}) {
    absl::StatusOr<jit::policy::Predicate> predicate =
        jit::policy::Predicate::Compile(source, scope);
    if (!predicate.ok()) {
      Check(predicate.status().code() == absl::StatusCode::kInvalidArgument);
      Check(absl::StrContains(predicate.status().message(), "position"));
      continue;
    }
    Check(predicate->node_count() <= jit::policy::kMaxPredicateNodes);
    (void)predicate->Evaluate(input);
    (void)predicate->Evaluate(jit::policy::PredicateInput());
  }

  absl::StatusOr<jit::policy::TraitTemplate> tmpl = jit::policy::TraitTemplate::Parse(source);
  if (!tmpl.ok()) {
    Check(tmpl.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  std::vector<std::string> values;
  tmpl->Expand(traits, &values);
  for (const std::string& v : values) {
    Check(!v.empty());
    Check(tmpl->Yields(traits, v));
  }
  return 0;
}
