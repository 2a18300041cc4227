#include "services/audit/chain/details_json.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::audit::chain {
namespace {

using google::protobuf::Struct;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;

TEST(DetailsJsonTest, WritesSortedKeysAndEveryKind) {
  Struct s;
  auto& f = *s.mutable_fields();
  f["z"].set_string_value("x\"y\\\n\x01");
  f["a"].set_number_value(0.1);
  f["m"].mutable_list_value()->add_values()->set_bool_value(true);
  f["n"].set_null_value(google::protobuf::NULL_VALUE);
  (*f["o"].mutable_struct_value()->mutable_fields())["k"].set_number_value(-0.0);
  EXPECT_EQ(DetailsToJson(s), R"({"a":0.1,"m":[true],"n":null,"o":{"k":0},"z":"x\"y\\\n\u0001"})");
}

TEST(DetailsJsonTest, NumbersUseTheShortestRoundTripForm) {
  std::string out;
  AppendJsonNumber(1, &out);
  out += ' ';
  AppendJsonNumber(1e300, &out);
  out += ' ';
  AppendJsonNumber(5e-324, &out);
  out += ' ';
  AppendJsonNumber(123456789012345680.0, &out);
  EXPECT_EQ(out, "1 1e+300 5e-324 123456789012345680");
}

TEST(DetailsJsonTest, ReadsBackWhatItWrote) {
  Struct s;
  auto& f = *s.mutable_fields();
  f["text"].set_string_value("caf\xc3\xa9 \xe2\x82\xac");
  f["list"].mutable_list_value()->add_values()->set_number_value(2.5);
  (*f["nested"].mutable_struct_value()->mutable_fields())["deep"].set_bool_value(false);
  ASSERT_OK_AND_ASSIGN(Struct back, DetailsFromJson(DetailsToJson(s)));
  EXPECT_EQ(back.DebugString(), s.DebugString());
}

// PostgreSQL's jsonb prints numbers in its own form ("100000000000000000000" for 1e+20,
// "0.00000015" for 1.5e-07); reading them gives the same double.
TEST(DetailsJsonTest, ReadsPostgresNumberFormsAsTheSameDouble) {
  ASSERT_OK_AND_ASSIGN(Struct s, DetailsFromJson(R"({"a": 100000000000000000000, "b": 0.00000015,)"
                                                 R"( "c": 1.50, "d": 18446744073709551616})"));
  EXPECT_EQ(s.fields().at("a").number_value(), 1e20);
  EXPECT_EQ(s.fields().at("b").number_value(), 1.5e-7);
  EXPECT_EQ(s.fields().at("c").number_value(), 1.5);
  EXPECT_EQ(s.fields().at("d").number_value(), 18446744073709551616.0);
}

TEST(DetailsJsonTest, RandomDoublesRoundTrip) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (!std::isfinite(d)) continue;
    Struct s;
    (*s.mutable_fields())["x"].set_number_value(d);
    auto back = DetailsFromJson(DetailsToJson(s));
    ASSERT_THAT(back, IsOk());
    ASSERT_EQ(back->fields().at("x").number_value(), d == 0 ? 0.0 : d) << DetailsToJson(s);
  }
}

TEST(DetailsJsonTest, RefusesWhatIsNotAnObject) {
  EXPECT_THAT(DetailsFromJson("[1]"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DetailsFromJson("{"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace jit::audit::chain
