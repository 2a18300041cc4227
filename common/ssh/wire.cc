#include "common/ssh/wire.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/absl_string_view.h"

namespace jit::ssh {
namespace {

absl::Status Truncated(std::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("truncated ", AsAbsl(field)));
}

uint64_t LoadBigEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

absl::StatusOr<uint8_t> SshReader::ReadU8(std::string_view field) {
  if (remaining() < 1) return Truncated(field);
  return static_cast<uint8_t>(data_[pos_++]);
}

absl::StatusOr<uint32_t> SshReader::ReadU32(std::string_view field) {
  if (remaining() < 4) return Truncated(field);
  const uint32_t v = static_cast<uint32_t>(LoadBigEndian(data_.data() + pos_, 4));
  pos_ += 4;
  return v;
}

absl::StatusOr<uint64_t> SshReader::ReadU64(std::string_view field) {
  if (remaining() < 8) return Truncated(field);
  const uint64_t v = LoadBigEndian(data_.data() + pos_, 8);
  pos_ += 8;
  return v;
}

absl::StatusOr<bool> SshReader::ReadBool(std::string_view field) {
  if (remaining() < 1) return Truncated(field);
  const uint8_t v = static_cast<uint8_t>(data_[pos_]);
  if (v > 1)
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": boolean is not 0 or 1"));
  ++pos_;
  return v == 1;
}

absl::StatusOr<std::string_view> SshReader::ReadString(std::string_view field, size_t max_size) {
  if (remaining() < 4) return Truncated(field);
  const uint64_t len = LoadBigEndian(data_.data() + pos_, 4);
  if (len > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), ": ", len, " bytes is longer than the limit of ", max_size));
  }
  if (remaining() - 4 < len) return Truncated(field);
  std::string_view s = data_.substr(pos_ + 4, static_cast<size_t>(len));
  pos_ += 4 + static_cast<size_t>(len);
  return s;
}

absl::StatusOr<std::string_view> SshReader::ReadCString(std::string_view field, size_t max_size) {
  const size_t start = pos_;
  absl::StatusOr<std::string_view> s = ReadString(field, max_size);
  if (!s.ok()) return s.status();
  if (s->find('\0') != std::string_view::npos) {
    pos_ = start;
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": contains a NUL byte"));
  }
  return s;
}

absl::StatusOr<SshReader> SshReader::ReadNested(std::string_view field, size_t max_size) {
  absl::StatusOr<std::string_view> s = ReadString(field, max_size);
  if (!s.ok()) return s.status();
  return SshReader(*s);
}

absl::StatusOr<std::string_view> SshReader::ReadPositiveMpint(std::string_view field) {
  const size_t start = pos_;
  absl::StatusOr<std::string_view> s = ReadString(field, kMaxMpintBytes + 1);
  if (!s.ok()) return s.status();
  auto fail = [&](std::string_view why) {
    pos_ = start;
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": ", AsAbsl(why)));
  };
  if (s->empty()) return *s;
  const uint8_t first = static_cast<uint8_t>((*s)[0]);
  if (first & 0x80) return fail("negative mpint");
  if (first == 0) {
    if (s->size() == 1 || (static_cast<uint8_t>((*s)[1]) & 0x80) == 0) {
      return fail("mpint has a superfluous leading zero byte");
    }
    s->remove_prefix(1);
  }
  if (s->size() > kMaxMpintBytes) return fail("mpint is too large");
  return *s;
}

absl::StatusOr<std::string_view> SshReader::ReadBytes(size_t n, std::string_view field) {
  if (remaining() < n) return Truncated(field);
  std::string_view s = data_.substr(pos_, n);
  pos_ += n;
  return s;
}

absl::Status SshReader::ExpectEnd(std::string_view what) const {
  if (!empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(remaining(), " trailing bytes after ", AsAbsl(what)));
  }
  return absl::OkStatus();
}

bool SshWriter::Fits(size_t n) {
  if (!ok_) return false;
  if (n > max_size_ || out_.size() > max_size_ - n) {
    ok_ = false;
    return false;
  }
  return true;
}

void SshWriter::PutU8(uint8_t v) {
  if (Fits(1)) out_.push_back(static_cast<char>(v));
}

void SshWriter::PutU32(uint32_t v) {
  if (!Fits(4)) return;
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out_.append(b, 4);
}

void SshWriter::PutU64(uint64_t v) {
  if (!Fits(8)) return;
  char b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out_.append(b, 8);
}

void SshWriter::PutString(std::string_view s) {
  if (s.size() > UINT32_MAX || !Fits(4 + s.size())) {
    ok_ = false;
    return;
  }
  PutU32(static_cast<uint32_t>(s.size()));
  out_.append(s.data(), s.size());
}

void SshWriter::PutPositiveMpint(std::string_view magnitude) {
  while (!magnitude.empty() && magnitude[0] == '\0') magnitude.remove_prefix(1);
  const bool pad = !magnitude.empty() && (static_cast<uint8_t>(magnitude[0]) & 0x80) != 0;
  const size_t len = magnitude.size() + (pad ? 1 : 0);
  if (len > UINT32_MAX || !Fits(4 + len)) {
    ok_ = false;
    return;
  }
  PutU32(static_cast<uint32_t>(len));
  if (pad) out_.push_back('\0');
  out_.append(magnitude.data(), magnitude.size());
}

void SshWriter::PutRaw(std::string_view bytes) {
  if (Fits(bytes.size())) out_.append(bytes.data(), bytes.size());
}

size_t SshWriter::BeginString() {
  const size_t position = out_.size();
  PutU32(0);
  return position;
}

void SshWriter::EndString(size_t position) {
  if (!ok_) return;
  const size_t len = out_.size() - position - 4;
  if (len > UINT32_MAX) {
    ok_ = false;
    return;
  }
  out_[position] = static_cast<char>(len >> 24);
  out_[position + 1] = static_cast<char>(len >> 16);
  out_[position + 2] = static_cast<char>(len >> 8);
  out_[position + 3] = static_cast<char>(len);
}

absl::Status SshWriter::status() const {
  if (!ok_) {
    return absl::InvalidArgumentError(
        absl::StrCat("encoding exceeds the limit of ", max_size_, " bytes"));
  }
  return absl::OkStatus();
}

std::string SshWriter::Take() && {
  std::string out = std::move(out_);
  out_.clear();
  return out;
}

}  // namespace jit::ssh
