#include "vrrp/sync_group.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <utility>
#include <string>
#include <vector>

namespace vigil::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }

constexpr TimePoint kT0 = TimePoint{} + seconds(1000);

// Two members (VI_1, VI_2) of one group on a backup router, driven as the engine drives
// them: every batch of actions goes to the group, whose dispatches are applied in turn.
class SyncGroupTest : public ::testing::Test {
 protected:
  SyncGroupTest() {
    for (int i = 0; i < 2; ++i) {
      Params p;
      p.vrid = uint8_t(51 + i);
      p.priority = 100;
      p.primary_address = Ip("10.0.0.2");
      p.sync_member = true;
      members_.emplace_back(p);
    }
    machines_ = {&members_[0], &members_[1]};
    for (size_t i = 0; i < 2; ++i) Run(i, Startup{}, microseconds(0));
  }

  // Delivers `e` to member `i` at `t`, then lets the group follow; records transitions.
  void Run(size_t i, const Event& e, microseconds t) { Apply(i, members_[i].Handle(e, kT0 + t), t); }

  void Apply(size_t i, const std::vector<Action>& actions, microseconds t) {
    for (const Action& a : actions) {
      if (std::holds_alternative<BecomeMaster>(a)) log_.push_back("VI_" + std::to_string(i + 1) + " MASTER");
      if (std::holds_alternative<BecomeBackup>(a)) log_.push_back("VI_" + std::to_string(i + 1) + " BACKUP");
      if (std::holds_alternative<EnterFault>(a)) log_.push_back("VI_" + std::to_string(i + 1) + " FAULT");
      if (std::holds_alternative<WantMaster>(a)) log_.push_back("VI_" + std::to_string(i + 1) + " wants");
      if (const auto* s = std::get_if<SendAdvert>(&a); s && s->priority == 0)
        log_.push_back("VI_" + std::to_string(i + 1) + " priority 0");
    }
    SyncGroup::Step step = group_.Follow(machines_, i, actions, kT0 + t);
    for (auto& d : step.dispatches) Apply(d.member, d.actions, t);
    if (step.group_changed) log_.push_back("group " + std::string(StateName(*step.group_changed)));
    if (auto s = group_.Settle(machines_)) log_.push_back("group " + std::string(StateName(*s)));
  }

  static AdvertReceived From(uint8_t priority) {
    AdvertReceived a;
    a.source = Ip("10.0.0.1");
    a.priority = priority;
    a.interval = seconds(1);
    return a;
  }

  std::vector<std::string> Log() {
    auto out = std::move(log_);
    log_.clear();
    return out;
  }

  std::vector<StateMachine> members_;
  std::vector<StateMachine*> machines_;
  SyncGroup group_;
  std::vector<std::string> log_;
};

const microseconds kDown = microseconds(3609375);  // 3 s + (256 - 100) / 256 s

TEST_F(SyncGroupTest, StartsAsBackupOnceEveryMemberHasStarted) {
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_1 BACKUP", "VI_2 BACKUP", "group BACKUP"}));
  EXPECT_EQ(group_.state(), State::kBackup);
}

TEST_F(SyncGroupTest, OneSilentMasterDoesNotTakeTheGroup) {
  Log();
  // VI_2's master keeps advertising; VI_1's falls silent.
  for (int s = 1; s <= 10; ++s) Run(1, From(150), seconds(s));
  Run(0, TimerExpired{}, kDown);
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_1 wants"}));
  EXPECT_EQ(members_[0].state(), State::kBackup);
  EXPECT_TRUE(members_[0].wants_master());
  EXPECT_EQ(members_[0].wakeup(), kT0 + 2 * kDown);  // waits a whole down interval more
  Run(0, TimerExpired{}, 2 * kDown);
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_1 wants"}));
  EXPECT_EQ(group_.state(), State::kBackup);
  EXPECT_EQ(members_[1].state(), State::kBackup);
}

TEST_F(SyncGroupTest, GroupGoesMasterWhenEveryMemberWantsIt) {
  Log();
  Run(1, From(150), seconds(1));  // VI_2's timer now runs out 1 s after VI_1's
  Run(0, TimerExpired{}, kDown);
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_1 wants"}));
  Run(1, TimerExpired{}, seconds(1) + kDown);
  // The last member to want it goes first and takes the other with it.
  EXPECT_EQ(Log(),
            (std::vector<std::string>{"VI_2 wants", "VI_2 MASTER", "VI_1 MASTER", "group MASTER"}));
  EXPECT_EQ(members_[0].state(), State::kMaster);
  EXPECT_EQ(members_[1].state(), State::kMaster);
}

TEST_F(SyncGroupTest, AMemberThatHearsItsMasterAgainGivesUpWanting) {
  Log();
  Run(0, TimerExpired{}, kDown);
  EXPECT_TRUE(members_[0].wants_master());
  Run(0, From(150), kDown + milliseconds(100));
  EXPECT_FALSE(members_[0].wants_master());
  Run(1, TimerExpired{}, kDown + milliseconds(200));
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_1 wants", "VI_2 wants"}));
  EXPECT_EQ(group_.state(), State::kBackup);
}

TEST_F(SyncGroupTest, AMasterYieldingToAHigherPriorityTakesTheGroupBack) {
  Run(0, TimerExpired{}, kDown);
  Run(1, TimerExpired{}, kDown);
  ASSERT_EQ(group_.state(), State::kMaster);
  Log();
  Run(1, From(200), kDown + seconds(1));
  // VI_1 leaves MASTER without a priority-0 advert: VI_2's peer takes over by protocol.
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_2 BACKUP", "VI_1 BACKUP", "group BACKUP"}));
  EXPECT_EQ(members_[0].state(), State::kBackup);
}

TEST_F(SyncGroupTest, FaultOfEveryMemberIsTheGroupsAndRecoveryIsBackup) {
  Run(0, TimerExpired{}, kDown);
  Run(1, TimerExpired{}, kDown);
  Log();
  // The engine delivers a member's fault to every member of its group.
  Run(0, Fault{true}, seconds(5));
  Run(1, Fault{true}, seconds(5));
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_1 FAULT", "VI_1 priority 0", "group FAULT",
                                             "VI_2 FAULT", "VI_2 priority 0"}));
  Run(0, Fault{false}, seconds(6));
  EXPECT_EQ(group_.state(), State::kFault);  // until the last member recovers
  Run(1, Fault{false}, seconds(6));
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_1 BACKUP", "VI_2 BACKUP", "group BACKUP"}));
}

// The engine's groups by name: machines found by instance name, dispatches named.
class SyncGroupsTest : public ::testing::Test {
 protected:
  SyncGroupsTest() {
    for (const char* name : {"VI_1", "VI_2", "VI_3"}) {
      Params p;
      p.vrid = uint8_t(51 + machines_.size());
      p.priority = 100;
      p.primary_address = Ip("10.0.0.2");
      p.sync_member = std::string(name) != "VI_3";
      machines_.emplace(name, p);
    }
    groups_.Configure({Group({"VI_1", "VI_2"})});
  }

  static SyncGroupSpec Group(std::vector<std::string> members) {
    SyncGroupSpec g;
    g.name = "G";
    g.members = std::move(members);
    return g;
  }

  // Delivers `e` to `name` at `t` and lets its group follow, as the engine's Execute does.
  void Run(const std::string& name, const Event& e, microseconds t) {
    Apply(name, machines_.at(name).Handle(e, kT0 + t), t);
  }
  void Apply(const std::string& name, const std::vector<Action>& actions, microseconds t) {
    for (const Action& a : actions)
      if (std::holds_alternative<BecomeMaster>(a)) log_.push_back(name + " MASTER");
    groups_.Follow("G", name, actions, kT0 + t,
                   [&](const std::string& member, const std::vector<Action>& acts) {
                     log_.push_back("dispatch " + member);
                     Apply(member, acts, t);
                   });
  }

  std::vector<std::string> Log() { return std::exchange(log_, {}); }

  std::map<std::string, StateMachine> machines_;
  std::set<std::string> running_ = {"VI_1", "VI_2", "VI_3"};
  std::vector<std::string> log_;
  SyncGroups groups_{[this](const std::string& name) -> StateMachine* {
                       return running_.count(name) ? &machines_.at(name) : nullptr;
                     },
                     [this](const SyncGroupSpec& g, State s) {
                       log_.push_back("group " + g.name + " " + std::string(StateName(s)));
                     }};
};

TEST_F(SyncGroupsTest, AMemberBecomingMasterTakesTheOtherByName) {
  for (const char* name : {"VI_1", "VI_2", "VI_3"}) Run(name, Startup{}, microseconds(0));
  EXPECT_EQ(Log(), (std::vector<std::string>{"group G BACKUP"}));
  Run("VI_1", TimerExpired{}, kDown);
  EXPECT_EQ(Log(), (std::vector<std::string>{}));  // waits for VI_2
  Run("VI_2", TimerExpired{}, kDown);
  // The group lets VI_2, which wants MASTER, go; VI_1 follows it.
  EXPECT_EQ(Log(), (std::vector<std::string>{"dispatch VI_2", "VI_2 MASTER", "dispatch VI_1",
                                             "VI_1 MASTER", "group G MASTER"}));
  // VI_3 is in no group: it goes alone, and nothing follows it.
  Run("VI_3", TimerExpired{}, kDown);
  EXPECT_EQ(Log(), (std::vector<std::string>{"VI_3 MASTER"}));
}

TEST_F(SyncGroupsTest, AReloadKeepsAGroupWithTheSameMembersAndRestartsAChangedOne) {
  for (const char* name : {"VI_1", "VI_2"}) Run(name, Startup{}, microseconds(0));
  EXPECT_EQ(Log(), (std::vector<std::string>{"group G BACKUP"}));
  groups_.Configure({Group({"VI_1", "VI_2"})});
  groups_.Settle();
  EXPECT_EQ(Log(), (std::vector<std::string>{}));  // still BACKUP: no news
  groups_.Configure({Group({"VI_1", "VI_2", "VI_3"})});
  running_.erase("VI_3");  // not started yet: left out
  groups_.Settle();
  EXPECT_EQ(Log(), (std::vector<std::string>{"group G BACKUP"}));  // from INIT again
  std::vector<std::string> names;
  groups_.ForEach([&](const SyncGroupSpec& g) { names.push_back(g.name); });
  EXPECT_EQ(names, (std::vector<std::string>{"G"}));
}

TEST(SyncGroupRuleTest, MayGoMasterIgnoresMembersThatDoNotRun) {
  Params p;
  p.sync_member = true;
  StateMachine a(p);
  std::vector<StateMachine*> machines = {&a, nullptr};
  SyncGroup g;
  EXPECT_TRUE(g.MayGoMaster(machines, 0));
}

// keepalived 2.2.7's vrrp_init_state, live on a notify FIFO (lab test_vrrp_fifo_stream.py):
// a BACKUP group's line before its members' first states; a group of address owners that
// start MASTER is MASTER from the start, with no line of its own when its members go
// master; a group with a faulted member says FAULT after its members have.
TEST(SyncGroupBeginTest, BackupBeforeTheMembersOwnersSilentlyMasterFaultAfter) {
  auto members = [](uint8_t priority, bool master) {
    std::vector<StateMachine> out;
    for (int i = 0; i < 2; ++i) {
      Params p;
      p.vrid = uint8_t(51 + i);
      p.priority = priority;
      p.start_as_master = master;
      p.primary_address = Ip("10.0.0.2");
      p.sync_member = true;
      out.emplace_back(p);
    }
    return out;
  };
  auto run = [](std::vector<StateMachine>& ms, SyncGroup& g) {
    std::vector<StateMachine*> machines = {&ms[0], &ms[1]};
    std::vector<std::string> log;
    if (auto s = g.Begin(machines)) log.push_back("group " + std::string(StateName(*s)));
    for (size_t i = 0; i < ms.size(); ++i) {
      auto actions = ms[i].Handle(Startup{}, kT0);
      for (const Action& a : actions)
        if (const auto* n = std::get_if<Notify>(&a))
          log.push_back("VI_" + std::to_string(i + 1) + " " +
                        std::string(n->event == NotifyEvent::kMaster ? "MASTER"
                                    : n->event == NotifyEvent::kFault ? "FAULT"
                                                                      : "BACKUP"));
      SyncGroup::Step step = g.Follow(machines, i, actions, kT0);
      if (step.group_changed) log.push_back("group " + std::string(StateName(*step.group_changed)));
      if (auto s = g.Settle(machines)) log.push_back("group " + std::string(StateName(*s)));
    }
    return log;
  };
  auto backups = members(100, true);  // not owners: state MASTER makes no difference
  SyncGroup g1;
  EXPECT_EQ(run(backups, g1),
            (std::vector<std::string>{"group BACKUP", "VI_1 BACKUP", "VI_2 BACKUP"}));
  auto owners = members(255, true);
  SyncGroup g2;
  EXPECT_EQ(run(owners, g2), (std::vector<std::string>{"VI_1 MASTER", "VI_2 MASTER"}));
  EXPECT_EQ(g2.state(), State::kMaster);
  auto faulted = members(100, false);
  for (auto& m : faulted) m.Handle(Fault{true}, kT0);  // the engine's group fault
  SyncGroup g3;
  EXPECT_EQ(run(faulted, g3),
            (std::vector<std::string>{"VI_1 FAULT", "VI_2 FAULT", "group FAULT"}));
  // Only from INIT: a group running already is left as it is.
  EXPECT_EQ(g1.Begin(std::vector<StateMachine*>{&backups[0], &backups[1]}), std::nullopt);
  EXPECT_EQ(g1.state(), State::kBackup);
}

}  // namespace
}  // namespace vigil::vrrp
