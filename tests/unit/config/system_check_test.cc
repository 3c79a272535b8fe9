#include "config/system_check.h"

#include <gtest/gtest.h>
#include <net/if_arp.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "base/subprocess.h"
#include "config/build.h"
#include "fake_system.h"
#include "tree_text.h"

namespace vigil::config {
namespace {

using testing::DiagLines;
using testing::TreeFromText;
using Strings = std::vector<std::string>;

// Builds the model of `text`, which must build without a diagnostic, and returns the
// diagnostics of the system checks against `sys`.
Diagnostics CheckText(const std::string& text, const FakeSystem& sys) {
  Diagnostics d;
  Diagnostics parse;
  auto cfg = Build(TreeFromText(text, parse), d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ResolveCommands(cfg, sys);
  CheckSystem(cfg, sys, d);
  return d;
}

TEST(SystemCheckTest, MissingControlGroupIsAnError) {
  FakeSystem sys;
  Diagnostics d = CheckText("global_defs {\n  vigil_control_group vigiladm\n}\n", sys);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:3: error: group 'vigiladm' does not exist (vigil_control_group)"}));
  sys.groups.insert("vigiladm");
  EXPECT_EQ(DiagLines(CheckText("global_defs {\n  vigil_control_group vigiladm\n}\n", sys)),
            Strings{});
}

TEST(SystemCheckTest, VigilConntrackdWantsConntrackdAndItsConfiguration) {
  const std::string text =
      "global_defs {\n  vigil_conntrackd /etc/conntrackd/lb.conf VI_1\n}\n"
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"
      "  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n";
  FakeSystem sys;
  EXPECT_EQ(DiagLines(CheckText(text, sys)),
            (Strings{"2:3: warning: vigil_conntrackd: conntrackd is not installed (not in "
                     "/usr/bin:/bin nor /usr/sbin): its commands will fail",
                     "2:3: warning: vigil_conntrackd: '/etc/conntrackd/lb.conf' does not "
                     "exist"}));
  sys.executables.insert("/usr/sbin/conntrackd");
  sys.plain_files.insert("/etc/conntrackd/lb.conf");
  EXPECT_EQ(DiagLines(CheckText(text, sys)), Strings{});
  sys.executables = {"/usr/bin/conntrackd"};  // found along PATH
  EXPECT_EQ(DiagLines(CheckText(text, sys)), Strings{});
}

TEST(SystemCheckTest, MissingThingsAreReportedAtTheirLines) {
  FakeSystem sys;
  sys.users.insert("keepalived_script");  // the scripts have a user to run as
  Diagnostics d = CheckText(R"(global_defs {
  enable_script_security
  dynamic_interfaces
}
vrrp_script chk {
  script "/bin/true"
  user nobody2
}
vrrp_instance VI_1 {
  interface eth9
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 dev eth0 }
  track_interface { eth0 }
  track_script { chk }
  notify_master /etc/passwd
  notify_backup /no/such
})", sys);
  // Scripts first (global, vrrp_script, notify...), then interfaces.
  EXPECT_EQ(DiagLines(d), (Strings{"5:13: error: user 'nobody2' does not exist",
                                   "15:3: warning: script '/etc/passwd' is not executable",
                                   "16:3: warning: script '/no/such' does not exist",
                                   "9:15: warning: interface 'eth9' does not exist; its "
                                   "instance waits for it in FAULT (dynamic_interfaces)"}));
  // keepalived -t: an unknown user counts (exit 5); missing or non-executable notify
  // scripts, and interfaces under dynamic_interfaces, are only logged there.
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

TEST(SystemCheckTest, ExistingScriptWithoutScriptSecurityGivesExit5) {
  FakeSystem sys;
  Diagnostics d = CheckText(R"(vrrp_script chk {
  script "/bin/true"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  track_script { chk }
  notify_master "/bin/true master"
})", sys);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:3: warning: scripts are configured but global_defs has no "
                     "enable_script_security: they would run as root without their files' "
                     "safety being checked"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kScriptSecurity);
}

TEST(SystemCheckTest, MissingScriptsAreNotASecurityProblem) {
  // keepalived drops a script whose file does not exist, so it never runs unchecked.
  FakeSystem sys;
  Diagnostics d = CheckText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  notify_master /no/such.sh
})", sys);
  EXPECT_EQ(DiagLines(d), (Strings{"5:3: warning: script '/no/such.sh' does not exist"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
}

TEST(SystemCheckTest, ProgramsWithoutSlashAreFoundThroughPath) {
  FakeSystem sys;
  sys.users.insert("keepalived_script");  // the scripts have a user to run as
  Diagnostics d = CheckText(R"(global_defs {
  enable_script_security
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  notify_master "true now"
  notify_backup "nosuchprog now"
})", sys);
  EXPECT_EQ(DiagLines(d), (Strings{"9:3: warning: script 'nosuchprog' is not found in PATH "
                                   "(/usr/bin:/bin)"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
}

TEST(SystemCheckTest, ResolveCommandsStoresTheProgramFoundInPath) {
  // The HAProxy seed example: `killall -0 haproxy` runs /usr/bin/killall.
  FakeSystem sys;
  sys.executables.insert("/usr/bin/killall");
  Diagnostics d;
  auto cfg = Build(TreeFromText(R"(vrrp_script chk_haproxy {
  script "killall -0 haproxy"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  track_script { chk_haproxy }
  notify_master "/bin/true master"
  notify_backup "nosuchprog now"
})", d), d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ResolveCommands(cfg, sys);
  EXPECT_EQ(cfg.vrrp_scripts.at(0).program, "/usr/bin/killall");
  EXPECT_FALSE(cfg.vrrp_scripts.at(0).missing);
  EXPECT_EQ(cfg.vrrp_instances.at(0).notify.master->program, "/bin/true");
  EXPECT_EQ(cfg.vrrp_instances.at(0).notify.backup->program, std::nullopt);
  EXPECT_EQ(CommandArgv(cfg.vrrp_scripts[0].command, cfg.vrrp_scripts[0].program),
            (Strings{"/usr/bin/killall", "-0", "haproxy"}));
}

TEST(SystemCheckTest, ResolveCommandsResolvesSymlinksUnlessUseSymlinkPaths) {
  // keepalived runs the file a script's path names when the configuration is read
  // (realpath), argv[0] still the path; with use_symlink_paths, the path itself.
  FakeSystem sys;
  sys.executables.insert("/usr/bin/killall");
  sys.executables.insert("/etc/keepalived/check.sh");
  sys.symlinks["/usr/bin/killall"] = "/usr/bin/busybox";
  sys.symlinks["/etc/keepalived/check.sh"] = "/opt/checks/v2/check.sh";
  const std::string scripts = R"(vrrp_script bare {
  script "killall -0 haproxy"
}
vrrp_script linked {
  script "/etc/keepalived/check.sh arg"
}
vrrp_script plain {
  script "/bin/true"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  track_script {
    bare
    linked
    plain
  }
  notify_master "/etc/keepalived/check.sh master"
}
)";
  for (const bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "use_symlink_paths" : "resolved");
    Diagnostics d;
    auto cfg = Build(TreeFromText(
        (keep ? "global_defs {\n  use_symlink_paths\n}\n" : "") + scripts, d), d);
    EXPECT_EQ(DiagLines(d), Strings{});
    EXPECT_EQ(cfg.global.use_symlink_paths, keep);
    ResolveCommands(cfg, sys);
    const auto& s = cfg.vrrp_scripts;
    EXPECT_EQ(s.at(0).program, "/usr/bin/killall");
    EXPECT_EQ(s.at(0).real_program,
              keep ? std::nullopt : std::optional<std::string>("/usr/bin/busybox"));
    EXPECT_EQ(s.at(1).program, "/etc/keepalived/check.sh");
    EXPECT_EQ(s.at(1).real_program,
              keep ? std::nullopt : std::optional<std::string>("/opt/checks/v2/check.sh"));
    EXPECT_EQ(s.at(2).real_program, std::nullopt);  // not a symlink
    EXPECT_EQ(cfg.vrrp_instances.at(0).notify.master->real_program, s.at(1).real_program);
    // argv[0] is the configured (or PATH-found) name either way.
    EXPECT_EQ(CommandArgv(s[1].command, s[1].program),
              (Strings{"/etc/keepalived/check.sh", "arg"}));
  }
}

TEST(SystemCheckTest, ResolveCommandsMarksTrackScriptsWhoseProgramIsMissing) {
  FakeSystem sys;
  sys.executables.insert("/usr/bin/killall");
  Diagnostics d;
  auto cfg = Build(TreeFromText(R"(vrrp_script in_path {
  script "killall -0 haproxy"
}
vrrp_script not_in_path {
  script "nosuchprog"
}
vrrp_script no_file {
  script "/opt/none/check.sh arg"
}
)", d), d);
  ResolveCommands(cfg, sys);
  EXPECT_FALSE(cfg.vrrp_scripts.at(0).missing);
  EXPECT_TRUE(cfg.vrrp_scripts.at(1).missing);
  EXPECT_TRUE(cfg.vrrp_scripts.at(2).missing);
  EXPECT_EQ(cfg.vrrp_scripts.at(2).program, "/opt/none/check.sh");
}

TEST(SystemCheckTest, TrackScriptNotFoundIsAnErrorAtItsScriptLine) {
  // keepalived -t: "Disabling track script chk since not found/accessible" (an error).
  FakeSystem sys;
  sys.users.insert("keepalived_script");  // the scripts have a user to run as
  Diagnostics d = CheckText(R"(global_defs {
  enable_script_security
}
vrrp_script chk {
  interval 2
  script "killall -0 haproxy"
}
vrrp_script chk2 {
  script "/usr/local/bin/nosuch.sh"
})", sys);
  EXPECT_EQ(DiagLines(d),
            (Strings{"6:3: error: script 'killall' is not found in PATH (/usr/bin:/bin)",
                     "9:3: error: script '/usr/local/bin/nosuch.sh' does not exist"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

TEST(SystemCheckTest, ScriptSecurityRefusesScriptsOthersCanChange) {
  FakeSystem sys;
  sys.users.insert("keepalived_script");  // the scripts have a user to run as
  sys.insecure.insert("/bin/true");
  Diagnostics d = CheckText(R"(global_defs {
  enable_script_security
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  notify_master "/bin/true master"
})", sys);
  // keepalived drops an unsafe notify script with a log line: -t exits 0 there.
  EXPECT_EQ(DiagLines(d),
            (Strings{"8:3: warning: script '/bin/true' will not be run: '/bin/true' is writable "
                     "by every user (enable_script_security refuses scripts a non-root user can "
                     "change)"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
}

TEST(SystemCheckTest, ScriptSecurityRefusingATrackScriptIsAnError) {
  // keepalived -t: "Disabling track script chk due to insecure" (exit 5).
  FakeSystem sys;
  sys.users.insert("keepalived_script");  // the scripts have a user to run as
  sys.insecure.insert("/bin/true");
  Diagnostics d = CheckText(R"(global_defs {
  enable_script_security
}
vrrp_script chk {
  script "/bin/true"
})", sys);
  EXPECT_EQ(DiagLines(d),
            (Strings{"5:3: error: script '/bin/true' will not be run: '/bin/true' is writable by "
                     "every user (enable_script_security refuses scripts a non-root user can "
                     "change)"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

TEST(SystemCheckTest, UnknownScriptUserIsAnErrorAtItsLine) {
  // keepalived -t: "Error setting global script uid/gid" (exit 5).
  FakeSystem sys;
  Diagnostics d = CheckText(R"(global_defs {
  enable_script_security
  script_user quentin staff
}
vrrp_script chk {
  script "/bin/true"
  user root wheel
})", sys);
  EXPECT_EQ(DiagLines(d), (Strings{"3:3: error: user 'quentin' does not exist",
                                   "3:3: error: group 'staff' does not exist",
                                   "5:13: error: group 'wheel' does not exist"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

// "[user [:][group]]": ':' asks for the supplementary groups; the group after it is checked,
// ':' alone names none.
TEST(SystemCheckTest, ColonBeforeTheGroupIsNotPartOfItsName) {
  FakeSystem sys;
  sys.users.insert("alice");
  sys.groups.insert("staff");
  Diagnostics d = CheckText(R"(global_defs {
  enable_script_security
  script_user alice :staff
}
vrrp_script chk {
  script "/bin/true"
  user alice :
}
vrrp_script chk2 {
  script "/bin/true"
  user alice :wheel
})", sys);
  EXPECT_EQ(DiagLines(d), (Strings{"9:13: error: group 'wheel' does not exist"}));
}

TEST(SystemCheckTest, ScriptWithNoUserToRunAsIsAnError) {
  // keepalived -t: "Unable to set default user keepalived_script for script" (exit 5), for a
  // vrrp_script and a notify script alike: without keepalived_script the script would run as
  // root, which enable_script_security forbids.
  FakeSystem sys;
  const std::string text = R"(global_defs {
  enable_script_security
}
vrrp_script chk {
  script "/bin/true"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  notify_master "/bin/true master"
  notify_backup "/bin/true backup"
  notify_fault /bin/true
  notify_stop /bin/true
  notify_deleted /bin/true
  notify /bin/true
  track_script { chk }
})";
  const std::string why = " error: no user to run this script as: 'keepalived_script' does not "
                          "exist and enable_script_security forbids root (set global_defs "
                          "script_user, or a user for the script)";
  Diagnostics d = CheckText(text, sys);
  Strings expected{"4:13:" + why};
  for (int line = 11; line <= 16; ++line) expected.push_back(std::to_string(line) + ":3:" + why);
  EXPECT_EQ(DiagLines(d), expected);
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  // With the default user, or any script_user, the scripts have someone to run as.
  sys.users.insert("keepalived_script");
  EXPECT_EQ(DiagLines(CheckText(text, sys)), Strings{});
}

TEST(SystemCheckTest, DynamicInterfacesMayBeMissing) {
  // keepalived -t exits 0 for a missing interface under dynamic_interfaces.
  FakeSystem sys;
  Diagnostics d = CheckText(R"(global_defs {
  dynamic_interfaces
}
vrrp_instance A {
  interface eth7
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.1 }
})", sys);
  EXPECT_EQ(DiagLines(d),
            (Strings{"4:15: warning: interface 'eth7' does not exist; its instance waits for it "
                     "in FAULT (dynamic_interfaces)"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
}

TEST(SystemCheckTest, EachMissingInterfaceIsReportedOnce) {
  FakeSystem sys;
  Diagnostics d = CheckText(R"(vrrp_instance A {
  interface eth7
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance B {
  interface eth7
  virtual_router_id 2
  virtual_ipaddress { 10.0.0.2 }
})", sys);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: fatal: interface 'eth7' does not exist (the VRRP engine cannot "
                     "start without it; global_defs dynamic_interfaces makes its instance wait "
                     "in FAULT)"}));
}

// keepalived 2.2.7 judges the kind of an instance's interface: "(B) cannot use a loopback
// interface (lo) for vrrp - ignoring" (its VRRP process then does not start) and "(C): vmacs
// are only supported on Ethernet type interfaces" — configuration errors, -t exits 5. Only
// the instance's own interface counts (a VIP may still name lo as its dev).
TEST(SystemCheckTest, AnInstanceOnALoopbackOrAVmacOnANonEthernetInterfaceIsAnError) {
  FakeSystem sys;
  sys.interfaces.insert({"lo", "tun0"});
  sys.link_types = {{"lo", ARPHRD_LOOPBACK}, {"tun0", ARPHRD_NONE}};
  Diagnostics d = CheckText(R"(vrrp_instance A {
  interface eth0
  use_vmac
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.1 dev lo }
}
vrrp_instance B {
  interface lo
  virtual_router_id 2
  virtual_ipaddress { 10.0.0.2 }
}
vrrp_instance C {
  interface tun0
  use_vmac
  virtual_router_id 3
  virtual_ipaddress { 10.0.0.3 }
}
vrrp_instance D {
  interface tun0
  virtual_router_id 4
  virtual_ipaddress { 10.0.0.4 }
})", sys);
  EXPECT_EQ(DiagLines(d),
            (Strings{"7:15: error: vrrp_instance B: interface 'lo' is a loopback device, which "
                     "VRRP cannot use",
                     "12:15: error: vrrp_instance C: use_vmac needs an Ethernet interface; "
                     "'tun0' is not one"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

// keepalived 2.2.7 without dynamic_interfaces: "Non-existent interface specified in
// configuration", -t fails and the daemon stops; every interface VRRP uses counts (the
// instance's, track_interface, a VIP's dev). Other users of interfaces only warn.
TEST(SystemCheckTest, MissingVrrpInterfaceIsFatalWithoutDynamicInterfaces) {
  FakeSystem sys;
  Diagnostics d = CheckText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 1
  track_interface { eth5 }
  virtual_ipaddress { 10.0.0.1 dev eth6 }
}
static_ipaddress {
  10.0.0.9 dev eth8
})", sys);
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);  // keepalived: exit 5 (its "WARNING - interface" outweighs)
  EXPECT_TRUE(d.HasFatal());
  Strings lines = DiagLines(d);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].starts_with("4:21: fatal: interface 'eth5' does not exist (")) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("5:23: fatal: interface 'eth6' does not exist (")) << lines[1];
  EXPECT_EQ(lines[2], "8:3: warning: interface 'eth8' does not exist");
}

// keepalived: "(A) WARNING - VRF interface blue doesn't exist", a configuration error (-t
// exits 5); with dynamic_interfaces it is made when it appears (no error).
TEST(SystemCheckTest, MissingVrfIsAnErrorUnlessDynamicInterfaces) {
  FakeSystem sys;
  sys.interfaces.insert("e1");
  const std::string instance = R"(vrrp_instance A {
  virtual_router_id 1
  vrf blue
  unicast_src_ip 10.0.0.1
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.100/24 dev e1 }
})";
  Diagnostics d = CheckText(instance, sys);
  EXPECT_EQ(DiagLines(d), (Strings{"1:15: warning: vrf: VRF 'blue' does not exist"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  d = CheckText("global_defs {\n  dynamic_interfaces\n}\n" + instance, sys);
  EXPECT_EQ(DiagLines(d),
            (Strings{"4:15: warning: vrf: VRF 'blue' does not exist (yet: dynamic_interfaces)"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);
  sys.interfaces.insert("blue");
  EXPECT_EQ(DiagLines(CheckText(instance, sys)), Strings{});
}

TEST(SystemCheckTest, HostSystemKnowsLoopbackAndRoot) {
  HostSystemInfo host;
  EXPECT_TRUE(host.InterfaceExists("lo"));
  EXPECT_FALSE(host.InterfaceExists("no-such-if0"));
  EXPECT_EQ(host.LinkType("lo"), ARPHRD_LOOPBACK);
  EXPECT_EQ(host.LinkType("no-such-if0"), std::nullopt);
  EXPECT_TRUE(host.UserExists("root"));
  EXPECT_FALSE(host.UserExists("no-such-user-vigil"));
  EXPECT_EQ(host.Executable("/bin/sh"), SystemInfo::FileState::kExecutable);
  EXPECT_EQ(host.Executable("/no/such/file"), SystemInfo::FileState::kMissing);
}

TEST(HostSystemInfoTest, ReadSecretFileStopsAtTheLimitAndReportsTheMode) {
  char dir_template[] = "/tmp/vigil_secret_XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string path = dir + "/key";
  HostSystemInfo host;
  auto write = [&](size_t n, mode_t mode) {
    FILE* f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fwrite(std::string(n, 'k').data(), 1, n, f);
    fclose(f);
    chmod(path.c_str(), mode);
  };
  write(138, 0600);
  auto r = host.ReadSecretFile(path, 138);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->head, std::string(138, 'k'));
  EXPECT_EQ(r->mode & 0777, 0600u);
  write(139, 0644);
  r = host.ReadSecretFile(path, 138);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->complete);
  EXPECT_EQ(r->head.size(), 138u);
  EXPECT_EQ(r->mode & 0777, 0644u);
  // A directory opens but cannot be read: not complete (keepalived: too large).
  r = host.ReadSecretFile(dir, 138);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->complete);
  unlink(path.c_str());
  EXPECT_FALSE(host.ReadSecretFile(path, 138).has_value());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace vigil::config
