#include "common/secret.h"

#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"

namespace jit {
namespace {

TEST(SecretStringTest, RevealsOnlyOnRequest) {
  SecretString s(std::string("hunter2"));
  EXPECT_EQ(s.Reveal(), "hunter2");
  EXPECT_EQ(fmt::format("password={}", s), "password=[redacted]");
}

TEST(SecretStringTest, MoveLeavesSourceEmpty) {
  SecretString a(std::string("k3y"));
  SecretString b(std::move(a));
  EXPECT_EQ(b.Reveal(), "k3y");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): wiped by design
  SecretString c;
  c = std::move(b);
  EXPECT_EQ(c.Reveal(), "k3y");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(SecretStringTest, CopyIsIndependent) {
  SecretString a(std::string("one"));
  SecretString b = a;
  a = SecretString(std::string("two"));
  EXPECT_EQ(b.Reveal(), "one");
  EXPECT_EQ(a.Reveal(), "two");
}

}  // namespace
}  // namespace jit
