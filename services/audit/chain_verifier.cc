#include "services/audit/chain_verifier.h"

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "services/audit/chain/canonical.h"
#include "services/audit/checkpointer.h"

namespace jit::audit {

using jit::audit::v1::VerifyChainResponse;

jit::audit::v1::Checkpoint CheckpointToProto(const StoredCheckpoint& c) {
  jit::audit::v1::Checkpoint out;
  out.set_sequence(c.sequence);
  out.set_hash(absl::BytesToHexString(c.hash));
  SetProtoTimestamp(c.signed_at, out.mutable_signed_at());
  out.set_key_id(c.key_id);
  out.set_signature(c.signature);
  return out;
}

absl::StatusOr<std::unique_ptr<ChainVerifier>> ChainVerifier::Create(
    EventStore* events, CheckpointStore* checkpoints,
    const std::vector<std::string>& trusted_public_keys) {
  std::map<std::string, std::unique_ptr<crypto::Ed25519Verifier>> keys;
  for (const std::string& key : trusted_public_keys) {
    ASSIGN_OR_RETURN(std::unique_ptr<crypto::Ed25519Verifier> v,
                     crypto::Ed25519Verifier::Create(key));
    keys[CheckpointKeyId(key)] = std::move(v);
  }
  return std::unique_ptr<ChainVerifier>(new ChainVerifier(events, checkpoints, std::move(keys)));
}

absl::Status ChainVerifier::CheckSignature(const StoredCheckpoint& c) const {
  auto it = keys_.find(c.key_id);
  if (it == keys_.end() || CheckpointKeyId(c.public_key) != c.key_id) {
    return absl::PermissionDeniedError(absl::StrCat("checkpoint at sequence ", c.sequence,
                                                    " is signed by an untrusted key ", c.key_id));
  }
  if (!it->second->Verify(c.signature, chain::CheckpointMessage(c.sequence, c.hash, c.signed_at))
           .ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("checkpoint at sequence ", c.sequence, ": signature does not verify"));
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifyChainResponse> ChainVerifier::Verify(int64_t from, int64_t to) {
  if (from < 0 || to < 0) {
    return absl::InvalidArgumentError("from_sequence and to_sequence: must not be negative");
  }
  if (to != 0 && from > to) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_sequence: ", from, " is after to_sequence ", to));
  }
  const int64_t first = std::max<int64_t>(from, 1);
  const int64_t last = to == 0 ? std::numeric_limits<int64_t>::max() : to;

  VerifyChainResponse out;
  auto fail = [&](int64_t sequence, std::string problem) {
    out.set_ok(false);
    out.set_first_bad_sequence(sequence);
    out.set_problem(std::move(problem));
    return out;
  };

  ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> latest, checkpoints_->LatestCheckpoint());
  if (latest) *out.mutable_latest_checkpoint() = CheckpointToProto(*latest);
  ASSIGN_OR_RETURN(std::vector<StoredCheckpoint> checkpoints,
                   checkpoints_->CheckpointsBetween(first, last));
  size_t next_checkpoint = 0;

  // The anchor: event first-1's stored hash.
  std::string prev = chain::GenesisHash();
  int64_t prev_sequence = first - 1;
  if (first > 1) {
    ASSIGN_OR_RETURN(std::vector<AuditEvent> anchor, events_->ReadAfter(first - 2, 1));
    if (anchor.empty() || anchor[0].sequence() != first - 1) {
      return fail(first - 1, absl::StrCat("event ", first - 1,
                                          " (the anchor before from_sequence) is missing"));
    }
    prev = absl::HexStringToBytes(anchor[0].hash());
  }
  out.set_head_sequence(prev_sequence);
  out.set_head_hash(absl::BytesToHexString(prev));

  std::string scratch;
  int64_t checked = 0;
  bool done = false;
  while (!done) {
    ASSIGN_OR_RETURN(std::vector<AuditEvent> batch, events_->ReadAfter(prev_sequence, kBatch));
    if (batch.empty()) break;
    for (const AuditEvent& e : batch) {
      if (e.sequence() > last) {
        done = true;
        break;
      }
      const int64_t expected = prev_sequence + 1;
      if (e.sequence() != expected) {
        return fail(expected, absl::StrCat("event ", expected, " is missing (the next stored is ",
                                           e.sequence(), ")"));
      }
      if (e.prev_hash() != absl::BytesToHexString(prev)) {
        return fail(expected, absl::StrCat("event ", expected,
                                           ": prev_hash is not the hash of event ", expected - 1));
      }
      const std::string hash = chain::ChainHash(prev, e, &scratch);
      if (e.hash() != absl::BytesToHexString(hash)) {
        return fail(expected,
                    absl::StrCat("event ", expected, ": hash does not match its contents"));
      }
      while (next_checkpoint < checkpoints.size() &&
             checkpoints[next_checkpoint].sequence == expected) {
        const StoredCheckpoint& c = checkpoints[next_checkpoint++];
        if (absl::Status s = CheckSignature(c); !s.ok()) {
          return fail(expected, std::string(s.message()));
        }
        if (c.hash != hash) {
          return fail(expected, absl::StrCat("checkpoint at sequence ", expected,
                                             " signed another hash: the chain was rewritten at "
                                             "or before this event"));
        }
        out.set_checkpoints_checked(out.checkpoints_checked() + 1);
      }
      prev = hash;
      prev_sequence = expected;
      ++checked;
      out.set_checked(checked);
      out.set_head_sequence(prev_sequence);
    }
    if (batch.size() < static_cast<size_t>(kBatch)) break;
  }
  out.set_head_hash(absl::BytesToHexString(prev));
  if (next_checkpoint < checkpoints.size()) {
    const StoredCheckpoint& c = checkpoints[next_checkpoint];
    // A checkpoint beyond the last event of the range: the events up to it are gone.
    if (absl::Status s = CheckSignature(c); !s.ok()) {
      return fail(c.sequence, std::string(s.message()));
    }
    return fail(prev_sequence + 1,
                absl::StrCat("events ", prev_sequence + 1, " to ", c.sequence,
                             " are missing: the checkpoint signed at ",
                             absl::FormatTime(c.signed_at, absl::UTCTimeZone()),
                             " covers sequence ", c.sequence, " (a truncated tail)"));
  }
  out.set_ok(true);
  return out;
}

}  // namespace jit::audit
