#include "vrrp/reload_rule.h"

#include <gtest/gtest.h>

#include "test_specs.h"

namespace vigil::vrrp {
namespace {

model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }

InstanceSpec Running() { return test::Instance(); }

TEST(FateOnReloadTest, AbsentFromTheNewConfigurationIsRemoved) {
  EXPECT_EQ(FateOnReload(Running(), State::kMaster, nullptr), ReloadFate::kRemoved);
}

TEST(FateOnReloadTest, TheSameSpecIsUnchangedInAnyState) {
  const InstanceSpec next = Running();
  for (State st : {State::kBackup, State::kMaster, State::kFault})
    EXPECT_EQ(FateOnReload(Running(), st, &next), ReloadFate::kUnchanged);
}

TEST(FateOnReloadTest, OnlyTheVipsDifferingChangesThemInPlace) {
  InstanceSpec next = Running();
  next.vips[0].prefix = {Ip("10.0.0.101"), 32};
  EXPECT_EQ(FateOnReload(Running(), State::kMaster, &next), ReloadFate::kVipsChanged);
  EXPECT_EQ(FateOnReload(Running(), State::kFault, &next), ReloadFate::kVipsChanged);
}

TEST(FateOnReloadTest, TheSameRouterKeepsMasterOrBackupAndRestartsOtherwise) {
  InstanceSpec next = Running();
  next.params.priority = 150;
  EXPECT_EQ(FateOnReload(Running(), State::kMaster, &next), ReloadFate::kReplaced);
  EXPECT_EQ(FateOnReload(Running(), State::kBackup, &next), ReloadFate::kReplaced);
  EXPECT_EQ(FateOnReload(Running(), State::kFault, &next), ReloadFate::kRestarted);
  EXPECT_EQ(FateOnReload(Running(), State::kInit, &next), ReloadFate::kRestarted);
}

TEST(FateOnReloadTest, AnotherRouterIsRestartedEvenAsMaster) {
  auto other = [](auto change) {
    InstanceSpec s = Running();
    change(s);
    return s;
  };
  const InstanceSpec changes[] = {
      other([](InstanceSpec& s) { s.params.vrid = 52; }),
      other([](InstanceSpec& s) { s.interface = "eth1"; }),
      other([](InstanceSpec& s) { s.family = model::Family::kIpv6; }),
      other([](InstanceSpec& s) { s.unicast_peers = {{Ip("10.0.0.2"), 0, 255}}; }),
      other([](InstanceSpec& s) { s.vmac = "vrrp.51"; }),
  };
  for (const auto& next : changes) {
    EXPECT_FALSE(SameRouter(Running(), next));
    EXPECT_EQ(FateOnReload(Running(), State::kMaster, &next), ReloadFate::kRestarted);
  }
}

TEST(FateOnReloadTest, UnicastPeersChangingAmongUnicastIsTheSameRouter) {
  InstanceSpec running = Running();
  running.unicast_peers = {{Ip("10.0.0.2"), 0, 255}};
  InstanceSpec next = running;
  next.unicast_peers = {{Ip("10.0.0.3"), 0, 255}};
  EXPECT_TRUE(SameRouter(running, next));
  EXPECT_EQ(FateOnReload(running, State::kBackup, &next), ReloadFate::kReplaced);
}

TEST(HoldsVipsThroughReloadTest, OnlyAMasterHoldingThemAsTheSameRouter) {
  InstanceSpec next = Running();
  next.params.priority = 150;
  EXPECT_TRUE(HoldsVipsThroughReload(Running(), State::kMaster, true, next));
  EXPECT_FALSE(HoldsVipsThroughReload(Running(), State::kMaster, false, next));
  EXPECT_FALSE(HoldsVipsThroughReload(Running(), State::kBackup, true, next));
  next.params.vrid = 52;
  EXPECT_FALSE(HoldsVipsThroughReload(Running(), State::kMaster, true, next));
}

InstanceSpec Named(std::string name, uint8_t vrid, std::string vip) {
  InstanceSpec s = Running();
  s.name = std::move(name);
  s.params.vrid = vrid;
  s.vips[0].prefix = {Ip(vip), 32};
  return s;
}

TEST(PlanReloadTest, EveryRunningInstanceGetsItsFateInOrderAndTheSummaryCountsThem) {
  const InstanceSpec gone = Named("GONE", 1, "10.0.0.1"), same = Named("SAME", 2, "10.0.0.2"),
                     vips = Named("VIPS", 3, "10.0.0.3"), prio = Named("PRIO", 4, "10.0.0.4"),
                     vrid = Named("VRID", 5, "10.0.0.5");
  const RunningInstance running[] = {{&gone, State::kMaster, true},
                                     {&prio, State::kMaster, true},
                                     {&same, State::kBackup, false},
                                     {&vips, State::kMaster, true},
                                     {&vrid, State::kMaster, true}};
  std::vector<InstanceSpec> next = {same, Named("VIPS", 3, "10.0.0.33"), Named("NEW", 6, "10.0.0.6"),
                                    Named("PRIO", 4, "10.0.0.4"), Named("VRID", 55, "10.0.0.5")};
  next[3].params.priority = 200;
  const ReloadPlan plan = PlanReload(running, next);
  ASSERT_EQ(plan.steps.size(), 5u);
  const std::pair<std::string, ReloadFate> want[] = {{"GONE", ReloadFate::kRemoved},
                                                     {"PRIO", ReloadFate::kReplaced},
                                                     {"SAME", ReloadFate::kUnchanged},
                                                     {"VIPS", ReloadFate::kVipsChanged},
                                                     {"VRID", ReloadFate::kRestarted}};
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    EXPECT_EQ(plan.steps[i].name, want[i].first);
    EXPECT_EQ(plan.steps[i].fate, want[i].second) << want[i].first;
  }
  EXPECT_EQ(plan.steps[0].next, nullptr);
  EXPECT_EQ(plan.steps[1].next, &next[3]);
  EXPECT_EQ(plan.steps[3].next, &next[1]);
  // Kept through: the masters that stay the same router (PRIO; VIPS keeps its new VIPs).
  EXPECT_EQ(plan.keep, (std::set<std::string>{"10.0.0.33/32%eth0", "10.0.0.4/32%eth0"}));
  EXPECT_EQ(plan.Summary(), "instances +1 -1 ~2 vips~1 =1");
}

TEST(PlanReloadTest, AVipIsKeptOnlyWhereAMasterHoldsItAfter) {
  const InstanceSpec a = Named("A", 1, "10.0.0.1"), b = Named("B", 2, "10.0.0.2");
  const RunningInstance running[] = {{&a, State::kMaster, true}, {&b, State::kBackup, false}};
  // 10.0.0.1 moves from A to B (a backup): not kept; A keeps 10.0.0.2, which B had.
  std::vector<InstanceSpec> next = {Named("A", 1, "10.0.0.2"), Named("B", 2, "10.0.0.1")};
  const ReloadPlan plan = PlanReload(running, next);
  EXPECT_EQ(plan.keep, (std::set<std::string>{"10.0.0.2/32%eth0"}));
  EXPECT_EQ(plan.Summary(), "instances +0 -0 ~0 vips~2 =0");
}

TEST(PlanReloadTest, NothingRunningAddsEveryInstance) {
  std::vector<InstanceSpec> next = {Named("A", 1, "10.0.0.1"), Named("B", 2, "10.0.0.2")};
  const ReloadPlan plan = PlanReload({}, next);
  EXPECT_TRUE(plan.steps.empty());
  EXPECT_TRUE(plan.keep.empty());
  EXPECT_EQ(plan.Summary(), "instances +2 -0 ~0 vips~0 =0");
}

}  // namespace
}  // namespace vigil::vrrp
