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
