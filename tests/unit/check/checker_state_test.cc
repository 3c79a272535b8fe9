#include "check/checker_state.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::check {
namespace {

using std::chrono::seconds;

class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(uint64_t value) : value_(value) {}
  uint64_t Uniform(uint64_t max) override {
    last_max_ = max;
    return value_ > max ? max : value_;
  }
  uint64_t last_max_ = 0;

 private:
  uint64_t value_;
};

CheckTiming Timing(unsigned retry, bool alpha = false) {
  CheckTiming t;
  t.delay_loop = seconds(10);
  t.delay_before_retry = seconds(2);
  t.warmup = seconds(10);
  t.retry = retry;
  t.alpha = alpha;
  return t;
}

Outcome Make(Transition t, Duration next, unsigned retries = 0, bool first_down = false,
             bool log = false) {
  Outcome o;
  o.transition = t;
  o.next_delay = next;
  o.retries_done = retries;
  o.first_result_down = first_down;
  o.log_failure = log;
  return o;
}

TEST(CheckerStateTest, NonAlphaStartsUpAndFirstSuccessChangesNothing) {
  CheckerState s(Timing(2));
  EXPECT_TRUE(s.up());
  EXPECT_EQ(s.OnResult(true), Make(Transition::kNone, seconds(10)));
  EXPECT_TRUE(s.has_run());
}

TEST(CheckerStateTest, FirstFailureGoesDownAtOnce) {
  CheckerState s(Timing(3));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kDown, seconds(10)));
  EXPECT_FALSE(s.up());
}

TEST(CheckerStateTest, UpCheckerIsRetriedBeforeGoingDown) {
  CheckerState s(Timing(2));
  s.OnResult(true);
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(2)));
  EXPECT_EQ(s.retry_count(), 1u);
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(2)));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kDown, seconds(10), 2));
  EXPECT_FALSE(s.up());
  EXPECT_EQ(s.retry_count(), 0u);
}

TEST(CheckerStateTest, SuccessDuringRetriesResetsTheCounter) {
  CheckerState s(Timing(2));
  s.OnResult(true);
  EXPECT_EQ(s.OnResult(false).next_delay, seconds(2));
  EXPECT_EQ(s.OnResult(true), Make(Transition::kNone, seconds(10)));
  EXPECT_EQ(s.retry_count(), 0u);
  // A fresh failure gets the full set of retries again.
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(2)));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(2)));
  EXPECT_EQ(s.OnResult(false).transition, Transition::kDown);
}

TEST(CheckerStateTest, RetryZeroGoesDownOnFirstFailure) {
  CheckerState s(Timing(0));
  s.OnResult(true);
  EXPECT_EQ(s.OnResult(false), Make(Transition::kDown, seconds(10)));
}

TEST(CheckerStateTest, DownCheckerIsPolledEveryDelayLoop) {
  CheckerState s(Timing(2));
  s.OnResult(false);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(10)));
  EXPECT_EQ(s.OnResult(true), Make(Transition::kUp, seconds(10)));
  EXPECT_TRUE(s.up());
}

TEST(CheckerStateTest, AlphaStartsDownAndComesUpOnFirstSuccess) {
  CheckerState s(Timing(1, /*alpha=*/true));
  EXPECT_FALSE(s.up());
  EXPECT_EQ(s.OnResult(true), Make(Transition::kUp, seconds(10)));
}

TEST(CheckerStateTest, AlphaFirstFailureReportsDownOnce) {
  CheckerState s(Timing(1, /*alpha=*/true));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(10), 0, /*first_down=*/true));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(10)));
}

CheckTiming HttpTiming(bool fast) {
  CheckTiming t = Timing(1);
  t.confirm_recovery = true;
  t.fast_recovery = fast;
  return t;
}

// keepalived's HTTP checker: the success that clears the failed url leaves the checker DOWN;
// the next one, delay_loop later, brings it UP.
TEST(CheckerStateTest, HttpRecoveryNeedsASecondSuccessAfterDelayLoop) {
  CheckerState s(HttpTiming(/*fast=*/false));
  s.OnResult(true);
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(2)));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kDown, seconds(10), 1));
  EXPECT_TRUE(s.failed_url());
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(10)));
  EXPECT_EQ(s.OnResult(true), Make(Transition::kNone, seconds(10)));
  EXPECT_FALSE(s.up());
  EXPECT_FALSE(s.failed_url());
  // DOWN with no failed url known: a failure is probed again after delay_before_retry.
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(2)));
  EXPECT_EQ(s.OnResult(true), Make(Transition::kUp, seconds(10)));
  EXPECT_TRUE(s.up());
}

// fast_recovery: once the failed url passes, the next probe runs at once (also, once, after a
// failure while no failed url is known); a known failed url still waits delay_loop.
TEST(CheckerStateTest, HttpFastRecoveryProbesAgainAtOnce) {
  CheckerState s(HttpTiming(/*fast=*/true));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kDown, seconds(10)));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(10)));
  EXPECT_EQ(s.OnResult(true), Make(Transition::kNone, seconds(0)));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(0)));
  EXPECT_EQ(s.OnResult(true), Make(Transition::kNone, seconds(0)));
  EXPECT_EQ(s.OnResult(true), Make(Transition::kUp, seconds(10)));
}

// A server that keeps failing after its failed url passed is probed again at once only
// once: then its failed url is known and it waits delay_loop (no probe loop without a pause).
TEST(CheckerStateTest, HttpFastRecoveryNeverProbesAtOnceTwiceInARow) {
  CheckerState s(HttpTiming(/*fast=*/true));
  s.OnResult(false);
  EXPECT_EQ(s.OnResult(true), Make(Transition::kNone, seconds(0)));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(0)));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(10)));
}

// A failed url is known only once a failure decided DOWN: an alpha checker that never ran
// comes UP on its first success.
TEST(CheckerStateTest, HttpAlphaComesUpOnFirstSuccess) {
  CheckTiming t = HttpTiming(/*fast=*/false);
  t.alpha = true;
  CheckerState s(t);
  EXPECT_EQ(s.OnResult(true), Make(Transition::kUp, seconds(10)));
  CheckerState f(t);
  EXPECT_EQ(f.OnResult(false), Make(Transition::kNone, seconds(10), 0, /*first_down=*/true));
  EXPECT_EQ(f.OnResult(true), Make(Transition::kNone, seconds(10)));
  EXPECT_EQ(f.OnResult(true), Make(Transition::kUp, seconds(10)));
}

// A known failed url waits the longer of delay_loop and delay_before_retry.
TEST(CheckerStateTest, HttpKnownFailedUrlWaitsTheLongerDelay) {
  CheckTiming t = HttpTiming(/*fast=*/true);
  t.delay_before_retry = seconds(30);
  CheckerState s(t);
  s.OnResult(false);
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(30)));
}

TEST(CheckerStateTest, LogAllFailuresFlagsEveryFailedAttemptWhileUp) {
  CheckTiming t = Timing(1);
  t.log_all_failures = true;
  CheckerState s(t);
  s.OnResult(true);
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(2), 0, false, /*log=*/true));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kDown, seconds(10), 1, false, /*log=*/true));
  EXPECT_EQ(s.OnResult(false), Make(Transition::kNone, seconds(10)));  // DOWN: quiet
}

TEST(CheckerStateTest, FirstProbeDelayIsBootstrapPlusRandomWarmup) {
  FixedRandom r(250);
  EXPECT_EQ(FirstProbeDelay(std::chrono::milliseconds(1000), r),
            seconds(1) + std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(250)));
  EXPECT_EQ(r.last_max_, static_cast<uint64_t>(Duration(std::chrono::milliseconds(1000)).count()));
  FixedRandom big(~0ull);
  EXPECT_EQ(FirstProbeDelay(seconds(5), big), seconds(6));
  EXPECT_EQ(FirstProbeDelay(Duration::zero(), big), seconds(1));
}

TEST(CheckerStateTest, DefaultTimingFollowsKeepalived) {
  CheckTiming tcp = DefaultTiming(TcpCheck{}, seconds(6));
  EXPECT_EQ(tcp.retry, 1u);
  EXPECT_EQ(tcp.delay_before_retry, seconds(1));
  EXPECT_EQ(tcp.warmup, seconds(6));
  EXPECT_EQ(DefaultTiming(HttpCheck{}, seconds(6)).delay_before_retry, seconds(3));
  CheckTiming dns = DefaultTiming(DnsCheck{}, seconds(6));
  EXPECT_EQ(dns.retry, 3u);
  EXPECT_EQ(dns.delay_before_retry, seconds(6));
  EXPECT_EQ(DefaultTiming(MiscCheck{}, seconds(6)).retry, 0u);
  EXPECT_EQ(DefaultTiming(FileCheck{}, seconds(6)).warmup, Duration::zero());
}

TEST(CheckerStateTest, CheckTypeNames) {
  HttpCheck ssl;
  ssl.tls = true;
  EXPECT_STREQ(CheckTypeName(ssl), "SSL_GET");
  EXPECT_STREQ(CheckTypeName(HttpCheck{}), "HTTP_GET");
  EXPECT_STREQ(CheckTypeName(DnsCheck{}), "DNS_CHECK");
}

}  // namespace
}  // namespace vigil::check
