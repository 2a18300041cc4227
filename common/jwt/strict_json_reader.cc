#include "common/jwt/strict_json_reader.h"

#include <algorithm>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/container/inlined_vector.h"

namespace jit::jwt {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

using MemberFn = absl::FunctionRef<absl::Status(std::string_view, element)>;

constexpr size_t kReusedCapacity = 4096;
constexpr const char* kDuplicate = "duplicate member name";
constexpr const char* kTooDeep = "nested too deeply";

struct Walk {
  int max_depth;
  const char* defect = nullptr;  // set on the first violation

  bool Fail(const char* what) {
    defect = what;
    return false;
  }

  // `value` sits inside `depth` open containers.
  bool Value(element value, int depth) {
    object o;
    if (value.get_object().get(o) == simdjson::SUCCESS) return Object(o, depth + 1, nullptr);
    array a;
    if (value.get_array().get(a) == simdjson::SUCCESS) {
      if (depth + 1 > max_depth) return Fail(kTooDeep);
      for (element item : a) {
        if (!Value(item, depth + 1)) return false;
      }
    }
    return true;
  }

  // `o` is the container at `depth`. With `member` (the top level), each member is handed to
  // it once its name and value were checked; a non-OK status from it lands in `*status`.
  bool Object(object o, int depth, const MemberFn* member, absl::Status* status = nullptr) {
    if (depth > max_depth) return Fail(kTooDeep);
    absl::InlinedVector<std::string_view, 16> names;
    for (simdjson::dom::key_value_pair m : o) {
      if (std::find(names.begin(), names.end(), m.key) != names.end()) return Fail(kDuplicate);
      names.push_back(m.key);
      if (!Value(m.value, depth)) return false;
      if (member != nullptr) {
        *status = (*member)(m.key, m.value);
        if (!status->ok()) return false;
      }
    }
    return true;
  }
};

}  // namespace

absl::Status ReadStrictJsonObject(std::string_view text, std::string_view what,
                                  const StrictJsonLimits& limits, MemberFn member) {
  const auto invalid = [&](const char* defect) {
    return absl::InvalidArgumentError(std::string(what) + ": " + defect);
  };
  if (text.size() > limits.max_bytes) return invalid("too large");
  if (limits.max_depth < 1) return invalid(kTooDeep);
  // simdjson's allocations cost about as much as parsing a token's claims, so texts of up to
  // kReusedCapacity bytes (every token header and claims seen in practice) go to a parser
  // kept per thread (unless a `member` of this thread reads JSON too); larger ones get their
  // own, so no thread keeps more than ~64 KB.
  thread_local simdjson::dom::parser reused;
  thread_local bool reused_busy = false;
  simdjson::dom::parser own;
  const bool reuse = text.size() <= kReusedCapacity && !reused_busy;
  simdjson::dom::parser& parser = reuse ? reused : own;
  const absl::Cleanup release = [reuse] {
    if (reuse) reused_busy = false;
  };
  if (reuse) reused_busy = true;
  // One level more than allowed: simdjson counts an innermost scalar as a level; the walk
  // below applies the exact bound. The parser's own bound keeps the walk's recursion bounded.
  const size_t max_depth = static_cast<size_t>(limits.max_depth) + 1;
  if (parser.capacity() < text.size() || parser.max_depth() != max_depth) {
    const size_t capacity = reuse ? kReusedCapacity : text.size();
    if (parser.allocate(std::max(capacity, simdjson::dom::MINIMAL_DOCUMENT_CAPACITY), max_depth) !=
        simdjson::SUCCESS) {
      return invalid("too large");
    }
  }
  element root;
  // realloc_if_needed: simdjson reads up to SIMDJSON_PADDING bytes past the end, so it parses
  // a padded copy of `text`.
  switch (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root)) {
    case simdjson::SUCCESS:
      break;
    case simdjson::DEPTH_ERROR:
      return invalid(kTooDeep);
    default:
      return invalid("malformed JSON");
  }
  object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) return invalid("not a JSON object");
  Walk walk{limits.max_depth};
  absl::Status status;
  if (!walk.Object(top, 1, &member, &status)) {
    return walk.defect != nullptr ? invalid(walk.defect) : status;
  }
  return absl::OkStatus();
}

}  // namespace jit::jwt
