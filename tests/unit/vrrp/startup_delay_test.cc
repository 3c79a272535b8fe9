#include "vrrp/startup_delay.h"

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ParseUptimeTest, ReadsTheFirstFieldWithItsFraction) {
  EXPECT_EQ(ParseUptime("12345.67 45678.90\n"), microseconds(12345670000));
  EXPECT_EQ(ParseUptime("3 1"), seconds(3));
  EXPECT_EQ(ParseUptime("0.5"), milliseconds(500));
}

TEST(ParseUptimeTest, RejectsTextWithoutANumber) {
  EXPECT_EQ(ParseUptime(""), std::nullopt);
  EXPECT_EQ(ParseUptime(" 12.0"), std::nullopt);
  EXPECT_EQ(ParseUptime("up"), std::nullopt);
}

TEST(StartupDelayTest, DelayAfterBootWaitsForTheRest) {
  // Booted 20.25 s ago, delay_after_boot 60 s: 39.75 s are left.
  EXPECT_EQ(StartupDelay(microseconds(0), seconds(60), milliseconds(20250)), milliseconds(39750));
}

TEST(StartupDelayTest, UpLongEnoughMeansNoDelay) {
  EXPECT_EQ(StartupDelay(microseconds(0), seconds(60), seconds(60)), microseconds(0));
  EXPECT_EQ(StartupDelay(microseconds(0), seconds(60), seconds(3600)), microseconds(0));
}

TEST(StartupDelayTest, TheLongerOfTheTwoDelaysApplies) {
  EXPECT_EQ(StartupDelay(seconds(5), seconds(60), seconds(50)), seconds(10));
  EXPECT_EQ(StartupDelay(seconds(15), seconds(60), seconds(50)), seconds(15));
  EXPECT_EQ(StartupDelay(seconds(15), seconds(60), seconds(3600)), seconds(15));
}

TEST(StartupDelayTest, UnknownUptimeIgnoresDelayAfterBoot) {
  EXPECT_EQ(StartupDelay(seconds(2), seconds(60), std::nullopt), seconds(2));
  EXPECT_EQ(StartupDelay(microseconds(0), seconds(60), std::nullopt), microseconds(0));
}

}  // namespace
}  // namespace vigil::vrrp
