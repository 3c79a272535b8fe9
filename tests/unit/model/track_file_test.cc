#include "model/track_file.h"

#include <string>

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

TEST(TrackFileValueTest, ReadsACIntegerAsKeepalivedDoes) {
  EXPECT_EQ(ParseTrackFileValue("5\n"), 5);
  EXPECT_EQ(ParseTrackFileValue("  -12 trailing words"), -12);
  EXPECT_EQ(ParseTrackFileValue("0x10"), 16);
  EXPECT_EQ(ParseTrackFileValue("010"), 8);
  EXPECT_EQ(ParseTrackFileValue("+7"), 7);
}

TEST(TrackFileValueTest, NoNumberIsZero) {
  EXPECT_EQ(ParseTrackFileValue(""), 0);
  EXPECT_EQ(ParseTrackFileValue("up\n"), 0);
  EXPECT_EQ(ParseTrackFileValue("\n"), 0);
}

TEST(TrackFileValueTest, OutOfRangeKeepsTheOldValue) {
  EXPECT_EQ(ParseTrackFileValue("2147483648"), 2147483648);  // INT32_MAX + 1 is accepted
  EXPECT_EQ(ParseTrackFileValue("-2147483648"), -2147483648);
  EXPECT_EQ(ParseTrackFileValue("2147483649"), std::nullopt);
  EXPECT_EQ(ParseTrackFileValue("-2147483649"), std::nullopt);
  EXPECT_EQ(ParseTrackFileValue("99999999999999999999999"), std::nullopt);
}

TEST(TrackFileValueTest, OnlyTheFirst127BytesCount) {
  std::string text(126, ' ');
  EXPECT_EQ(ParseTrackFileValue(text + "42"), 4);  // "4" is byte 127, "2" is cut off
  EXPECT_EQ(ParseTrackFileValue(std::string(127, ' ') + "42"), 0);
}

}  // namespace
}  // namespace vigil::model
