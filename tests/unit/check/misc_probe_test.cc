#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <vector>

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
  EXPECT_EQ(r.failure, FailureKind::kExitStatus);  // mailed as "failed", logged with its status
  EXPECT_EQ(r.code, 3);
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
  EXPECT_EQ(r.failure, FailureKind::kTimedOut);  // keepalived mails "timed out", not "failed"
}

TEST(MiscProbeTest, ScriptIgnoringSigtermIsKilled) {
  asio::io_context io;
  // The shell ignores TERM; its sleep child inherits the ignore. SIGKILL follows 2 s later.
  ProbeResult r = RunOnce(io, Misc({"/bin/sh", "-c", "trap '' TERM; sleep 30"}, false,
                                   std::chrono::milliseconds(50)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "MISC_CHECK /bin/sh timed out");
}

TEST(MiscProbeTest, TimeoutFailsEvenIfTheScriptExitsZeroOnSigterm) {
  asio::io_context io;
  ProbeResult r = RunOnce(io, Misc({"/bin/sh", "-c", "trap 'exit 0' TERM; sleep 30 & wait"},
                                   false, std::chrono::milliseconds(100)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "MISC_CHECK /bin/sh timed out");
}

// A temporary file for a script to write pids to.
class PidFile {
 public:
  PidFile() {
    char tmpl[] = "/tmp/vigil-misc-pids-XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd >= 0) close(fd);
    path_ = tmpl;
  }
  ~PidFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::vector<pid_t> Pids() const {
    std::vector<pid_t> out;
    std::ifstream in(path_);
    for (pid_t p; in >> p;) out.push_back(p);
    return out;
  }

 private:
  std::string path_;
};

bool Gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

TEST(MiscProbeTest, NothingTheScriptStartedOutlivesTheRun) {
  asio::io_context io;
  PidFile pids;
  // A background job, and a `setsid` escapee in a session of its own.
  const std::string script = "sleep 300 & echo $! > " + pids.path() +
                             "; setsid sleep 300 & echo $! >> " + pids.path() + "; exit 0";
  ProbeResult r = RunOnce(io, Misc({"/bin/sh", "-c", script}));
  EXPECT_TRUE(r.ok) << r.detail;
  const std::vector<pid_t> left = pids.Pids();
  ASSERT_EQ(left.size(), 2u);
  for (pid_t p : left) EXPECT_TRUE(Gone(p)) << "pid " << p << " survived the run";
}

TEST(MiscProbeTest, CancelledRunLeavesNothingBehind) {
  asio::io_context io;
  PidFile pids;
  const std::string script = "sleep 300 & echo $! > " + pids.path() +
                             "; setsid sleep 300 & echo $! >> " + pids.path() + "; sleep 300";
  ProbeStarter starter(io, 10);
  std::optional<ProbeResult> result;
  const ProbeTicket ticket = starter.Start(Misc({"/bin/sh", "-c", script}), std::chrono::seconds(60),
                                           nullptr, [&](ProbeResult r) { result = std::move(r); });
  io.restart();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pids.Pids().size() < 2 && std::chrono::steady_clock::now() < give_up) {
    io.run_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(pids.Pids().size(), 2u);
  starter.Cancel(ticket);
  while (!result && std::chrono::steady_clock::now() < give_up) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->detail, "MISC_CHECK /bin/sh aborted");
  for (pid_t p : pids.Pids()) EXPECT_TRUE(Gone(p)) << "pid " << p << " survived the run";
}

TEST(MiscProbeTest, DefaultTimeoutApplies) {
  asio::io_context io;
  ProbeResult r = RunOnce(io, Misc({"/bin/sleep", "30"}), std::chrono::milliseconds(50));
  EXPECT_EQ(r.detail, "MISC_CHECK /bin/sleep timed out");
  EXPECT_EQ(r.failure, FailureKind::kTimedOut);  // keepalived mails "timed out", not "failed"
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
