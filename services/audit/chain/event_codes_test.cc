#include "services/audit/chain/event_codes.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "common/testing/runfiles.h"
#include "gtest/gtest.h"
#include "re2/re2.h"

namespace jit::audit::chain {
namespace {

TEST(EventCodesTest, CodesAndTypesAreUniqueAndWellFormed) {
  std::set<std::string_view> codes, numbers, types;
  for (const EventTypeInfo& t : EventTypes()) {
    EXPECT_TRUE(RE2::FullMatch(std::string(t.code), "J[0-9]{4}[IW]")) << t.code;
    EXPECT_TRUE(RE2::FullMatch(std::string(t.type), "[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+"))
        << t.type;
    EXPECT_TRUE(codes.insert(t.code).second) << "code twice: " << t.code;
    // The digits alone identify a code: J1000I and J1000W cannot both exist.
    EXPECT_TRUE(numbers.insert(t.code.substr(1, 4)).second) << "number twice: " << t.code;
    EXPECT_TRUE(types.insert(t.type).second) << "type twice: " << t.type;
  }
}

TEST(EventCodesTest, CodeForType) {
  EXPECT_EQ(CodeForType("auth.login"), "J1000I");
  EXPECT_EQ(CodeForType("auth.login.failed"), "J1001W");
  EXPECT_EQ(CodeForType("role.upsert"), "J2000I");
  EXPECT_EQ(CodeForType("no.such.type"), "");
}

// docs/AUDIT.md lists the same rows: "| `J1000I` | `auth.login` | auth | ... |".
TEST(EventCodesTest, DocumentationTableMatches) {
  std::ifstream in(jit::testing::RunfilePath("docs/AUDIT.md"));
  ASSERT_TRUE(in.good());
  std::map<std::string, std::string> documented;  // code -> "type service[ retired]"
  std::string line;
  const RE2 row(R"(^\| `(J[0-9]{4}[A-Z])` \| `([a-z0-9_.]+)` \| ([a-z]+) \| (retired|active) \|)");
  while (std::getline(in, line)) {
    std::string code, type, service, state;
    if (RE2::PartialMatch(line, row, &code, &type, &service, &state)) {
      EXPECT_TRUE(documented.emplace(code, type + " " + service + " " + state).second) << code;
    }
  }
  std::map<std::string, std::string> coded;
  for (const EventTypeInfo& t : EventTypes()) {
    coded.emplace(std::string(t.code), std::string(t.type) + " " + std::string(t.service) + " " +
                                           (t.retired ? "retired" : "active"));
  }
  EXPECT_EQ(documented, coded);
}

}  // namespace
}  // namespace jit::audit::chain
