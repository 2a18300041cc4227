// SshReader / SshWriter: the one bounds-checked way to read and write SSH wire data (RFC 4251
// §5), as OpenSSH's sshbuf; keys, certificates and KRLs go only through them.
// SshReader is a cursor over bytes it does not own: every Read* checks the length first and
// returns INVALID_ARGUMENT naming the field, leaving the cursor unmoved; ReadNested gives an
// inner parser its own reader; ExpectEnd refuses trailing bytes.
// SshWriter appends up to a hard maximum size; past it the writer is failed (status() is
// INVALID_ARGUMENT) and ignores further writes, so callers check once at the end. What a
// writer produces a reader accepts (minimal mpints). Thread-compatible.
#ifndef JIT_COMMON_SSH_WIRE_H_
#define JIT_COMMON_SSH_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jit::ssh {

// Largest buffer a writer builds by default and largest string a reader accepts by default:
// far above any key, certificate or private key file; KRL builders pass their own limit.
inline constexpr size_t kDefaultMaxWireSize = 1 << 20;

// OpenSSH refuses mpints longer than this many bytes (SSHBUF_MAX_BIGNUM, 16384 bits).
inline constexpr size_t kMaxMpintBytes = 16384 / 8;

class SshReader {
 public:
  explicit SshReader(std::string_view data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  // The bytes not read yet.
  std::string_view rest() const { return data_.substr(pos_); }
  // The bytes read so far (e.g. a certificate body up to its signature).
  std::string_view consumed() const { return data_.substr(0, pos_); }

  absl::StatusOr<uint8_t> ReadU8(std::string_view field);
  absl::StatusOr<uint32_t> ReadU32(std::string_view field);
  absl::StatusOr<uint64_t> ReadU64(std::string_view field);
  // 0 or 1 only (RFC 4251 allows any non-zero as true; OpenSSH writes 0/1, and a strict
  // reader leaves no second spelling).
  absl::StatusOr<bool> ReadBool(std::string_view field);
  // A length-prefixed string of at most `max_size` bytes, as a view into the input.
  absl::StatusOr<std::string_view> ReadString(std::string_view field,
                                              size_t max_size = kDefaultMaxWireSize);
  // A string that must be text: no NUL byte (OpenSSH's sshbuf_get_cstring).
  absl::StatusOr<std::string_view> ReadCString(std::string_view field,
                                               size_t max_size = kDefaultMaxWireSize);
  // A string read as its own reader.
  absl::StatusOr<SshReader> ReadNested(std::string_view field,
                                       size_t max_size = kDefaultMaxWireSize);
  // A non-negative mpint in minimal form (no superfluous leading zero byte, no sign bit set,
  // at most kMaxMpintBytes + 1 bytes). Returns the big-endian magnitude without any leading
  // zero byte ("" for zero).
  absl::StatusOr<std::string_view> ReadPositiveMpint(std::string_view field);
  // Exactly `n` raw bytes.
  absl::StatusOr<std::string_view> ReadBytes(size_t n, std::string_view field);

  // INVALID_ARGUMENT "trailing bytes after <what>" unless everything was read.
  absl::Status ExpectEnd(std::string_view what) const;

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

class SshWriter {
 public:
  explicit SshWriter(size_t max_size = kDefaultMaxWireSize) : max_size_(max_size) {}

  // Reserves capacity (no effect on content).
  void Reserve(size_t n) { out_.reserve(n); }

  void PutU8(uint8_t v);
  void PutU32(uint32_t v);
  void PutU64(uint64_t v);
  void PutBool(bool v) { PutU8(v ? 1 : 0); }
  void PutString(std::string_view s);
  // A non-negative integer given as big-endian magnitude (leading zero bytes allowed and
  // dropped), written as a minimal mpint.
  void PutPositiveMpint(std::string_view magnitude);
  // Bytes without a length prefix.
  void PutRaw(std::string_view bytes);

  // A nested string written in place: BeginString writes a length placeholder and returns its
  // position; EndString(position) fills it in with the length of what was written since.
  size_t BeginString();
  void EndString(size_t position);

  bool ok() const { return ok_; }
  // OK, or INVALID_ARGUMENT when a write passed the maximum size.
  absl::Status status() const;
  size_t size() const { return out_.size(); }
  // The bytes written so far.
  std::string_view view() const { return out_; }
  // Moves the buffer out; the status must be checked first (a failed writer's content is
  // incomplete). The writer is empty afterwards.
  std::string Take() &&;

 private:
  bool Fits(size_t n);

  size_t max_size_;
  std::string out_;
  bool ok_ = true;
};

}  // namespace jit::ssh

#endif  // JIT_COMMON_SSH_WIRE_H_
