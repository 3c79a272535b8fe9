#include "vrrp/operations.h"

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

InstanceSpec Spec(std::string name, uint8_t priority = 100,
                  std::optional<std::string> group = std::nullopt) {
  InstanceSpec s;
  s.name = std::move(name);
  s.params.priority = priority;
  s.sync_group = std::move(group);
  return s;
}

control::Operation Op(std::string command, std::string instance = "", int priority = 0,
                      bool on = false) {
  control::Operation op;
  op.command = std::move(command);
  op.instance = std::move(instance);
  op.priority = priority;
  op.on = on;
  return op;
}

TEST(RuntimeOperationsTest, MaintenanceAnswersAndRefusesTheStateItIsIn) {
  RuntimeOperations ops;
  std::string answer;
  EXPECT_FALSE(ops.SetMaintenance(false, answer));
  EXPECT_EQ(answer, "maintenance is already off");
  EXPECT_TRUE(ops.SetMaintenance(true, answer));
  EXPECT_TRUE(ops.maintenance());
  EXPECT_FALSE(ops.SetMaintenance(true, answer));
  EXPECT_EQ(answer, "maintenance is already on");
  EXPECT_EQ(RuntimeOperations::MaintenanceDone(true, 2, 3),
            "maintenance on: 2 master(s) stepped down with a priority-0 advert; no instance "
            "becomes master");
  EXPECT_EQ(RuntimeOperations::MaintenanceDone(false, 0, 3),
            "maintenance off: 3 instance(s) back in the election");
}

TEST(RuntimeOperationsTest, OnlyAMasterOutsideMaintenanceFailsOver) {
  struct Case {
    bool maintenance;
    State state;
    std::string error;  // "" : allowed
  };
  const Case cases[] = {
      {false, State::kMaster, ""},
      {false, State::kBackup, "VI_1 is BACKUP, not MASTER: only a master can fail over"},
      {false, State::kFault, "VI_1 is FAULT, not MASTER: only a master can fail over"},
      {false, State::kInit, "VI_1 is INIT, not MASTER: only a master can fail over"},
      {true, State::kMaster, "maintenance is on: VI_1 is not master"},
      {true, State::kBackup, "maintenance is on: VI_1 is not master"},
  };
  for (const auto& c : cases) {
    RuntimeOperations ops;
    std::string answer;
    if (c.maintenance) ops.SetMaintenance(true, answer);
    auto r = ops.CheckFailover("VI_1", c.state);
    SCOPED_TRACE(std::string(StateName(c.state)) + (c.maintenance ? " in maintenance" : ""));
    if (c.error.empty()) {
      EXPECT_TRUE(r.has_value());
    } else {
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
      EXPECT_EQ(r.error().ToString(), c.error);
    }
  }
}

TEST(RuntimeOperationsTest, TheOtherMastersOfItsSyncGroupStepDownWithIt) {
  const InstanceSpec a = Spec("A", 100, "G"), b = Spec("B", 100, "G"), c = Spec("C", 100, "G"),
                     d = Spec("D", 100, "H"), e = Spec("E");
  const std::vector<std::pair<const InstanceSpec*, State>> all = {
      {&a, State::kMaster}, {&b, State::kMaster}, {&c, State::kBackup},
      {&d, State::kMaster}, {&e, State::kMaster}};
  EXPECT_EQ(RuntimeOperations::SteppingDown(b, all), (std::vector<std::string>{"B", "A"}));
  EXPECT_EQ(RuntimeOperations::SteppingDown(d, all), (std::vector<std::string>{"D"}));
  EXPECT_EQ(RuntimeOperations::SteppingDown(e, all), (std::vector<std::string>{"E"}));
  EXPECT_EQ(RuntimeOperations::FailoverDone({"B", "A"}),
            "B, A stepped down (priority-0 advert); BACKUP, yielding to the new master until "
            "none is heard");
}

TEST(RuntimeOperationsTest, PrioritySetResetAndRefusedForTheOwner) {
  RuntimeOperations ops;
  const InstanceSpec vi = Spec("VI_1", 100), owner = Spec("OWNER", 255);
  EXPECT_EQ(ops.BasePriority(vi), 100);
  ASSERT_TRUE(ops.SetPriority(vi, 180).has_value());
  EXPECT_EQ(ops.BasePriority(vi), 180);
  EXPECT_EQ(ops.RuntimePriority("VI_1"), 180);
  EXPECT_EQ(RuntimeOperations::PriorityDone(vi, 180, 170),
            "VI_1 priority set to 180 (effective 170)");
  ASSERT_TRUE(ops.SetPriority(vi, 0).has_value());
  EXPECT_EQ(ops.BasePriority(vi), 100);
  EXPECT_EQ(ops.RuntimePriority("VI_1"), 0);
  EXPECT_EQ(RuntimeOperations::PriorityDone(vi, 0, 100),
            "VI_1 priority reset to the configured 100 (effective 100)");
  auto r = ops.SetPriority(owner, 50);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().ToString(),
            "OWNER is the address owner (priority 255), whose priority does not change");
  EXPECT_EQ(ops.BasePriority(owner), 255);
}

TEST(RuntimeOperationsTest, AReloadDropsThePrioritiesOfGoneInstancesAndNewOwners) {
  RuntimeOperations ops;
  ASSERT_TRUE(ops.SetPriority(Spec("KEPT"), 10).has_value());
  ASSERT_TRUE(ops.SetPriority(Spec("GONE"), 20).has_value());
  ASSERT_TRUE(ops.SetPriority(Spec("OWNER"), 30).has_value());
  VrrpSpec next;
  next.instances = {Spec("KEPT", 90), Spec("OWNER", 255), Spec("NEW")};
  EXPECT_EQ(ops.KeepConfigured(next),
            (std::vector<std::string>{"runtime priority of GONE dropped: no longer configured",
                                      "runtime priority of OWNER dropped: now an address owner"}));
  EXPECT_EQ(ops.RuntimePriority("KEPT"), 10);
  EXPECT_EQ(ops.RuntimePriority("GONE"), 0);
  EXPECT_EQ(ops.RuntimePriority("OWNER"), 0);
  EXPECT_TRUE(ops.KeepConfigured(next).empty());
}

TEST(RuntimeOperationsTest, RestoreTakesBackMaintenanceAndSetPriorities) {
  RuntimeOperations ops;
  ops.Restore({Op("maintenance", "", 0, true), Op("priority", "VI_1", 120),
               Op("priority", "VI_2", 0), Op("failover", "VI_3")});
  EXPECT_TRUE(ops.maintenance());
  EXPECT_EQ(ops.RuntimePriority("VI_1"), 120);
  EXPECT_EQ(ops.RuntimePriority("VI_2"), 0);
  ops.Restore({Op("maintenance", "", 0, false)});
  EXPECT_FALSE(ops.maintenance());
  EXPECT_EQ(ops.RuntimePriority("VI_1"), 120);
}

}  // namespace
}  // namespace vigil::vrrp
