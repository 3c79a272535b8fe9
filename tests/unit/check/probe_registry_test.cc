#include "check/probe_registry.h"

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

ProbeSpec Tcp(const std::string& addr, uint16_t port) {
  ProbeSpec s;
  s.connect.address = addr;
  s.connect.port = port;
  s.params = TcpCheck{};
  return s;
}

TEST(ProbeRegistryTest, IdenticalProbesAreSharedAcrossVirtualServers) {
  ProbeRegistry reg;
  CheckTiming t;
  EXPECT_EQ(reg.Add(Tcp("10.0.0.1", 80), t, {0, 0}), 0u);
  EXPECT_EQ(reg.Add(Tcp("10.0.0.1", 80), t, {1, 3}), 0u);
  EXPECT_EQ(reg.Add(Tcp("10.0.0.2", 80), t, {1, 4}), 1u);
  ASSERT_EQ(reg.size(), 2u);
  EXPECT_EQ(reg.entry(0).subscribers, (std::vector<Subscriber>{{0, 0}, {1, 3}}));
  EXPECT_EQ(reg.entry(1).subscribers, (std::vector<Subscriber>{{1, 4}}));
}

TEST(ProbeRegistryTest, DifferentParametersOrTimingAreNotShared) {
  CheckTiming t;
  std::string base = ProbeKey(Tcp("10.0.0.1", 80), t);
  EXPECT_NE(base, ProbeKey(Tcp("10.0.0.1", 81), t));
  ProbeSpec marked = Tcp("10.0.0.1", 80);
  marked.connect.fwmark = 7;
  EXPECT_NE(base, ProbeKey(marked, t));
  CheckTiming slower = t;
  slower.delay_loop = std::chrono::seconds(61);
  EXPECT_NE(base, ProbeKey(Tcp("10.0.0.1", 80), slower));
  ProbeSpec http = Tcp("10.0.0.1", 80);
  http.params = HttpCheck{};
  EXPECT_NE(base, ProbeKey(http, t));
}

TEST(ProbeRegistryTest, KeyFieldsAreLengthPrefixedSoTheyCannotCollide) {
  CheckTiming t;
  ProbeSpec a, b;
  MiscCheck ma, mb;
  ma.argv = {"a;b", "c"};
  mb.argv = {"a", "b;c"};
  a.params = ma;
  b.params = mb;
  EXPECT_NE(ProbeKey(a, t), ProbeKey(b, t));
  EXPECT_EQ(ProbeKey(Tcp("::1", 5), t).substr(0, 11), "type=3:tcp;");
}

TEST(ProbeRegistryTest, MiscKeyIgnoresConnectOptions) {
  CheckTiming t;
  ProbeSpec a, b;
  a.params = b.params = MiscCheck{{"/bin/true"}, {}, std::nullopt, false, std::nullopt, std::nullopt, {}};
  b.connect.address = "10.1.1.1";
  EXPECT_EQ(ProbeKey(a, t), ProbeKey(b, t));
}

}  // namespace
}  // namespace vigil::check
