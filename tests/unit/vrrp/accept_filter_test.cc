#include "vrrp/accept_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::vrrp {
namespace {

model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }
FilterEntry E(std::string_view text) { return FilterEntry::For(Ip(text), "eth0", 2, false); }

class RecordingRunner final : public net::NftRunner {
 public:
  explicit RecordingRunner(std::vector<std::string>* log) : log_(log) {}
  Result<std::string> Run(std::string_view commands, bool) override {
    log_->emplace_back(commands);
    return std::string();
  }

 private:
  std::vector<std::string>* log_;
};

const AcceptFilterOptions kDefault{"vigil_vrrp"};

// keepalived 2.2.7's `table ip keepalived`, object for object (nft list ruleset under
// keepalived with no_accept): out before in, set vips, one drop rule each way.
TEST(AcceptFilterTest, Ipv4TableIsKeepalivedsDroppingVipTrafficBothWays) {
  EXPECT_EQ(RenderIpv4Table(kDefault),
            "add table ip vigil_vrrp\n"
            "delete table ip vigil_vrrp\n"
            "add table ip vigil_vrrp\n"
            "add chain ip vigil_vrrp out { type filter hook output priority -1; policy accept; }\n"
            "add chain ip vigil_vrrp in { type filter hook input priority -1; policy accept; }\n"
            "add set ip vigil_vrrp vips { type ipv4_addr; }\n"
            "add rule ip vigil_vrrp in ip daddr @vips drop\n"
            "add rule ip vigil_vrrp out ip saddr @vips drop\n");
}

// keepalived's `table ip6 keepalived`: neighbour discovery passes (the VIP still
// resolves), link-local addresses go to chains of their own.
TEST(AcceptFilterTest, Ipv6TableLetsNeighbourDiscoveryThrough) {
  EXPECT_EQ(RenderIpv6Table(kDefault),
            "add table ip6 vigil_vrrp\n"
            "delete table ip6 vigil_vrrp\n"
            "add table ip6 vigil_vrrp\n"
            "add chain ip6 vigil_vrrp out { type filter hook output priority -1; policy accept; }\n"
            "add chain ip6 vigil_vrrp in { type filter hook input priority -1; policy accept; }\n"
            "add chain ip6 vigil_vrrp in_link_local\n"
            "add chain ip6 vigil_vrrp out_link_local\n"
            "add set ip6 vigil_vrrp vips { type ipv6_addr; }\n"
            "add set ip6 vigil_vrrp neighbor-discovery { type icmpv6_type; flags constant; "
            "elements = { nd-neighbor-solicit, nd-neighbor-advert }; }\n"
            "add rule ip6 vigil_vrrp in icmpv6 type @neighbor-discovery accept\n"
            "add rule ip6 vigil_vrrp in ip6 daddr fe80::/10 goto in_link_local\n"
            "add rule ip6 vigil_vrrp out icmpv6 type @neighbor-discovery accept\n"
            "add rule ip6 vigil_vrrp out ip6 saddr fe80::/10 goto out_link_local\n"
            "add rule ip6 vigil_vrrp in ip6 daddr @vips drop\n"
            "add rule ip6 vigil_vrrp out ip6 saddr @vips drop\n");
}

TEST(AcceptFilterTest, LinkLocalVipsAreKeyedByInterfaceIndexOrName) {
  EXPECT_EQ(RenderLinkLocal(kDefault, false),
            "add set ip6 vigil_vrrp vips_link_local { type ipv6_addr . iface_index; }\n"
            "add rule ip6 vigil_vrrp in_link_local ip6 daddr . iif @vips_link_local drop\n"
            "add rule ip6 vigil_vrrp out_link_local ip6 saddr . oif @vips_link_local drop\n");
  EXPECT_EQ(RenderLinkLocal(kDefault, true),
            "add set ip6 vigil_vrrp vips_link_local_name { type ipv6_addr . ifname; }\n"
            "add rule ip6 vigil_vrrp in_link_local ip6 daddr . iifname @vips_link_local_name drop\n"
            "add rule ip6 vigil_vrrp out_link_local ip6 saddr . oifname @vips_link_local_name drop\n");
}

// nftables NAME, nftables_priority N, nftables_counters.
TEST(AcceptFilterTest, TableNamePriorityAndCountersAreGlobalDefs) {
  const AcceptFilterOptions o{"fw_vrrp", 7, true};
  EXPECT_EQ(RenderIpv4Table(o),
            "add table ip fw_vrrp\n"
            "delete table ip fw_vrrp\n"
            "add table ip fw_vrrp\n"
            "add chain ip fw_vrrp out { type filter hook output priority 7; policy accept; }\n"
            "add chain ip fw_vrrp in { type filter hook input priority 7; policy accept; }\n"
            "add set ip fw_vrrp vips { type ipv4_addr; }\n"
            "add rule ip fw_vrrp in ip daddr @vips counter drop\n"
            "add rule ip fw_vrrp out ip saddr @vips counter drop\n");
  const std::string v6 = RenderIpv6Table({"fw_vrrp", -300, true});
  EXPECT_NE(v6.find("add chain ip6 fw_vrrp in { type filter hook input priority -300; "),
            std::string::npos);
  EXPECT_NE(v6.find("in icmpv6 type @neighbor-discovery counter accept\n"), std::string::npos);
  EXPECT_NE(v6.find("in ip6 daddr fe80::/10 counter goto in_link_local\n"), std::string::npos);
  EXPECT_NE(v6.find("out ip6 saddr @vips counter drop\n"), std::string::npos);
  EXPECT_EQ(RenderLinkLocal(o, true),
            "add set ip6 fw_vrrp vips_link_local_name { type ipv6_addr . ifname; }\n"
            "add rule ip6 fw_vrrp in_link_local ip6 daddr . iifname @vips_link_local_name counter drop\n"
            "add rule ip6 fw_vrrp out_link_local ip6 saddr . oifname @vips_link_local_name counter drop\n");
}

TEST(AcceptFilterTest, ElementsGoToTheirFamilysSets) {
  const std::set<FilterEntry> entries = {
      E("10.0.0.2"), E("fd00::1"), E("10.0.0.1"), E("fe80::1"),
      FilterEntry::For(Ip("fe80::2"), "eth1", 3, true)};
  EXPECT_EQ(RenderElements(kDefault, "add", entries),
            "add element ip vigil_vrrp vips { 10.0.0.1, 10.0.0.2 }\n"
            "add element ip6 vigil_vrrp vips { fd00::1 }\n"
            "add element ip6 vigil_vrrp vips_link_local { fe80::1 . 2 }\n"
            "add element ip6 vigil_vrrp vips_link_local_name { fe80::2 . \"eth1\" }\n");
  EXPECT_EQ(RenderElements(kDefault, "delete", {}), "");
  // Only a link-local IPv6 address keeps its interface (IPv4's 169.254/16 does not).
  EXPECT_EQ(E("169.254.1.1"), (FilterEntry{Ip("169.254.1.1"), "", 0, false}));
  EXPECT_EQ(FilterEntry::For(Ip("fd00::1"), "eth0", 2, true), (FilterEntry{Ip("fd00::1"), "", 0, false}));
  EXPECT_EQ(FilterEntry::For(Ip("fe80::9"), "eth0", 2, true), (FilterEntry{Ip("fe80::9"), "eth0", 0, true}));
}

TEST(AcceptFilterTest, CreatesEachTableOnFirstNeedAndSendsOnlyDifferences) {
  std::vector<std::string> log;
  int made = 0;
  AcceptFilter f(kDefault, [&] {
    ++made;
    return std::make_unique<RecordingRunner>(&log);
  });
  ASSERT_TRUE(f.Sync({}));
  EXPECT_EQ(made, 0);  // nothing to filter: nftables is never touched
  ASSERT_TRUE(f.Sync({E("10.0.0.1")}));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], RenderIpv4Table(kDefault) + "add element ip vigil_vrrp vips { 10.0.0.1 }\n");
  ASSERT_TRUE(f.Sync({E("10.0.0.1")}));
  EXPECT_EQ(log.size(), 1u);
  ASSERT_TRUE(f.Sync({E("10.0.0.2")}));
  EXPECT_EQ(log[1], "delete element ip vigil_vrrp vips { 10.0.0.1 }\n"
                    "add element ip vigil_vrrp vips { 10.0.0.2 }\n");
  // The first IPv6 VIP makes the ip6 table, the first link-local one its set.
  ASSERT_TRUE(f.Sync({E("10.0.0.2"), E("fd00::1")}));
  EXPECT_EQ(log[2], RenderIpv6Table(kDefault) + "add element ip6 vigil_vrrp vips { fd00::1 }\n");
  ASSERT_TRUE(f.Sync({E("10.0.0.2"), E("fd00::1"), E("fe80::1")}));
  EXPECT_EQ(log[3], RenderLinkLocal(kDefault, false) +
                        "add element ip6 vigil_vrrp vips_link_local { fe80::1 . 2 }\n");
  // Emptied sets stay (keepalived's too) until the tables go at stop.
  ASSERT_TRUE(f.Sync({}));
  EXPECT_EQ(log[4], "delete element ip vigil_vrrp vips { 10.0.0.2 }\n"
                    "delete element ip6 vigil_vrrp vips { fd00::1 }\n"
                    "delete element ip6 vigil_vrrp vips_link_local { fe80::1 . 2 }\n");
  ASSERT_TRUE(f.Sync({E("fe80::1")}));
  EXPECT_EQ(log[5], "add element ip6 vigil_vrrp vips_link_local { fe80::1 . 2 }\n");
  ASSERT_TRUE(f.Teardown());
  EXPECT_EQ(log[6], "delete table ip vigil_vrrp\ndelete table ip6 vigil_vrrp\n");
  EXPECT_EQ(made, 1);
  EXPECT_TRUE(f.filtered().empty());
  ASSERT_TRUE(f.Teardown());
  EXPECT_EQ(log.size(), 7u);  // nothing left to delete
}

TEST(AcceptFilterTest, NewOptionsDeleteTheTablesMadeWithTheOldOnes) {
  std::vector<std::string> log;
  AcceptFilter f(kDefault, [&] { return std::make_unique<RecordingRunner>(&log); });
  ASSERT_TRUE(f.Configure(kDefault));  // the same: nothing happens
  ASSERT_TRUE(f.Sync({E("fd00::7")}));
  ASSERT_TRUE(f.Configure({"fw", -1, false}));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1], "delete table ip6 vigil_vrrp\n");
  ASSERT_TRUE(f.Sync({E("fd00::7")}));
  EXPECT_EQ(log[2], RenderIpv6Table({"fw", -1, false}) + "add element ip6 fw vips { fd00::7 }\n");
}

// use_vmac: keepalived's rules moving a VMAC's IGMP / MLDv2 reports to its parent and
// dropping its router solicitations (nft list ruleset under keepalived with use_vmac).
TEST(AcceptFilterTest, VmacReportsGoOutByTheParent) {
  EXPECT_EQ(RenderVmacRules(kDefault, false),
            "add map ip vigil_vrrp vmac_map { type iface_index : iface_index; }\n"
            "add rule ip vigil_vrrp out ip protocol igmp meta oifkind \"macvlan\" dup to ip "
            "daddr device oif map @vmac_map drop\n");
  EXPECT_EQ(RenderVmacRules({"fw", 3, true}, true),
            "add map ip6 fw vmac_map { type iface_index : iface_index; }\n"
            "add set ip6 fw vmac_set { type iface_index; }\n"
            "add rule ip6 fw out icmpv6 type mld2-listener-report meta oifkind \"macvlan\" dup to "
            "ip6 daddr device oif map @vmac_map counter drop\n"
            "add rule ip6 fw out icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif "
            "@vmac_set counter drop\n");
  EXPECT_EQ(RenderVmacElements(kDefault, "add", {{false, 7, 2}, {true, 8, 2}, {true, 9, 3}}),
            "add element ip vigil_vrrp vmac_map { 7 : 2 }\n"
            "add element ip6 vigil_vrrp vmac_map { 8 : 2, 9 : 3 }\n"
            "add element ip6 vigil_vrrp vmac_set { 8, 9 }\n");
}

// A VMAC makes its table (chain out) and rules first; VIPs filtered later add chain in,
// their sets and rules to the same table, as keepalived's do.
TEST(AcceptFilterTest, VmacRulesComeFirstAndShareTheTable) {
  std::vector<std::string> log;
  AcceptFilter f(kDefault, [&] { return std::make_unique<RecordingRunner>(&log); });
  ASSERT_TRUE(f.Sync({}, {{false, 7, 2}}));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], RenderTable(kDefault, false) + RenderVmacRules(kDefault, false) +
                        "add element ip vigil_vrrp vmac_map { 7 : 2 }\n");
  ASSERT_TRUE(f.Sync({E("10.0.0.1")}, {{false, 7, 2}}));
  EXPECT_EQ(log[1], RenderIpv4Vips(kDefault) + "add element ip vigil_vrrp vips { 10.0.0.1 }\n");
  ASSERT_TRUE(f.Sync({}, {}));
  EXPECT_EQ(log[2], "delete element ip vigil_vrrp vmac_map { 7 : 2 }\n"
                    "delete element ip vigil_vrrp vips { 10.0.0.1 }\n");
  ASSERT_TRUE(f.Teardown());
  EXPECT_EQ(log[3], "delete table ip vigil_vrrp\n");
  EXPECT_EQ(RenderIpv4Table(kDefault), RenderTable(kDefault, false) + RenderIpv4Vips(kDefault));
}

TEST(AcceptFilterTest, EachDaemonInstanceHasATableOfItsOwn) {
  EXPECT_EQ(AcceptFilterTable(std::nullopt), "vigil_vrrp");
  EXPECT_EQ(AcceptFilterTable(std::string("lb-2")), "vigil_vrrp_lb-2");
  EXPECT_EQ(AcceptFilterTable(std::string("a b")), "vigil_vrrp_a_b");
}

}  // namespace
}  // namespace vigil::vrrp
