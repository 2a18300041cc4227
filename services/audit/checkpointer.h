// Signs the chain's head now and then, so that a truncated tail is detectable
// (docs/AUDIT.md, "Signed checkpoints"): within an append once `every_events` events have
// been appended since the newest checkpoint (ForAppend: the store asks under its lock and
// stores the checkpoint in the append's transaction), and on Tick() once `interval` has
// passed since the newest one and the head has moved. Several replicas may checkpoint; a
// second checkpoint of the same sequence is dropped by the store.
//
// Errors: those of the stores (UNAVAILABLE, ...) and INTERNAL if signing fails. A failed
// checkpoint loses nothing: the next append or tick tries again. An observer (metrics) hears
// of every checkpoint stored (by Tick, or by an append that reports it through Stored) and of
// every failed one.
// Thread-safe; borrows the stores and the clock.
#ifndef JIT_SERVICES_AUDIT_CHECKPOINTER_H_
#define JIT_SERVICES_AUDIT_CHECKPOINTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/crypto/ed25519.h"
#include "common/secret.h"
#include "services/audit/storage/event_store.h"

namespace jit::audit {

struct CheckpointPolicy {
  int64_t every_events = 1000;                 // >= 1
  absl::Duration interval = absl::Minutes(1);  // > 0
};

// The key id of an Ed25519 public key: lowercase hex of the first 8 bytes of its SHA-256.
std::string CheckpointKeyId(std::string_view public_key);

// The 32-byte seed in a --checkpoint_key_file: base64 of 32 bytes (`openssl rand -base64
// 32`), mode 0600. FAILED_PRECONDITION naming the path otherwise.
absl::StatusOr<SecretString> ReadCheckpointSeed(const std::string& path);

class Checkpointer {
 public:
  // INVALID_ARGUMENT for a bad policy or seed.
  static absl::StatusOr<std::unique_ptr<Checkpointer>> Create(const SecretString& seed,
                                                              EventStore* events,
                                                              CheckpointStore* checkpoints,
                                                              const Clock* clock,
                                                              CheckpointPolicy policy);

  // Called with true for each checkpoint stored, false for each that failed (signing or
  // storing). Set it before any other call; it is called on the calling thread.
  void SetObserver(std::function<void(bool signed_ok)> observer) {
    observer_ = std::move(observer);
  }

  // For EventStore::Append: a signed checkpoint of `head` when every_events have been
  // appended since `latest`. A signing failure is logged and gives nullopt (the next append
  // or tick tries again).
  std::optional<StoredCheckpoint> SignIfDue(const ChainHead& head, int64_t latest);
  CheckpointFn ForAppend() {
    return [this](const ChainHead& head, int64_t latest) { return SignIfDue(head, latest); };
  }

  // A checkpoint of the current head if it moved past the newest checkpoint and `interval`
  // has passed since that one was signed (or there is none).
  absl::StatusOr<std::optional<StoredCheckpoint>> Tick();

  // An append committed `checkpoint` (AppendResult::checkpoint): logs it (LogCheckpoint) and
  // tells the observer.
  void Stored(const StoredCheckpoint& checkpoint);

  const std::string& public_key() const { return signer_->public_key(); }
  const std::string& key_id() const { return key_id_; }

 private:
  Checkpointer(std::unique_ptr<crypto::Ed25519Signer> signer, EventStore* events,
               CheckpointStore* checkpoints, const Clock* clock, CheckpointPolicy policy)
      : signer_(std::move(signer)),
        key_id_(CheckpointKeyId(signer_->public_key())),
        events_(events),
        checkpoints_(checkpoints),
        clock_(clock),
        policy_(policy) {}

  absl::StatusOr<StoredCheckpoint> Sign(const ChainHead& head);
  absl::StatusOr<std::optional<StoredCheckpoint>> TickOnce();
  void Observe(bool signed_ok) {
    if (observer_) observer_(signed_ok);
  }

  const std::unique_ptr<crypto::Ed25519Signer> signer_;
  const std::string key_id_;
  EventStore* const events_;
  CheckpointStore* const checkpoints_;
  const Clock* const clock_;
  const CheckpointPolicy policy_;
  std::function<void(bool)> observer_;
};

// The log line of a stored checkpoint (sequence, hash, time, key id, signature), so that
// checkpoints are also kept where a database superuser cannot rewrite them.
void LogCheckpoint(const StoredCheckpoint& checkpoint);

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_CHECKPOINTER_H_
