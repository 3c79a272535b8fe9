#include "base/throttle.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kT0 = TimePoint() + seconds(3);  // less than an interval after the epoch

TEST(ThrottleTest, TheFirstPassesWhenever) {
  Throttle t(seconds(10));
  EXPECT_TRUE(t.Pass(kT0));
}

TEST(ThrottleTest, AtMostOncePerIntervalFromTheLastPass) {
  Throttle t(seconds(10));
  EXPECT_TRUE(t.Pass(kT0));
  EXPECT_FALSE(t.Pass(kT0));
  EXPECT_FALSE(t.Pass(kT0 + milliseconds(9999)));
  EXPECT_TRUE(t.Pass(kT0 + seconds(10)));
  // Refused attempts do not push the next pass back.
  EXPECT_FALSE(t.Pass(kT0 + seconds(15)));
  EXPECT_TRUE(t.Pass(kT0 + seconds(20)));
  EXPECT_TRUE(t.Pass(kT0 + seconds(95)));
}

TEST(ThrottleTest, EachThrottleCountsAlone) {
  Throttle a(seconds(10)), b(seconds(1));
  EXPECT_TRUE(a.Pass(kT0));
  EXPECT_TRUE(b.Pass(kT0));
  EXPECT_FALSE(a.Pass(kT0 + seconds(1)));
  EXPECT_TRUE(b.Pass(kT0 + seconds(1)));
}

}  // namespace
}  // namespace vigil
