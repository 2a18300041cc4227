#include "services/audit/checkpointer.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/base64.h"
#include "common/crypto/digest.h"
#include "common/proto_time.h"
#include "common/secret_file.h"
#include "common/status_macros.h"
#include "services/audit/chain/canonical.h"
#include "spdlog/spdlog.h"

namespace jit::audit {

std::string CheckpointKeyId(std::string_view public_key) {
  const crypto::Sha256Digest d = crypto::Sha256(public_key);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(d.data()), 8));
}

absl::StatusOr<SecretString> ReadCheckpointSeed(const std::string& path) {
  ASSIGN_OR_RETURN(SecretString text, ReadSecretFile(path));
  absl::StatusOr<std::string> seed = crypto::Base64Decode(text.Reveal());
  if (!seed.ok() || seed->size() != crypto::kEd25519SeedSize) {
    if (seed.ok()) SecretString wipe(*std::move(seed));
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     ": not the base64 of a 32-byte Ed25519 seed (create one with "
                     "`openssl rand -base64 32`)"));
  }
  return SecretString(*std::move(seed));
}

absl::StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Create(const SecretString& seed,
                                                                   EventStore* events,
                                                                   CheckpointStore* checkpoints,
                                                                   const Clock* clock,
                                                                   CheckpointPolicy policy) {
  if (policy.every_events < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint every_events: must be at least 1, got ", policy.every_events));
  }
  if (policy.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("checkpoint interval: must be positive");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::Ed25519Signer> signer,
                   crypto::Ed25519Signer::Create(seed));
  return std::unique_ptr<Checkpointer>(
      new Checkpointer(std::move(signer), events, checkpoints, clock, policy));
}

absl::StatusOr<StoredCheckpoint> Checkpointer::Sign(const ChainHead& head) {
  StoredCheckpoint c;
  c.sequence = head.sequence;
  c.hash = head.hash;
  c.signed_at = TruncateToMicros(clock_->Now());
  c.key_id = key_id_;
  c.public_key = signer_->public_key();
  ASSIGN_OR_RETURN(c.signature,
                   signer_->Sign(chain::CheckpointMessage(c.sequence, c.hash, c.signed_at)));
  return c;
}

void LogCheckpoint(const StoredCheckpoint& c) {
  spdlog::info("checkpoint sequence={} hash={} signed_at={} key_id={} signature={}", c.sequence,
               absl::BytesToHexString(c.hash), absl::FormatTime(c.signed_at), c.key_id,
               absl::BytesToHexString(c.signature));
}

std::optional<StoredCheckpoint> Checkpointer::SignIfDue(const ChainHead& head, int64_t latest) {
  if (head.sequence - latest < policy_.every_events) return std::nullopt;
  absl::StatusOr<StoredCheckpoint> c = Sign(head);
  if (!c.ok()) {
    spdlog::error("signing a checkpoint failed (retried on the next append): {}",
                  c.status().ToString());
    Observe(false);
    return std::nullopt;
  }
  return *std::move(c);
}

void Checkpointer::Stored(const StoredCheckpoint& checkpoint) {
  LogCheckpoint(checkpoint);
  Observe(true);
}

absl::StatusOr<std::optional<StoredCheckpoint>> Checkpointer::Tick() {
  absl::StatusOr<std::optional<StoredCheckpoint>> c = TickOnce();
  if (!c.ok() || c->has_value()) Observe(c.ok());
  return c;
}

absl::StatusOr<std::optional<StoredCheckpoint>> Checkpointer::TickOnce() {
  ASSIGN_OR_RETURN(ChainHead head, events_->Head());
  ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> latest, checkpoints_->LatestCheckpoint());
  if (head.sequence == 0) return std::nullopt;
  if (latest) {
    if (head.sequence <= latest->sequence) return std::nullopt;
    if (clock_->Now() - latest->signed_at < policy_.interval) return std::nullopt;
  }
  ASSIGN_OR_RETURN(StoredCheckpoint c, Sign(head));
  RETURN_IF_ERROR(checkpoints_->AddCheckpoint(c));
  LogCheckpoint(c);
  return c;
}

}  // namespace jit::audit
