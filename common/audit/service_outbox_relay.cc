#include "common/audit/service_outbox_relay.h"

#include <utility>

#include "absl/memory/memory.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace jit::audit {

ServiceOutboxRelay::ServiceOutboxRelay(server::ServiceRuntime& runtime)
    : peer_("audit", runtime.config.peers.audit, runtime.tls, runtime.config.rpc_timeout),
      client_(&peer_) {}

absl::StatusOr<std::unique_ptr<ServiceOutboxRelay>> ServiceOutboxRelay::Start(
    server::ServiceRuntime& runtime, const std::string& schema, OutboxRelayOptions options) {
  if (runtime.config.peers.audit.empty()) {
    spdlog::warn("audit outbox relay off (--audit_addr is empty): events wait in {}.audit_outbox",
                 schema);
    return nullptr;
  }
  options.schema = schema;
  auto r = absl::WrapUnique(new ServiceOutboxRelay(runtime));
  ASSIGN_OR_RETURN(r->relay_, OutboxRelay::Create(&runtime.pool, &r->client_, &runtime.clock,
                                                  &runtime.registry, std::move(options)));
  RETURN_IF_ERROR(r->relay_->Start());
  spdlog::info("audit outbox relay: {}.audit_outbox to the audit service at {}", schema,
               runtime.config.peers.audit);
  return r;
}

}  // namespace jit::audit
