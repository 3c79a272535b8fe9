#include "base/subprocess.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>
#include <thread>

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

TEST(SubprocessTest, ExecutesPathWhenGivenWithArgvZeroAsConfigured) {
  // A script's real_program: the file executed, its argv[0] still the configured name.
  char tmpl[] = "/tmp/vigil-path.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string out = std::string(tmpl) + "/argv0";
  SpawnSpec spec = Cmd({"/etc/keepalived/check.sh", "-c", "echo \"$0\" > " + out});
  spec.path = "/bin/sh";
  EXPECT_EQ(RunToEnd(spec).ToString(), "exit 0");
  char line[128] = {};
  FILE* f = fopen(out.c_str(), "r");
  ASSERT_NE(f, nullptr);
  ASSERT_NE(fgets(line, sizeof line, f), nullptr);
  fclose(f);
  EXPECT_STREQ(line, "/etc/keepalived/check.sh\n");
  (void)std::system(("rm -rf " + std::string(tmpl)).c_str());
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


// Returns the descriptors open in process `pid`.
std::set<int> OpenFds(pid_t pid) {
  std::set<int> fds;
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) return fds;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') fds.insert(std::stoi(e->d_name));
  closedir(d);
  return fds;
}

// Returns the value of `key` ("Uid:", "Gid:", "Groups:") in /proc/PID/status.
std::string StatusLine(pid_t pid, const std::string& key) {
  FILE* f = fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (!f) return "";
  char line[512];
  std::string out;
  while (fgets(line, sizeof line, f))
    if (std::string(line).rfind(key, 0) == 0) out = line + key.size();
  fclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\t'))
    out.pop_back();
  while (!out.empty() && (out.front() == ' ' || out.front() == '\t')) out.erase(0, 1);
  return out;
}

// Returns the first line of /proc/PID/`name` ("" when it cannot be read).
std::string ProcFirstLine(pid_t pid, const std::string& name) {
  FILE* f = fopen(("/proc/" + std::to_string(pid) + "/" + name).c_str(), "r");
  char buf[256] = {0};
  if (f) {
    (void)!fgets(buf, sizeof buf, f);
    fclose(f);
  }
  return buf;
}

// Waits (bounded: 10 s) until `/proc/PID/name` starts with `prefix`.
bool WaitForProc(pid_t pid, const std::string& name, const std::string& prefix) {
  for (int i = 0; i < 1000; ++i) {
    if (ProcFirstLine(pid, name).rfind(prefix, 0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Waits (bounded) until `pid` has exec'd `comm`.
bool WaitForComm(pid_t pid, const std::string& comm) {
  return WaitForProc(pid, "comm", comm + "\n");
}

// Waits (bounded) until `pid` is blocked in system call `nr` (/proc/PID/syscall starts
// with its number while the process sleeps in it; "running" while it runs).
bool WaitForSyscall(pid_t pid, long nr) {
  return WaitForProc(pid, "syscall", std::to_string(nr) + " ");
}

TEST(SubprocessTest, ChildGetsOnlyDescriptorsZeroToTwo) {
  // Descriptors left inheritable (as a library might make them) must not reach the child.
  int leaked[2];
  ASSERT_EQ(pipe(leaked), 0);
  int leaked_high = fcntl(leaked[0], F_DUPFD, 900);
  ASSERT_GE(leaked_high, 900);
  auto pid = ForkExec(Cmd({"/bin/sleep", "30"}));
  ASSERT_TRUE(pid.has_value());
  // sleep's own start-up (the dynamic loader, libc, the locale) opens and closes
  // descriptor 3: the child is looked at once it sleeps.
  ASSERT_TRUE(WaitForSyscall(*pid, SYS_clock_nanosleep));
  EXPECT_EQ(OpenFds(*pid), (std::set<int>{0, 1, 2}));
  kill(*pid, SIGKILL);
  waitpid(*pid, nullptr, 0);
  close(leaked[0]);
  close(leaked[1]);
  close(leaked_high);
}

TEST(SubprocessTest, RunsAsTheUserWithOnlyItsGroup) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto nobody = LookupUser("nobody", std::nullopt);
  ASSERT_TRUE(nobody.has_value());
  SpawnSpec spec = Cmd({"/bin/sleep", "30"});
  spec.uid = nobody->first;
  spec.gid = nobody->second;
  auto pid = ForkExec(spec);
  ASSERT_TRUE(pid.has_value());
  ASSERT_TRUE(WaitForComm(*pid, "sleep"));
  const std::string u = std::to_string(nobody->first), g = std::to_string(nobody->second);
  EXPECT_EQ(StatusLine(*pid, "Uid:"), u + "\t" + u + "\t" + u + "\t" + u);
  EXPECT_EQ(StatusLine(*pid, "Gid:"), g + "\t" + g + "\t" + g + "\t" + g);
  EXPECT_EQ(StatusLine(*pid, "Groups:"), g);
  kill(*pid, SIGKILL);
  waitpid(*pid, nullptr, 0);
}

TEST(SubprocessTest, RunsWithTheSupplementaryGroupsGiven) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto nobody = LookupUser("nobody", std::nullopt);
  ASSERT_TRUE(nobody.has_value());
  SpawnSpec spec = Cmd({"/bin/sleep", "30"});
  spec.uid = nobody->first;
  spec.gid = nobody->second;
  spec.groups = std::vector<gid_t>{4243, 4242};
  auto pid = ForkExec(spec);
  ASSERT_TRUE(pid.has_value());
  ASSERT_TRUE(WaitForComm(*pid, "sleep"));
  EXPECT_EQ(StatusLine(*pid, "Gid:").substr(0, std::to_string(nobody->second).size()),
            std::to_string(nobody->second));
  EXPECT_EQ(StatusLine(*pid, "Groups:"), "4242 4243");
  kill(*pid, SIGKILL);
  waitpid(*pid, nullptr, 0);
}

TEST(SubprocessTest, ScriptRunAsAnotherUserDiesWithItsParent) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto nobody = LookupUser("nobody", std::nullopt);
  ASSERT_TRUE(nobody.has_value());
  // Become a subreaper so the orphaned script is re-parented here and can be reaped.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t engine = fork();
  ASSERT_GE(engine, 0);
  if (engine == 0) {  // stands in for an engine: starts the script, then waits to be killed
    SpawnSpec spec = Cmd({"/bin/sleep", "30"});
    spec.uid = nobody->first;
    spec.gid = nobody->second;
    auto pid = ForkExec(spec);
    pid_t p = pid ? *pid : -1;
    (void)!write(report[1], &p, sizeof p);
    pause();
    _exit(0);
  }
  close(report[1]);
  pid_t script = -1;
  ASSERT_EQ(read(report[0], &script, sizeof script), static_cast<ssize_t>(sizeof script));
  close(report[0]);
  ASSERT_GT(script, 0);
  ASSERT_TRUE(WaitForComm(script, "sleep"));
  kill(engine, SIGKILL);
  waitpid(engine, nullptr, 0);
  int status = 0;
  pid_t r = 0;
  for (int i = 0; i < 500 && r == 0; ++i) {
    r = waitpid(script, &status, WNOHANG);
    if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  if (r == 0) {
    kill(script, SIGKILL);
    waitpid(script, nullptr, 0);
  }
  ASSERT_EQ(r, script);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

// A resolver over a table of users: name -> (uid, gid).
UserResolver Users(std::map<std::string, std::pair<uid_t, gid_t>> table) {
  return [table](const std::string& user,
                 const std::optional<std::string>& group) -> Result<std::pair<uid_t, gid_t>> {
    auto it = table.find(user);
    if (it == table.end()) return Fail(ErrorCode::kNotFound, "no user '" + user + "'");
    auto ids = it->second;
    if (group) {
      if (*group != "grp") return Fail(ErrorCode::kNotFound, "no group '" + *group + "'");
      ids.second = 500;
    }
    return ids;
  };
}

using Ids = std::pair<uid_t, gid_t>;
constexpr Ids kSelf{0, 0};

TEST(SubprocessTest, ScriptUserFollowsKeepalivedsRule) {
  const auto with_ks = Users({{"keepalived_script", {900, 901}}, {"alice", {1000, 1000}}});
  const auto without_ks = Users({{"alice", {1000, 1000}}});
  const std::optional<std::string> none;
  // The script's own user (and group) first.
  EXPECT_EQ(*ResolveScriptUser("alice", none, {"keepalived_script", none, true}, with_ks, kSelf),
            (Ids{1000, 1000}));
  EXPECT_EQ(*ResolveScriptUser("alice", "grp", {}, with_ks, kSelf), (Ids{1000, 500}));
  // Then script_user.
  EXPECT_EQ(*ResolveScriptUser(none, none, {"alice", "grp", false}, with_ks, kSelf),
            (Ids{1000, 500}));
  // Then keepalived_script when it exists, with or without enable_script_security.
  EXPECT_EQ(*ResolveScriptUser(none, none, {}, with_ks, kSelf), (Ids{900, 901}));
  EXPECT_EQ(*ResolveScriptUser(none, none, {none, none, true}, with_ks, kSelf), (Ids{900, 901}));
  // Else vigild's own user, unless enable_script_security is on.
  EXPECT_EQ(*ResolveScriptUser(none, none, {}, without_ks, kSelf), kSelf);
  auto refused = ResolveScriptUser(none, none, {none, none, true}, without_ks, kSelf);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().context(),
            "no user 'keepalived_script' to run scripts as (enable_script_security needs it, "
            "or script_user, or a user per script)");
}

TEST(SubprocessTest, AnUnresolvableUserIsAnErrorNeverRoot) {
  const auto users = Users({{"keepalived_script", {900, 901}}});
  const std::optional<std::string> none;
  auto own = ResolveScriptUser("ghost", none, {}, users, kSelf);
  ASSERT_FALSE(own.has_value());
  EXPECT_EQ(own.error().context(), "no user 'ghost'");
  auto group = ResolveScriptUser("keepalived_script", "nogrp", {}, users, kSelf);
  ASSERT_FALSE(group.has_value());
  EXPECT_EQ(group.error().context(), "no group 'nogrp'");
  auto global = ResolveScriptUser(none, none, {"ghost", none, false}, users, kSelf);
  ASSERT_FALSE(global.has_value());
  EXPECT_EQ(global.error().context(), "script_user: no user 'ghost'");
  auto prepared = PrepareScript({"/bin/true"}, "", "ghost", none, {}, users);
  ASSERT_FALSE(prepared.has_value());
  EXPECT_EQ(prepared.error().context(), "no user 'ghost'");
}

// set_supplementary_groups, or ':' before the group of the user used: the user's groups
// (getgrouplist of its name and its own gid), whatever group the script runs as.
TEST(SubprocessTest, SupplementaryGroupsOfTheUserUsed) {
  const auto users = Users({{"alice", {1000, 1000}}, {"keepalived_script", {900, 901}}});
  std::vector<std::pair<std::string, gid_t>> asked;
  const GroupListResolver lists = [&asked](const std::string& user, gid_t gid)
      -> Result<std::vector<gid_t>> {
    asked.emplace_back(user, gid);
    if (user == "alice") return std::vector<gid_t>{1000, 20, 30};
    return std::vector<gid_t>{901, 40};
  };
  const std::optional<std::string> none;
  auto run = [&](const std::optional<std::string>& user, const std::optional<std::string>& group,
                 const ScriptDefaults& d) {
    auto s = PrepareScript({"/bin/true"}, "", user, group, d, users, lists);
    EXPECT_TRUE(s.has_value());
    using Groups = std::optional<std::vector<gid_t>>;
    return s ? std::make_pair(s->gid.value_or(0), s->groups) : std::make_pair(gid_t{0}, Groups{});
  };
  using Groups = std::optional<std::vector<gid_t>>;
  // Without: only the gid.
  EXPECT_EQ(run("alice", none, {}), std::make_pair(gid_t{1000}, Groups{}));
  EXPECT_EQ(run("alice", "grp", {}), std::make_pair(gid_t{500}, Groups{}));
  EXPECT_TRUE(asked.empty());
  // ':' alone, ':GROUP', or the global flag.
  EXPECT_EQ(run("alice", ":", {}), std::make_pair(gid_t{1000}, Groups{{1000, 20, 30}}));
  EXPECT_EQ(run("alice", ":grp", {}), std::make_pair(gid_t{500}, Groups{{1000, 20, 30}}));
  EXPECT_EQ(run("alice", none, {none, none, false, true}),
            std::make_pair(gid_t{1000}, Groups{{1000, 20, 30}}));
  // script_user's ':' counts for scripts without a user of their own, not for the others.
  EXPECT_EQ(run(none, none, {"alice", ":grp", false, false}),
            std::make_pair(gid_t{500}, Groups{{1000, 20, 30}}));
  EXPECT_EQ(run("keepalived_script", none, {"alice", ":grp", false, false}),
            std::make_pair(gid_t{901}, Groups{}));
  // The default user keepalived_script, under the global flag.
  EXPECT_EQ(run(none, none, {none, none, false, true}),
            std::make_pair(gid_t{901}, Groups{{901, 40}}));
  for (const auto& [user, gid] : asked)
    EXPECT_EQ(gid, user == "alice" ? 1000u : 901u) << user;  // always the user's own gid
}

TEST(SubprocessTest, PrepareScriptChecksSecurityOnlyForRoot) {
  char tmpl[] = "/tmp/vigil-prep.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);  // writable by all, no sticky bit
  const std::string script = dir + "/s.sh";
  { FILE* f = fopen(script.c_str(), "w"); fputs("#!/bin/sh\n", f); fclose(f); }
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  const std::optional<std::string> none;
  const auto users = Users({{"root", {0, 0}}, {"nobody", {65534, 65534}}});
  auto as_root = PrepareScript({script}, "", "root", none, {none, none, true}, users);
  ASSERT_FALSE(as_root.has_value());
  EXPECT_EQ(as_root.error().context(),
            "refused by enable_script_security: '" + dir + "' is writable by every user");
  auto as_nobody = PrepareScript({script, "x"}, "", "nobody", none, {none, none, true}, users);
  ASSERT_TRUE(as_nobody.has_value());
  EXPECT_EQ(as_nobody->argv, (std::vector<std::string>{script, "x"}));
  EXPECT_EQ(as_nobody->uid, 65534u);
  EXPECT_EQ(as_nobody->gid, 65534u);
  // Without enable_script_security nothing is checked.
  EXPECT_TRUE(PrepareScript({script}, "", "root", none, {}, users).has_value());
  // The file executed is what is checked: a safe argv[0] does not hide an unsafe path, nor
  // an unsafe argv[0] a safe path.
  auto by_path = PrepareScript({"/bin/true"}, script, "root", none, {none, none, true}, users);
  ASSERT_FALSE(by_path.has_value());
  EXPECT_EQ(by_path.error().context(),
            "refused by enable_script_security: '" + dir + "' is writable by every user");
  auto safe = PrepareScript({script}, "/bin/true", "root", none, {none, none, true}, users);
  ASSERT_TRUE(safe.has_value());
  EXPECT_EQ(safe->path, "/bin/true");
  EXPECT_EQ(safe->argv, (std::vector<std::string>{script}));
  (void)std::system(("rm -rf " + dir).c_str());
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
