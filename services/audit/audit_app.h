// AuditApp: the audit service's objects, wired from its configuration (docs/AUDIT.md):
//
//   PostgresEventStore (schema "audit": events, chain_head, checkpoints) <- Checkpointer
//   (Ed25519 seed from --checkpoint_key_file) <- EventIngestor; EventSearch, ChainVerifier
//   (trusting the signing key and --checkpoint_trusted_public_keys), EventExport over a
//   PostgresHeadWatcher <- AuditQueries (people need the policy's permission on
//   "audit_event", asked through services/policy/client) <- AuditServiceImpl, the gRPC
//   adapter; AuditMetrics on the runtime's registry. Background: a PeriodicTask signing a
//   checkpoint of a moved head every --checkpoint_interval, and with --export_dir the JSON
//   Lines file exporter (export/jsonl_exporter.h) every --export_poll_interval.
//
// RunServiceApp drives it: ConfigFromFlags and Validate right after flag parsing, before
// any connection (a bad value or unusable key file exits 2 naming the flag), then Create.
// Thread-safe once created; owns everything it builds.
#ifndef JIT_SERVICES_AUDIT_AUDIT_APP_H_
#define JIT_SERVICES_AUDIT_AUDIT_APP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/service_main.h"

namespace jit::audit {
namespace internal {
struct AuditAppParts;  // every object of the service (audit_app.cc)
}  // namespace internal

class AuditApp final : public server::ServiceApp {
 public:
  struct Config {
    std::string checkpoint_key_file;  // required: base64 of a 32-byte Ed25519 seed, 0600
    int64_t checkpoint_every_events = 1000;
    absl::Duration checkpoint_interval = absl::Minutes(1);
    // Base64 raw Ed25519 public keys of earlier signing keys, still trusted by VerifyChain.
    std::vector<std::string> checkpoint_trusted_public_keys;
    std::string export_dir;  // "" = no JSON Lines file exporter
    int64_t export_file_max_bytes = 64 << 20;
    absl::Duration export_file_max_age = absl::Hours(1);
    int export_max_rotated_files = 0;  // 0 keeps all
    absl::Duration export_poll_interval = absl::Seconds(1);
  };

  // The service's own flags (audit_app.cc).
  static Config ConfigFromFlags();

  // INVALID_ARGUMENT (or the key file's FAILED_PRECONDITION) naming the flag: no or an
  // unusable checkpoint key file, checkpoint_every_events outside 1..1000000,
  // checkpoint_interval outside 1s..24h, a trusted public key that is not base64 of 32
  // bytes, export settings out of range (max bytes < 4096, age outside 1m..7d, rotated files
  // < 0, poll interval outside 10ms..1m) or export options without --export_dir.
  static absl::Status Validate(const Config& config);

  // Builds the service and starts the checkpoint and export tasks.
  static absl::StatusOr<std::unique_ptr<AuditApp>> Create(server::ServiceRuntime& runtime,
                                                          const Config& config);

  ~AuditApp() override;
  std::vector<server::RegisteredService> Services() override;

 private:
  explicit AuditApp(std::unique_ptr<internal::AuditAppParts> parts);

  std::unique_ptr<internal::AuditAppParts> parts_;
};

}  // namespace jit::audit

#endif  // JIT_SERVICES_AUDIT_AUDIT_APP_H_
