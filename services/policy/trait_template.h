// Trait templates in role values: "{{internal.logins}}", "{{external.team}}",
// "{{external[\"cost-center\"]}}", "{{email.local(external.email)}}",
// "{{regexp.replace(external.groups, \"^admin-(.*)$\", \"$1\")}}", with optional literal
// text around the braces ("ops-{{external.team}}").
//
// Semantics (Teleport's, made strict where Teleport would widen access):
//  - internal.<name> and external.<claim> both read the identity's traits[<name>];
//    internal names are limited to logins, db_users, db_names, kubernetes_groups,
//    kubernetes_users.
//  - A template yields one value per trait value that survives the transforms; a missing
//    trait, a value email.local cannot split, or a value regexp.replace does not match
//    yields nothing. Nothing is never read as "anything".
//  - A transformed value that is empty, contains '*' or a control character, or is longer
//    than kMaxInterpolatedValueLength is dropped: interpolated values are compared
//    literally and can never act as wildcards.
// Parsed once (Parse); evaluation does not allocate unless regexp.replace is used.
// Immutable and thread-safe after Parse.
#ifndef JIT_SERVICES_POLICY_TRAIT_TEMPLATE_H_
#define JIT_SERVICES_POLICY_TRAIT_TEMPLATE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "jit/common/v1/identity.pb.h"
#include "re2/re2.h"

namespace jit::policy {

using Traits = google::protobuf::Map<std::string, jit::common::v1::StringList>;

inline constexpr size_t kMaxInterpolatedValueLength = 256;

// True if `value` contains template braces and must go through TraitTemplate::Parse.
bool ContainsTemplate(absl::string_view value);

class TraitTemplate {
 public:
  // INVALID_ARGUMENT naming the problem: unbalanced or repeated braces, unknown namespace,
  // unknown internal trait, unknown function, wrong arguments, bad regexp.replace pattern
  // or replacement.
  static absl::StatusOr<TraitTemplate> Parse(absl::string_view value);

  // True if some value the template yields for `traits` equals `candidate`.
  bool Yields(const Traits& traits, absl::string_view candidate) const;

  // True if the template yields at least one value for `traits`.
  bool YieldsAny(const Traits& traits) const;

  // Appends every value the template yields for `traits` to `out`.
  void Expand(const Traits& traits, std::vector<std::string>* out) const;

  const std::string& source() const { return source_; }
  // The trait key read ("logins", "email", ...).
  const std::string& trait_key() const { return trait_key_; }

 private:
  struct Transform {
    enum class Kind { kEmailLocal, kRegexpReplace } kind;
    std::shared_ptr<const RE2> regex;  // kRegexpReplace
    std::string rewrite;               // kRegexpReplace, in RE2's "\1" syntax
  };

  TraitTemplate() = default;

  // Applies the transforms to one trait value. Returns false if the value is dropped.
  // `buffer` backs `*out` when a transform had to build a new string.
  bool ApplyTransforms(absl::string_view in, std::string* buffer, absl::string_view* out) const;

  // Calls fn(value) for each surviving transformed value (without prefix/suffix) until fn
  // returns true; returns whether it did.
  template <typename Fn>
  bool AnyValue(const Traits& traits, Fn&& fn) const;

  std::string source_;
  std::string prefix_;
  std::string suffix_;
  std::string trait_key_;
  // Applied in order, innermost call first.
  std::vector<Transform> transforms_;
};

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_TRAIT_TEMPLATE_H_
