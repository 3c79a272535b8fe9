#include "check/virtual_server.h"

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

using Kind = Event::Kind;
constexpr size_t kSorry = Destination::kSorryServer;

Event RsUp(size_t rs, bool init = false) {
  return Event{.kind = Kind::kRealServerUp, .real_server = rs, .init = init};
}
Event RsDown(size_t rs) { return Event{.kind = Kind::kRealServerDown, .real_server = rs}; }
Event QUp(int64_t w, int64_t t, bool init = false) {
  return Event{.kind = Kind::kQuorumUp, .init = init, .live_weight = w, .threshold = t};
}
Event QDown(int64_t w, int64_t t, bool init = false) {
  return Event{.kind = Kind::kQuorumDown, .init = init, .live_weight = w, .threshold = t};
}

VirtualServerConfig ThreeServers(uint32_t quorum, uint32_t hysteresis, bool sorry) {
  VirtualServerConfig c;
  c.name = "vs";
  c.real_servers = {{"a", 1, false}, {"b", 2, false}, {"c", 3, false}};
  c.quorum = quorum;
  c.hysteresis = hysteresis;
  if (sorry) c.sorry_server = RealServerConfig{"sorry", 5, false};
  return c;
}

TEST(VirtualServerTest, StartWithHealthyServersGainsQuorum) {
  VirtualServerState vs(ThreeServers(1, 0, false));
  for (size_t i = 0; i < 3; ++i) vs.AddChecker(i);
  EXPECT_EQ(vs.Start(), (std::vector<Event>{QUp(6, 1, true)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}, {2, 3}}));
}

TEST(VirtualServerTest, RsInitNotifiesReportsUpServersAtStart) {
  VirtualServerConfig c = ThreeServers(1, 0, false);
  c.rs_init_notifies = true;
  VirtualServerState vs(c);
  vs.AddChecker(0);
  vs.AddChecker(1, /*starts_up=*/false);
  EXPECT_EQ(vs.Start(), (std::vector<Event>{RsUp(0, true), RsUp(2, true), QUp(4, 1, true)}));
}

TEST(VirtualServerTest, ServerIsUpOnlyWhenAllCheckersAreUp) {
  VirtualServerState vs(ThreeServers(1, 0, false));
  CheckerId a1 = vs.AddChecker(0);
  CheckerId a2 = vs.AddChecker(0);
  vs.Start();
  EXPECT_EQ(vs.SetCheckerUp(a1, false), (std::vector<Event>{RsDown(0)}));
  EXPECT_EQ(vs.SetCheckerUp(a2, false), (std::vector<Event>{}));
  EXPECT_EQ(vs.SetCheckerUp(a1, true), (std::vector<Event>{}));
  EXPECT_FALSE(vs.alive(0));
  EXPECT_EQ(vs.SetCheckerUp(a2, true), (std::vector<Event>{RsUp(0)}));
  EXPECT_EQ(vs.SetCheckerUp(a2, true), (std::vector<Event>{}));  // no change, no event
}

TEST(VirtualServerTest, AlphaCheckerKeepsServerOutUntilItSucceeds) {
  VirtualServerState vs(ThreeServers(1, 0, false));
  CheckerId c = vs.AddChecker(0, /*starts_up=*/false);
  vs.Start();
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{1, 2}, {2, 3}}));
  EXPECT_EQ(vs.ReportFirstResultDown(c), (std::vector<Event>{RsDown(0)}));
  EXPECT_EQ(vs.SetCheckerUp(c, true), (std::vector<Event>{RsUp(0)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}, {2, 3}}));
}

TEST(VirtualServerTest, InhibitOnFailureKeepsServerWithWeightZero) {
  VirtualServerConfig cfg = ThreeServers(1, 0, false);
  cfg.real_servers[1].inhibit_on_failure = true;
  VirtualServerState vs(cfg);
  vs.AddChecker(0);
  CheckerId b = vs.AddChecker(1);
  vs.Start();
  vs.SetCheckerUp(b, false);
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 0}, {2, 3}}));
  vs.SetCheckerUp(b, true);
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}, {2, 3}}));
}

TEST(VirtualServerTest, QuorumLossSwapsInSorryServerAndBack) {
  // quorum 4, hysteresis 1: lost below 3, gained at >= 5.
  VirtualServerState vs(ThreeServers(4, 1, true));
  CheckerId a = vs.AddChecker(0);
  CheckerId b = vs.AddChecker(1);
  CheckerId c = vs.AddChecker(2);
  EXPECT_EQ(vs.Start(), (std::vector<Event>{QUp(6, 5, true)}));
  EXPECT_EQ(vs.SetCheckerUp(a, false), (std::vector<Event>{RsDown(0)}));  // 5 >= 3
  EXPECT_TRUE(vs.quorum_up());
  EXPECT_EQ(vs.SetCheckerUp(c, false), (std::vector<Event>{RsDown(2), QDown(2, 3)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{kSorry, 5}}));
  // 2 + 1 = 3 < 5: still no quorum, the sorry server stays.
  EXPECT_EQ(vs.SetCheckerUp(a, true), (std::vector<Event>{RsUp(0)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{kSorry, 5}}));
  EXPECT_EQ(vs.SetCheckerUp(c, true), (std::vector<Event>{RsUp(2), QUp(6, 5)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}, {2, 3}}));
  (void)b;
}

TEST(VirtualServerTest, QuorumIsLostWhenLiveWeightDropsToZero) {
  VirtualServerConfig cfg;
  cfg.real_servers = {{"a", 1, false}};
  cfg.quorum = 1;
  VirtualServerState vs(cfg);
  CheckerId a = vs.AddChecker(0);
  vs.Start();
  EXPECT_EQ(vs.SetCheckerUp(a, false), (std::vector<Event>{RsDown(0), QDown(0, 1)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{}));  // no sorry server: empty pool
}

TEST(VirtualServerTest, WithoutSorryServerAliveServersStayWhenQuorumIsLost) {
  VirtualServerState vs(ThreeServers(5, 0, false));
  CheckerId c = vs.AddChecker(2);
  vs.Start();
  EXPECT_EQ(vs.SetCheckerUp(c, false), (std::vector<Event>{RsDown(2), QDown(3, 5)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}}));
}

TEST(VirtualServerTest, StartWithoutQuorumPutsSorryServerIn) {
  VirtualServerState vs(ThreeServers(3, 0, true));
  vs.AddChecker(1, false);
  vs.AddChecker(2, false);
  EXPECT_EQ(vs.Start(), (std::vector<Event>{QDown(1, 3, true)}));
  EXPECT_TRUE(vs.sorry_server_active());
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{kSorry, 5}}));
}

TEST(VirtualServerTest, StartWithoutQuorumAndNoSorryServerIsSilent) {
  VirtualServerState vs(ThreeServers(3, 0, false));
  vs.AddChecker(1, false);
  vs.AddChecker(2, false);
  EXPECT_EQ(vs.Start(), (std::vector<Event>{}));
  EXPECT_FALSE(vs.quorum_up());
}

TEST(VirtualServerTest, InhibitedSorryServerStaysWithWeightZero) {
  VirtualServerConfig cfg = ThreeServers(1, 0, true);
  cfg.sorry_server->inhibit_on_failure = true;
  VirtualServerState vs(cfg);
  vs.Start();
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}, {2, 3}, {kSorry, 0}}));
}

TEST(VirtualServerTest, ConfigFixesQuorumAndHysteresis) {
  VirtualServerState vs(ThreeServers(100, 100, false));
  EXPECT_EQ(vs.config().quorum, 6u);
  EXPECT_EQ(vs.config().hysteresis, 5u);
}

TEST(VirtualServerTest, MiscDynamicWeightSetsAbsoluteWeightAndMovesQuorum) {
  VirtualServerState vs(ThreeServers(4, 0, true));
  CheckerId b = vs.AddChecker(1);
  vs.Start();
  EXPECT_EQ(vs.SetCheckerWeight(b, {WeightUpdate::Kind::kAbsolute, 10}), (std::vector<Event>{}));
  EXPECT_EQ(vs.effective_weight(1), 10);
  EXPECT_EQ(vs.LiveWeight(), 14);
  // Weight 0 keeps the server alive but it no longer counts: 1 + 0 + 3 = 4, still >= 4.
  EXPECT_EQ(vs.SetCheckerWeight(b, {WeightUpdate::Kind::kAbsolute, 0}), (std::vector<Event>{}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 0}, {2, 3}}));
  // Going down drops the contribution; coming back restores the configured weight.
  EXPECT_EQ(vs.SetCheckerUp(b, false), (std::vector<Event>{RsDown(1)}));
  EXPECT_EQ(vs.effective_weight(1), 2);
}

TEST(VirtualServerTest, WeightDropCanLoseQuorum) {
  VirtualServerState vs(ThreeServers(5, 0, true));
  CheckerId c = vs.AddChecker(2);
  vs.Start();
  EXPECT_EQ(vs.SetCheckerWeight(c, {WeightUpdate::Kind::kOffset, -2}),
            (std::vector<Event>{QDown(4, 5)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{kSorry, 5}}));
}

TEST(VirtualServerTest, EffectiveWeightIsClamped) {
  VirtualServerState vs(ThreeServers(1, 0, false));
  CheckerId a = vs.AddChecker(0);
  vs.Start();
  vs.SetCheckerWeight(a, {WeightUpdate::Kind::kOffset, -50});
  EXPECT_EQ(vs.effective_weight(0), 0);
  vs.SetCheckerWeight(a, {WeightUpdate::Kind::kOffset, kMaxWeight + 10});
  EXPECT_EQ(vs.effective_weight(0), kMaxWeight);
}

RealServerAdmin Admin(RealServerAdmin::Mode mode, std::optional<int64_t> weight = std::nullopt) {
  return RealServerAdmin{mode, weight};
}

TEST(VirtualServerTest, ADisabledServerLeavesThePoolAndTheQuorum) {
  VirtualServerState vs(ThreeServers(5, 0, true));
  for (size_t i = 0; i < 3; ++i) vs.AddChecker(i);
  vs.Start();
  // 6 - 3 = 3 < 5: the quorum goes, the sorry server comes in; no health event.
  EXPECT_EQ(vs.SetAdmin(2, Admin(RealServerAdmin::Mode::kDisabled)),
            (std::vector<Event>{QDown(3, 5)}));
  EXPECT_TRUE(vs.alive(2));
  EXPECT_EQ(vs.LiveWeight(), 3);
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{kSorry, 5}}));
  EXPECT_EQ(vs.SetAdmin(2, Admin(RealServerAdmin::Mode::kEnabled)),
            (std::vector<Event>{QUp(6, 5)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}, {2, 3}}));
}

TEST(VirtualServerTest, ADisabledServerStaysOutEvenWithInhibitOnFailure) {
  VirtualServerConfig c = ThreeServers(1, 0, false);
  c.real_servers[1].inhibit_on_failure = true;
  VirtualServerState vs(c);
  CheckerId b = vs.AddChecker(1);
  vs.Start();
  vs.SetAdmin(1, Admin(RealServerAdmin::Mode::kDisabled));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {2, 3}}));
  // Its checkers still decide its health.
  EXPECT_EQ(vs.SetCheckerUp(b, false), (std::vector<Event>{RsDown(1)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {2, 3}}));
}

TEST(VirtualServerTest, TheOperatorsWeightReplacesTheConfiguredOne) {
  VirtualServerState vs(ThreeServers(1, 0, false));
  CheckerId a = vs.AddChecker(0);
  vs.Start();
  EXPECT_EQ(vs.SetAdmin(0, Admin(RealServerAdmin::Mode::kEnabled, 40)), (std::vector<Event>{}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 40}, {1, 2}, {2, 3}}));
  EXPECT_EQ(vs.LiveWeight(), 45);
  // Dynamic weights add to it as to the configured one.
  vs.SetCheckerWeight(a, WeightUpdate{WeightUpdate::Kind::kOffset, 2});
  EXPECT_EQ(vs.effective_weight(0), 42);
  vs.SetAdmin(0, Admin(RealServerAdmin::Mode::kEnabled));
  EXPECT_EQ(vs.effective_weight(0), 3);
}

TEST(VirtualServerTest, ADrainingServerStaysWithWeightZero) {
  VirtualServerState vs(ThreeServers(1, 0, false));
  CheckerId c = vs.AddChecker(2);
  vs.Start();
  vs.SetAdmin(2, Admin(RealServerAdmin::Mode::kDraining, 9));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}, {2, 0}}));
  EXPECT_EQ(vs.LiveWeight(), 3);
  EXPECT_EQ(vs.SetCheckerUp(c, false), (std::vector<Event>{RsDown(2)}));
  EXPECT_EQ(vs.Desired(), (std::vector<Destination>{{0, 1}, {1, 2}}));
}

TEST(VirtualServerTest, AdminSetBeforeStartCountsAtStart) {
  VirtualServerState vs(ThreeServers(4, 0, false));
  for (size_t i = 0; i < 3; ++i) vs.AddChecker(i);
  EXPECT_EQ(vs.SetAdmin(2, Admin(RealServerAdmin::Mode::kDisabled)), (std::vector<Event>{}));
  EXPECT_EQ(vs.Start(), (std::vector<Event>{}));  // 3 < 4: quorum stays down
  EXPECT_FALSE(vs.quorum_up());
  EXPECT_EQ(vs.admin(2), Admin(RealServerAdmin::Mode::kDisabled));
}

}  // namespace
}  // namespace vigil::check
