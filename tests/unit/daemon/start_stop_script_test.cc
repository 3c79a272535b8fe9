#include "daemon/start_stop_script.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <asio.hpp>
#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

using std::chrono::milliseconds;

ExitInfo Exited(int code) {
  ExitInfo e;
  e.exited = true;
  e.code = code;
  return e;
}

TEST(StartStopScriptTest, EndLines) {
  EXPECT_EQ(StartStopScriptEnded("startup", "/bin/up", Exited(0), milliseconds(10000)),
            "startup script /bin/up succeeded");
  EXPECT_EQ(StartStopScriptEnded("shutdown", "/bin/down x", Exited(3), milliseconds(10000)),
            "shutdown script /bin/down x failed: exit 3");
  ExitInfo killed;
  killed.signal = SIGKILL;
  EXPECT_EQ(StartStopScriptEnded("startup", "/bin/up", killed, milliseconds(10000)),
            "startup script /bin/up was killed by signal 9");
  ExitInfo late;
  late.timed_out = true;
  late.signal = SIGTERM;
  EXPECT_EQ(StartStopScriptEnded("startup", "/bin/up", late, milliseconds(20000)),
            "startup script /bin/up timed out after 20 s and was killed");
}

TEST(StartStopScriptTest, DefaultsComeFromGlobalDefs) {
  model::Global g;
  g.script_user = "nobody";
  g.script_group = "nogroup";
  g.enable_script_security = true;
  ScriptDefaults d = model::ScriptDefaultsOf(g);
  EXPECT_EQ(d.user, "nobody");
  EXPECT_EQ(d.group, "nogroup");
  EXPECT_TRUE(d.security);
  EXPECT_FALSE(d.supplementary_groups);
  g.set_supplementary_groups = true;
  EXPECT_TRUE(model::ScriptDefaultsOf(g).supplementary_groups);
}

class StartStopScriptRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-startstop-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  // Runs `command` as the startup script; returns how long until `done` was called.
  milliseconds Run(const std::string& command, milliseconds timeout,
                   const ScriptDefaults& defaults = {}) {
    asio::io_context io;
    model::Script script;
    script.command = command;
    if (geteuid() == 0 && !defaults.user) script.user = "root";
    int called = 0;
    const auto start = std::chrono::steady_clock::now();
    auto end = start;
    RunStartStopScript(io, "startup", script, timeout, defaults, [&] {
      ++called;
      end = std::chrono::steady_clock::now();
    });
    io.run_for(std::chrono::seconds(20));
    EXPECT_EQ(called, 1);
    return std::chrono::duration_cast<milliseconds>(end - start);
  }

  std::string Read(const std::string& name) {
    std::ifstream f(dir_ + "/" + name);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

  std::string dir_;
};

TEST_F(StartStopScriptRunTest, RunsTheCommandLineAndCallsDoneWhenItEnds) {
  Run("/bin/sh -c 'echo \"$0 $1\" > " + dir_ + "/out' first second", milliseconds(5000));
  EXPECT_EQ(Read("out"), "first second\n");
}

TEST_F(StartStopScriptRunTest, KillsTheScriptAndWhatItStartedAtTheTimeout) {
  // The script's background child records its pid and would outlive the script.
  const std::string cmd = "/bin/sh -c 'sleep 30 & echo $! > " + dir_ + "/bg; wait'";
  milliseconds took = Run(cmd, milliseconds(300));
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(5000));
  const pid_t bg = std::stoi(Read("bg"));
  // The whole process group got the signal: the background sleep is gone (or a zombie
  // about to be reaped by init).
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(bg) + "/stat");
    std::string text(std::istreambuf_iterator<char>(stat), {});
    gone = text.empty() || text.find(") Z") != std::string::npos;
    if (!gone) usleep(20000);
  }
  EXPECT_TRUE(gone);
}

TEST_F(StartStopScriptRunTest, AScriptThatMayNotRunEndsAtOnce) {
  // Under enable_script_security a world-writable file is never run as root.
  const std::string path = dir_ + "/unsafe.sh";
  {
    std::ofstream f(path);
    f << "#!/bin/sh\ntouch " << dir_ << "/ran\n";
  }
  ASSERT_EQ(chmod(path.c_str(), 0777), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  if (geteuid() != 0) GTEST_SKIP() << "needs root (scripts run as root are checked)";
  ScriptDefaults d;
  d.user = "root";
  d.security = true;
  milliseconds took = Run(path, milliseconds(5000), d);
  EXPECT_LT(took, milliseconds(1000));
  EXPECT_EQ(access((dir_ + "/ran").c_str(), F_OK), -1);
}

}  // namespace
}  // namespace vigil::daemon
