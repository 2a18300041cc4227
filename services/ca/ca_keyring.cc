#include "services/ca/ca_keyring.h"

#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/crypto/random.h"
#include "common/ssh/public_key.h"
#include "common/status_macros.h"
#include "services/ca/service_name.h"
#include "spdlog/spdlog.h"

namespace jit::ca {
namespace {

bool IsSsh(CaKind kind) { return kind != CaKind::kX509User; }

absl::StatusOr<std::string> SshPublicLine(const crypto::CaSigner& signer) {
  ASSIGN_OR_RETURN(ssh::SshPublicKey key,
                   ssh::SshPublicKey::FromEvpPkey(signer.key(), {.min_rsa_bits = 3072}));
  return key.ToLine();
}

}  // namespace

absl::StatusOr<CaKeyRecord> CaKeyring::GenerateKey(CaKind kind, const CaKeyringOptions& options,
                                                   absl::Time now) {
  CaKeyRecord record;
  record.kind = kind;
  record.algorithm = IsSsh(kind) ? options.ssh_algorithm : options.x509_algorithm;
  record.state = CaKeyState::kActive;
  record.create_time = now;
  ASSIGN_OR_RETURN(std::string suffix, crypto::RandomToken(9));
  record.key_id = absl::StrCat(std::string(CaKindName(kind)), "-", suffix);
  ASSIGN_OR_RETURN(record.private_key_pem, crypto::GenerateCaPrivateKey(record.algorithm));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::CaSigner> signer,
                   crypto::CaSigner::Create(record.private_key_pem));
  if (IsSsh(kind)) {
    ASSIGN_OR_RETURN(record.public_key, SshPublicLine(*signer));
  } else {
    ASSIGN_OR_RETURN(
        pki::CertificateAuthority ca,
        pki::CreateCertificateAuthorityForKey(
            signer->key(),
            {.common_name = options.x509_common_name, .validity = options.x509_validity}, now));
    ASSIGN_OR_RETURN(record.public_key, pki::CertificateToPem(ca.cert.get()));
  }
  return record;
}

namespace {

absl::StatusOr<std::unique_ptr<CaKeyring::Key>> LoadKey(const CaKeyRecord& record) {
  auto key = std::make_unique<CaKeyring::Key>();
  key->key_id = record.key_id;
  key->kind = record.kind;
  key->state = record.state;
  key->algorithm = record.algorithm;
  key->public_key = record.public_key;
  const auto broken = [&](const absl::Status& s) {
    return absl::DataLossError(absl::StrCat("CA key ", record.key_id, ": ", s.message()));
  };
  absl::StatusOr<std::unique_ptr<crypto::CaSigner>> signer =
      crypto::CaSigner::Create(record.private_key_pem);
  if (!signer.ok()) return broken(signer.status());
  key->signer = std::shared_ptr<const crypto::CaSigner>(*std::move(signer));
  if (IsSsh(record.kind)) {
    absl::StatusOr<std::string> line = SshPublicLine(*key->signer);
    if (!line.ok()) return broken(line.status());
    if (*line != record.public_key) {
      return broken(absl::DataLossError("the private key does not match the stored public key"));
    }
    absl::StatusOr<std::unique_ptr<ssh::CaSshSigner>> ssh = ssh::CaSshSigner::Create(key->signer);
    if (!ssh.ok()) return broken(ssh.status());
    key->ssh = *std::move(ssh);
  } else {
    absl::StatusOr<pki::CertificateAuthority> ca =
        pki::LoadCertificateAuthority(record.public_key, record.private_key_pem.Reveal());
    if (!ca.ok()) return broken(ca.status());
    key->x509 = *std::move(ca);
  }
  return key;
}

}  // namespace

const CaKeyring::Key& CaKeyring::Active(CaKind kind) const {
  absl::MutexLock lock(&mu_);
  return *active_[static_cast<int>(kind)];
}

std::vector<const CaKeyring::Key*> CaKeyring::keys() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::Status CaKeyring::Load(const std::vector<CaKeyRecord>& records) {
  std::vector<const Key*> next;
  std::vector<std::unique_ptr<Key>> fresh;
  const Key* active[kAllCaKinds.size()] = {};
  {
    absl::MutexLock lock(&mu_);
    for (const CaKeyRecord& record : records) {
      const Key* reuse = nullptr;
      for (const Key* k : current_) {
        if (k->key_id == record.key_id && k->state == record.state) reuse = k;
      }
      next.push_back(reuse);
    }
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (next[i] == nullptr) {
      ASSIGN_OR_RETURN(std::unique_ptr<Key> key, LoadKey(records[i]));
      next[i] = key.get();
      fresh.push_back(std::move(key));
    }
    if (next[i]->state == CaKeyState::kActive) active[static_cast<int>(next[i]->kind)] = next[i];
  }
  for (CaKind kind : kAllCaKinds) {
    if (active[static_cast<int>(kind)] == nullptr) {
      return absl::InternalError(
          absl::StrCat("no active ", std::string(CaKindName(kind)), " CA key"));
    }
  }
  absl::MutexLock lock(&mu_);
  for (auto& key : fresh) loaded_.push_back(std::move(key));
  current_ = std::move(next);
  for (size_t i = 0; i < kAllCaKinds.size(); ++i) active_[i] = active[i];
  return absl::OkStatus();
}

absl::StatusOr<bool> CaKeyring::Refresh() {
  absl::MutexLock refresh_lock(&refresh_mu_);
  ASSIGN_OR_RETURN(std::vector<CaKeyRecord> records, store_->ListKeys());
  bool same;
  {
    absl::MutexLock lock(&mu_);
    same = records.size() == current_.size();
    for (size_t i = 0; same && i < records.size(); ++i) {
      same = records[i].key_id == current_[i]->key_id && records[i].state == current_[i]->state;
    }
  }
  if (same) return false;
  RETURN_IF_ERROR(Load(records));
  return true;
}

absl::StatusOr<std::unique_ptr<CaKeyring>> CaKeyring::Open(CaKeyStore& store, const Clock& clock,
                                                           const CaKeyringOptions& options) {
  ASSIGN_OR_RETURN(std::vector<CaKeyRecord> records, store.ListKeys());
  for (CaKind kind : kAllCaKinds) {
    bool has_active = false;
    for (const CaKeyRecord& r : records) {
      has_active = has_active || (r.kind == kind && r.state == CaKeyState::kActive);
    }
    if (has_active) continue;
    const absl::Time now = clock.Now();
    ASSIGN_OR_RETURN(CaKeyRecord fresh, GenerateKey(kind, options, now));
    ASSIGN_OR_RETURN(jit::common::v1::AuditEvent event,
                     audit::NewAuditEvent(
                         kCaService, "ca.key.create", now, {.actor = "system"},
                         absl::StrCat("ca_key:", fresh.key_id),
                         jit::common::v1::AuditEvent::OUTCOME_SUCCESS, "CA key created",
                         {{"kind", std::string(CaKindName(kind))},
                          {"algorithm", std::string(crypto::CaKeyAlgorithmName(fresh.algorithm))},
                          {"key_id", fresh.key_id}}));
    ASSIGN_OR_RETURN(bool added, store.AddActiveIfAbsent(fresh, event));
    if (added) {
      spdlog::info("created the {} CA key {} ({})", CaKindName(kind), fresh.key_id,
                   crypto::CaKeyAlgorithmName(fresh.algorithm));
    }
  }
  ASSIGN_OR_RETURN(records, store.ListKeys());
  auto keyring = absl::WrapUnique(new CaKeyring(&store, options));
  RETURN_IF_ERROR(keyring->Load(records));
  records.clear();  // the PEMs are wiped here; the signers hold the keys
  return keyring;
}

}  // namespace jit::ca
