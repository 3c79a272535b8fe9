#include "daemon/process_tuning.h"

#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

TEST(ProcessTuningTest, NothingSetIsTheDefaultPlan) {
  model::Config config;
  EXPECT_EQ(PlanTuning(config, "vrrp"), TuningPlan{});
  EXPECT_EQ(PlanTuning(config, "check"), TuningPlan{});
  EXPECT_EQ(DescribeTuning(TuningPlan{}), "nice 0, SCHED_OTHER, memory not locked, all cpus");
}

TEST(ProcessTuningTest, EachEngineGetsItsOwnSettings) {
  model::Config config;
  auto& v = config.global.vrrp_tuning;
  v.priority = -5;
  v.no_swap = true;
  v.rt_priority = 10;
  v.cpu_affinity = {0, 1};
  config.global.checker_tuning.priority = 7;
  config.global.checker_tuning.rlimit_rttime = 500;

  TuningPlan vrrp = PlanTuning(config, "vrrp");
  EXPECT_EQ(vrrp.nice, 0);  // not set with a real-time priority, as keepalived
  EXPECT_EQ(vrrp.policy, SCHED_RR);
  EXPECT_EQ(vrrp.rt_priority, 10);
  EXPECT_EQ(vrrp.rlimit_rttime, kDefaultRlimitRttime);  // keepalived's default with rt
  EXPECT_EQ(kDefaultRlimitRttime, 10000u);
  EXPECT_TRUE(vrrp.lock_memory);
  EXPECT_EQ(vrrp.cpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(DescribeTuning(vrrp),
            "nice 0, SCHED_RR 10 (rttime 10000us), memory locked, cpus 0,1");

  TuningPlan check = PlanTuning(config, "check");
  EXPECT_EQ(DescribeTuning(check),
            "nice 7, SCHED_OTHER, memory not locked, all cpus");
  config.global.checker_tuning.rt_priority = 3;
  EXPECT_EQ(DescribeTuning(PlanTuning(config, "check")),
            "nice 0, SCHED_RR 3 (rttime 500us), memory not locked, all cpus");
  EXPECT_EQ(PlanTuning(config, ""), TuningPlan{});  // the supervisor keeps its own
}

TEST(ProcessTuningTest, RlimitWithoutRealTimeIsNotApplied) {
  model::Config config;
  config.global.vrrp_tuning.rlimit_rttime = 500;
  EXPECT_EQ(PlanTuning(config, "vrrp"), TuningPlan{});
}

}  // namespace
}  // namespace vigil::daemon

namespace vigil::daemon {
namespace {

using std::chrono::microseconds;

TEST(AutoPriorityTest, SettingsFromGlobalDefs) {
  model::Config c;
  EXPECT_EQ(AutoPriorityOf(c, "vrrp"), AutoPriority{});
  c.global.max_auto_priority = 5;
  c.global.min_auto_priority_delay = std::chrono::milliseconds(20);
  c.global.checker_tuning.rlimit_rttime = 5000;
  EXPECT_EQ(AutoPriorityOf(c, "vrrp"), (AutoPriority{5, microseconds(20000), kDefaultRlimitRttime}));
  EXPECT_EQ(AutoPriorityOf(c, "check"), (AutoPriority{5, microseconds(20000), 5000}));
  EXPECT_EQ(AutoPriorityOf(c, "bfd").max, 0);
}

// keepalived's increment_process_priority after a timer more than min_auto_priority_delay late.
TEST(AutoPriorityTest, LateTimersRaiseThePriorityStepByStepUpToTheMaximum) {
  const AutoPriority a{3, microseconds(1000), 8000};
  TuningPlan plan;
  plan.nice = -5;
  plan.cpus = {1};
  EXPECT_EQ(RaisePriority(plan, a, microseconds(1000)), std::nullopt);  // not more than
  auto first = RaisePriority(plan, a, microseconds(1001));
  ASSERT_TRUE(first.has_value());
  TuningPlan want = plan;
  want.nice = 0;
  want.policy = SCHED_RR;
  want.rt_priority = 1;
  want.rlimit_rttime = 8000;
  EXPECT_EQ(*first, want);
  auto second = RaisePriority(*first, a, microseconds(50000));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->rt_priority, 2);
  auto third = RaisePriority(*second, a, microseconds(50000));
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->rt_priority, 3);
  EXPECT_EQ(RaisePriority(*third, a, microseconds(50000)), std::nullopt);
  // A configured real-time priority is the start; its rlimit is kept.
  TuningPlan rt;
  rt.policy = SCHED_RR;
  rt.rt_priority = 2;
  rt.rlimit_rttime = 20000;
  EXPECT_EQ(RaisePriority(rt, a, microseconds(2000))->rlimit_rttime, 20000u);
  EXPECT_EQ(RaisePriority(rt, a, microseconds(2000))->rt_priority, 3);
  // Off: 0 or -1.
  EXPECT_EQ(RaisePriority(plan, AutoPriority{0, microseconds(1), 1}, microseconds(9999999)),
            std::nullopt);
  EXPECT_EQ(RaisePriority(plan, AutoPriority{-1, microseconds(1), 1}, microseconds(9999999)),
            std::nullopt);
}

}  // namespace
}  // namespace vigil::daemon
