#include "vrrp/instance_status.h"

#include <gtest/gtest.h>

#include "test_specs.h"

namespace vigil::vrrp {
namespace {

using std::chrono::seconds;

model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }

constexpr TimePoint kT0 = TimePoint{} + seconds(1000);

InstanceSpec Spec() {
  InstanceSpec s = test::Instance();
  s.params.version = Version::kV3;
  s.params.advert_interval = seconds(2);
  s.params.primary_address = Ip("10.0.0.1");
  s.debug = 2;
  s.vips = {test::Vip("10.0.0.100", 24)};
  return s;
}

TEST(InstanceStatusTest, ABackupShowsTheMasterItHeardAndKeepsItsCounts) {
  const InstanceSpec spec = Spec();
  StateMachine sm(spec.params);
  sm.Handle(Startup{}, kT0);
  AdvertReceived a;
  a.source = Ip("10.0.0.2");
  a.priority = 150;
  a.interval = seconds(2);
  sm.Handle(a, kT0);
  control::InstanceStatus counts;
  counts.adverts_received = 7;
  counts.transitions = 1;
  counts.rejected["ttl"] = 2;
  control::InstanceStatus want = counts;
  want.name = "VI_1";
  want.state = "BACKUP";
  want.interface = "eth0";
  want.vrid = 51;
  want.version = 3;
  want.family = "inet";
  want.base_priority = 100;
  want.effective_priority = 100;
  want.advert_interval_s = 2.0;
  want.master_address = "10.0.0.2";
  want.vips = {"10.0.0.100/24"};
  want.runtime_priority = 0;
  want.debug = 2;
  EXPECT_EQ(StatusOf(spec, sm, counts, Ip("10.0.0.1"), 0), want);
}

TEST(InstanceStatusTest, AMasterIsItsOwnMasterAndShowsWhatHoldsIt) {
  InstanceSpec spec = Spec();
  spec.family = model::Family::kIpv6;
  spec.params.version = Version::kV2;
  StateMachine sm(spec.params);
  sm.Handle(Startup{}, kT0);
  sm.Handle(TimerExpired{}, kT0 + seconds(10));
  ASSERT_EQ(sm.state(), State::kMaster);
  auto s = StatusOf(spec, sm, {}, Ip("fe80::1"), 180);
  EXPECT_EQ(s.state, "MASTER");
  EXPECT_EQ(s.master_address, "fe80::1");
  EXPECT_EQ(s.family, "inet6");
  EXPECT_EQ(s.version, 2);
  EXPECT_EQ(s.runtime_priority, 180);
  EXPECT_EQ(s.hold, "");
  sm.Handle(StepDown{}, kT0 + seconds(11));
  EXPECT_EQ(StatusOf(spec, sm, {}, Ip("fe80::1"), 0).hold, "failover");
  sm.Handle(Hold{true}, kT0 + seconds(12));
  EXPECT_EQ(StatusOf(spec, sm, {}, Ip("fe80::1"), 0).hold, "maintenance");
}

TEST(InstanceStatusTest, ABackupWaitingForTheLoadBalancerShowsIt) {
  const InstanceSpec spec = Spec();
  StateMachine sm(spec.params);
  sm.Handle(HoldPreemption{true}, kT0);
  sm.Handle(Startup{}, kT0);
  EXPECT_EQ(StatusOf(spec, sm, {}, Ip("10.0.0.1"), 0).hold, "lb_not_ready");
  sm.Handle(HoldPreemption{false}, kT0 + seconds(1));
  EXPECT_EQ(StatusOf(spec, sm, {}, Ip("10.0.0.1"), 0).hold, "");
}

TEST(InstanceStatusTest, NoMasterHeardIsEmpty) {
  const InstanceSpec spec = Spec();
  StateMachine sm(spec.params);
  EXPECT_EQ(StatusOf(spec, sm, {}, Ip("10.0.0.1"), 0).master_address, "");
  EXPECT_EQ(StatusOf(spec, sm, {}, Ip("10.0.0.1"), 0).state, "INIT");
}

TEST(InstanceStatusTest, TheFaultReasonShowsOnlyInFault) {
  const InstanceSpec spec = Spec();
  StateMachine sm(spec.params);
  sm.Handle(Startup{}, kT0);
  EXPECT_EQ(StatusOf(spec, sm, {}, Ip("10.0.0.1"), 0, "interface eth0 down").fault_reason, "");
  sm.Handle(Fault{true}, kT0);
  EXPECT_EQ(StatusOf(spec, sm, {}, Ip("10.0.0.1"), 0, "interface eth0 down").fault_reason,
            "interface eth0 down");
}

}  // namespace
}  // namespace vigil::vrrp
