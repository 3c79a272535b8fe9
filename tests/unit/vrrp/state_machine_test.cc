#include "vrrp/state_machine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Strings = std::vector<std::string>;

model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }

// Drives one StateMachine with plain time points; actions are compared as strings with
// timers relative to the time of the event.
class StateMachineTest : public ::testing::Test {
 protected:
  StateMachineTest() {
    params_.vrid = 51;
    params_.version = Version::kV2;
    params_.priority = 100;
    params_.advert_interval = seconds(1);
    params_.primary_address = Ip("10.0.0.1");
  }

  void Make() { sm_.emplace(params_); }

  Strings At(microseconds t, const Event& e) {
    now_ = kT0 + t;
    Strings out;
    for (const Action& a : sm_->Handle(e, now_)) out.push_back(ActionToString(a, now_));
    return out;
  }

  // Advert from `source` with `priority`, interval `interval`.
  static AdvertReceived Advert(uint8_t priority, std::string_view source = "10.0.0.2",
                               microseconds interval = seconds(1)) {
    AdvertReceived a;
    a.source = Ip(source);
    a.priority = priority;
    a.interval = interval;
    return a;
  }

  // Starts as backup at 0 and lets the down timer expire (3.609375 s at priority 100).
  void BecomeMasterAt0() {
    Make();
    At(microseconds(0), Startup{});
    At(sm_->MasterDownInterval(), TimerExpired{});
    ASSERT_EQ(sm_->state(), State::kMaster);
  }

  static constexpr TimePoint kT0 = TimePoint{} + seconds(1000);
  Params params_;
  std::optional<StateMachine> sm_;
  TimePoint now_ = kT0;
};

// --- Timer formulas ------------------------------------------------------------

TEST_F(StateMachineTest, V2MasterDownIsThreeIntervalsPlusUnscaledSkew) {
  params_.advert_interval = seconds(2);
  Make();
  EXPECT_EQ(sm_->SkewTime(), microseconds(609375));  // (256-100)/256 s, not x2
  EXPECT_EQ(sm_->MasterDownInterval(), microseconds(6609375));
}

TEST_F(StateMachineTest, V3SkewScalesWithInterval) {
  params_.version = Version::kV3;
  params_.advert_interval = milliseconds(500);
  Make();
  EXPECT_EQ(sm_->SkewTime(), microseconds(304687));  // 156 * 0.5 s / 256, truncated
  EXPECT_EQ(sm_->MasterDownInterval(), microseconds(1804687));
}

TEST_F(StateMachineTest, DownTimerAdvertsIsConfigurable) {
  params_.down_timer_adverts = 5;
  params_.priority = 200;
  Make();
  EXPECT_EQ(sm_->MasterDownInterval(), microseconds(5218750));
}

// --- Start-up ------------------------------------------------------------------

TEST_F(StateMachineTest, StartupEntersBackupAndArmsDownTimer) {
  Make();
  EXPECT_EQ(sm_->state(), State::kInit);
  EXPECT_EQ(At(microseconds(0), Startup{}),
            (Strings{"become_backup from INIT", "notify BACKUP 100", "set_timer +3609375us"}));
  EXPECT_EQ(sm_->state(), State::kBackup);
}

TEST_F(StateMachineTest, StateMasterOwnerTakesOverAtStartup) {
  params_.priority = 255;
  params_.start_as_master = true;
  Make();
  EXPECT_EQ(At(microseconds(0), Startup{}),
            (Strings{"become_master from INIT", "send_advert 255", "add_vips",
                     "send_gratuitous master 5", "notify MASTER 255", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, StateMasterBelowOwnerWaitsForDownTimer) {
  params_.priority = 150;
  params_.start_as_master = true;
  Make();
  EXPECT_EQ(At(microseconds(0), Startup{}),
            (Strings{"become_backup from INIT", "notify BACKUP 150", "set_timer +3414062us"}));
}

TEST_F(StateMachineTest, OwnerWithoutStateMasterStartsAsBackupWithTinySkew) {
  params_.priority = 255;
  Make();
  EXPECT_EQ(At(microseconds(0), Startup{}),
            (Strings{"become_backup from INIT", "notify BACKUP 255", "set_timer +3003906us"}));
}

TEST_F(StateMachineTest, StartupWhileFaultedEntersFault) {
  Make();
  EXPECT_EQ(At(microseconds(0), Fault{true}), Strings{});
  EXPECT_EQ(At(microseconds(0), Startup{}), (Strings{"enter_fault from INIT", "notify FAULT 100"}));
  EXPECT_FALSE(sm_->wakeup().has_value());
}

TEST_F(StateMachineTest, SecondStartupIsIgnored) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), Startup{}), Strings{});
}

// --- Backup --------------------------------------------------------------------

TEST_F(StateMachineTest, BackupBecomesMasterWhenDownTimerExpires) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(microseconds(3609375), TimerExpired{}),
            (Strings{"become_master from BACKUP", "send_advert 100", "add_vips",
                     "send_gratuitous master 5", "notify MASTER 100", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, EarlyTimerOnlyRearms) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(microseconds(3609374), TimerExpired{}), Strings{"set_timer +1us"});
  EXPECT_EQ(sm_->state(), State::kBackup);
}

TEST_F(StateMachineTest, BackupHigherPriorityAdvertRestartsDownTimer) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(2), Advert(150)), Strings{"set_timer +3609375us"});
  EXPECT_EQ(sm_->master_address(), Ip("10.0.0.2"));
}

TEST_F(StateMachineTest, BackupEqualPriorityAdvertIsAcceptedWhateverTheAddress) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(2), Advert(100, "10.0.0.0")), Strings{"set_timer +3609375us"});
}

TEST_F(StateMachineTest, BackupIgnoresLowerPriorityAdvertAndPreempts) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(2), Advert(50)), Strings{});
  EXPECT_EQ(At(seconds(3), Advert(50)), Strings{});
  EXPECT_EQ(At(microseconds(3609375), TimerExpired{})[0], "become_master from BACKUP");
}

TEST_F(StateMachineTest, NopreemptAcceptsLowerPriorityMaster) {
  params_.nopreempt = true;
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(2), Advert(50)), Strings{"set_timer +3609375us"});
}

TEST_F(StateMachineTest, PreemptDelayAcceptsLowerPriorityUntilWindowEnds) {
  params_.preempt_delay = seconds(10);
  Make();
  At(microseconds(0), Startup{});
  // The first lower-priority advert opens a 10 s window (until t = 11 s).
  for (int s = 1; s <= 10; ++s) {
    EXPECT_EQ(At(seconds(s), Advert(50)), Strings{"set_timer +3609375us"}) << s;
  }
  // At 11 s the window has closed: ignored, and the timer from 10 s runs out.
  EXPECT_EQ(At(seconds(11), Advert(50)), Strings{});
  EXPECT_EQ(At(seconds(12), Advert(50)), Strings{});
  EXPECT_EQ(At(microseconds(13609375), TimerExpired{})[0], "become_master from BACKUP");
}

TEST_F(StateMachineTest, PreemptDelayWindowClosesOnHigherPriorityAdvert) {
  params_.preempt_delay = seconds(10);
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Advert(50));   // window until 11 s
  At(seconds(2), Advert(150));  // a better master: window cleared
  // A new lower-priority master starts a fresh window at 20 s (until 30 s).
  EXPECT_EQ(At(seconds(20), Advert(50)), Strings{"set_timer +3609375us"});
  EXPECT_EQ(At(seconds(29), Advert(50)), Strings{"set_timer +3609375us"});
  EXPECT_EQ(At(seconds(30), Advert(50)), Strings{});
}

TEST_F(StateMachineTest, PriorityZeroAdvertTriggersTakeoverAfterSkew) {
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Advert(200));
  EXPECT_EQ(At(seconds(2), Advert(0)), Strings{"set_timer +609375us"});
  EXPECT_EQ(At(microseconds(2609375), TimerExpired{})[0], "become_master from BACKUP");
}

TEST_F(StateMachineTest, V3BackupAdoptsMastersInterval) {
  params_.version = Version::kV3;
  Make();
  At(microseconds(0), Startup{});
  // 3 x 0.5 s + (256-100) x 0.5 s / 256
  EXPECT_EQ(At(seconds(1), Advert(200, "10.0.0.2", milliseconds(500))),
            Strings{"set_timer +1804687us"});
  EXPECT_EQ(sm_->master_advert_interval(), milliseconds(500));
}

TEST_F(StateMachineTest, V2BackupKeepsItsOwnInterval) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), Advert(200, "10.0.0.2", seconds(2))), Strings{"set_timer +3609375us"});
  EXPECT_EQ(sm_->master_advert_interval(), seconds(1));
}

// --- Operator holds: maintenance (Hold) and failover (StepDown) -------------------

TEST_F(StateMachineTest, HoldMakesAMasterSayPriorityZeroAndGoBackup) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(5), Hold{true}),
            (Strings{"send_advert 0", "become_backup from MASTER", "remove_vips",
                     "notify BACKUP 100", "set_timer +3609375us"}));
  EXPECT_TRUE(sm_->held());
}

TEST_F(StateMachineTest, HeldBackupNeverBecomesMasterUntilReleased) {
  Make();
  At(microseconds(0), Hold{true});
  At(microseconds(0), Startup{});
  // Nobody is heard: the down timer runs out and is only re-armed.
  EXPECT_EQ(At(microseconds(3609375), TimerExpired{}), Strings{"set_timer +3609375us"});
  // A lower-priority master is accepted, not preempted; a sync group cannot pull it up.
  EXPECT_EQ(At(seconds(4), Advert(50)), Strings{"set_timer +3609375us"});
  EXPECT_EQ(At(seconds(5), SyncMaster{}), Strings{});
  EXPECT_EQ(sm_->state(), State::kBackup);
  // Released: a full down timer, then the election as usual.
  EXPECT_EQ(At(seconds(6), Hold{false}), Strings{"set_timer +3609375us"});
  EXPECT_EQ(At(microseconds(9609375), TimerExpired{})[0], "become_master from BACKUP");
}

TEST_F(StateMachineTest, HeldStateMasterOwnerStartsAsBackup) {
  params_.priority = 255;
  params_.start_as_master = true;
  Make();
  At(microseconds(0), Hold{true});
  EXPECT_EQ(At(microseconds(0), Startup{}),
            (Strings{"become_backup from INIT", "notify BACKUP 255", "set_timer +3003906us"}));
}

TEST_F(StateMachineTest, HoldRepeatedOrOnFaultChangesNothing) {
  Make();
  At(microseconds(0), Fault{true});
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), Hold{true}), Strings{});
  EXPECT_EQ(At(seconds(1), Hold{true}), Strings{});
  EXPECT_EQ(sm_->state(), State::kFault);
  // The fault ends: BACKUP, and still held.
  At(seconds(2), Fault{false});
  EXPECT_EQ(At(microseconds(5609375), TimerExpired{}), Strings{"set_timer +3609375us"});
}

TEST_F(StateMachineTest, StepDownSaysPriorityZeroAndYieldsToALowerMaster) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(5), StepDown{}),
            (Strings{"send_advert 0", "become_backup from MASTER", "remove_vips",
                     "notify BACKUP 100", "set_timer +3609375us"}));
  EXPECT_TRUE(sm_->yielding());
  // The peer (priority 50) took over: accepted as if nopreempt, not preempted.
  for (int s = 6; s <= 12; ++s)
    EXPECT_EQ(At(seconds(s), Advert(50)), Strings{"set_timer +3609375us"}) << s;
  EXPECT_EQ(sm_->state(), State::kBackup);
  // The peer falls silent: master again, and preempting as configured after that.
  EXPECT_EQ(At(microseconds(15609375), TimerExpired{})[0], "become_master from BACKUP");
  EXPECT_FALSE(sm_->yielding());
}

// --- Preemption held while the load balancer is not ready (HoldPreemption) -------------

TEST_F(StateMachineTest, HeldPreemptionLeavesALowerMasterBeUntilReleased) {
  params_.priority = 150;
  Make();
  At(microseconds(0), HoldPreemption{true});
  At(microseconds(0), Startup{});
  EXPECT_TRUE(sm_->preemption_held());
  // The lower-priority master is accepted, advert after advert: no takeover.
  for (int s = 1; s <= 10; ++s)
    EXPECT_EQ(At(seconds(s), Advert(100)), Strings{"set_timer +3414062us"}) << s;
  EXPECT_EQ(sm_->state(), State::kBackup);
  // Released: its next advert is ignored, and the down timer of the last accepted one runs
  // out — a preemption as without the hold.
  EXPECT_EQ(At(microseconds(10500000), HoldPreemption{false}), Strings{});
  EXPECT_EQ(At(seconds(11), Advert(100)), Strings{});
  EXPECT_EQ(At(microseconds(13414062), TimerExpired{})[0], "become_master from BACKUP");
}

TEST_F(StateMachineTest, HeldPreemptionStillTakesOverFromNoMaster) {
  params_.priority = 150;
  Make();
  At(microseconds(0), HoldPreemption{true});
  At(microseconds(0), Startup{});
  // Nobody is heard: it takes over at its down timer, hold or not.
  EXPECT_EQ(At(microseconds(3414062), TimerExpired{})[0], "become_master from BACKUP");
  // A master's hold changes nothing: it does not step down for it.
  EXPECT_EQ(At(seconds(4), HoldPreemption{true}), Strings{});
  EXPECT_EQ(sm_->state(), State::kMaster);
}

TEST_F(StateMachineTest, HeldPreemptionStillYieldsToAHigherMaster) {
  BecomeMasterAt0();
  At(seconds(4), HoldPreemption{true});
  EXPECT_EQ(At(seconds(5), Advert(200))[0], "become_backup from MASTER");
}

TEST_F(StateMachineTest, StepDownIsIgnoredUnlessMaster) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), StepDown{}), Strings{});
  EXPECT_FALSE(sm_->yielding());
}

TEST_F(StateMachineTest, V3NewMasterAdvertisesAtItsOwnInterval) {
  params_.version = Version::kV3;
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Advert(200, "10.0.0.2", milliseconds(500)));
  const Strings s = At(microseconds(2804687), TimerExpired{});
  EXPECT_EQ(s.front(), "become_master from BACKUP");
  EXPECT_EQ(s.back(), "set_timer +1000000us");
  EXPECT_EQ(sm_->master_advert_interval(), seconds(1));
}

TEST_F(StateMachineTest, IgnoredAdvertsDoNotRestartTimer) {
  Make();
  At(microseconds(0), Startup{});
  At(seconds(3), Advert(50));
  EXPECT_EQ(sm_->wakeup(), kT0 + microseconds(3609375));
}

// --- Master --------------------------------------------------------------------

TEST_F(StateMachineTest, MasterSendsAdvertEveryInterval) {
  BecomeMasterAt0();
  EXPECT_EQ(At(microseconds(4609375), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, MasterRepeatsGratuitousAfterGarpMasterDelay) {
  BecomeMasterAt0();
  for (int i = 1; i <= 4; ++i) At(microseconds(3609375) + seconds(i), TimerExpired{});
  EXPECT_EQ(At(microseconds(8609375), TimerExpired{}),
            (Strings{"send_gratuitous master_delay 5", "send_advert 100", "set_timer +1000000us"}));
  EXPECT_EQ(At(microseconds(9609375), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, TimerWakesForGarpDelayBeforeNextAdvert) {
  params_.advert_interval = seconds(10);
  Make();
  At(microseconds(0), Startup{});
  const microseconds down = sm_->MasterDownInterval();
  EXPECT_EQ(At(down, TimerExpired{}).back(), "set_timer +5000000us");
  EXPECT_EQ(At(down + seconds(5), TimerExpired{}),
            (Strings{"send_gratuitous master_delay 5", "set_timer +5000000us"}));
  EXPECT_EQ(At(down + seconds(10), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +10000000us"}));
}

TEST_F(StateMachineTest, LeavingMasterDropsPendingGarpRounds) {
  BecomeMasterAt0();
  At(seconds(4), Advert(150));
  EXPECT_EQ(sm_->wakeup(), kT0 + seconds(4) + microseconds(3609375));
}

TEST_F(StateMachineTest, GarpMasterDelayZeroSendsOneRound) {
  params_.garp_master_delay = microseconds(0);
  BecomeMasterAt0();
  EXPECT_EQ(At(microseconds(8609375), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, GarpMasterRefreshRepeatsWhileMaster) {
  params_.garp_master_refresh = seconds(2);
  params_.garp_master_refresh_repeat = 3;
  params_.garp_master_delay = microseconds(0);
  BecomeMasterAt0();
  EXPECT_EQ(At(microseconds(4609375), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
  EXPECT_EQ(At(microseconds(5609375), TimerExpired{}),
            (Strings{"send_advert 100", "send_gratuitous refresh 3", "set_timer +1000000us"}));
}

// garp_extra_if: one message each period, checked when an advert is sent; the period
// starts again on each transition to master.
TEST_F(StateMachineTest, GarpExtraIfSendsOneRoundEveryPeriodWhileMaster) {
  params_.garp_extra_if = seconds(2);
  params_.garp_master_delay = microseconds(0);
  BecomeMasterAt0();
  EXPECT_EQ(At(microseconds(4609375), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
  EXPECT_EQ(At(microseconds(5609375), TimerExpired{}),
            (Strings{"send_advert 100", "send_gratuitous extra_if 1", "set_timer +1000000us"}));
  EXPECT_EQ(At(microseconds(6609375), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
  EXPECT_EQ(At(microseconds(7609375), TimerExpired{}),
            (Strings{"send_advert 100", "send_gratuitous extra_if 1", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, MasterYieldsToHigherPriority) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(150)), (Strings{"become_backup from MASTER", "remove_vips",
                                                  "notify BACKUP 100", "set_timer +3609375us"}));
  EXPECT_EQ(sm_->master_address(), Ip("10.0.0.2"));
}

TEST_F(StateMachineTest, MasterYieldsToEqualPriorityWithHigherAddress) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(100, "10.0.0.2"))[0], "become_backup from MASTER");
}

TEST_F(StateMachineTest, MasterKeepsRoleAgainstEqualPriorityWithLowerAddress) {
  params_.primary_address = Ip("10.0.0.9");
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(100, "10.0.0.2")),
            (Strings{"send_advert 100", "send_gratuitous lower_prio 5",
                     "notify MASTER_RX_LOWER_PRI 100", "set_timer +1000000us"}));
  EXPECT_EQ(sm_->state(), State::kMaster);
}

TEST_F(StateMachineTest, AddressTieBreakIsNumericNotTextual) {
  params_.primary_address = Ip("10.0.0.9");
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(100, "10.0.0.10"))[0], "become_backup from MASTER");
}

TEST_F(StateMachineTest, MasterAnswersLowerPriorityAndRepeatsGarpLater) {
  params_.garp_master_delay = microseconds(0);
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(50)),
            (Strings{"send_advert 100", "send_gratuitous lower_prio 5",
                     "notify MASTER_RX_LOWER_PRI 100", "set_timer +1000000us"}));
  for (int s = 5; s <= 8; ++s) At(seconds(s), TimerExpired{});
  EXPECT_EQ(At(seconds(9), TimerExpired{}), (Strings{"send_gratuitous lower_prio_delay 5",
                                                     "send_advert 100", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, LowerPrioNoAdvertSuppressesReply) {
  params_.lower_prio_no_advert = true;
  params_.garp_lower_prio_repeat = 0;
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(50)), Strings{"notify MASTER_RX_LOWER_PRI 100"});
  EXPECT_EQ(sm_->wakeup(), kT0 + microseconds(4609375));
}

TEST_F(StateMachineTest, MasterAnswersPriorityZeroAtOnce) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(0)), (Strings{"send_advert 100", "set_timer +1000000us"}));
  EXPECT_EQ(sm_->state(), State::kMaster);
}

TEST_F(StateMachineTest, HigherPrioSendAdvertSendsOneBeforeYielding) {
  params_.higher_prio_send_advert = true;
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(150)),
            (Strings{"send_advert 100", "become_backup from MASTER", "remove_vips",
                     "notify BACKUP 100", "set_timer +3609375us"}));
}

// --- timer_expired_backup -----------------------------------------------------------
// A nopreempt master whose engine was not run (stopped, starved) for 3 advert intervals
// plus the skew time of the highest other priority (default 254: 2/256 s in v2) after its
// last advert may have been replaced: it steps down instead of sending again.

TEST_F(StateMachineTest, LateMasterWithTimerExpiredBackupStepsDownWithoutAnAdvert) {
  params_.nopreempt = true;
  params_.timer_expired_backup = 254;
  BecomeMasterAt0();  // last advert at 3.609375 s
  EXPECT_EQ(At(microseconds(3609375 + 3007812), TimerExpired{}),
            (Strings{"become_backup from MASTER (late)", "remove_vips", "notify BACKUP 100",
                     "set_timer +3609375us"}));
  EXPECT_EQ(sm_->state(), State::kBackup);
}

TEST_F(StateMachineTest, LateMasterWithoutTimerExpiredBackupAdvertisesAsBefore) {
  params_.nopreempt = true;
  BecomeMasterAt0();
  EXPECT_EQ(At(microseconds(3609375 + 3007812), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
  EXPECT_EQ(sm_->state(), State::kMaster);
}

TEST_F(StateMachineTest, TimerExpiredBackupSparesAMasterJustInside) {
  params_.nopreempt = true;
  params_.timer_expired_backup = 254;
  params_.garp_master_repeat = 0;
  BecomeMasterAt0();
  EXPECT_EQ(At(microseconds(3609375 + 3007811), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
  // Counted from that advert, not the first one.
  EXPECT_EQ(At(microseconds(3609375 + 3007811 + 3007811), TimerExpired{}),
            (Strings{"send_advert 100", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, LateMasterHearingItsReplacementStepsDownAndFollowsIt) {
  params_.nopreempt = true;
  params_.timer_expired_backup = 254;
  params_.garp_lower_prio_repeat = 0;
  BecomeMasterAt0();
  // The backup (priority 50) took over meanwhile; its advert is read before our timer.
  EXPECT_EQ(At(seconds(8), Advert(50)), (Strings{"become_backup from MASTER (late)", "remove_vips",
                                                 "notify BACKUP 100", "set_timer +3609375us"}));
  EXPECT_EQ(sm_->master_address(), Ip("10.0.0.2"));
  // nopreempt: the lower-priority master is followed (its adverts restart the down
  // timer), never preempted.
  EXPECT_EQ(At(seconds(9), Advert(50)), Strings{"set_timer +3609375us"});
  EXPECT_EQ(sm_->state(), State::kBackup);
}

TEST_F(StateMachineTest, LateMasterWithoutTimerExpiredBackupReassertsOverItsReplacement) {
  params_.nopreempt = true;
  params_.garp_lower_prio_repeat = 0;
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(8), Advert(50)),  // (the next wakeup: garp_master_delay's round)
            (Strings{"send_advert 100", "notify MASTER_RX_LOWER_PRI 100", "set_timer +609375us"}));
  EXPECT_EQ(sm_->state(), State::kMaster);
}

TEST_F(StateMachineTest, TimerExpiredBackupHighestOtherPriorityLengthensTheBound) {
  params_.nopreempt = true;
  params_.version = Version::kV3;
  params_.timer_expired_backup = 100;  // v3 skew: 156/256 of the interval = 609375 us
  BecomeMasterAt0();
  EXPECT_EQ(At(microseconds(3609375 + 3609374), TimerExpired{})[0], "send_advert 100");
  EXPECT_EQ(At(microseconds(3609375 + 3609374 + 3609375), TimerExpired{})[0],
            "become_backup from MASTER (late)");
}

TEST_F(StateMachineTest, TimerExpiredBackupCountsFromTheAdvertOfTheNewMastership) {
  params_.nopreempt = true;
  params_.timer_expired_backup = 254;
  BecomeMasterAt0();
  At(seconds(4), Advert(150));  // yields; a long while as backup
  At(seconds(60), Advert(0));   // the other master leaves: take over after the skew
  ASSERT_EQ(At(seconds(61), TimerExpired{})[0], "become_master from BACKUP");
  // On time: the advert sent on becoming master counts, not the one of the old mastership.
  EXPECT_EQ(At(seconds(62), TimerExpired{}), (Strings{"send_advert 100", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, TwoOwnersLowerAddressYields) {
  params_.priority = 255;
  params_.start_as_master = true;
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), Advert(255, "10.0.0.0")).front(), "send_advert 255");  // we are higher
  EXPECT_EQ(sm_->state(), State::kMaster);
  EXPECT_EQ(At(seconds(2), Advert(255, "10.0.0.2")).front(), "become_backup from MASTER");
}

TEST_F(StateMachineTest, EqualPriorityFromOurOwnAddressIsIgnored) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(100, "10.0.0.1")), Strings{});
  EXPECT_EQ(sm_->state(), State::kMaster);
}

TEST_F(StateMachineTest, V3MasterYieldingAdoptsNewMastersInterval) {
  params_.version = Version::kV3;
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Advert(150, "10.0.0.2", milliseconds(200))).back(),
            "set_timer +721875us");  // 3 x 0.2 s + 156 x 0.2 s / 256
}

// --- Priority ------------------------------------------------------------------

TEST_F(StateMachineTest, PriorityChangeInBackupShiftsRunningTimer) {
  Make();
  At(microseconds(0), Startup{});  // deadline 3.609375 s
  // Skew drops from 0.609375 s to 0.21875 s: the deadline moves to 3.21875 s.
  EXPECT_EQ(At(seconds(1), PriorityChanged{200}), Strings{"set_timer +2218750us"});
  EXPECT_EQ(sm_->effective_priority(), 200);
}

TEST_F(StateMachineTest, PriorityChangeAfterPriorityZeroShiftsSkewTimer) {
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Advert(0));  // deadline 1.609375 s
  EXPECT_EQ(At(seconds(1), PriorityChanged{200}), Strings{"set_timer +218750us"});
}

TEST_F(StateMachineTest, EffectivePriorityIsClampedToBackupRange) {
  Make();
  At(microseconds(0), PriorityChanged{255});
  EXPECT_EQ(sm_->effective_priority(), 254);
  At(microseconds(0), PriorityChanged{0});
  EXPECT_EQ(sm_->effective_priority(), 1);
}

TEST_F(StateMachineTest, OwnerPriorityIsNeverAdjusted) {
  params_.priority = 255;
  Make();
  EXPECT_EQ(At(microseconds(0), PriorityChanged{100}), Strings{});
  EXPECT_EQ(sm_->effective_priority(), 255);
}

TEST_F(StateMachineTest, MasterAdvertCarriesNewPriority) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), PriorityChanged{90}), Strings{});
  EXPECT_EQ(At(microseconds(4609375), TimerExpired{}),
            (Strings{"send_advert 90", "set_timer +1000000us"}));
}

TEST_F(StateMachineTest, PriorityChangesAreNotifiedWhenAsked) {
  params_.notify_priority_changes = true;
  Make();
  EXPECT_EQ(At(microseconds(0), PriorityChanged{120}), Strings{"notify PRIORITY 120"});
  EXPECT_EQ(At(microseconds(0), PriorityChanged{120}), Strings{});
}

// --- Fault ---------------------------------------------------------------------

TEST_F(StateMachineTest, FaultInBackupStopsTimer) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), Fault{true}),
            (Strings{"enter_fault from BACKUP", "notify FAULT 100", "cancel_timer"}));
}

TEST_F(StateMachineTest, FaultInMasterSendsPriorityZeroThenRemovesVips) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Fault{true}),
            (Strings{"enter_fault from MASTER", "send_advert 0", "remove_vips", "notify FAULT 100",
                     "cancel_timer"}));
}

TEST_F(StateMachineTest, FaultIgnoresAdvertsAndTimers) {
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Fault{true});
  EXPECT_EQ(At(seconds(2), Advert(0)), Strings{});
  EXPECT_EQ(At(seconds(5), TimerExpired{}), Strings{});
  EXPECT_EQ(sm_->state(), State::kFault);
}

TEST_F(StateMachineTest, RepeatedFaultSignalsAreIdempotent) {
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Fault{true});
  EXPECT_EQ(At(seconds(2), Fault{true}), Strings{});
  At(seconds(3), Fault{false});
  EXPECT_EQ(At(seconds(4), Fault{false}), Strings{});
}

TEST_F(StateMachineTest, FaultRecoveryGoesToBackupWithFullDownTimer) {
  params_.version = Version::kV3;
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Advert(200, "10.0.0.2", milliseconds(500)));  // adopted 0.5 s
  At(seconds(2), Fault{true});
  EXPECT_EQ(At(seconds(3), Fault{false}),
            (Strings{"become_backup from FAULT", "notify BACKUP 100", "set_timer +3609375us"}));
  EXPECT_EQ(sm_->master_advert_interval(), seconds(1));
}

TEST_F(StateMachineTest, FormerMasterRecoversAsBackup) {
  params_.priority = 255;
  params_.start_as_master = true;
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Fault{true});
  EXPECT_EQ(At(seconds(2), Fault{false}).front(), "become_backup from FAULT");
}

// --- Shutdown ------------------------------------------------------------------

TEST_F(StateMachineTest, ShutdownAsMasterSendsPriorityZeroAndRemovesVips) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(4), Shutdown{}),
            (Strings{"send_advert 0", "remove_vips", "notify STOP 100", "cancel_timer"}));
  EXPECT_EQ(sm_->state(), State::kStop);
}

TEST_F(StateMachineTest, ShutdownAsBackupOnlyNotifies) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), Shutdown{}), (Strings{"notify STOP 100", "cancel_timer"}));
}

TEST_F(StateMachineTest, EventsAfterShutdownAreIgnored) {
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Shutdown{});
  EXPECT_EQ(At(seconds(2), Advert(0)), Strings{});
  EXPECT_EQ(At(seconds(5), TimerExpired{}), Strings{});
  EXPECT_EQ(At(seconds(6), Fault{false}), Strings{});
  EXPECT_EQ(At(seconds(7), Startup{}), Strings{});
}

// --- Address-list checking -----------------------------------------------------

TEST_F(StateMachineTest, SkipCheckAdvAddrSkipsOnlyTheKnownMaster) {
  params_.skip_check_adv_addr = true;
  Make();
  At(microseconds(0), Startup{});
  EXPECT_TRUE(sm_->ShouldCheckAdvertAddresses(Ip("10.0.0.2")));
  At(seconds(1), Advert(200, "10.0.0.2"));
  EXPECT_FALSE(sm_->ShouldCheckAdvertAddresses(Ip("10.0.0.2")));
  EXPECT_TRUE(sm_->ShouldCheckAdvertAddresses(Ip("10.0.0.3")));
}

TEST_F(StateMachineTest, WithoutSkipEveryAdvertIsChecked) {
  Make();
  At(microseconds(0), Startup{});
  At(seconds(1), Advert(200, "10.0.0.2"));
  EXPECT_TRUE(sm_->ShouldCheckAdvertAddresses(Ip("10.0.0.2")));
}

TEST(StateNameTest, KeepalivedSpellings) {
  EXPECT_EQ(StateName(State::kBackup), "BACKUP");
  EXPECT_EQ(StateName(State::kMaster), "MASTER");
  EXPECT_EQ(StateName(State::kFault), "FAULT");
  EXPECT_EQ(StateName(State::kStop), "STOP");
  EXPECT_EQ(StateName(State::kInit), "INIT");
}

// --- Start delay (vrrp_startup_delay / vrrp_delay_after_boot) -----------------------

TEST_F(StateMachineTest, StartDelayPushesTheFirstDownTimerBack) {
  Make();
  EXPECT_EQ(At(microseconds(0), Startup{kT0 + seconds(10)}),
            (Strings{"become_backup from INIT", "notify BACKUP 100", "set_timer +13609375us"}));
  EXPECT_EQ(At(microseconds(13609375), TimerExpired{}).front(), "become_master from BACKUP");
}

TEST_F(StateMachineTest, StateMasterOwnerWaitsAsBackupUntilTheDelayEnds) {
  params_.priority = 255;
  params_.start_as_master = true;
  Make();
  EXPECT_EQ(At(microseconds(0), Startup{kT0 + seconds(5)}),
            (Strings{"become_backup from INIT", "notify BACKUP 255", "set_timer +5000000us"}));
  EXPECT_EQ(At(seconds(5), TimerExpired{}).front(), "become_master from BACKUP");
}

TEST_F(StateMachineTest, NoTakeoverBeforeTheStartDelayEnds) {
  Make();
  At(microseconds(0), Startup{kT0 + seconds(10)});
  // A master is heard, then leaves: the skew timer would fire at 1.609375 s.
  EXPECT_EQ(At(seconds(1), Advert(150)), (Strings{"set_timer +3609375us"}));
  EXPECT_EQ(At(microseconds(1500000), Advert(0)), (Strings{"set_timer +609375us"}));
  EXPECT_EQ(At(microseconds(2109375), TimerExpired{}), (Strings{"set_timer +7890625us"}));
  EXPECT_EQ(sm_->state(), State::kBackup);
  EXPECT_EQ(At(seconds(10), TimerExpired{}).front(), "become_master from BACKUP");
}

TEST_F(StateMachineTest, AStartDelayAlreadyOverChangesNothing) {
  Make();
  EXPECT_EQ(At(seconds(1), Startup{kT0}),
            (Strings{"become_backup from INIT", "notify BACKUP 100", "set_timer +3609375us"}));
}

// --- owner_ignore_adverts ------------------------------------------------------------

TEST_F(StateMachineTest, OwnerIgnoringAdvertsStaysMasterAgainstAHigherAddress) {
  params_.priority = 255;
  params_.start_as_master = true;
  params_.owner_ignore_adverts = true;
  Make();
  At(microseconds(0), Startup{});
  EXPECT_TRUE(sm_->IgnoresAdverts());
  // Without the option this advert makes it yield (TwoOwnersLowerAddressYields).
  EXPECT_EQ(At(seconds(1), Advert(255, "10.0.0.2")), Strings{});
  EXPECT_EQ(At(seconds(1), Advert(0, "10.0.0.2")), Strings{});      // not answered either
  EXPECT_EQ(At(seconds(1), Advert(100, "10.0.0.0")), Strings{});    // no lower-priority reply
  EXPECT_EQ(sm_->state(), State::kMaster);
}

TEST_F(StateMachineTest, OwnerIgnoringAdvertsAsBackupStillTakesOverByTimer) {
  params_.priority = 255;
  params_.owner_ignore_adverts = true;
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), Advert(255, "10.0.0.2")), Strings{});  // the down timer runs on
  EXPECT_EQ(At(microseconds(3003906), TimerExpired{}).front(), "become_master from BACKUP");
}

TEST_F(StateMachineTest, OwnerIgnoreAdvertsNeedsTheOwnerPriority) {
  params_.priority = 200;
  params_.owner_ignore_adverts = true;
  Make();
  At(microseconds(0), Startup{});
  EXPECT_FALSE(sm_->IgnoresAdverts());
  EXPECT_EQ(At(seconds(1), Advert(250)), (Strings{"set_timer +3218750us"}));
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

// --- Sync groups ---------------------------------------------------------------

TEST_F(StateMachineTest, SyncMasterMakesABackupMemberMasterAtOnce) {
  Make();
  At(microseconds(0), Startup{});
  EXPECT_EQ(At(seconds(1), SyncMaster{}),
            (Strings{"become_master from BACKUP", "send_advert 100", "add_vips",
                     "send_gratuitous master 5", "notify MASTER 100", "set_timer +1000000us"}));
  EXPECT_EQ(sm_->state(), State::kMaster);
  // A master ignores it.
  EXPECT_EQ(At(seconds(2), SyncMaster{}), Strings{});
}

TEST_F(StateMachineTest, SyncMasterDoesNotMoveAFaultedMember) {
  Make();
  At(microseconds(0), Startup{});
  At(milliseconds(10), Fault{true});
  EXPECT_EQ(At(seconds(1), SyncMaster{}), Strings{});
  EXPECT_EQ(sm_->state(), State::kFault);
}

TEST_F(StateMachineTest, SyncBackupMakesAMasterMemberBackupWithoutPriorityZero) {
  BecomeMasterAt0();
  EXPECT_EQ(At(seconds(5), SyncBackup{}),
            (Strings{"become_backup from MASTER", "remove_vips", "notify BACKUP 100",
                     "set_timer +3609375us"}));
  EXPECT_EQ(sm_->state(), State::kBackup);
  EXPECT_EQ(At(seconds(6), SyncBackup{}), Strings{});
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

TEST_F(StateMachineTest, SyncMemberAsksInsteadOfTakingOverAndRearmsItsDownTimer) {
  params_.sync_member = true;
  Make();
  At(microseconds(0), Startup{});
  EXPECT_FALSE(sm_->wants_master());
  EXPECT_EQ(At(microseconds(3609375), TimerExpired{}),
            (Strings{"want_master", "set_timer +3609375us"}));
  EXPECT_EQ(sm_->state(), State::kBackup);
  EXPECT_TRUE(sm_->wants_master());
  // A master's advert: it no longer wants to take over.
  EXPECT_EQ(At(seconds(4), Advert(150)), (Strings{"set_timer +3609375us"}));
  EXPECT_FALSE(sm_->wants_master());
}

TEST_F(StateMachineTest, SyncMemberKeepsWantingOverALowerPriorityAdvert) {
  params_.sync_member = true;
  Make();
  At(microseconds(0), Startup{});
  At(microseconds(3609375), TimerExpired{});
  EXPECT_EQ(At(seconds(4), Advert(50)), Strings{});
  EXPECT_TRUE(sm_->wants_master());
}

}  // namespace
}  // namespace vigil::vrrp
