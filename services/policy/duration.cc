#include "services/policy/duration.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jit::policy {
namespace {

absl::Status BadDuration(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid duration \"", text, "\": ", why,
                   " (write a number and a unit: h, m, s or ms, e.g. \"1h30m\", \"90s\")"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseRoleDuration(absl::string_view text) {
  if (text.empty()) return BadDuration(text, "empty");
  if (text == "0") return absl::ZeroDuration();
  // Accept exactly: (digits[.digits] unit)+ with unit in {h, m, s, ms}.
  size_t i = 0;
  absl::Duration total = absl::ZeroDuration();
  while (i < text.size()) {
    const size_t number_start = i;
    while (i < text.size() && absl::ascii_isdigit(text[i])) ++i;
    size_t int_digits = i - number_start;
    size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      const size_t frac_start = i;
      while (i < text.size() && absl::ascii_isdigit(text[i])) ++i;
      frac_digits = i - frac_start;
    }
    if (int_digits + frac_digits == 0) {
      return BadDuration(text, text[number_start] == '-' ? "negative" : "expected a number");
    }
    if (int_digits > 12 || frac_digits > 9) return BadDuration(text, "number too long");
    const absl::string_view number = text.substr(number_start, i - number_start);
    const size_t unit_start = i;
    while (i < text.size() && absl::ascii_isalpha(text[i])) ++i;
    const absl::string_view unit = text.substr(unit_start, i - unit_start);
    absl::Duration unit_duration;
    if (unit == "h") {
      unit_duration = absl::Hours(1);
    } else if (unit == "m") {
      unit_duration = absl::Minutes(1);
    } else if (unit == "s") {
      unit_duration = absl::Seconds(1);
    } else if (unit == "ms") {
      unit_duration = absl::Milliseconds(1);
    } else if (unit.empty()) {
      return BadDuration(text, "missing unit");
    } else {
      return BadDuration(text, absl::StrCat("unknown unit \"", unit, "\""));
    }
    // number = int_part[.frac_part]; compute exactly in integer nanoseconds of the unit.
    const absl::string_view int_part = number.substr(0, int_digits);
    int64_t int_value = 0;
    for (char c : int_part) int_value = int_value * 10 + (c - '0');
    total += unit_duration * int_value;
    if (frac_digits > 0) {
      const absl::string_view frac_part = number.substr(int_digits + 1);
      int64_t frac_value = 0;
      int64_t scale = 1;
      for (char c : frac_part) {
        frac_value = frac_value * 10 + (c - '0');
        scale *= 10;
      }
      total += unit_duration * frac_value / scale;
    }
    if (total > kMaxRoleDuration) {
      return BadDuration(
          text, absl::StrCat("longer than the maximum of ", FormatRoleDuration(kMaxRoleDuration)));
    }
  }
  return total;
}

std::string FormatRoleDuration(absl::Duration d) {
  if (d == absl::ZeroDuration()) return "0s";
  std::string out;
  if (d < absl::ZeroDuration()) {
    out = "-";
    d = -d;
  }
  const int64_t hours = absl::IDivDuration(d, absl::Hours(1), &d);
  const int64_t minutes = absl::IDivDuration(d, absl::Minutes(1), &d);
  if (hours > 0) absl::StrAppend(&out, hours, "h");
  if (minutes > 0) absl::StrAppend(&out, minutes, "m");
  if (d > absl::ZeroDuration()) {
    absl::StrAppend(&out, absl::FormatDuration(d));  // "30s", "1.5s", "250ms"
  }
  return out;
}

absl::StatusOr<absl::Duration> FromProtoDuration(const google::protobuf::Duration& proto) {
  const int64_t seconds = proto.seconds();
  const int32_t nanos = proto.nanos();
  if (nanos <= -1'000'000'000 || nanos >= 1'000'000'000 || (seconds > 0 && nanos < 0) ||
      (seconds < 0 && nanos > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed duration: seconds=", seconds, " nanos=", nanos));
  }
  if (seconds < 0 || nanos < 0) {
    return absl::InvalidArgumentError("duration must not be negative");
  }
  if (seconds > absl::ToInt64Seconds(kMaxRoleDuration)) {
    return absl::InvalidArgumentError(absl::StrCat("duration ", seconds,
                                                   "s is longer than the maximum of ",
                                                   FormatRoleDuration(kMaxRoleDuration)));
  }
  return absl::Seconds(seconds) + absl::Nanoseconds(nanos);
}

void ToProtoDuration(absl::Duration d, google::protobuf::Duration* proto) {
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  proto->set_seconds(seconds);
  proto->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
}

}  // namespace jit::policy
