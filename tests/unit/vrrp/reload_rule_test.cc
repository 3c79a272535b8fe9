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

}  // namespace
}  // namespace vigil::vrrp
