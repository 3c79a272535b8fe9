#include "base/subprocess.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <asio.hpp>
#include <gtest/gtest.h>

namespace vigil {
namespace {

SpawnSpec Cmd(std::vector<std::string> argv) {
  SpawnSpec s;
  s.argv = std::move(argv);
  return s;
}

ExitInfo RunToEnd(SpawnSpec spec) {
  asio::io_context io;
  ExitInfo got;
  bool called = false;
  auto pid = SpawnProcess(io, spec, [&](const ExitInfo& e) {
    got = e;
    called = true;
  });
  EXPECT_TRUE(pid.has_value());
  io.run_for(std::chrono::seconds(20));
  EXPECT_TRUE(called);
  return got;
}

TEST(SubprocessTest, ReportsExitCodes) {
  EXPECT_EQ(RunToEnd(Cmd({"/bin/true"})).ToString(), "exit 0");
  EXPECT_TRUE(RunToEnd(Cmd({"/bin/true"})).ok());
  EXPECT_EQ(RunToEnd(Cmd({"/bin/sh", "-c", "exit 3"})).ToString(), "exit 3");
  EXPECT_EQ(RunToEnd(Cmd({"/nonexistent/prog"})).ToString(), "exit 127");
}

TEST(SubprocessTest, TimeoutSendsTermThenKill) {
  SpawnSpec spec = Cmd({"/bin/sleep", "30"});
  spec.timeout = std::chrono::milliseconds(100);
  ExitInfo e = RunToEnd(spec);
  EXPECT_TRUE(e.timed_out);
  EXPECT_EQ(e.signal, SIGTERM);
  // A program ignoring SIGTERM is killed after the grace period.
  SpawnSpec stubborn = Cmd({"/bin/sh", "-c", "trap '' TERM; sleep 30"});
  stubborn.timeout = std::chrono::milliseconds(100);
  stubborn.kill_grace = std::chrono::milliseconds(100);
  ExitInfo e2 = RunToEnd(stubborn);
  EXPECT_TRUE(e2.timed_out);
  EXPECT_EQ(e2.ToString(), "timed out");
}

TEST(SubprocessTest, RefusesEmptyCommand) {
  asio::io_context io;
  auto r = SpawnProcess(io, {}, [](const ExitInfo&) {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().context(), "empty command");
}

TEST(SubprocessTest, SplitsLikeKeepalived) {
  using V = std::vector<std::string>;
  EXPECT_EQ(SplitCommandLine("/bin/x a  b\tc"), (V{"/bin/x", "a", "b", "c"}));
  EXPECT_EQ(SplitCommandLine("/bin/x 'a b' \"c d\" e\\ f"), (V{"/bin/x", "a b", "c d", "e f"}));
  EXPECT_EQ(SplitCommandLine("  "), V{});
  EXPECT_EQ(SplitCommandLine("a''b"), (V{"ab"}));
}

TEST(SubprocessTest, LooksUpUsers) {
  auto root = LookupUser("root", std::nullopt);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->first, 0u);
  EXPECT_FALSE(LookupUser("no-such-user-vigil", std::nullopt).has_value());
  EXPECT_EQ(LookupUser("root", std::string("no-such-group-vigil")).error().context(),
            "no group 'no-such-group-vigil'");
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST(ScriptSecurityTest, SystemProgramsAreSafe) {
  EXPECT_EQ(ScriptSecurityProblem("/bin/true"), std::nullopt);
  EXPECT_EQ(ScriptSecurityProblem("true"), std::nullopt);
  EXPECT_EQ(ScriptSecurityProblem("/no/such/script"), std::nullopt);  // never run
}

TEST(ScriptSecurityTest, WritableFileOrDirectoryIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create root-owned files";
  char tmpl[] = "/tmp/vigil-sec-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  std::string script = dir + "/check.sh";
  FILE* f = fopen(script.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  EXPECT_EQ(ScriptSecurityProblem(script), std::nullopt);
  ASSERT_EQ(chmod(script.c_str(), 0777), 0);
  EXPECT_EQ(ScriptSecurityProblem(script), "'" + script + "' is writable by every user");
  ASSERT_EQ(chmod(script.c_str(), 0775), 0);
  EXPECT_EQ(ScriptSecurityProblem(script), "'" + script + "' is writable by its group");
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);  // a writable directory lets anyone swap the file
  EXPECT_EQ(ScriptSecurityProblem(script), "'" + dir + "' is writable by every user");
  ASSERT_EQ(chown(script.c_str(), 65534, 65534), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  EXPECT_EQ(ScriptSecurityProblem(script), "'" + script + "' is owned by uid 65534, not root");
  unlink(script.c_str());
  rmdir(dir.c_str());
}

TEST(SubprocessTest, SearchPathFindsTheFirstExecutableRegularFile) {
  char tmpl[] = "/tmp/vigil-path-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  const std::string a = root + "/a", b = root + "/b", c = root + "/c";
  for (const auto& d : {a, b, c}) ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
  auto touch = [](const std::string& p, mode_t mode) {
    FILE* f = std::fopen(p.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  };
  touch(a + "/prog", 0644);              // not executable: skipped
  ASSERT_EQ(::mkdir((b + "/prog").c_str(), 0755), 0);  // a directory: skipped
  touch(c + "/prog", 0755);
  const std::string path = a + ":" + b + ":" + c;
  EXPECT_EQ(SearchPath("prog", path), c + "/prog");
  EXPECT_EQ(SearchPath("other", path), std::nullopt);
  EXPECT_EQ(SearchPath("c/prog", root), std::nullopt);  // has a '/': never searched
  EXPECT_EQ(SearchPath("", path), std::nullopt);
  std::system(("rm -rf " + root).c_str());
}

TEST(SubprocessTest, CommandArgvPutsTheResolvedProgramFirst) {
  EXPECT_EQ(CommandArgv("killall -0 'ha proxy'", std::string("/usr/bin/killall")),
            (std::vector<std::string>{"/usr/bin/killall", "-0", "ha proxy"}));
  EXPECT_EQ(CommandArgv("killall -0 haproxy", std::nullopt),
            (std::vector<std::string>{"killall", "-0", "haproxy"}));
  EXPECT_EQ(CommandArgv("", std::string("/bin/x")), std::vector<std::string>{});
}

TEST(SubprocessTest, CommandSearchPathIsPathOrTheLibraryDefault) {
  const char* saved = ::getenv("PATH");
  const std::string keep = saved ? saved : "";
  ::setenv("PATH", "/x:/y", 1);
  EXPECT_EQ(CommandSearchPath(), "/x:/y");
  ::unsetenv("PATH");
  EXPECT_EQ(CommandSearchPath(), "/bin:/usr/bin");  // glibc's _CS_PATH
  if (saved) ::setenv("PATH", keep.c_str(), 1);
}

}  // namespace
}  // namespace vigil
