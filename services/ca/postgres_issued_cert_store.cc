#include "services/ca/postgres_issued_cert_store.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/audit/postgres_audit_outbox.h"
#include "common/db/pg_transaction.h"
#include "common/db/pg_values.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "pqxx/pqxx"
#include "services/ca/service_name.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::IssuedCertificate;

constexpr char kSeparator[] = "\x1f";

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return absl::StrJoin(values, kSeparator);
}

void SplitInto(const pqxx::field& field, google::protobuf::RepeatedPtrField<std::string>* out) {
  const std::string text = field.as<std::string>();
  if (text.empty()) return;
  for (absl::string_view part : absl::StrSplit(text, kSeparator)) out->Add(std::string(part));
}

}  // namespace

absl::Status PostgresIssuedCertStore::Record(const IssuedCertificate& cert, absl::Time issue_time,
                                             const jit::common::v1::AuditEvent& event) {
  ASSIGN_OR_RETURN(CaKind kind, CaKindOf(cert.kind()));
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    txn.exec_params(
        "INSERT INTO ca.issued_certs (kind, serial, ca_key_id, key_id, principals, user_name, "
        "grant_ids, public_key_fingerprint, valid_after, valid_before, issue_time, certificate) "
        "VALUES ($1, $2, $3, $4, string_to_array($5, E'\\x1f'), $6, "
        "string_to_array($7, E'\\x1f'), $8, $9::timestamptz, $10::timestamptz, "
        "$11::timestamptz, $12)",
        std::string(CaKindName(kind)), cert.serial(), cert.ca_key_id(), cert.key_id(),
        Joined(cert.principals()), cert.user(), Joined(cert.grant_ids()),
        cert.public_key_fingerprint(), db::Timestamptz(FromProtoTimestamp(cert.valid_after())),
        db::Timestamptz(FromProtoTimestamp(cert.valid_before())), db::Timestamptz(issue_time),
        cert.certificate());
    audit::InsertOutboxEvent(txn, kCaService, event);
    return absl::OkStatus();
  });
}

absl::Status PostgresIssuedCertStore::RecordRefusal(const jit::common::v1::AuditEvent& event) {
  return db::RunInTransaction(*pool_, [&](pqxx::transaction_base& txn) -> absl::Status {
    audit::InsertOutboxEvent(txn, kCaService, event);
    return absl::OkStatus();
  });
}

absl::StatusOr<IssuedCertPage> PostgresIssuedCertStore::List(const IssuedCertFilter& filter,
                                                             int page_size,
                                                             std::string_view page_token) {
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: must be 1..", kMaxPageSize));
  }
  int64_t before = std::numeric_limits<int64_t>::max();
  if (!page_token.empty() &&
      (!absl::SimpleAtoi(absl::string_view(page_token.data(), page_token.size()), &before) ||
       before < 1)) {
    return absl::InvalidArgumentError("page_token: not a token this service handed out");
  }
  const std::string kind = filter.kind.has_value() ? std::string(CaKindName(*filter.kind)) : "";
  const bool at = filter.valid_at.has_value();
  const std::string valid_at = db::Timestamptz(at ? *filter.valid_at : absl::UnixEpoch());
  IssuedCertPage page;
  RETURN_IF_ERROR(db::RunInTransaction(
      *pool_, {.read_only = true}, [&](pqxx::transaction_base& txn) -> absl::Status {
        page = IssuedCertPage();
        pqxx::result r = txn.exec_params(
            absl::StrCat("SELECT seq, kind, serial, ca_key_id, key_id, "
                         "array_to_string(principals, E'\\x1f'), user_name, "
                         "array_to_string(grant_ids, E'\\x1f'), public_key_fingerprint, ",
                         db::MicrosOf("valid_after"), ", ", db::MicrosOf("valid_before"),
                         ", certificate, ", db::MicrosOf("revoke_time"),
                         ", coalesce(revoke_reason, '') FROM ca.issued_certs WHERE seq < $1 "
                         "AND ($2 = '' OR user_name = $2) AND ($3 = '' OR grant_ids @> ARRAY[$3]) "
                         "AND ($4 = '' OR kind = $4) AND (NOT $5::boolean OR (valid_after <= "
                         "$6::timestamptz "
                         "AND valid_before > $6::timestamptz)) ORDER BY seq DESC LIMIT $7"),
            before, filter.user, filter.grant_id, kind, at, valid_at, page_size + 1);
        for (const pqxx::row& row : r) {
          if (static_cast<int>(page.certs.size()) == page_size) {
            page.next_page_token = absl::StrCat(before);
            break;
          }
          before = row[0].as<int64_t>();
          IssuedCertificate& cert = page.certs.emplace_back();
          ASSIGN_OR_RETURN(CaKind k, ParseCaKind(row[1].as<std::string>()));
          cert.set_kind(CertificateKindOf(k));
          cert.set_serial(row[2].as<std::string>());
          cert.set_ca_key_id(row[3].as<std::string>());
          cert.set_key_id(row[4].as<std::string>());
          SplitInto(row[5], cert.mutable_principals());
          cert.set_user(row[6].as<std::string>());
          SplitInto(row[7], cert.mutable_grant_ids());
          cert.set_public_key_fingerprint(row[8].as<std::string>());
          SetProtoTimestamp(db::TimeFromMicros(row[9]), cert.mutable_valid_after());
          SetProtoTimestamp(db::TimeFromMicros(row[10]), cert.mutable_valid_before());
          cert.set_certificate(row[11].as<std::string>());
          if (!row[12].is_null()) {
            SetProtoTimestamp(db::TimeFromMicros(row[12]), cert.mutable_revoke_time());
          }
          cert.set_revoke_reason(row[13].as<std::string>());
        }
        return absl::OkStatus();
      }));
  return page;
}

}  // namespace jit::ca
