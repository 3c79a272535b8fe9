#include "vrrp/conntrackd.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <asio.hpp>
#include <gtest/gtest.h>

#include "base/subprocess.h"
#include "vrrp/instance_spec.h"
#include "vrrp/notifier.h"

namespace vigil::vrrp {
namespace {

using V = std::vector<std::string>;
using C = ConntrackdCommand;
using R = ConntrackdResult;

TEST(ConntrackdPlanTest, FollowsThePrimaryBackupOrderPerState) {
  EXPECT_EQ(ConntrackdPlan(NotifyEvent::kMaster),
            (std::vector<C>{C::kCommit, C::kFlush, C::kResync, C::kBulkSend}));
  EXPECT_EQ(ConntrackdPlan(NotifyEvent::kBackup),
            (std::vector<C>{C::kShortenTimers, C::kRequestResync}));
  EXPECT_EQ(ConntrackdPlan(NotifyEvent::kFault), (std::vector<C>{C::kShortenTimers}));
  EXPECT_TRUE(ConntrackdPlan(NotifyEvent::kStop).empty());
  EXPECT_TRUE(ConntrackdPlan(NotifyEvent::kPriorityChanged).empty());
  EXPECT_TRUE(ConntrackdPlan(NotifyEvent::kMasterRxLowerPriority).empty());
}

TEST(ConntrackdPlanTest, ArgvNamesTheDaemonsConfiguration) {
  ConntrackdSpec s;
  s.program = "/usr/sbin/conntrackd";
  s.config = "/etc/conntrackd/lb.conf";
  const V base{"/usr/sbin/conntrackd", "-C", "/etc/conntrackd/lb.conf"};
  auto with = [&](V extra) {
    V v = base;
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  EXPECT_EQ(ConntrackdArgv(s, C::kCommit), with({"-c"}));
  EXPECT_EQ(ConntrackdArgv(s, C::kFlush), with({"-f", "internal"}));
  EXPECT_EQ(ConntrackdArgv(s, C::kResync), with({"-R"}));
  EXPECT_EQ(ConntrackdArgv(s, C::kBulkSend), with({"-B"}));
  EXPECT_EQ(ConntrackdArgv(s, C::kShortenTimers), with({"-t"}));
  EXPECT_EQ(ConntrackdArgv(s, C::kRequestResync), with({"-n"}));
}

TEST(ConntrackdPlanTest, ResultOfAnExit) {
  ExitInfo ok{true, 0, 0, false};
  ExitInfo failed{true, 1, 0, false};
  ExitInfo killed{false, -1, SIGKILL, false};
  ExitInfo timed_out{false, -1, SIGTERM, true};
  EXPECT_EQ(ConntrackdResultOf(ok), R::kSuccess);
  EXPECT_EQ(ConntrackdResultOf(failed), R::kFailure);
  EXPECT_EQ(ConntrackdResultOf(killed), R::kFailure);
  EXPECT_EQ(ConntrackdResultOf(timed_out), R::kTimeout);
}

TEST(ConntrackdPlanTest, CountersTableHasEveryCommandAndResult) {
  ConntrackdCounters c;
  c.Add(C::kCommit, R::kSuccess);
  c.Add(C::kCommit, R::kSuccess);
  c.Add(C::kRequestResync, R::kTimeout);
  EXPECT_EQ(c.count(C::kCommit, R::kSuccess), 2u);
  EXPECT_EQ(c.count(C::kCommit, R::kFailure), 0u);
  auto t = c.Table();
  ASSERT_EQ(t.size(), 6u);
  for (const auto& [command, results] : t) EXPECT_EQ(results.size(), 3u) << command;
  EXPECT_EQ(t["commit"]["success"], 2u);
  EXPECT_EQ(t["request_resync"]["timeout"], 1u);
  EXPECT_EQ(t["flush"]["failure"], 0u);
  EXPECT_EQ(t.count("bulk_send"), 1u);
  EXPECT_EQ(t.count("shorten_timers"), 1u);
  EXPECT_EQ(t.count("resync"), 1u);
}

// The Notifier runs the plan with a fake conntrackd that logs its arguments (and a notify
// script that logs its own) to one file: the order of the lines is the order of the runs.
class ConntrackdNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-conntrackd-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_ = dir_ + "/log";
    // -c takes 300 ms (transitions pile up behind it); -t fails when the file "fail-t"
    // exists; -n hangs when "hang-n" exists.
    Write("conntrackd",
          "#!/bin/sh\n"
          "echo \"conntrackd $*\" >> " + log_ + "\n"
          "case \"$3\" in\n"
          "  -c) sleep 0.3 ;;\n"
          "  -t) [ -e " + dir_ + "/fail-t ] && exit 1 ;;\n"
          "  -n) [ -e " + dir_ + "/hang-n ] && sleep 30 ;;\n"
          "esac\n"
          "exit 0\n");
    Write("notify", "#!/bin/sh\necho \"notify $*\" >> " + log_ + "\n");
    spec_.script_defaults.user = getpwuid(geteuid())->pw_name;  // scripts run as this test
    ConntrackdSpec c;
    c.program = dir_ + "/conntrackd";
    c.config = "/etc/ctd.conf";
    c.follow = "VI_1";
    c.timeout = std::chrono::milliseconds(2000);
    spec_.conntrackd = c;
    for (const char* name : {"VI_1", "VI_2"}) {
      InstanceSpec in;
      in.name = name;
      in.notify.generic = CommandSpec{{dir_ + "/notify"}, {}, {}, {}};
      instances_.push_back(in);
    }
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
    chmod((dir_ + "/" + name).c_str(), 0755);
  }
  void Touch(const std::string& name) { std::ofstream(dir_ + "/" + name) << ""; }

  // Runs the loop until every queued run has ended (at most 20 s).
  void Drain(Notifier& n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (n.pending() > 0 && std::chrono::steady_clock::now() < deadline)
      io_.run_one_for(std::chrono::milliseconds(50));
    EXPECT_EQ(n.pending(), 0u);
  }
  V Lines() {
    std::ifstream in(log_);
    V out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  asio::io_context io_;
  std::string dir_, log_;
  VrrpSpec spec_;
  std::vector<InstanceSpec> instances_;
};

TEST_F(ConntrackdNotifierTest, MasterRunsTheCommandsInOrderThenTheNotifyScript) {
  Notifier n(io_);
  n.Configure(spec_);
  n.Notify(instances_[0], NotifyEvent::kMaster, 100);
  Drain(n);
  EXPECT_EQ(Lines(), (V{"conntrackd -C /etc/ctd.conf -c", "conntrackd -C /etc/ctd.conf -f internal",
                        "conntrackd -C /etc/ctd.conf -R", "conntrackd -C /etc/ctd.conf -B",
                        "notify INSTANCE VI_1 MASTER 100"}));
  const auto& c = n.conntrackd_counters();
  for (C cmd : {C::kCommit, C::kFlush, C::kResync, C::kBulkSend})
    EXPECT_EQ(c.count(cmd, R::kSuccess), 1u) << ConntrackdCommandName(cmd);
  EXPECT_EQ(c.count(C::kShortenTimers, R::kSuccess), 0u);
}

TEST_F(ConntrackdNotifierTest, OnlyTheFollowedSourceDrivesConntrackd) {
  Notifier n(io_);
  n.Configure(spec_);
  n.Notify(instances_[1], NotifyEvent::kMaster, 100);
  n.Notify(instances_[0], NotifyEvent::kFault, 0);
  Drain(n);
  // VI_2's script and VI_1's queue run side by side: compare VI_1's lines alone.
  V lines = Lines();
  V vi1;
  for (const auto& l : lines)
    if (l.find("VI_2") == std::string::npos) vi1.push_back(l);
  EXPECT_EQ(vi1, (V{"conntrackd -C /etc/ctd.conf -t", "notify INSTANCE VI_1 FAULT 0"}));
  EXPECT_EQ(lines.size(), 3u);
  EXPECT_EQ(n.conntrackd_counters().count(C::kCommit, R::kSuccess), 0u);
}

TEST_F(ConntrackdNotifierTest, ASyncGroupDrivesItWhenFollowed) {
  spec_.conntrackd->follow = "G";
  spec_.conntrackd->follows_group = true;
  Notifier n(io_);
  n.Configure(spec_);
  SyncGroupSpec g{"G", {"VI_1", "VI_2"}, {}};
  g.notify.generic = CommandSpec{{dir_ + "/notify"}, {}, {}, {}};
  n.Notify(instances_[0], NotifyEvent::kBackup, 100);  // a member's own change: no command
  Drain(n);
  n.NotifyGroup(g, NotifyEvent::kBackup);
  Drain(n);
  EXPECT_EQ(Lines(), (V{"notify INSTANCE VI_1 BACKUP 100", "conntrackd -C /etc/ctd.conf -t",
                        "conntrackd -C /etc/ctd.conf -n", "notify GROUP G BACKUP 0"}));
}

TEST_F(ConntrackdNotifierTest, ANewerTransitionSupersedesWaitingOnesButNeverInterleaves) {
  Notifier n(io_);
  n.Configure(spec_);
  n.Notify(instances_[0], NotifyEvent::kMaster, 100);  // -c runs for 300 ms
  n.Notify(instances_[0], NotifyEvent::kBackup, 100);  // waits, then is superseded
  n.Notify(instances_[0], NotifyEvent::kFault, 0);
  Drain(n);
  EXPECT_EQ(Lines(), (V{"conntrackd -C /etc/ctd.conf -c", "conntrackd -C /etc/ctd.conf -f internal",
                        "conntrackd -C /etc/ctd.conf -R", "conntrackd -C /etc/ctd.conf -B",
                        "notify INSTANCE VI_1 MASTER 100", "conntrackd -C /etc/ctd.conf -t",
                        "notify INSTANCE VI_1 FAULT 0"}));
  EXPECT_EQ(n.conntrackd_counters().count(C::kRequestResync, R::kSuccess), 0u);
}

TEST_F(ConntrackdNotifierTest, FailuresAndTimeoutsAreCountedAndTheQueueGoesOn) {
  Touch("fail-t");
  Touch("hang-n");
  spec_.conntrackd->timeout = std::chrono::milliseconds(300);
  Notifier n(io_);
  n.Configure(spec_);
  n.Notify(instances_[0], NotifyEvent::kBackup, 100);
  Drain(n);
  EXPECT_EQ(Lines(), (V{"conntrackd -C /etc/ctd.conf -t", "conntrackd -C /etc/ctd.conf -n",
                        "notify INSTANCE VI_1 BACKUP 100"}));
  const auto& c = n.conntrackd_counters();
  EXPECT_EQ(c.count(C::kShortenTimers, R::kFailure), 1u);
  EXPECT_EQ(c.count(C::kRequestResync, R::kTimeout), 1u);
  EXPECT_EQ(c.count(C::kRequestResync, R::kSuccess), 0u);
}

TEST_F(ConntrackdNotifierTest, AProgramThatCannotRunIsAFailure) {
  spec_.conntrackd->program = dir_ + "/missing";
  Notifier n(io_);
  n.Configure(spec_);
  n.Notify(instances_[0], NotifyEvent::kFault, 0);
  Drain(n);
  EXPECT_EQ(n.conntrackd_counters().count(C::kShortenTimers, R::kFailure), 1u);
  EXPECT_EQ(Lines(), (V{"notify INSTANCE VI_1 FAULT 0"}));
}

}  // namespace
}  // namespace vigil::vrrp
