#include "common/testing/reflection_client.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace jit::testing {
namespace {

// The protocol's messages are encoded and decoded by field number: libgrpc++_reflection
// registers grpc.reflection.v1alpha's descriptors but ships no headers, and a second
// definition of them would clash in any binary that links it.
//   ServerReflectionRequest.list_services = 7 (string)
//   ServerReflectionResponse.list_services_response = 6, .error_response = 7
//   ListServiceResponse.service = 1; ServiceResponse.name = 1
//   ErrorResponse.error_code = 1, .error_message = 2
constexpr char kMethod[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

absl::StatusOr<std::vector<std::string>> ParseListServices(const std::string& bytes) {
  google::protobuf::UnknownFieldSet response;
  if (!response.ParseFromString(bytes)) return absl::InternalError("reflection: bad answer");
  std::vector<std::string> names;
  bool listed = false;
  for (int i = 0; i < response.field_count(); ++i) {
    const google::protobuf::UnknownField& field = response.field(i);
    if (field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    google::protobuf::UnknownFieldSet inner;
    if (!inner.ParseFromString(field.length_delimited())) continue;
    if (field.number() == 7) {
      std::string message;
      int64_t code = 0;
      for (int j = 0; j < inner.field_count(); ++j) {
        if (inner.field(j).number() == 1 &&
            inner.field(j).type() == google::protobuf::UnknownField::TYPE_VARINT) {
          code = static_cast<int64_t>(inner.field(j).varint());
        }
        if (inner.field(j).number() == 2 &&
            inner.field(j).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
          message = inner.field(j).length_delimited();
        }
      }
      return absl::InternalError(absl::StrCat("reflection error ", code, ": ", message));
    }
    if (field.number() != 6) continue;
    listed = true;
    for (int j = 0; j < inner.field_count(); ++j) {
      if (inner.field(j).number() != 1 ||
          inner.field(j).type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
        continue;
      }
      google::protobuf::UnknownFieldSet service;
      if (!service.ParseFromString(inner.field(j).length_delimited())) continue;
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1 &&
            service.field(k).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
          names.push_back(service.field(k).length_delimited());
        }
      }
    }
  }
  if (!listed) return absl::InternalError("reflection: answer without a service list");
  return names;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, kMethod, &cq);
  void* tag = nullptr;
  bool ok = false;
  // Each step waits for its own completion; a step that fails ends the exchange, and
  // Finish reports why.
  call->StartCall(reinterpret_cast<void*>(1));
  bool open = cq.Next(&tag, &ok) && ok;
  std::string answer;
  bool answered = false;
  if (open) {
    const std::string request("\x3a\x01*", 3);  // field 7, length 1, "*"
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    open = cq.Next(&tag, &ok) && ok;
  }
  if (open) {
    grpc::ByteBuffer reply;
    call->Read(&reply, reinterpret_cast<void*>(3));
    answered = cq.Next(&tag, &ok) && ok;
    if (answered) answer = Bytes(reply);
  }
  if (open) {
    call->WritesDone(reinterpret_cast<void*>(4));
    (void)cq.Next(&tag, &ok);
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  (void)cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return FromGrpcStatus(status);
  if (!answered) return absl::InternalError("reflection: no answer");
  return ParseListServices(answer);
}

}  // namespace jit::testing
