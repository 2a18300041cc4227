#include "common/ssh/wire.h"

#include <string>

#include "common/status_matchers.h"
#include "gtest/gtest.h"

namespace jit::ssh {
namespace {

using ::jit::testing::IsOkAndHolds;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SshWireTest, WhatTheWriterWritesTheReaderReads) {
  SshWriter w;
  w.PutU8(7);
  w.PutU32(0xdeadbeef);
  w.PutU64(0x0102030405060708ULL);
  w.PutBool(true);
  w.PutString("hello");
  w.PutPositiveMpint(std::string("\x00\x80\x01", 3));
  const size_t nested = w.BeginString();
  w.PutString("inner");
  w.EndString(nested);
  ASSERT_OK(w.status());
  const std::string bytes = std::move(w).Take();

  SshReader r(bytes);
  EXPECT_THAT(r.ReadU8("a"), IsOkAndHolds(7));
  EXPECT_THAT(r.ReadU32("b"), IsOkAndHolds(0xdeadbeefu));
  EXPECT_THAT(r.ReadU64("c"), IsOkAndHolds(0x0102030405060708ULL));
  EXPECT_THAT(r.ReadBool("d"), IsOkAndHolds(true));
  EXPECT_THAT(r.ReadString("e"), IsOkAndHolds(std::string_view("hello")));
  EXPECT_THAT(r.ReadPositiveMpint("f"), IsOkAndHolds(std::string_view("\x80\x01", 2)));
  ASSERT_OK_AND_ASSIGN(SshReader inner, r.ReadNested("g"));
  EXPECT_THAT(inner.ReadString("h"), IsOkAndHolds(std::string_view("inner")));
  EXPECT_OK(inner.ExpectEnd("inner"));
  EXPECT_OK(r.ExpectEnd("all"));
}

TEST(SshWireTest, MpintWithTopBitGetsOneLeadingZero) {
  SshWriter w;
  w.PutPositiveMpint("\x80");
  EXPECT_EQ(w.view(), std::string_view("\0\0\0\x02\0\x80", 6));
}

TEST(SshWireTest, ZeroMpintIsEmpty) {
  SshWriter w;
  w.PutPositiveMpint(std::string("\0\0", 2));
  EXPECT_EQ(w.view(), std::string_view("\0\0\0\0", 4));
  SshReader r(w.view());
  EXPECT_THAT(r.ReadPositiveMpint("zero"), IsOkAndHolds(std::string_view()));
}

TEST(SshWireTest, ReadingPastTheEndIsTruncatedAndDoesNotMove) {
  const std::string bytes("\0\0\0", 3);
  SshReader r(bytes);
  EXPECT_THAT(r.ReadU32("serial"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated serial")));
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_THAT(r.ReadU64("x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r.ReadBytes(4, "x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SshWireTest, StringLengthPastTheEndIsTruncated) {
  const std::string bytes(
      "\0\0\0\x10"
      "abc",
      7);
  SshReader r(bytes);
  EXPECT_THAT(r.ReadString("key id"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated key id")));
  EXPECT_EQ(r.remaining(), 7u);
}

TEST(SshWireTest, HugeStringLengthIsRefusedByTheLimit) {
  const std::string bytes("\xff\xff\xff\xff", 4);
  SshReader r(bytes);
  EXPECT_THAT(r.ReadString("blob", 100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit of 100")));
}

TEST(SshWireTest, BooleanOtherThanZeroOrOneIsRefused) {
  SshReader r(std::string_view("\x02", 1));
  EXPECT_THAT(r.ReadBool("critical"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SshWireTest, CStringWithNulIsRefused) {
  const std::string bytes(
      "\0\0\0\x03"
      "a\0b",
      7);
  SshReader r(bytes);
  EXPECT_THAT(r.ReadCString("name"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NUL")));
  EXPECT_EQ(r.remaining(), 7u);
}

TEST(SshWireTest, NegativeMpintIsRefused) {
  SshReader r(std::string_view("\0\0\0\x01\x80", 5));
  EXPECT_THAT(r.ReadPositiveMpint("e"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
}

TEST(SshWireTest, MpintWithSuperfluousZeroIsRefused) {
  SshReader r1(std::string_view("\0\0\0\x02\0\x7f", 6));
  EXPECT_THAT(r1.ReadPositiveMpint("n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leading zero")));
  SshReader r2(std::string_view("\0\0\0\x01\0", 5));
  EXPECT_THAT(r2.ReadPositiveMpint("n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SshWireTest, MpintLargerThanOpenSshReadsIsRefused) {
  SshWriter w;
  w.PutPositiveMpint(std::string(kMaxMpintBytes + 1, '\x01'));
  SshReader r(w.view());
  EXPECT_THAT(r.ReadPositiveMpint("n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SshWireTest, NestedReaderCannotSeeOuterBytes) {
  SshWriter w;
  w.PutString(
      std::string("\0\0\0\x08"
                  "ab",
                  6));  // inner claims 8 bytes, has 2
  w.PutString("outer bytes that must stay invisible");
  SshReader r(w.view());
  ASSERT_OK_AND_ASSIGN(SshReader inner, r.ReadNested("section"));
  EXPECT_THAT(inner.ReadString("field"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SshWireTest, TrailingBytesAreReported) {
  SshReader r(std::string_view("\x01\x02", 2));
  ASSERT_OK(r.ReadU8("x").status());
  EXPECT_THAT(r.ExpectEnd("the key"), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("1 trailing bytes after the key")));
}

TEST(SshWireTest, WriterPastItsLimitFailsAndStaysFailed) {
  SshWriter w(10);
  w.PutU64(1);
  EXPECT_OK(w.status());
  w.PutString("toolong");
  EXPECT_THAT(w.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  w.PutU8(1);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 8u);
}

TEST(SshWireTest, ConsumedIsWhatWasRead) {
  SshWriter w;
  w.PutString("body");
  w.PutString("signature");
  SshReader r(w.view());
  ASSERT_OK(r.ReadString("body").status());
  EXPECT_EQ(r.consumed(), std::string_view("\0\0\0\x04"
                                           "body",
                                           8));
}

}  // namespace
}  // namespace jit::ssh
