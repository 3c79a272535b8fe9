#include "daemon/signal_coalescer.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

using std::chrono::milliseconds;

constexpr pid_t kSystemd = 1;
constexpr pid_t kShell = 4242;
constexpr pid_t kDirect = 0;
constexpr pid_t kVrrp = 101;
constexpr pid_t kCheck = 102;

TEST(SignalCoalescerTest, OneSignalToTheWholeGroupIsOneAction) {
  SignalCoalescer c;
  FakeClock clock;
  EXPECT_TRUE(c.Arrive({SIGHUP, kSystemd, kDirect}, clock.Now()));
  clock.Advance(milliseconds(3));
  EXPECT_FALSE(c.Arrive({SIGHUP, kSystemd, kVrrp}, clock.Now()));
  clock.Advance(milliseconds(40));
  EXPECT_FALSE(c.Arrive({SIGHUP, kSystemd, kCheck}, clock.Now()));
}

TEST(SignalCoalescerTest, ACopyPassedOnBeforeTheDirectOneStillActsOnce) {
  SignalCoalescer c;
  FakeClock clock;
  EXPECT_TRUE(c.Arrive({SIGUSR1, kSystemd, kCheck}, clock.Now()));
  EXPECT_FALSE(c.Arrive({SIGUSR1, kSystemd, kDirect}, clock.Now()));
  EXPECT_FALSE(c.Arrive({SIGUSR1, kSystemd, kVrrp}, clock.Now()));
}

TEST(SignalCoalescerTest, TwoSignalsByTheSameRouteAreTwoActions) {
  SignalCoalescer c;
  FakeClock clock;
  // Two `kill -HUP` at the supervisor, or two at one engine, in quick succession.
  EXPECT_TRUE(c.Arrive({SIGHUP, kShell, kDirect}, clock.Now()));
  EXPECT_TRUE(c.Arrive({SIGHUP, kShell, kDirect}, clock.Now()));
  EXPECT_TRUE(c.Arrive({SIGUSR1, kShell, kVrrp}, clock.Now()));
  EXPECT_TRUE(c.Arrive({SIGUSR1, kShell, kVrrp}, clock.Now()));
}

TEST(SignalCoalescerTest, InterleavedGroupSignalsPairUpOldestFirst) {
  SignalCoalescer c;
  FakeClock clock;
  // Two `systemctl kill -s HUP` whose copies interleave: still two actions, not three.
  EXPECT_TRUE(c.Arrive({SIGHUP, kSystemd, kDirect}, clock.Now()));
  EXPECT_FALSE(c.Arrive({SIGHUP, kSystemd, kVrrp}, clock.Now()));
  EXPECT_TRUE(c.Arrive({SIGHUP, kSystemd, kDirect}, clock.Now()));
  EXPECT_FALSE(c.Arrive({SIGHUP, kSystemd, kCheck}, clock.Now()));
  EXPECT_FALSE(c.Arrive({SIGHUP, kSystemd, kVrrp}, clock.Now()));
  EXPECT_FALSE(c.Arrive({SIGHUP, kSystemd, kCheck}, clock.Now()));
  EXPECT_EQ(c.pending(), 2u);
}

TEST(SignalCoalescerTest, OtherSignalsAndOtherSendersAreSeparate) {
  SignalCoalescer c;
  FakeClock clock;
  EXPECT_TRUE(c.Arrive({SIGHUP, kSystemd, kDirect}, clock.Now()));
  EXPECT_TRUE(c.Arrive({SIGUSR1, kSystemd, kVrrp}, clock.Now()));
  EXPECT_TRUE(c.Arrive({SIGHUP, kShell, kVrrp}, clock.Now()));
  EXPECT_FALSE(c.Arrive({SIGHUP, kSystemd, kVrrp}, clock.Now()));
  EXPECT_FALSE(c.Arrive({SIGUSR1, kSystemd, kDirect}, clock.Now()));
}

TEST(SignalCoalescerTest, ACopyAfterTheWindowIsANewSignal) {
  SignalCoalescer c(milliseconds(1000));
  FakeClock clock;
  EXPECT_TRUE(c.Arrive({SIGUSR2, kSystemd, kDirect}, clock.Now()));
  clock.Advance(milliseconds(1000));
  EXPECT_FALSE(c.Arrive({SIGUSR2, kSystemd, kVrrp}, clock.Now()));
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(c.Arrive({SIGUSR2, kSystemd, kCheck}, clock.Now()));
  EXPECT_EQ(c.pending(), 1u);
}

}  // namespace
}  // namespace vigil::daemon
