// JoinStore: where join tokens, enrolled hosts and the internal CA live (PostgreSQL in
// production, postgres_join_store.h; an in-memory fake in testing/).
//
// Redeem is the single-use guarantee: it locks the token row, asks the caller's `check`
// (which refuses a wrong secret, a used or expired token, a wrong kind or a name outside
// the allowed set), and only when the check passes marks the token redeemed, records the
// enrolled host (if any) and writes the audit event, all in one transaction. Of concurrent
// redemptions of one token exactly one passes; the others then see it redeemed.
//
// Errors: UNAVAILABLE when the store cannot be reached; NOT_FOUND for an unknown token id;
// whatever `check` returns (nothing changed). Thread-safe.
#ifndef JIT_SERVICES_CA_JOIN_JOIN_STORE_H_
#define JIT_SERVICES_CA_JOIN_JOIN_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"
#include "jit/ca/v1/ca.pb.h"
#include "jit/common/v1/audit_event.pb.h"

namespace jit::ca::join {

struct JoinTokenRecord {
  std::string token_id;
  std::string token_hash;  // hex SHA-256 of the whole token
  v1::JoinTokenKind kind = v1::JOIN_TOKEN_KIND_UNSPECIFIED;
  std::vector<std::string> allowed_names;
  std::string creator;  // audit actor ("user:alice")
  absl::Time create_time;
  absl::Time expire_time;
  std::optional<absl::Time> redeem_time;
  std::string redeemed_as;
};

struct EnrolledHost {
  std::string name;  // the identity name (spiffe://jit-access/host/<name>)
  std::vector<std::string> principals;
  std::string host_key_fingerprint;  // SHA256:... of the enrolled host key
  std::string token_id;
  absl::Time enroll_time;
};

struct InternalCaRecord {
  std::string certificate_pem;
  SecretString private_key_pem;
  absl::Time import_time;
};

class JoinStore {
 public:
  virtual ~JoinStore() = default;

  // Stores a new token with its event. ALREADY_EXISTS for a duplicate id.
  virtual absl::Status CreateToken(const JoinTokenRecord& token,
                                   const jit::common::v1::AuditEvent& event) = 0;

  using Check = std::function<absl::Status(const JoinTokenRecord&)>;
  // See above. `redeemed_as` is what the token became ("host:db1", "service:ca").
  virtual absl::StatusOr<JoinTokenRecord> Redeem(std::string_view token_id, absl::Time now,
                                                 std::string_view redeemed_as, const Check& check,
                                                 const std::optional<EnrolledHost>& host,
                                                 const jit::common::v1::AuditEvent& event) = 0;

  // The host enrolled under `name`, or nullopt.
  virtual absl::StatusOr<std::optional<EnrolledHost>> GetHost(std::string_view name) = 0;

  // The internal CA, or nullopt before it is imported.
  virtual absl::StatusOr<std::optional<InternalCaRecord>> LoadInternalCa() = 0;
  // Stores `ca` (with `event`) unless one is there already; true when stored.
  virtual absl::StatusOr<bool> ImportInternalCaIfAbsent(
      const InternalCaRecord& ca, const jit::common::v1::AuditEvent& event) = 0;
};

}  // namespace jit::ca::join

#endif  // JIT_SERVICES_CA_JOIN_JOIN_STORE_H_
