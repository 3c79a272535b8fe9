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

// The signals the supervisor coalesces (SIGCHLD, SIGTERM and SIGINT act at once).
const int kCoalesced[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGRTMIN + 2, SIGRTMAX - 1, SIGRTMAX};

constexpr pid_t kSupervisor = 100;
constexpr pid_t kStopped = 103;  // the pid of an engine that no longer runs

const EnginePid kEngines[] = {{"vrrp", kVrrp}, {"check", kCheck}, {"bfd", 0}};

ReceivedSignal Received(int signo, pid_t sender, int code, int value = 0) {
  return {signo, sender, code, value};
}

TEST(RouteOfTest, EachSignalBySenderAndHowItWasSent) {
  struct Case {
    std::string what;
    pid_t sender;
    int code;
    int value;
    SignalArrival want;  // signo filled in per signal
    std::string engine;
  };
  const Case cases[] = {
      {"kill by the supervisor itself", kSupervisor, SI_USER, 0, {0, kSupervisor, kDirect}, ""},
      {"sigqueue by the supervisor itself", kSupervisor, SI_QUEUE, kShell,
       {0, kSupervisor, kDirect}, ""},
      {"passed on by the VRRP engine", kVrrp, SI_QUEUE, kShell, {0, kShell, kVrrp}, "vrrp"},
      {"passed on by the checker", kCheck, SI_QUEUE, kSystemd, {0, kSystemd, kCheck}, "check"},
      {"kill by an engine", kVrrp, SI_USER, kShell, {0, kVrrp, kDirect}, ""},
      {"kill by another process", kShell, SI_USER, 0, {0, kShell, kDirect}, ""},
      {"sigqueue by another process", kShell, SI_QUEUE, kSystemd, {0, kShell, kDirect}, ""},
      {"sigqueue by an engine's old pid", kStopped, SI_QUEUE, kShell, {0, kStopped, kDirect}, ""},
      {"sigqueue by pid 0 (no engine runs as 0)", 0, SI_QUEUE, kShell, {0, 0, kDirect}, ""},
      {"raised by the kernel", 0, SI_KERNEL, 0, {0, 0, kDirect}, ""},
  };
  for (int signo : kCoalesced) {
    for (const Case& c : cases) {
      SCOPED_TRACE(SignalName(signo) + ": " + c.what);
      const RoutedSignal got = RouteOf(Received(signo, c.sender, c.code, c.value), kEngines);
      EXPECT_EQ(got.arrival.signo, signo);
      EXPECT_EQ(got.arrival.sender, c.want.sender);
      EXPECT_EQ(got.arrival.route, c.want.route);
      EXPECT_EQ(got.engine, c.engine);
    }
  }
}

TEST(RouteOfTest, ASignalToTheWholeCgroupIsOneActionWhateverTheOrder) {
  for (int signo : kCoalesced) {
    SCOPED_TRACE(SignalName(signo));
    // `systemctl kill -s SIG`: systemd's kill reaches the supervisor and both engines,
    // which pass it on; the copies arrive in any order.
    const ReceivedSignal direct = Received(signo, kSystemd, SI_USER);
    const ReceivedSignal via_vrrp = Received(signo, kVrrp, SI_QUEUE, kSystemd);
    const ReceivedSignal via_check = Received(signo, kCheck, SI_QUEUE, kSystemd);
    const std::vector<std::vector<ReceivedSignal>> orders = {
        {direct, via_vrrp, via_check}, {via_check, direct, via_vrrp}, {via_vrrp, via_check, direct}};
    for (const auto& order : orders) {
      SignalCoalescer c;
      FakeClock clock;
      int actions = 0;
      for (const auto& r : order) {
        actions += c.Arrive(RouteOf(r, kEngines).arrival, clock.Now());
        clock.Advance(milliseconds(5));
      }
      EXPECT_EQ(actions, 1);
    }
    // The same signal queued by another process with a forged sender is no copy of it.
    SignalCoalescer c;
    FakeClock clock;
    EXPECT_TRUE(c.Arrive(RouteOf(direct, kEngines).arrival, clock.Now()));
    EXPECT_TRUE(
        c.Arrive(RouteOf(Received(signo, kShell, SI_QUEUE, kSystemd), kEngines).arrival,
                 clock.Now()));
  }
}

}  // namespace
}  // namespace vigil::daemon
