// OpenSSH key revocation lists (PROTOCOL.krl): a builder for certificate sections (serials,
// serial ranges and key ids per CA) and a reader (tests, jit-host's checks).
//
// The builder encodes the revoked serials of each CA in the fewest bytes the format allows:
// serials are sorted and merged into runs, and a dynamic programme over the runs chooses, for
// every run, a serial list entry (8 bytes per serial, one list section in all), a range
// section (21 bytes) or membership in a bitmap section (17 bytes plus one bit per serial of
// its span). Bitmaps are at most 16384 bits wide, the largest mpint OpenSSH reads back
// (ssh-keygen 9.2 writes wider ones for dense sets, which it then cannot read). Serial 0 cannot
// be revoked by serial (OpenSSH refuses the whole KRL), so it is INVALID_ARGUMENT.
//
// The reader accepts exactly what OpenSSH 9.2's krl.c accepts for the sections it implements
// (certificates by serial, range, bitmap and key id; explicit keys; SHA-1 and SHA-256
// fingerprints; non-critical extensions) and refuses signature sections (OpenSSH >= 9.4 does
// too), critical extensions, unknown sections and trailing bytes with INVALID_ARGUMENT.
//
// Thread-safety: BuildKrl is a pure function; a parsed Krl is immutable.
#ifndef JIT_COMMON_SSH_KRL_H_
#define JIT_COMMON_SSH_KRL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ssh/certificate.h"
#include "common/ssh/public_key.h"

namespace jit::ssh {

// Limits of the builder: a KRL is handed to every sshd; keep it bounded.
inline constexpr size_t kMaxKrlSize = 64 << 20;
inline constexpr size_t kMaxKrlKeyIdSize = 4096;

struct KrlCertificates {
  // The CA's wire blob; empty means "certificates of any CA" (useful for key ids).
  std::string ca_key_wire;
  // Any order; duplicates allowed; 0 refused.
  std::vector<uint64_t> serials;
  // Inclusive ranges [first, last]; 0 < first <= last.
  std::vector<std::pair<uint64_t, uint64_t>> serial_ranges;
  std::vector<std::string> key_ids;
};

struct KrlSpec {
  // Increases with every KRL published (krl_version).
  uint64_t version = 0;
  absl::Time generated = absl::UnixEpoch();
  std::string comment;
  std::vector<KrlCertificates> certificates;
};

// The binary KRL. INVALID_ARGUMENT for serial 0, an inverted or zero range, an empty or
// NUL-bearing key id, a CA blob that is not a public key, the same CA twice, or a KRL larger
// than kMaxKrlSize.
absl::StatusOr<std::string> BuildKrl(const KrlSpec& spec);

// A KRL read back.
class Krl {
 public:
  static absl::StatusOr<Krl> Parse(std::string_view bytes);

  uint64_t version() const { return version_; }
  uint64_t generated_date() const { return generated_date_; }
  const std::string& comment() const { return comment_; }

  // Whether sshd would refuse `cert` because of this KRL: its serial (if not 0) or key id is
  // revoked under its CA or under "any CA", or the certified key itself is revoked
  // (explicitly or by fingerprint). The CA's own signature is not this check's business.
  bool IsRevoked(const SshCertificate& cert) const;
  // Whether `serial` of `ca_key_wire` is revoked by serial.
  bool IsSerialRevoked(std::string_view ca_key_wire, uint64_t serial) const;

  // How the serials were encoded, for tests of the builder's choices.
  struct SectionCounts {
    int serial_list = 0;
    int serial_range = 0;
    int serial_bitmap = 0;
    int key_id = 0;
  };
  const SectionCounts& section_counts() const { return counts_; }

 private:
  struct CaEntry {
    std::string ca_key_wire;                            // "" = any CA
    std::vector<std::pair<uint64_t, uint64_t>> ranges;  // sorted, merged
    absl::flat_hash_set<std::string> key_ids;
  };
  const CaEntry* FindCa(std::string_view ca_key_wire) const;
  static bool SerialRevokedUnder(const CaEntry& ca, uint64_t serial);

  uint64_t version_ = 0;
  uint64_t generated_date_ = 0;
  std::string comment_;
  std::vector<CaEntry> cas_;
  absl::flat_hash_set<std::string> explicit_keys_;
  absl::flat_hash_set<std::string> sha1_fingerprints_;
  absl::flat_hash_set<std::string> sha256_fingerprints_;
  SectionCounts counts_;
};

}  // namespace jit::ssh

#endif  // JIT_COMMON_SSH_KRL_H_
