#include "services/audit/audit_app.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/client/peer.h"
#include "common/crypto/base64.h"
#include "common/crypto/ed25519.h"
#include "common/periodic_task.h"
#include "common/server/unary_handler.h"
#include "common/status_macros.h"
#include "services/audit/audit_metrics.h"
#include "services/audit/audit_queries.h"
#include "services/audit/audit_service_impl.h"
#include "services/audit/chain_verifier.h"
#include "services/audit/checkpointer.h"
#include "services/audit/event_export.h"
#include "services/audit/event_ingestor.h"
#include "services/audit/event_search.h"
#include "services/audit/export/jsonl_exporter.h"
#include "services/audit/export/jsonl_file_writer.h"
#include "services/audit/storage/postgres_event_store.h"
#include "services/policy/client/grpc_policy_client.h"
#include "services/policy/client/policy_permission_checker.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, checkpoint_key_file, "",
          "File with the base64 of a 32-byte Ed25519 seed (mode 0600; `openssl rand -base64 "
          "32`) that signs the chain's checkpoints; every replica uses the same (required)");
ABSL_FLAG(int64_t, checkpoint_every_events, 1000,
          "Sign a checkpoint within the append once this many events follow the newest one");
ABSL_FLAG(absl::Duration, checkpoint_interval, absl::Minutes(1),
          "Sign a checkpoint of a moved head at least this often (1s..24h)");
ABSL_FLAG(std::vector<std::string>, checkpoint_trusted_public_keys, {},
          "Comma-separated base64 raw Ed25519 public keys of earlier checkpoint keys that "
          "VerifyChain still trusts (after a key rotation)");
ABSL_FLAG(std::string, export_dir, "",
          "Directory of the JSON Lines file exporter (audit.jsonl, rotated files and the "
          "cursor) for Fluent Bit or Vector to tail; empty = no file export");
ABSL_FLAG(int64_t, export_file_max_bytes, 64 << 20,
          "Rotate the active JSON Lines file at this size (>= 4096)");
ABSL_FLAG(absl::Duration, export_file_max_age, absl::Hours(1),
          "Rotate the active JSON Lines file when its first line is this old (1m..7d)");
ABSL_FLAG(int, export_max_rotated_files, 0, "Rotated JSON Lines files kept; 0 keeps all");
ABSL_FLAG(absl::Duration, export_poll_interval, absl::Seconds(1),
          "How often the file exporter looks for new events (10ms..1m)");

namespace jit::audit {
namespace internal {

// Every object of the running service, in dependency order (destroyed in reverse: the
// background tasks first).
struct AuditAppParts {
  explicit AuditAppParts(server::ServiceRuntime& runtime)
      : runtime(runtime),
        policy_peer("policy", runtime.config.peers.policy, runtime.tls, runtime.config.rpc_timeout),
        policy(&policy_peer),
        permissions(&policy),
        metrics(runtime.registry),
        store(&runtime.pool),
        search(&store),
        watcher(&store, absl::Milliseconds(250)),
        exporter(&store, &watcher) {}

  server::ServiceRuntime& runtime;
  client::PeerClient policy_peer;
  policy::GrpcPolicyClient policy;
  policy::PolicyPermissionChecker permissions;
  AuditMetrics metrics;
  PostgresEventStore store;
  EventSearch search;
  PostgresHeadWatcher watcher;
  EventExport exporter;
  std::unique_ptr<Checkpointer> checkpointer;
  std::unique_ptr<ChainVerifier> verifier;
  std::unique_ptr<EventIngestor> ingestor;
  std::unique_ptr<AuditQueries> queries;
  std::unique_ptr<AuditServiceImpl> service;
  std::unique_ptr<JsonlFileWriter> jsonl_writer;
  std::unique_ptr<JsonlExporter> jsonl_exporter;
  std::unique_ptr<PeriodicTask> checkpoint_task;
  std::unique_ptr<PeriodicTask> export_task;
};

}  // namespace internal

namespace {

using internal::AuditAppParts;

absl::Status Named(absl::string_view flag, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(flag, ": ", s.message()));
}

absl::Status Between(absl::string_view flag, absl::Duration d, absl::Duration min,
                     absl::Duration max) {
  if (d < min || d > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": must be between ", absl::FormatDuration(min), " and ", absl::FormatDuration(max)));
  }
  return absl::OkStatus();
}

// The raw public keys of --checkpoint_trusted_public_keys.
absl::StatusOr<std::vector<std::string>> TrustedKeys(const AuditApp::Config& config) {
  std::vector<std::string> keys;
  for (const std::string& text : config.checkpoint_trusted_public_keys) {
    absl::StatusOr<std::string> key = crypto::Base64Decode(text);
    if (!key.ok() || key->size() != crypto::kEd25519PublicKeySize) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint_trusted_public_keys: '", text.substr(0, 64),
                       "' is not the base64 of a 32-byte Ed25519 public key"));
    }
    keys.push_back(*std::move(key));
  }
  return keys;
}

void TickCheckpoint(AuditAppParts& p) {
  // Counted by the checkpointer's observer (as are checkpoints made by appends).
  absl::StatusOr<std::optional<StoredCheckpoint>> c = p.checkpointer->Tick();
  if (!c.ok()) spdlog::warn("checkpoint: {}", c.status().ToString());
}

void ExportFiles(AuditAppParts& p) {
  absl::StatusOr<int64_t> n = p.jsonl_exporter->RunOnce();
  if (!n.ok()) spdlog::warn("JSON Lines export: {}", n.status().ToString());
}

}  // namespace

AuditApp::Config AuditApp::ConfigFromFlags() {
  return {.checkpoint_key_file = absl::GetFlag(FLAGS_checkpoint_key_file),
          .checkpoint_every_events = absl::GetFlag(FLAGS_checkpoint_every_events),
          .checkpoint_interval = absl::GetFlag(FLAGS_checkpoint_interval),
          .checkpoint_trusted_public_keys = absl::GetFlag(FLAGS_checkpoint_trusted_public_keys),
          .export_dir = absl::GetFlag(FLAGS_export_dir),
          .export_file_max_bytes = absl::GetFlag(FLAGS_export_file_max_bytes),
          .export_file_max_age = absl::GetFlag(FLAGS_export_file_max_age),
          .export_max_rotated_files = absl::GetFlag(FLAGS_export_max_rotated_files),
          .export_poll_interval = absl::GetFlag(FLAGS_export_poll_interval)};
}

absl::Status AuditApp::Validate(const Config& config) {
  if (config.checkpoint_key_file.empty()) {
    return absl::InvalidArgumentError(
        "checkpoint_key_file: must be set (the base64 of 32 random bytes, mode 0600)");
  }
  RETURN_IF_ERROR(
      Named("checkpoint_key_file", ReadCheckpointSeed(config.checkpoint_key_file).status()));
  if (config.checkpoint_every_events < 1 || config.checkpoint_every_events > 1'000'000) {
    return absl::InvalidArgumentError("checkpoint_every_events: must be between 1 and 1000000");
  }
  RETURN_IF_ERROR(Between("checkpoint_interval", config.checkpoint_interval, absl::Seconds(1),
                          absl::Hours(24)));
  RETURN_IF_ERROR(TrustedKeys(config).status());
  const Config defaults;
  if (config.export_dir.empty()) {
    if (config.export_file_max_bytes != defaults.export_file_max_bytes ||
        config.export_file_max_age != defaults.export_file_max_age ||
        config.export_max_rotated_files != defaults.export_max_rotated_files) {
      return absl::InvalidArgumentError(
          "export_dir: must be set when an export_file_* or export_max_rotated_files flag is");
    }
  }
  if (config.export_file_max_bytes < 4096) {
    return absl::InvalidArgumentError("export_file_max_bytes: must be at least 4096");
  }
  RETURN_IF_ERROR(Between("export_file_max_age", config.export_file_max_age, absl::Minutes(1),
                          absl::Hours(24 * 7)));
  if (config.export_max_rotated_files < 0) {
    return absl::InvalidArgumentError("export_max_rotated_files: must not be negative");
  }
  return Between("export_poll_interval", config.export_poll_interval, absl::Milliseconds(10),
                 absl::Minutes(1));
}

absl::StatusOr<std::unique_ptr<AuditApp>> AuditApp::Create(server::ServiceRuntime& runtime,
                                                           const Config& config) {
  RETURN_IF_ERROR(Validate(config));
  auto p = std::make_unique<AuditAppParts>(runtime);
  ASSIGN_OR_RETURN(SecretString seed, ReadCheckpointSeed(config.checkpoint_key_file));
  ASSIGN_OR_RETURN(p->checkpointer,
                   Checkpointer::Create(seed, &p->store, &p->store, &runtime.clock,
                                        {.every_events = config.checkpoint_every_events,
                                         .interval = config.checkpoint_interval}));
  ASSIGN_OR_RETURN(std::vector<std::string> trusted, TrustedKeys(config));
  std::vector<v1::CheckpointKey> keys;
  {
    // The signing key first, then the earlier ones.
    std::vector<std::string> all = {p->checkpointer->public_key()};
    all.insert(all.end(), trusted.begin(), trusted.end());
    for (const std::string& k : all) {
      v1::CheckpointKey key;
      key.set_key_id(CheckpointKeyId(k));
      key.set_algorithm("ed25519");
      key.set_public_key(k);
      keys.push_back(std::move(key));
    }
    ASSIGN_OR_RETURN(p->verifier, ChainVerifier::Create(&p->store, &p->store, all));
  }
  spdlog::info("checkpoints signed with key {} every {} events or {}", p->checkpointer->key_id(),
               config.checkpoint_every_events, absl::FormatDuration(config.checkpoint_interval));
  p->checkpointer->SetObserver([&metrics = p->metrics](bool ok) { metrics.Checkpoint(ok); });
  p->ingestor = std::make_unique<EventIngestor>(&p->store, p->checkpointer.get(), &runtime.clock);
  p->queries = std::make_unique<AuditQueries>(AuditQueries::Parts{.search = &p->search,
                                                                  .verifier = p->verifier.get(),
                                                                  .exporter = &p->exporter,
                                                                  .checkpoints = &p->store,
                                                                  .permissions = &p->permissions,
                                                                  .keys = std::move(keys)});
  p->service = std::make_unique<AuditServiceImpl>(p->ingestor.get(), p->queries.get(), &p->metrics,
                                                  server::AuthorizedCaller(runtime.authorizer));
  AuditAppParts* parts = p.get();
  // Checked every tenth of the interval (at most every 10 s), so a checkpoint is at most
  // that much late.
  ASSIGN_OR_RETURN(p->checkpoint_task,
                   PeriodicTask::Start(
                       {.name = "audit-checkpoint",
                        .interval = std::min(config.checkpoint_interval / 10, absl::Seconds(10))},
                       [parts] { TickCheckpoint(*parts); }));
  if (!config.export_dir.empty()) {
    absl::StatusOr<std::unique_ptr<JsonlFileWriter>> writer =
        JsonlFileWriter::Open({.dir = config.export_dir,
                               .max_file_bytes = config.export_file_max_bytes,
                               .max_file_age = config.export_file_max_age,
                               .max_rotated_files = config.export_max_rotated_files},
                              &runtime.clock);
    RETURN_IF_ERROR(Named("export_dir", writer.status()));
    p->jsonl_writer = *std::move(writer);
    p->jsonl_exporter = std::make_unique<JsonlExporter>(&p->store, p->jsonl_writer.get());
    spdlog::info("JSON Lines export to {} from sequence {}", p->jsonl_writer->active_path(),
                 p->jsonl_writer->cursor() + 1);
    ASSIGN_OR_RETURN(p->export_task, PeriodicTask::Start({.name = "audit-jsonl-export",
                                                          .interval = config.export_poll_interval},
                                                         [parts] { ExportFiles(*parts); }));
  }
  return absl::WrapUnique(new AuditApp(std::move(p)));
}

AuditApp::AuditApp(std::unique_ptr<internal::AuditAppParts> parts) : parts_(std::move(parts)) {}

AuditApp::~AuditApp() = default;

std::vector<server::RegisteredService> AuditApp::Services() {
  return {server::RegisteredService::Of<v1::AuditService>(parts_->service.get())};
}

}  // namespace jit::audit
