// SecretString holds bytes that must never be printed or left in memory: passwords, private
// keys, client secrets, key-encryption keys. It wipes itself on destruction and has no
// operator<<; formatting it (fmt/spdlog) prints "[redacted]".
#ifndef JIT_COMMON_SECRET_H_
#define JIT_COMMON_SECRET_H_

#include <string>
#include <string_view>
#include <utility>

#include "fmt/format.h"

namespace jit {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  explicit SecretString(std::string_view value) : value_(value) {}
  SecretString(const SecretString& other) : value_(other.value_) {}
  SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) {
    other.Wipe();
  }
  SecretString& operator=(const SecretString& other) {
    if (this != &other) {
      Wipe();
      value_ = other.value_;
    }
    return *this;
  }
  SecretString& operator=(SecretString&& other) noexcept {
    if (this != &other) {
      Wipe();
      value_ = std::move(other.value_);
      other.Wipe();
    }
    return *this;
  }
  ~SecretString() { Wipe(); }

  // The secret bytes. Pass them straight to the API that needs them; never log them.
  std::string_view Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }

 private:
  void Wipe() noexcept;

  std::string value_;
};

}  // namespace jit

template <>
struct fmt::formatter<jit::SecretString> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const jit::SecretString&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format("[redacted]", ctx);
  }
};

#endif  // JIT_COMMON_SECRET_H_
