// Role documents (Teleport format) from YAML or JSON into jit.common.v1.Role.
//
//   kind: role
//   version: v7            # v5, v6 or v7
//   metadata: {name: dev, description: ..., labels: {...}}
//   spec:
//     allow: {logins, node_labels, kubernetes_labels, kubernetes_groups, kubernetes_users,
//             db_labels, db_names, db_users, app_labels,
//             request: {roles, thresholds: [{name, approve, deny, filter}],
//                       suggested_reviewers, max_duration, reason: {mode, prompt}},
//             review_requests: {roles, where},
//             rules: [{resources, verbs, where}]}
//     deny: {... the same matchers; request: {roles}; review_requests; rules}
//     options: {max_session_ttl, require_mfa (alias require_session_mfa), record_session,
//               client_idle_timeout, request_ttl}
//
// JSON is parsed as the YAML subset it is, with the same structure. Lists of strings also
// accept a single string (as Teleport does). `record_session` is a list of protocols
// (ssh, kubernetes, db, app, desktop) or Teleport's map form
// ({default: best_effort, ssh: strict, desktop: true}), where true/best_effort/strict
// record, false does not, and `default` covers ssh, kubernetes, db and app unless named.
// A null value (`deny:` with nothing under it) means "not set".
//
// Every error is INVALID_ARGUMENT and starts with the line: "line 12: spec.allow.lgins:
// unknown field \"lgins\" (known: ...)". Covered: malformed YAML/JSON, unknown or duplicate
// field, wrong type, unknown version/kind, invalid name, bad regex/template/predicate, bad
// duration, and every check of ValidateRole (compiled_role.h). Nothing is returned unless
// the whole document is valid. No exception escapes. Thread-safe (no shared state).
#ifndef JIT_SERVICES_POLICY_ROLE_PARSER_H_
#define JIT_SERVICES_POLICY_ROLE_PARSER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "jit/common/v1/role.pb.h"
#include "yaml-cpp/yaml.h"

namespace jit::policy {

// Limits that apply before and while parsing, so that a hostile document costs a bounded
// amount of time and memory (yaml-cpp builds a node graph of about a kilobyte per node; a
// 1 MB document of half a million list items took seconds and hundreds of MB before any
// limit applied). They are checked by a streaming first pass, before any node is built:
//  - one role document (UpsertRole's role_document) is at most kMaxRoleDocumentSize bytes;
//    a file of several (--roles_dir) at most kMaxRoleFileSize;
//  - a document has at most kMaxRoleDocumentNodes nodes (scalars, lists, maps, aliases) and
//    nests at most kMaxRoleDocumentDepth deep;
//  - following aliases visits at most kMaxRoleDocumentVisits nodes per document.
inline constexpr size_t kMaxRoleDocumentSize = 256 << 10;
inline constexpr size_t kMaxRoleFileSize = 4 << 20;
inline constexpr int kMaxRoleDocumentNodes = 20'000;
inline constexpr int kMaxRoleDocumentDepth = 32;
inline constexpr int kMaxRoleDocumentVisits = 50'000;

// Exactly one role; an empty input or several documents is INVALID_ARGUMENT.
absl::StatusOr<jit::common::v1::Role> ParseRoleDocument(absl::string_view document);

// Zero or more roles separated by "---" (a file of a --roles_dir). Errors name the line
// in the whole input.
absl::StatusOr<std::vector<jit::common::v1::Role>> ParseRoleDocuments(absl::string_view document);

// The documents of `document` (at most `max_bytes`) through the same bounded first pass
// (the node, depth, document limits above), for other kinds the policy service parses
// (access_review_rule). INVALID_ARGUMENT naming the line; no exception escapes.
absl::StatusOr<std::vector<YAML::Node>> LoadBoundedYamlDocuments(absl::string_view document,
                                                                 size_t max_bytes);

}  // namespace jit::policy

#endif  // JIT_SERVICES_POLICY_ROLE_PARSER_H_
