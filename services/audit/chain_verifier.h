// VerifyChain: recomputes the hash chain over stored events and checks the signed
// checkpoints (docs/AUDIT.md), reporting the first broken link.
//
// Walks events from `from` (1 when 0) in sequence order up to `to` (the chain's end when
// 0), anchored on the stored hash of event from-1 (the genesis hash for 1). The first of
// these ends the walk with ok = false and first_bad_sequence set:
//  - a missing sequence (a deleted event): the missing number;
//  - prev_hash not the previous event's hash, or hash not SHA-256(prev || canonical): that
//    event (an edited or inserted event);
//  - a checkpoint in the range whose signature does not verify under a trusted key, or
//    whose hash differs from the recomputed one (a chain re-hashed after an edit): the
//    checkpoint's sequence;
//  - the chain ending (with `to` = 0) before the newest checkpoint: the first missing
//    sequence (a truncated tail).
// Errors: INVALID_ARGUMENT for negative bounds or from > to; the stores' errors.
// Thread-safe; borrows the stores.
#ifndef JIT_SERVICES_AUDIT_CHAIN_VERIFIER_H_
#define JIT_SERVICES_AUDIT_CHAIN_VERIFIER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/ed25519.h"
#include "jit/audit/v1/audit.pb.h"
#include "services/audit/storage/event_store.h"

namespace jit::audit {

class ChainVerifier {
 public:
  // `trusted_public_keys`: the raw Ed25519 public keys whose checkpoints are believed (the
  // sink's own and any earlier ones). INVALID_ARGUMENT for a key that is not 32 bytes.
  static absl::StatusOr<std::unique_ptr<ChainVerifier>> Create(
      EventStore* events, CheckpointStore* checkpoints,
      const std::vector<std::string>& trusted_public_keys);

  absl::StatusOr<jit::audit::v1::VerifyChainResponse> Verify(int64_t from, int64_t to);

  // Events read per store call.
  static constexpr int kBatch = 2000;

 private:
  ChainVerifier(EventStore* events, CheckpointStore* checkpoints,
                std::map<std::string, std::unique_ptr<crypto::Ed25519Verifier>> keys)
      : events_(events), checkpoints_(checkpoints), keys_(std::move(keys)) {}

  // OK, or the reason `c` is not a valid checkpoint by a trusted key.
  absl::Status CheckSignature(const StoredCheckpoint& c) const;

  EventStore* const events_;
  CheckpointStore* const checkpoints_;
  // key id -> verifier.
  const std::map<std::string, std::unique_ptr<crypto::Ed25519Verifier>> keys_;
};

// A stored checkpoint in its API form.
jit::audit::v1::Checkpoint CheckpointToProto(const StoredCheckpoint& c);

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_CHAIN_VERIFIER_H_
