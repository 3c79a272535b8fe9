#include "vrrp/gratuitous_sender.h"

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

using std::chrono::milliseconds;
using TimePoint = PacingSchedule::TimePoint;

const TimePoint kT0 = TimePoint() + std::chrono::hours(1);

TEST(PacingScheduleTest, UnpacedMessagesLeaveAtOnce) {
  PacingSchedule s;
  const GarpPacing unpaced{"eth0 arp", milliseconds(0)};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.Take(unpaced, kT0), kT0);
  EXPECT_EQ(s.Take(unpaced, kT0 + milliseconds(1)), kT0 + milliseconds(1));
}

TEST(PacingScheduleTest, PacedMessagesQueueOneIntervalApart) {
  PacingSchedule s;
  const GarpPacing p{"eth0 arp", milliseconds(200)};
  EXPECT_EQ(s.Take(p, kT0), kT0);
  EXPECT_EQ(s.Take(p, kT0), kT0 + milliseconds(200));
  EXPECT_EQ(s.Take(p, kT0), kT0 + milliseconds(400));
  // Ready later but before the queue has drained: behind the last one.
  EXPECT_EQ(s.Take(p, kT0 + milliseconds(250)), kT0 + milliseconds(600));
}

TEST(PacingScheduleTest, AFreePacingSendsAtOnceAgain) {
  PacingSchedule s;
  const GarpPacing p{"eth0 arp", milliseconds(200)};
  EXPECT_EQ(s.Take(p, kT0), kT0);
  EXPECT_EQ(s.Take(p, kT0 + milliseconds(200)), kT0 + milliseconds(200));
  EXPECT_EQ(s.Take(p, kT0 + milliseconds(1000)), kT0 + milliseconds(1000));
  EXPECT_EQ(s.Take(p, kT0 + milliseconds(1000)), kT0 + milliseconds(1200));
}

TEST(PacingScheduleTest, EachPacingHasItsOwnQueue) {
  PacingSchedule s;
  const GarpPacing group{"garp_group 1 arp", milliseconds(100)};
  const GarpPacing eth1{"eth1 arp", milliseconds(300)};
  EXPECT_EQ(s.Take(group, kT0), kT0);
  EXPECT_EQ(s.Take(eth1, kT0), kT0);
  EXPECT_EQ(s.Take(group, kT0), kT0 + milliseconds(100));
  EXPECT_EQ(s.Take(eth1, kT0), kT0 + milliseconds(300));
  // An unpaced kind on an interface does not wait behind a paced one of another key.
  EXPECT_EQ(s.Take(GarpPacing{"eth1 na", milliseconds(0)}, kT0), kT0);
}

}  // namespace
}  // namespace vigil::vrrp
