#include "common/ssh/krl.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <deque>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"
#include "common/crypto/digest.h"
#include "common/ssh/wire.h"
#include "common/status_macros.h"

namespace jit::ssh {
namespace {

constexpr std::string_view kKrlMagic("SSHKRL\n\0", 8);
constexpr uint32_t kKrlFormatVersion = 1;

enum : uint8_t {
  kSectionCertificates = 1,
  kSectionExplicitKey = 2,
  kSectionFingerprintSha1 = 3,
  kSectionSignature = 4,
  kSectionFingerprintSha256 = 5,
  kSectionExtension = 255,
};
enum : uint8_t {
  kCertSerialList = 0x20,
  kCertSerialRange = 0x21,
  kCertSerialBitmap = 0x22,
  kCertKeyId = 0x23,
  kCertExtension = 0x39,
};

// Byte costs of each encoding (section type byte + section string length included).
constexpr int64_t kSectionHeader = 1 + 4;
constexpr int64_t kRangeCost = kSectionHeader + 16;
constexpr int64_t kListEntryCost = 8;
constexpr int64_t kBitmapFixedCost = kSectionHeader + 8 + 4;  // + mpint bytes
// Widest bitmap OpenSSH reads: the mpint holds at most kMaxMpintBytes bytes of value, so bit
// indices run from 0 to kMaxBitmapSpan.
constexpr uint64_t kMaxBitmapSpan = kMaxMpintBytes * 8 - 1;

struct Run {
  uint64_t lo;
  uint64_t hi;
};

// LSD radix sort, 16-bit digits, passes whose digit is constant skipped.
void RadixSort(std::vector<uint64_t>& v) {
  if (v.size() < 256) {
    std::sort(v.begin(), v.end());
    return;
  }
  std::vector<uint64_t> tmp(v.size());
  std::vector<uint32_t> count(1 << 16);
  for (int shift = 0; shift < 64; shift += 16) {
    std::fill(count.begin(), count.end(), 0);
    for (uint64_t x : v) ++count[(x >> shift) & 0xffff];
    if (count[(v[0] >> shift) & 0xffff] == v.size()) continue;  // all equal: nothing to do
    uint32_t sum = 0;
    for (uint32_t& c : count) {
      const uint32_t n = c;
      c = sum;
      sum += n;
    }
    for (uint64_t x : v) tmp[count[(x >> shift) & 0xffff]++] = x;
    v.swap(tmp);
  }
}

absl::StatusOr<std::vector<Run>> MergeRuns(const KrlCertificates& ca) {
  std::vector<uint64_t> serials = ca.serials;
  RadixSort(serials);
  if (!serials.empty() && serials.front() == 0) {
    return absl::InvalidArgumentError("serial 0 cannot be revoked by serial");
  }
  std::vector<Run> runs;
  for (uint64_t s : serials) {
    if (!runs.empty() && s <= runs.back().hi) continue;  // a duplicate
    if (!runs.empty() && s == runs.back().hi + 1) {
      runs.back().hi = s;
    } else {
      runs.push_back({s, s});
    }
  }
  if (ca.serial_ranges.empty()) return runs;
  std::vector<Run> ranges;
  for (const auto& [first, last] : ca.serial_ranges) {
    if (first == 0 || first > last) {
      return absl::InvalidArgumentError(
          absl::StrCat("serial range ", first, "-", last, " is empty or starts at 0"));
    }
    ranges.push_back({first, last});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Run& a, const Run& b) { return a.lo < b.lo; });
  std::vector<Run> merged;
  merged.reserve(runs.size() + ranges.size());
  std::merge(runs.begin(), runs.end(), ranges.begin(), ranges.end(), std::back_inserter(merged),
             [](const Run& a, const Run& b) { return a.lo < b.lo; });
  std::vector<Run> out;
  for (const Run& r : merged) {
    if (!out.empty() &&
        (out.back().hi == std::numeric_limits<uint64_t>::max() || r.lo <= out.back().hi + 1)) {
      out.back().hi = std::max(out.back().hi, r.hi);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

enum class Encoding : uint8_t { kNone, kRange, kList, kBitmap };

struct Step {
  int64_t cost = std::numeric_limits<int64_t>::max();
  Encoding how = Encoding::kNone;
  uint32_t from = 0;      // run index where the section (or entry) began
  uint8_t from_list = 0;  // list state before it
};

// Chooses encodings for `runs` with the fewest bytes; returns, per run in order, the encoding
// and (for bitmaps) the index of the bitmap's last run.
struct Plan {
  struct Part {
    Encoding how;
    size_t first;
    size_t last;
  };
  std::vector<Part> parts;
};

Plan PlanEncoding(const std::vector<Run>& runs) {
  const size_t m = runs.size();
  constexpr int64_t kInf = std::numeric_limits<int64_t>::max() / 4;
  // best[t][u]: cheapest encoding of runs[0..t) with (u=1) or without (u=0) a list section.
  std::vector<std::array<Step, 2>> best(m + 1);
  best[0][0].cost = 0;
  // Sliding-window minima of best[k][u].cost - lo_k / 8 per residue lo_k % 8, over runs k
  // that may start a bitmap ending at the current run.
  std::array<std::array<std::deque<uint32_t>, 8>, 2> window;
  auto value = [&](uint32_t k, int u) {
    return best[k][u].cost - static_cast<int64_t>(runs[k].lo / 8);
  };
  for (size_t j = 0; j < m; ++j) {
    const Run& run = runs[j];
    for (int u = 0; u < 2; ++u) {
      if (best[j][u].cost >= kInf) continue;
      auto& dq = window[u][run.lo % 8];
      while (!dq.empty() && value(dq.back(), u) >= value(static_cast<uint32_t>(j), u)) {
        dq.pop_back();
      }
      dq.push_back(static_cast<uint32_t>(j));
    }
    auto relax = [&](int u, int64_t cost, Encoding how, size_t from, int from_list) {
      Step& s = best[j + 1][u];
      if (cost < s.cost) {
        s = {cost, how, static_cast<uint32_t>(from), static_cast<uint8_t>(from_list)};
      }
    };
    const uint64_t len = run.hi - run.lo;  // + 1 serials
    for (int u = 0; u < 2; ++u) {
      const int64_t base = best[j][u].cost;
      if (base >= kInf) continue;
      relax(u, base + kRangeCost, Encoding::kRange, j, u);
      if (len < 3) {
        relax(1, base + static_cast<int64_t>(len + 1) * kListEntryCost + (u ? 0 : kSectionHeader),
              Encoding::kList, j, u);
      }
    }
    const int64_t b = static_cast<int64_t>(run.hi / 8);
    const int d = static_cast<int>(run.hi % 8);
    for (int u = 0; u < 2; ++u) {
      for (int c = 0; c < 8; ++c) {
        auto& dq = window[u][c];
        while (!dq.empty() && run.hi - runs[dq.front()].lo > kMaxBitmapSpan) dq.pop_front();
        if (dq.empty()) continue;
        const uint32_t k = dq.front();
        // span = hi - lo_k = 8 (b - a) + (d - c), with a = lo_k / 8.
        const int rem = d >= c ? d - c : 8 + d - c;
        const int64_t whole = d >= c ? b : b - 1;
        const int64_t bytes_plus_a = whole + 1 + (rem == 7 ? 1 : 0);
        relax(u, value(k, u) + bytes_plus_a + kBitmapFixedCost, Encoding::kBitmap, k, u);
      }
    }
  }
  Plan plan;
  int u = best[m][1].cost < best[m][0].cost ? 1 : 0;
  for (size_t t = m; t > 0;) {
    const Step& s = best[t][u];
    plan.parts.push_back({s.how, s.from, t - 1});
    t = s.from;
    u = s.from_list;
  }
  std::reverse(plan.parts.begin(), plan.parts.end());
  return plan;
}

void PutSerialSections(SshWriter& w, const std::vector<Run>& runs) {
  const Plan plan = PlanEncoding(runs);
  std::vector<uint64_t> listed;
  for (const Plan::Part& part : plan.parts) {
    switch (part.how) {
      case Encoding::kList:
        for (uint64_t s = runs[part.first].lo;; ++s) {
          listed.push_back(s);
          if (s == runs[part.first].hi) break;
        }
        break;
      case Encoding::kRange: {
        w.PutU8(kCertSerialRange);
        const size_t sect = w.BeginString();
        w.PutU64(runs[part.first].lo);
        w.PutU64(runs[part.first].hi);
        w.EndString(sect);
        break;
      }
      case Encoding::kBitmap: {
        const uint64_t offset = runs[part.first].lo;
        const uint64_t span = runs[part.last].hi - offset;
        std::string bits(span / 8 + 1, '\0');
        for (size_t r = part.first; r <= part.last; ++r) {
          for (uint64_t s = runs[r].lo - offset;; ++s) {
            bits[bits.size() - 1 - s / 8] |= static_cast<char>(1u << (s % 8));
            if (s == runs[r].hi - offset) break;
          }
        }
        w.PutU8(kCertSerialBitmap);
        const size_t sect = w.BeginString();
        w.PutU64(offset);
        w.PutPositiveMpint(bits);
        w.EndString(sect);
        break;
      }
      case Encoding::kNone:
        break;
    }
  }
  if (!listed.empty()) {
    w.PutU8(kCertSerialList);
    const size_t sect = w.BeginString();
    for (uint64_t s : listed) w.PutU64(s);
    w.EndString(sect);
  }
}

}  // namespace

absl::StatusOr<std::string> BuildKrl(const KrlSpec& spec) {
  SshWriter w(kMaxKrlSize);
  w.PutRaw(kKrlMagic);
  w.PutU32(kKrlFormatVersion);
  w.PutU64(spec.version);
  w.PutU64(ToCertTime(spec.generated));
  w.PutU64(0);      // flags
  w.PutString("");  // reserved
  w.PutString(spec.comment);
  std::vector<std::string_view> seen_cas;
  for (const KrlCertificates& ca : spec.certificates) {
    if (!ca.ca_key_wire.empty()) {
      absl::StatusOr<SshPublicKey> key = SshPublicKey::FromWire(ca.ca_key_wire);
      if (!key.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("KRL CA key: ", key.status().message()));
      }
    }
    if (std::find(seen_cas.begin(), seen_cas.end(), ca.ca_key_wire) != seen_cas.end()) {
      return absl::InvalidArgumentError("the same CA appears twice in the KRL");
    }
    seen_cas.push_back(ca.ca_key_wire);
    ASSIGN_OR_RETURN(std::vector<Run> runs, MergeRuns(ca));
    std::vector<std::string_view> key_ids(ca.key_ids.begin(), ca.key_ids.end());
    for (std::string_view id : key_ids) {
      if (id.empty() || id.size() > kMaxKrlKeyIdSize || id.find('\0') != std::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("revoked key ids must be 1 to ", kMaxKrlKeyIdSize, " bytes without NUL"));
      }
    }
    std::sort(key_ids.begin(), key_ids.end());
    key_ids.erase(std::unique(key_ids.begin(), key_ids.end()), key_ids.end());
    if (runs.empty() && key_ids.empty()) continue;

    w.PutU8(kSectionCertificates);
    const size_t section = w.BeginString();
    w.PutString(ca.ca_key_wire);
    w.PutString("");  // reserved
    PutSerialSections(w, runs);
    if (!key_ids.empty()) {
      w.PutU8(kCertKeyId);
      const size_t sect = w.BeginString();
      for (std::string_view id : key_ids) w.PutString(id);
      w.EndString(sect);
    }
    w.EndString(section);
  }
  RETURN_IF_ERROR(w.status());
  return std::move(w).Take();
}

namespace {

// OpenSSH's lenient bignum read for bitmaps (sshbuf_get_bignum2_bytes_direct): not negative,
// at most kMaxMpintBytes of value (one more byte only if it is a zero), leading zeros dropped.
absl::StatusOr<std::string_view> ReadBitmap(SshReader& reader) {
  ASSIGN_OR_RETURN(std::string_view s, reader.ReadString("serial bitmap", kMaxMpintBytes + 1));
  if (!s.empty() && (static_cast<uint8_t>(s[0]) & 0x80)) {
    return absl::InvalidArgumentError("serial bitmap: negative mpint");
  }
  if (s.size() == kMaxMpintBytes + 1 && s[0] != '\0') {
    return absl::InvalidArgumentError("serial bitmap is too large");
  }
  while (!s.empty() && s[0] == '\0') s.remove_prefix(1);
  return s;
}

absl::Status AddRange(std::vector<std::pair<uint64_t, uint64_t>>& ranges, uint64_t lo,
                      uint64_t hi) {
  if (lo == 0 || lo > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("revoked serial range ", lo, "-", hi, " is empty or starts at 0"));
  }
  ranges.emplace_back(lo, hi);
  return absl::OkStatus();
}

absl::Status ReadExtension(SshReader& section, std::string_view what) {
  ASSIGN_OR_RETURN(std::string_view name, section.ReadCString(what));
  ASSIGN_OR_RETURN(bool critical, section.ReadBool(what));
  ASSIGN_OR_RETURN(std::string_view contents, section.ReadString(what));
  (void)contents;
  if (critical) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported critical ", AsAbsl(what), " \"",
                                                   AsAbsl(name.substr(0, 64)), "\""));
  }
  return section.ExpectEnd(what);
}

}  // namespace

absl::StatusOr<Krl> Krl::Parse(std::string_view bytes) {
  if (bytes.size() > kMaxKrlSize) return absl::InvalidArgumentError("KRL is too large");
  SshReader reader(bytes);
  ASSIGN_OR_RETURN(std::string_view magic, reader.ReadBytes(kKrlMagic.size(), "KRL magic"));
  if (magic != kKrlMagic) return absl::InvalidArgumentError("not a KRL (bad magic)");
  ASSIGN_OR_RETURN(uint32_t format, reader.ReadU32("KRL format version"));
  if (format != kKrlFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported KRL format version ", format));
  }
  Krl krl;
  ASSIGN_OR_RETURN(krl.version_, reader.ReadU64("KRL version"));
  ASSIGN_OR_RETURN(krl.generated_date_, reader.ReadU64("KRL generated date"));
  ASSIGN_OR_RETURN(uint64_t flags, reader.ReadU64("KRL flags"));
  (void)flags;
  ASSIGN_OR_RETURN(std::string_view reserved, reader.ReadString("KRL reserved"));
  (void)reserved;
  ASSIGN_OR_RETURN(std::string_view comment, reader.ReadCString("KRL comment"));
  krl.comment_ = std::string(comment);

  while (!reader.empty()) {
    ASSIGN_OR_RETURN(uint8_t type, reader.ReadU8("KRL section type"));
    if (type == kSectionSignature) {
      return absl::InvalidArgumentError("KRL signature sections are not supported");
    }
    ASSIGN_OR_RETURN(SshReader section, reader.ReadNested("KRL section", kMaxKrlSize));
    switch (type) {
      case kSectionCertificates: {
        ASSIGN_OR_RETURN(std::string_view ca_blob, section.ReadString("KRL CA key"));
        ASSIGN_OR_RETURN(std::string_view ca_reserved, section.ReadString("KRL CA reserved"));
        (void)ca_reserved;
        if (!ca_blob.empty()) {
          absl::StatusOr<SshPublicKey> ca_key = SshPublicKey::FromWire(ca_blob);
          if (!ca_key.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("KRL CA key: ", ca_key.status().message()));
          }
        }
        CaEntry* entry = nullptr;
        for (CaEntry& e : krl.cas_) {
          if (e.ca_key_wire == ca_blob) entry = &e;
        }
        if (entry == nullptr) {
          krl.cas_.push_back({std::string(ca_blob), {}, {}});
          entry = &krl.cas_.back();
        }
        while (!section.empty()) {
          ASSIGN_OR_RETURN(uint8_t sub_type, section.ReadU8("KRL certificate section type"));
          ASSIGN_OR_RETURN(SshReader sub,
                           section.ReadNested("KRL certificate section", kMaxKrlSize));
          switch (sub_type) {
            case kCertSerialList:
              ++krl.counts_.serial_list;
              while (!sub.empty()) {
                ASSIGN_OR_RETURN(uint64_t serial, sub.ReadU64("revoked serial"));
                RETURN_IF_ERROR(AddRange(entry->ranges, serial, serial));
              }
              break;
            case kCertSerialRange: {
              ++krl.counts_.serial_range;
              ASSIGN_OR_RETURN(uint64_t lo, sub.ReadU64("serial range start"));
              ASSIGN_OR_RETURN(uint64_t hi, sub.ReadU64("serial range end"));
              RETURN_IF_ERROR(AddRange(entry->ranges, lo, hi));
              break;
            }
            case kCertSerialBitmap: {
              ++krl.counts_.serial_bitmap;
              ASSIGN_OR_RETURN(uint64_t offset, sub.ReadU64("serial bitmap offset"));
              ASSIGN_OR_RETURN(std::string_view bits, ReadBitmap(sub));
              if (bits.empty()) break;
              int top = 0;
              for (uint8_t b = static_cast<uint8_t>(bits[0]); b != 0; b >>= 1) ++top;
              const uint64_t nbits = (bits.size() - 1) * 8 + static_cast<uint64_t>(top);
              // As krl.c: no bit index may wrap the serial past 2^64 - 1.
              if (offset + (nbits - 1) < offset) {
                return absl::InvalidArgumentError("serial bitmap wraps past 2^64");
              }
              for (uint64_t i = 0; i < nbits; ++i) {
                const uint8_t byte = static_cast<uint8_t>(bits[bits.size() - 1 - i / 8]);
                if ((byte >> (i % 8) & 1) == 0) continue;
                RETURN_IF_ERROR(AddRange(entry->ranges, offset + i, offset + i));
              }
              break;
            }
            case kCertKeyId:
              ++krl.counts_.key_id;
              while (!sub.empty()) {
                ASSIGN_OR_RETURN(std::string_view id, sub.ReadCString("revoked key id"));
                entry->key_ids.insert(std::string(id));
              }
              break;
            case kCertExtension:
              RETURN_IF_ERROR(ReadExtension(sub, "KRL certificate extension"));
              break;
            default:
              return absl::InvalidArgumentError(
                  absl::StrCat("unsupported KRL certificate section ", sub_type));
          }
          RETURN_IF_ERROR(sub.ExpectEnd("a KRL certificate section"));
        }
        break;
      }
      case kSectionExplicitKey:
      case kSectionFingerprintSha1:
      case kSectionFingerprintSha256:
        while (!section.empty()) {
          ASSIGN_OR_RETURN(std::string_view blob, section.ReadString("revoked key"));
          if (type == kSectionFingerprintSha1 && blob.size() != 20) {
            return absl::InvalidArgumentError("bad SHA-1 fingerprint length in KRL");
          }
          if (type == kSectionFingerprintSha256 && blob.size() != 32) {
            return absl::InvalidArgumentError("bad SHA-256 fingerprint length in KRL");
          }
          (type == kSectionExplicitKey       ? krl.explicit_keys_
           : type == kSectionFingerprintSha1 ? krl.sha1_fingerprints_
                                             : krl.sha256_fingerprints_)
              .insert(std::string(blob));
        }
        break;
      case kSectionExtension:
        RETURN_IF_ERROR(ReadExtension(section, "KRL extension"));
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("unsupported KRL section ", type));
    }
    RETURN_IF_ERROR(section.ExpectEnd("a KRL section"));
  }
  for (CaEntry& e : krl.cas_) {
    auto& r = e.ranges;
    std::sort(r.begin(), r.end());
    std::vector<std::pair<uint64_t, uint64_t>> merged;
    for (const auto& range : r) {
      if (!merged.empty() && (merged.back().second == std::numeric_limits<uint64_t>::max() ||
                              range.first <= merged.back().second + 1)) {
        merged.back().second = std::max(merged.back().second, range.second);
      } else {
        merged.push_back(range);
      }
    }
    r = std::move(merged);
  }
  return krl;
}

const Krl::CaEntry* Krl::FindCa(std::string_view ca_key_wire) const {
  for (const CaEntry& e : cas_) {
    if (e.ca_key_wire == ca_key_wire) return &e;
  }
  return nullptr;
}

bool Krl::SerialRevokedUnder(const CaEntry& ca, uint64_t serial) {
  if (serial == 0) return false;
  auto it = std::upper_bound(
      ca.ranges.begin(), ca.ranges.end(), serial,
      [](uint64_t s, const std::pair<uint64_t, uint64_t>& r) { return s < r.first; });
  return it != ca.ranges.begin() && std::prev(it)->second >= serial;
}

bool Krl::IsSerialRevoked(std::string_view ca_key_wire, uint64_t serial) const {
  for (const CaEntry* ca : {FindCa(ca_key_wire), FindCa("")}) {
    if (ca != nullptr && SerialRevokedUnder(*ca, serial)) return true;
  }
  return false;
}

bool Krl::IsRevoked(const SshCertificate& cert) const {
  const std::string& key = cert.key().wire();
  if (explicit_keys_.contains(key) || sha256_fingerprints_.contains(crypto::Sha256String(key))) {
    return true;
  }
  if (!sha1_fingerprints_.empty()) {
    // SHA-1 only to match what a foreign KRL may list; not used for anything else.
    unsigned char digest[20];
    EVP_Digest(key.data(), key.size(), digest, nullptr, EVP_sha1(), nullptr);
    if (sha1_fingerprints_.contains(std::string(reinterpret_cast<char*>(digest), 20))) {
      return true;
    }
  }
  for (const CaEntry* ca : {FindCa(cert.signature_key().wire()), FindCa("")}) {
    if (ca != nullptr &&
        (ca->key_ids.contains(cert.key_id()) || SerialRevokedUnder(*ca, cert.serial()))) {
      return true;
    }
  }
  return false;
}

}  // namespace jit::ssh
