// Values written and read back through a real PostgreSQL (JIT_TEST_PG_URL).
#include "common/db/pg_values.h"

#include "absl/strings/str_cat.h"
#include "common/db/testing/test_database.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"
#include "pqxx/nontransaction"

namespace jit::db {
namespace {

class PgValuesTest : public testing::PostgresTest {
 protected:
  // `t` written as a timestamptz parameter and read back through MicrosOf.
  absl::Time RoundTrip(absl::Time t) {
    pqxx::connection connection(db().conninfo());
    pqxx::nontransaction txn(connection);
    return TimeFromMicros(txn.exec_params(absl::StrCat("SELECT ", MicrosOf("$1::timestamptz")),
                                          Timestamptz(t))[0][0]);
  }
};

TEST_F(PgValuesTest, TimesRoundTripAtMicrosecondsAfterAndBefore1970) {
  for (absl::Time t :
       {absl::FromUnixNanos(1'800'000'000'123'456'789), absl::FromUnixNanos(-1'234'567'891),
        absl::UnixEpoch(),
        absl::FromCivil(absl::CivilSecond(1900, 2, 28, 23, 59, 59), absl::UTCTimeZone()) +
            absl::Microseconds(7)}) {
    EXPECT_EQ(RoundTrip(t), TruncateToMicros(t)) << t;
  }
}

TEST_F(PgValuesTest, InfiniteTimesAreInfinityInSql) {
  pqxx::connection connection(db().conninfo());
  pqxx::nontransaction txn(connection);
  EXPECT_EQ(txn.exec_params("SELECT $1::timestamptz = 'infinity'::timestamptz",
                            Timestamptz(absl::InfiniteFuture()))[0][0]
                .as<bool>(),
            true);
  EXPECT_EQ(txn.exec_params("SELECT $1::timestamptz = '-infinity'::timestamptz",
                            Timestamptz(absl::InfinitePast()))[0][0]
                .as<bool>(),
            true);
}

TEST_F(PgValuesTest, ByteaKeepsEveryByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  pqxx::connection connection(db().conninfo());
  pqxx::nontransaction txn(connection);
  EXPECT_EQ(BytesOf(txn.exec_params("SELECT $1::bytea", Bytea(bytes))[0][0]), bytes);
}

}  // namespace
}  // namespace jit::db
