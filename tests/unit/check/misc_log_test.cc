#include "check/misc_log.h"

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

constexpr std::string_view kHead = "Misc check for [[10.0.1.2]:tcp:80 VS [10.0.0.1]:tcp:80] by [/bin/chk]";

MiscLogContext Context(unsigned retry, unsigned retry_it, bool first = false) {
  return {"[10.0.1.2]:tcp:80", "[10.0.0.1]:tcp:80", "/bin/chk", retry, retry_it, first};
}

ProbeResult Exited(int status) {
  return ProbeResult{false, "", {}, FailureKind::kExitStatus, status};
}

std::string Line(std::string_view tail) { return std::string(kHead) + std::string(tail); }

TEST(MiscLogTest, ADecidedFailureSaysHowAndAfterWhat) {
  const Outcome down{.transition = Transition::kDown};
  EXPECT_EQ(MiscLogLine(Exited(3), down, Context(0, 0)),
            Line(" failed with retry disabled (exited with status 3)."));
  EXPECT_EQ(MiscLogLine(Exited(1), down, Context(1, 0)),
            Line(" failed after 1 retry (exited with status 1)."));
  EXPECT_EQ(MiscLogLine(Exited(1), down, Context(2, 0)),
            Line(" failed after 2 retries (exited with status 1)."));
  EXPECT_EQ(MiscLogLine(ProbeResult{false, "", {}, FailureKind::kTimedOut}, down, Context(0, 0)),
            Line(" timed out with retry disabled."));
  EXPECT_EQ(MiscLogLine(ProbeResult{false, "", {}, FailureKind::kSignal, 9}, down, Context(0, 0)),
            Line(" failed with retry disabled (due to signal 9)."));
  // The first result of a checker that starts DOWN (alpha) is decided as well.
  EXPECT_EQ(MiscLogLine(Exited(1), Outcome{.first_result_down = true}, Context(0, 0, true)),
            Line(" failed with retry disabled (exited with status 1)."));
}

TEST(MiscLogTest, ARetryIsLoggedOnlyUnderLogAllFailures) {
  EXPECT_EQ(MiscLogLine(Exited(1), Outcome{}, Context(3, 1)), std::nullopt);
  const Outcome logged{.log_failure = true};
  EXPECT_EQ(MiscLogLine(Exited(1), logged, Context(3, 1)),
            Line(" failed, will do 3 retries (exited with status 1)."));
  EXPECT_EQ(MiscLogLine(Exited(1), logged, Context(1, 1)),
            Line(" failed, will do 1 retry (exited with status 1)."));
  EXPECT_EQ(MiscLogLine(Exited(1), logged, Context(3, 3)),
            Line(" failed on retry 2/3 (exited with status 1)."));
}

TEST(MiscLogTest, ASuccessIsLoggedWhenItBringsTheCheckerUpOrIsTheFirst) {
  const ProbeResult ok{true, "", {}};
  EXPECT_EQ(MiscLogLine(ok, Outcome{.transition = Transition::kUp}, Context(0, 0)),
            Line(" succeeded."));
  EXPECT_EQ(MiscLogLine(ok, Outcome{}, Context(0, 0, true)), Line(" succeeded."));
  EXPECT_EQ(MiscLogLine(ok, Outcome{}, Context(0, 0)), std::nullopt);
  // A failure of a checker already DOWN says nothing.
  EXPECT_EQ(MiscLogLine(Exited(1), Outcome{}, Context(0, 0)), std::nullopt);
}

}  // namespace
}  // namespace vigil::check
