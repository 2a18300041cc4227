// The shape of a schema's audit_outbox table, for tests that check a service's migrations
// created exactly the kit's table (common/audit/audit_outbox.sql): columns with type,
// nullability and default, and index definitions, with the schema name left out.
//
//   EXPECT_EQ(DescribeOutboxTable(txn, "policy"), KitOutboxTable(conninfo));
//
// May throw libpqxx exceptions (a test lets them fail it). Testonly.
#ifndef JIT_COMMON_AUDIT_TESTING_OUTBOX_TABLE_H_
#define JIT_COMMON_AUDIT_TESTING_OUTBOX_TABLE_H_

#include <string>
#include <string_view>

#include "pqxx/transaction_base"

namespace jit::audit::testing {

// One line per column and per index; "" when the schema has no audit_outbox.
std::string DescribeOutboxTable(pqxx::transaction_base& txn, std::string_view schema);

// The shape the kit's migration gives: applied to a scratch schema of the database at
// `conninfo` (created and dropped here).
std::string KitOutboxTable(const std::string& conninfo);

}  // namespace jit::audit::testing

#endif  // JIT_COMMON_AUDIT_TESTING_OUTBOX_TABLE_H_
