#include "services/audit/chain/canonical.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/crypto/digest.h"
#include "google/protobuf/struct.pb.h"

namespace jit::audit::chain {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using jit::common::v1::AuditEvent;

void PutU32(uint32_t v, std::string* out) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}

void PutU64(uint64_t v, std::string* out) {
  PutU32(static_cast<uint32_t>(v >> 32), out);
  PutU32(static_cast<uint32_t>(v), out);
}

void PutI64(int64_t v, std::string* out) { PutU64(static_cast<uint64_t>(v), out); }

void PutString(std::string_view s, std::string* out) {
  PutU32(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}

void PutValue(const Value& v, std::string* out);

void PutStruct(const Struct& s, std::string* out) {
  out->push_back('o');
  PutU32(static_cast<uint32_t>(s.fields_size()), out);
  // Map order is unspecified: sort the keys by their bytes.
  std::vector<const std::string*> keys;
  keys.reserve(s.fields_size());
  for (const auto& [key, value] : s.fields()) keys.push_back(&key);
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* key : keys) {
    PutString(*key, out);
    PutValue(s.fields().at(*key), out);
  }
}

void PutList(const ListValue& l, std::string* out) {
  out->push_back('l');
  PutU32(static_cast<uint32_t>(l.values_size()), out);
  for (const Value& v : l.values()) PutValue(v, out);
}

void PutValue(const Value& v, std::string* out) {
  switch (v.kind_case()) {
    case Value::kNumberValue: {
      double d = v.number_value();
      if (d == 0) d = 0;  // -0 encodes as +0 (JSON and PostgreSQL's numeric keep no sign)
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof(bits));
      out->push_back('d');
      PutU64(bits, out);
      return;
    }
    case Value::kStringValue:
      out->push_back('s');
      PutString(v.string_value(), out);
      return;
    case Value::kBoolValue:
      out->push_back(v.bool_value() ? 't' : 'f');
      return;
    case Value::kStructValue:
      PutStruct(v.struct_value(), out);
      return;
    case Value::kListValue:
      PutList(v.list_value(), out);
      return;
    case Value::kNullValue:
    case Value::KIND_NOT_SET:
      out->push_back('n');
      return;
  }
  out->push_back('n');
}

}  // namespace

const std::string& GenesisHash() {
  static const std::string* const genesis = new std::string(kHashSize, '\0');
  return *genesis;
}

int64_t TimestampMicros(const google::protobuf::Timestamp& t) {
  // Unsigned arithmetic: a hostile Timestamp wraps instead of overflowing (validation keeps
  // stored times in range).
  return static_cast<int64_t>(static_cast<uint64_t>(t.seconds()) * 1'000'000u +
                              static_cast<uint64_t>(static_cast<int64_t>(t.nanos()) / 1000));
}

void AppendCanonicalEvent(const AuditEvent& e, std::string* out) {
  AppendCanonicalEvent(e, e.sequence(), out);
}

void AppendCanonicalEvent(const AuditEvent& e, int64_t sequence, std::string* out) {
  PutString(kEventEncodingTag, out);
  PutI64(sequence, out);
  PutString(e.id(), out);
  PutString(e.code(), out);
  PutString(e.type(), out);
  PutI64(TimestampMicros(e.time()), out);
  PutString(e.service(), out);
  PutString(e.replica(), out);
  PutString(e.actor(), out);
  PutString(e.target(), out);
  PutU32(static_cast<uint32_t>(e.outcome()), out);
  PutString(e.message(), out);
  PutStruct(e.details(), out);
  PutString(e.request_id(), out);
  PutString(e.session_id(), out);
  PutString(e.remote_addr(), out);
  PutI64(TimestampMicros(e.ingest_time()), out);
}

std::string CanonicalEvent(const AuditEvent& event) {
  std::string out;
  AppendCanonicalEvent(event, &out);
  return out;
}

std::string ChainHash(std::string_view prev_hash, const AuditEvent& event, std::string* scratch) {
  return ChainHash(prev_hash, event, event.sequence(), scratch);
}

std::string ChainHash(std::string_view prev_hash, const AuditEvent& event, int64_t sequence,
                      std::string* scratch) {
  std::string local;
  std::string& buffer = scratch != nullptr ? *scratch : local;
  buffer.assign(prev_hash);
  AppendCanonicalEvent(event, sequence, &buffer);
  return crypto::Sha256String(buffer);
}

std::string CheckpointMessage(int64_t sequence, std::string_view hash, absl::Time signed_at) {
  std::string out;
  PutString(kCheckpointEncodingTag, &out);
  PutI64(sequence, &out);
  PutString(hash, &out);
  PutI64(absl::ToUnixMicros(signed_at), &out);
  return out;
}

}  // namespace jit::audit::chain
