#include "check/health_core.h"

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

using Kind = Event::Kind;

ProbeSpec Tcp(const std::string& addr) {
  ConnectOptions c;
  c.address = addr;
  c.port = 80;
  return ProbeSpec{c, TcpCheck{}};
}

VirtualServerSpec TwoServers(const std::string& name) {
  VirtualServerSpec s;
  s.config.name = name;
  s.config.real_servers = {{"rs1", 1, false}, {"rs2", 1, false}};
  s.checkers = {{0, Tcp("10.0.0.1"), CheckTiming{}}, {1, Tcp("10.0.0.2"), CheckTiming{}}};
  return s;
}

Outcome Down() { return Outcome{.transition = Transition::kDown}; }
Outcome Up() { return Outcome{.transition = Transition::kUp}; }

TEST(HealthCoreTest, SharedProbeFeedsEveryVirtualServer) {
  HealthCore core;
  core.AddVirtualServer(TwoServers("http"));
  core.AddVirtualServer(TwoServers("https"));
  ASSERT_EQ(core.registry().size(), 2u);  // 4 checkers, 2 distinct probes
  auto start = core.Start();
  ASSERT_EQ(start.size(), 2u);
  EXPECT_EQ(start[1].desired, (std::vector<Destination>{{0, 1}, {1, 1}}));

  auto updates = core.Apply(0, ProbeResult{false, "refused", {}}, Down());
  ASSERT_EQ(updates.size(), 2u);
  for (size_t vs = 0; vs < 2; ++vs) {
    EXPECT_EQ(updates[vs].virtual_server, vs);
    EXPECT_EQ(updates[vs].events,
              (std::vector<Event>{{.kind = Kind::kRealServerDown, .real_server = 0}}));
    EXPECT_EQ(updates[vs].desired, (std::vector<Destination>{{1, 1}}));
  }
}

TEST(HealthCoreTest, NoUpdateWhenNothingChanges) {
  HealthCore core;
  core.AddVirtualServer(TwoServers("vs"));
  core.Start();
  EXPECT_TRUE(core.Apply(0, ProbeResult{true, "", {}}, Outcome{}).empty());
  EXPECT_TRUE(core.Apply(0, ProbeResult{false, "", {}}, Outcome{}).empty());  // a retry
}

TEST(HealthCoreTest, WeightUpdateArrivesBeforeComingUp) {
  HealthCore core;
  VirtualServerSpec s = TwoServers("vs");
  s.checkers[0].probe = ProbeSpec{{}, MiscCheck{{"/bin/check"}, {}, std::nullopt, true, std::nullopt, std::nullopt, {}}};
  core.AddVirtualServer(s);
  core.Start();
  core.Apply(0, ProbeResult{false, "", {}}, Down());
  auto updates = core.Apply(0, ProbeResult{true, "", WeightUpdate{WeightUpdate::Kind::kAbsolute, 7}}, Up());
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].events, (std::vector<Event>{{.kind = Kind::kRealServerUp, .real_server = 0}}));
  EXPECT_EQ(updates[0].desired, (std::vector<Destination>{{0, 7}, {1, 1}}));
}

TEST(HealthCoreTest, AlphaCheckersStartDownAndReportFirstFailure) {
  HealthCore core;
  VirtualServerSpec s = TwoServers("vs");
  s.checkers[1].timing.alpha = true;
  core.AddVirtualServer(s);
  auto start = core.Start();
  EXPECT_EQ(start[0].desired, (std::vector<Destination>{{0, 1}}));
  auto updates = core.Apply(1, ProbeResult{false, "", {}}, Outcome{.first_result_down = true});
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].events,
            (std::vector<Event>{{.kind = Kind::kRealServerDown, .real_server = 1}}));
}

}  // namespace
}  // namespace vigil::check
