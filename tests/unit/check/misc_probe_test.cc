#include <signal.h>

#include <gtest/gtest.h>

#include "probe_test_util.h"

namespace vigil::check {
namespace {

using testing::RunOnce;

ProbeSpec Misc(std::vector<std::string> argv, bool dynamic = false,
               std::optional<Duration> timeout = std::nullopt) {
  MiscCheck m;
  m.argv = std::move(argv);
  m.dynamic = dynamic;
  m.timeout = timeout;
  return ProbeSpec{{}, m};
}

TEST(MiscProbeTest, ExitStatusDecides) {
  asio::io_context io;
  ProbeResult r = RunOnce(io, Misc({"/bin/sh", "-c", "exit 0"}));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "MISC_CHECK /bin/sh exited with status 0");
  r = RunOnce(io, Misc({"/bin/sh", "-c", "exit 3"}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "MISC_CHECK /bin/sh exited with status 3");
}

TEST(MiscProbeTest, DynamicExitSetsWeight) {
  asio::io_context io;
  ProbeResult r = RunOnce(io, Misc({"/bin/sh", "-c", "exit 12"}, true));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.weight, (WeightUpdate{WeightUpdate::Kind::kAbsolute, 10}));
  r = RunOnce(io, Misc({"/bin/sh", "-c", "exit 1"}, true));
  EXPECT_FALSE(r.ok);
}

TEST(MiscProbeTest, MissingProgramFails) {
  asio::io_context io;
  ProbeResult r = RunOnce(io, Misc({"/nonexistent/vigil-check"}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "MISC_CHECK /nonexistent/vigil-check exited with status 127");
}

TEST(MiscProbeTest, TimeoutSendsSigtermToTheProcessGroup) {
  asio::io_context io;
  ProbeResult r = RunOnce(io, Misc({"/bin/sleep", "30"}, false, std::chrono::milliseconds(100)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "MISC_CHECK /bin/sleep timed out");
}

TEST(MiscProbeTest, ScriptIgnoringSigtermIsKilled) {
  asio::io_context io;
  // The shell ignores TERM; its sleep child inherits the ignore. SIGKILL follows 2 s later.
  ProbeResult r = RunOnce(io, Misc({"/bin/sh", "-c", "trap '' TERM; sleep 30"}, false,
                                   std::chrono::milliseconds(50)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "MISC_CHECK /bin/sh timed out");
}

TEST(MiscProbeTest, DefaultTimeoutApplies) {
  asio::io_context io;
  ProbeResult r = RunOnce(io, Misc({"/bin/sleep", "30"}), std::chrono::milliseconds(50));
  EXPECT_EQ(r.detail, "MISC_CHECK /bin/sleep timed out");
}

TEST(MiscProbeTest, RunsAsTheGivenUser) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to switch users";
  asio::io_context io;
  MiscCheck m;
  m.argv = {"/bin/sh", "-c", "test \"$(id -u):$(id -g)\" = 65534:65534"};
  m.uid = 65534;
  m.gid = 65534;
  ProbeResult r = RunOnce(io, ProbeSpec{{}, m});
  EXPECT_TRUE(r.ok) << r.detail;
}

}  // namespace
}  // namespace vigil::check
