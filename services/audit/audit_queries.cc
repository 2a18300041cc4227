#include "services/audit/audit_queries.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/status_macros.h"
#include "services/audit/event_search.h"

namespace jit::audit {

using jit::common::v1::Identity;

absl::Status AuditQueries::Authorize(const Identity& caller, std::string_view verb) {
  // A service got here because the method table names it; people need the policy's yes.
  if (caller.kind() == Identity::KIND_SERVICE) return absl::OkStatus();
  if (caller.kind() != Identity::KIND_USER) {
    return absl::PermissionDeniedError("audit events: unknown kind of caller");
  }
  return p_.permissions->Check(caller, "audit_event", verb);
}

absl::StatusOr<v1::SearchEventsResponse> AuditQueries::Search(
    const Identity& caller, const v1::SearchEventsRequest& request) {
  RETURN_IF_ERROR(Authorize(caller, "list"));
  return p_.search->Search(request);
}

absl::StatusOr<v1::VerifyChainResponse> AuditQueries::Verify(
    const Identity& caller, const v1::VerifyChainRequest& request) {
  RETURN_IF_ERROR(Authorize(caller, "read"));
  return p_.verifier->Verify(request.from_sequence(), request.to_sequence());
}

absl::StatusOr<v1::ListCheckpointsResponse> AuditQueries::ListCheckpoints(
    const Identity& caller, const v1::ListCheckpointsRequest& request) {
  RETURN_IF_ERROR(Authorize(caller, "read"));
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", request.page_size(), " is outside 0 to ", kMaxPageSize));
  }
  const int page = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  int64_t before = 0;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> text = crypto::Base64UrlDecode(request.page_token());
    if (!text.ok() || !absl::SimpleAtoi(*text, &before) || before < 1) {
      return absl::InvalidArgumentError("page_token: malformed");
    }
  }
  ASSIGN_OR_RETURN(std::vector<StoredCheckpoint> found,
                   p_.checkpoints->ListCheckpoints(before, page + 1));
  v1::ListCheckpointsResponse out;
  const bool more = static_cast<int>(found.size()) > page;
  if (more) found.resize(page);
  for (const StoredCheckpoint& c : found) *out.add_checkpoints() = CheckpointToProto(c);
  if (more) {
    out.set_next_page_token(crypto::Base64UrlEncode(absl::StrCat(found.back().sequence)));
  }
  return out;
}

v1::GetCheckpointKeysResponse AuditQueries::CheckpointKeys() const {
  v1::GetCheckpointKeysResponse out;
  for (const v1::CheckpointKey& key : p_.keys) *out.add_keys() = key;
  return out;
}

absl::Status AuditQueries::Export(const Identity& caller, const v1::ExportEventsRequest& request,
                                  const std::function<bool(const v1::ExportEventsResponse&)>& write,
                                  const std::function<bool()>& cancelled) {
  RETURN_IF_ERROR(Authorize(caller, "export"));
  return p_.exporter->Export(request, write, cancelled);
}

}  // namespace jit::audit
