#include "check/backend_check.h"

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

model::Config OneVirtualServer(model::Scheduler scheduler, const std::string& backend) {
  model::Config c;
  if (!backend.empty()) c.global.other.push_back({"vigil_lb_backend", {backend}, {}});
  model::VirtualServer vs;
  vs.address = model::IpAddress::Parse("10.0.0.1");
  vs.port = 80;
  vs.family = model::Family::kIpv4;
  vs.protocol = model::Protocol::kTcp;
  vs.scheduler = scheduler;
  vs.loc = {0, 4, 1};
  model::RealServer rs;
  rs.address = *model::IpAddress::Parse("10.0.0.2");
  rs.port = 80;
  vs.real_servers.push_back(rs);
  c.virtual_servers.push_back(vs);
  return c;
}

TEST(BackendCheckTest, ConfiguredNftablesRefusesWlcAsAnError) {
  auto p = CheckBackendSupport(OneVirtualServer(model::Scheduler::kWlc, "nftables"),
                               "/nonexistent/ip_vs");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].configured);
  EXPECT_EQ(p[0].loc.line, 4u);
  EXPECT_EQ(p[0].message,
            "virtual server tcp 10.0.0.1:80: scheduler 'wlc' is not available with the nftables "
            "backend (use rr, wrr, sh, mh or random, or the ipvs backend)");
}

TEST(BackendCheckTest, AutoWithoutIpvsIsASystemFinding) {
  auto p = CheckBackendSupport(OneVirtualServer(model::Scheduler::kWlc, ""), "/nonexistent/ip_vs");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0].configured);
  EXPECT_NE(p[0].message.find("(this host has no IPVS, so vigil would use nftables)"),
            std::string::npos);
}

// Each virtual server is checked alone: the one the backend refuses is named, at its line.
TEST(BackendCheckTest, NamesEachRefusedVirtualServerAtItsLine) {
  model::Config c = OneVirtualServer(model::Scheduler::kRr, "nftables");
  for (uint16_t port : {81, 82}) {
    model::VirtualServer vs = c.virtual_servers[0];
    vs.port = port;
    vs.loc.line = port;
    vs.scheduler = port == 81 ? model::Scheduler::kLc : model::Scheduler::kWrr;
    c.virtual_servers.push_back(vs);
  }
  auto p = CheckBackendSupport(c, "/nonexistent/ip_vs");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].loc.line, 81u);
  EXPECT_EQ(p[0].message,
            "virtual server tcp 10.0.0.1:81: scheduler 'lc' is not available with the nftables "
            "backend (use rr, wrr, sh, mh or random, or the ipvs backend)");
}

TEST(BackendCheckTest, SupportedSchedulersAndIpvsPass) {
  EXPECT_TRUE(CheckBackendSupport(OneVirtualServer(model::Scheduler::kRr, "nftables")).empty());
  EXPECT_TRUE(CheckBackendSupport(OneVirtualServer(model::Scheduler::kWlc, "ipvs")).empty());
}

}  // namespace
}  // namespace vigil::check

namespace vigil::check {
namespace {

TEST(BackendCheckTest, IpvsNamespaceWithNftablesIsAWarning) {
  model::Config c = OneVirtualServer(model::Scheduler::kRr, "nftables");
  c.net_namespace_ipvs = "lb";
  c.net_namespace_ipvs_loc = {0, 1, 1};
  auto p = CheckBackendSupport(c, "/nonexistent/ip_vs");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0].configured);
  EXPECT_EQ(p[0].loc.line, 1u);
  EXPECT_EQ(p[0].message,
            "net_namespace_ipvs moves IPVS only; vigil's nftables backend programs the "
            "namespace vigild runs in");
  // With IPVS it acts: no finding.
  c.global.other.clear();
  c.global.other.push_back({"vigil_lb_backend", {"ipvs"}, {}});
  EXPECT_TRUE(CheckBackendSupport(c, "/nonexistent/ip_vs").empty());
}

}  // namespace
}  // namespace vigil::check

namespace vigil::check {
namespace {

// Two virtual servers of the same service: in the table the later one's scheduler replaces
// the earlier's, so the whole table decides, not each alone.
TEST(BackendCheckTest, AServiceOfTwoVirtualServersIsJudgedInTheWholeTable) {
  model::Config c = OneVirtualServer(model::Scheduler::kWlc, "nftables");
  model::Config later = OneVirtualServer(model::Scheduler::kRr, "nftables");
  later.virtual_servers[0].loc = {0, 9, 1};
  c.virtual_servers.push_back(later.virtual_servers[0]);
  EXPECT_TRUE(CheckBackendSupport(c, "/nonexistent/ip_vs").empty());
  // Swapped, the table holds wlc: the one that has it is refused.
  std::swap(c.virtual_servers[0], c.virtual_servers[1]);
  auto p = CheckBackendSupport(c, "/nonexistent/ip_vs");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].loc.line, 4u);
}

}  // namespace
}  // namespace vigil::check
