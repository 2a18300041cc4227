// A few DER (X.690) encoders for what common/pki writes by hand: the TBSCertificate of
// people's client certificates (OpenSSL 3.0's X509 object API costs several signatures'
// worth of CPU per certificate in encoder lookups and ASN.1 templates) and the jit-access
// extension. Everything written here is read back by OpenSSL in the tests and by the openssl
// tool, PostgreSQL and ssh-keygen-free X.509 verifiers in the interop tests. Internal to
// common/pki. Pure functions, thread-safe.
#ifndef JIT_COMMON_PKI_DER_H_
#define JIT_COMMON_PKI_DER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace jit::pki::der {

inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kUtf8String = 0x0c;
inline constexpr uint8_t kUtcTime = 0x17;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kSet = 0x31;

// tag || length || content.
void Append(std::string& out, uint8_t tag, std::string_view content);
std::string Tlv(uint8_t tag, std::string_view content);
inline std::string Sequence(std::string_view content) { return Tlv(kSequence, content); }

// INTEGER for a non-negative big-endian magnitude (leading zeros dropped, a zero byte added
// when the top bit is set).
std::string UnsignedInteger(std::string_view magnitude);
// OBJECT IDENTIFIER for an OpenSSL NID (empty for an unknown NID) or dotted text.
std::string Oid(int nid);
std::string OidFromText(const char* dotted);
// BIT STRING with no unused bits.
std::string BitString(std::string_view bytes);
// RFC 5280 §4.1.2.5: UTCTime for 1950-2049, GeneralizedTime otherwise, seconds, "Z".
std::string Time(absl::Time t);

// Strict UTF-8: no overlong forms, surrogates or code points above U+10FFFF.
bool IsValidUtf8(std::string_view s);

}  // namespace jit::pki::der

#endif  // JIT_COMMON_PKI_DER_H_
