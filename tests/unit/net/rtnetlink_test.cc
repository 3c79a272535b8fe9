#include "net/rtnetlink.h"

#include <linux/if_addr.h>
#include <net/if.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "netns_helper.h"

namespace vigil::net {
namespace {

using Bytes = std::vector<std::uint8_t>;
using ::vigil::net::testing::RunCommand;

RawAddress Addr(const char* text) { return *RawAddress::Parse(text); }

AddressSpec MakeAddress(int ifindex, const char* address, std::uint8_t prefix_len) {
  AddressSpec spec;
  spec.ifindex = ifindex;
  spec.address = Addr(address);
  spec.prefix_len = prefix_len;
  return spec;
}

const nlmsghdr& Header(const Bytes& b) { return *reinterpret_cast<const nlmsghdr*>(b.data()); }

// A transport that records requests and answers them from a script.
class RecordingTransport : public NetlinkTransport {
 public:
  Result<void> Transact(std::span<const std::uint8_t> request,
                        const NetlinkReplyHandler& on_reply) override {
    requests.emplace_back(request.begin(), request.end());
    for (const Bytes& reply : replies) on_reply(Header(reply));
    if (error != 0) return std::unexpected(Error::FromErrno(error, "fake"));
    return {};
  }
  std::vector<Bytes> requests;
  std::vector<Bytes> replies;
  int error = 0;
};

TEST(RtnetlinkBuildTest, Ipv4AddressAddCarriesLocalAddressBroadcastAndLabel) {
  AddressSpec spec;
  spec.ifindex = 3;
  spec.address = Addr("10.99.1.100");
  spec.prefix_len = 24;
  spec.broadcast = Addr("10.99.1.255");
  spec.label = "eth0:vip";
  const Bytes expected = {
      64, 0, 0, 0,  20, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,  // len, RTM_NEWADDR, flags
      2, 24, 0, 0,  3, 0, 0, 0,                                    // AF_INET /24 scope 0 if 3
      8, 0, 2, 0,  10, 99, 1, 100,                                 // IFA_LOCAL
      8, 0, 1, 0,  10, 99, 1, 100,                                 // IFA_ADDRESS
      8, 0, 4, 0,  10, 99, 1, 255,                                 // IFA_BROADCAST
      13, 0, 3, 0,  'e', 't', 'h', '0', ':', 'v', 'i', 'p', 0, 0, 0, 0,  // IFA_LABEL
  };
  EXPECT_EQ(BuildAddressRequest(ChangeOp::kAdd, spec), expected);
}

TEST(RtnetlinkBuildTest, Ipv6AddressAddSetsNodadByDefault) {
  AddressSpec spec;
  spec.ifindex = 3;
  spec.address = Addr("fd00:99::100");
  spec.prefix_len = 64;
  const Bytes expected = {
      72, 0, 0, 0,  20, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,
      10, 64, 0x02, 0,  3, 0, 0, 0,  // AF_INET6 /64, ifa_flags NODAD
      20, 0, 2, 0,  0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,  // IFA_LOCAL
      20, 0, 1, 0,  0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,  // IFA_ADDRESS
      8, 0, 8, 0,  0x02, 0, 0, 0,  // IFA_FLAGS = IFA_F_NODAD
  };
  EXPECT_EQ(BuildAddressRequest(ChangeOp::kAdd, spec), expected);
}

TEST(RtnetlinkBuildTest, Ipv6AddressWithoutNodadAndDeprecatedLifetime) {
  AddressSpec spec;
  spec.ifindex = 1;
  spec.address = Addr("::1");
  spec.ipv6_nodad = false;
  spec.ipv6_preferred_lifetime = 0;
  Bytes msg = BuildAddressRequest(ChangeOp::kAdd, spec);
  ASSERT_EQ(msg.size(), 16u + 8 + 20 + 20 + 20);
  EXPECT_EQ(msg[17], 128);  // full-length prefix by default
  EXPECT_EQ(msg[18], 0);    // no flags
  // IFA_CACHEINFO: preferred 0, valid forever, then two zero timestamps.
  const Bytes cacheinfo = {20, 0, 6, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(Bytes(msg.end() - 20, msg.end()), cacheinfo);
}

TEST(RtnetlinkBuildTest, AddressDeleteOmitsAddOnlyAttributes) {
  AddressSpec spec;
  spec.ifindex = 7;
  spec.address = Addr("10.99.1.100");
  spec.prefix_len = 24;
  spec.broadcast = Addr("10.99.1.255");
  spec.label = "eth0:vip";
  spec.flags = IFA_F_NOPREFIXROUTE;
  const Bytes expected = {
      40, 0, 0, 0,  21, 0,  0x05, 0x00,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_DELADDR, REQUEST|ACK
      2, 24, 0, 0,  7, 0, 0, 0,
      8, 0, 2, 0,  10, 99, 1, 100,
      8, 0, 1, 0,  10, 99, 1, 100,
  };
  EXPECT_EQ(BuildAddressRequest(ChangeOp::kDelete, spec), expected);
}

TEST(RtnetlinkBuildTest, GetLinkByName) {
  const Bytes expected = {
      44, 0, 0, 0,  18, 0,  0x05, 0x00,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_GETLINK
      0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,            // ifinfomsg
      9, 0, 3, 0,  'e', 't', 'h', '0', 0, 0, 0, 0,                  // IFLA_IFNAME
  };
  EXPECT_EQ(BuildGetLinkByName("eth0"), expected);
}

TEST(RtnetlinkBuildTest, SetLinkUpChangesOnlyIffUp) {
  const Bytes up = {
      32, 0, 0, 0,  16, 0,  0x05, 0x00,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_NEWLINK
      0, 0, 0, 0,  3, 0, 0, 0,  1, 0, 0, 0,  1, 0, 0, 0,            // index 3, flags UP, change UP
  };
  EXPECT_EQ(BuildSetLinkUp(3, true), up);
  Bytes down = up;
  down[24] = 0;
  EXPECT_EQ(BuildSetLinkUp(3, false), down);
}

// As `ip link set dev 7 master 12`, and `nomaster` (IFLA_MASTER 0).
TEST(RtnetlinkBuildTest, SetLinkMasterSendsOnlyTheMaster) {
  const Bytes master = {
      40, 0, 0, 0,  16, 0,  0x05, 0x00,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_NEWLINK
      0, 0, 0, 0,  7, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,            // index 7, no flag change
      8, 0, 10, 0,  12, 0, 0, 0,                                    // IFLA_MASTER 12
  };
  EXPECT_EQ(BuildSetLinkMaster(7, 12), master);
  Bytes none = master;
  none[36] = 0;
  EXPECT_EQ(BuildSetLinkMaster(7, 0), none);
}

TEST(RtnetlinkBuildTest, MacvlanCreateIsPrivateWithGivenMac) {
  MacvlanSpec spec;
  spec.name = "vrrp.51";
  spec.parent_ifindex = 2;
  spec.mac = VrrpVirtualMac(AF_INET, 51);
  const Bytes expected = {
      92, 0, 0, 0,  16, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,
      0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
      8, 0, 5, 0,  2, 0, 0, 0,                                          // IFLA_LINK
      12, 0, 3, 0,  'v', 'r', 'r', 'p', '.', '5', '1', 0,               // IFLA_IFNAME
      10, 0, 1, 0,  0x00, 0x00, 0x5e, 0x00, 0x01, 51, 0, 0,             // IFLA_ADDRESS
      28, 0, 18, 0x80,                                                  // IFLA_LINKINFO (nested)
      12, 0, 1, 0,  'm', 'a', 'c', 'v', 'l', 'a', 'n', 0,               //   IFLA_INFO_KIND
      12, 0, 2, 0x80,                                                   //   IFLA_INFO_DATA
      8, 0, 1, 0,  1, 0, 0, 0,                                          //     MODE_PRIVATE
  };
  EXPECT_EQ(BuildMacvlanCreate(spec), expected);
}

TEST(RtnetlinkBuildTest, IpvlanCreateIsL2UpWithFlagsAndMaster) {
  IpvlanSpec spec;
  spec.name = "ipv1";
  spec.parent_ifindex = 2;
  spec.flags = IPVLAN_F_PRIVATE;
  spec.master_ifindex = 7;
  const Bytes expected = {
      96, 0, 0, 0,  16, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,
      0, 0, 0, 0,  0, 0, 0, 0,  1, 0, 0, 0,  1, 0, 0, 0,                // IFF_UP, changed
      8, 0, 5, 0,  2, 0, 0, 0,                                          // IFLA_LINK
      9, 0, 3, 0,  'i', 'p', 'v', '1', 0, 0, 0, 0,                      // IFLA_IFNAME
      36, 0, 18, 0x80,                                                  // IFLA_LINKINFO (nested)
      11, 0, 1, 0,  'i', 'p', 'v', 'l', 'a', 'n', 0, 0,                 //   IFLA_INFO_KIND
      20, 0, 2, 0x80,                                                   //   IFLA_INFO_DATA
      6, 0, 1, 0,  0, 0, 0, 0,                                          //     MODE_L2
      6, 0, 2, 0,  1, 0, 0, 0,                                          //     F_PRIVATE
      8, 0, 10, 0,  7, 0, 0, 0,                                         // IFLA_MASTER
  };
  EXPECT_EQ(BuildIpvlanCreate(spec), expected);
  spec.flags = IPVLAN_F_VEPA;
  spec.master_ifindex = 0;
  Bytes vepa = BuildIpvlanCreate(spec);
  ASSERT_EQ(vepa.size(), 88u);
  EXPECT_EQ(vepa[84], IPVLAN_F_VEPA);
}

// use_vmac / use_ipvlan group: IFLA_GROUP after the rest, only for another group than 0.
TEST(RtnetlinkBuildTest, VirtualLinksCarryTheirGroup) {
  MacvlanSpec mac;
  mac.name = "vrrp.51";
  mac.parent_ifindex = 2;
  const Bytes plain = BuildMacvlanCreate(mac);
  mac.group = 7;
  Bytes grouped = BuildMacvlanCreate(mac);
  ASSERT_EQ(grouped.size(), plain.size() + 8);
  EXPECT_EQ(Bytes(grouped.end() - 8, grouped.end()), (Bytes{8, 0, 27, 0, 7, 0, 0, 0}));
  IpvlanSpec ipv;
  ipv.name = "ipv1";
  ipv.parent_ifindex = 2;
  ipv.group = 0x01020304;
  grouped = BuildIpvlanCreate(ipv);
  ASSERT_EQ(grouped.size(), 96u);
  EXPECT_EQ(Bytes(grouped.end() - 8, grouped.end()), (Bytes{8, 0, 27, 0, 4, 3, 2, 1}));
  auto link = DecodeLink(Header(grouped));
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->group, 0x01020304u);
}

TEST(RtnetlinkBuildTest, VrrpVirtualMacDependsOnFamily) {
  EXPECT_EQ(VrrpVirtualMac(AF_INET, 7), (MacAddress{0, 0, 0x5e, 0, 1, 7}));
  EXPECT_EQ(VrrpVirtualMac(AF_INET6, 255), (MacAddress{0, 0, 0x5e, 0, 2, 255}));
}

TEST(RtnetlinkBuildTest, RouteAddWithGatewayHasUniverseScope) {
  RouteSpec spec;
  spec.dst = Addr("10.99.2.0");
  spec.dst_len = 24;
  spec.gateway = Addr("10.99.1.1");
  spec.oif = 3;
  spec.table = 100;
  spec.metric = 50;
  spec.prefsrc = Addr("10.99.1.100");
  const Bytes expected = {
      76, 0, 0, 0,  24, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_NEWROUTE
      2, 24, 0, 0,  100, 3, 0, 1,  0, 0, 0, 0,  // inet /24, table 100, boot, universe, unicast
      8, 0, 15, 0,  100, 0, 0, 0,              // RTA_TABLE
      8, 0, 1, 0,  10, 99, 2, 0,               // RTA_DST
      8, 0, 7, 0,  10, 99, 1, 100,             // RTA_PREFSRC
      8, 0, 5, 0,  10, 99, 1, 1,               // RTA_GATEWAY
      8, 0, 4, 0,  3, 0, 0, 0,                 // RTA_OIF
      8, 0, 6, 0,  50, 0, 0, 0,                // RTA_PRIORITY
  };
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kAdd, spec), expected);
}

TEST(RtnetlinkBuildTest, RouteScopeDefaultsFollowIproute2) {
  RouteSpec spec;
  spec.dst = Addr("10.99.2.0");
  spec.dst_len = 24;
  spec.oif = 3;
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kAdd, spec)[22], RT_SCOPE_LINK);
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kDelete, spec)[22], RT_SCOPE_NOWHERE);
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kDelete, spec)[21], RTPROT_UNSPEC);
  spec.type = RTN_LOCAL;
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kAdd, spec)[22], RT_SCOPE_HOST);
  spec.scope = RT_SCOPE_SITE;
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kAdd, spec)[22], RT_SCOPE_SITE);
}

TEST(RtnetlinkBuildTest, RouteFlagsGoInTheHeaderOfAnAdd) {
  RouteSpec spec;
  spec.flags = RTNH_F_ONLINK;
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kAdd, spec)[24], RTNH_F_ONLINK);  // rtm_flags
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kDelete, spec)[24], 0);
}

TEST(RtnetlinkBuildTest, RouteMetricsNestInAnAdd) {
  RouteSpec spec;
  spec.metrics = {{RTAX_MTU, 1400}};
  spec.congctl = "bbr";
  const Bytes add = BuildRouteRequest(ChangeOp::kAdd, spec);
  const Bytes metrics = {
      20, 0, 8, 0x80,              // RTA_METRICS, NLA_F_NESTED
      8, 0, 2, 0,  0x78, 5, 0, 0,  // RTAX_MTU 1400
      7, 0, 16, 0,  'b', 'b', 'r', 0,  // RTAX_CC_ALGO "bbr" (no NUL; padded)
  };
  EXPECT_EQ(Bytes(add.end() - 20, add.end()), metrics);
  EXPECT_EQ(BuildRouteRequest(ChangeOp::kDelete, spec).size(), add.size() - 20);
}

TEST(RtnetlinkBuildTest, MultipathTosRealmsPrefAndAppend) {
  RouteSpec spec;
  spec.tos = 0x10;
  spec.realms = 0x30004;
  spec.append = true;
  spec.nexthops = {{Addr("10.0.0.1"), 2, 0, 0, 0}, {Addr("10.0.0.2"), 3, 1, RTNH_F_ONLINK, 7}};
  const Bytes add = BuildRouteRequest(ChangeOp::kAdd, spec);
  EXPECT_EQ(Header(add).nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND);
  EXPECT_EQ(add[19], 0x10);  // rtm_tos
  const Bytes tail = {
      8, 0, 11, 0,  4, 0, 3, 0,                // RTA_FLOW
      44, 0, 9, 0x80,                          // RTA_MULTIPATH
      16, 0, 0, 0,  2, 0, 0, 0,                // rtnexthop: len 16, hops 0, ifindex 2
      8, 0, 5, 0,  10, 0, 0, 1,                // RTA_GATEWAY
      24, 0, RTNH_F_ONLINK, 1,  3, 0, 0, 0,    // len 24, onlink, hops 1, ifindex 3
      8, 0, 5, 0,  10, 0, 0, 2,                // RTA_GATEWAY
      8, 0, 11, 0,  7, 0, 0, 0,                // RTA_FLOW
  };
  EXPECT_EQ(Bytes(add.end() - static_cast<long>(tail.size()), add.end()), tail);
  spec.append = false;
  EXPECT_EQ(Header(BuildRouteRequest(ChangeOp::kAdd, spec)).nlmsg_flags,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
}

TEST(RtnetlinkBuildTest, LargeRouteTableGoesOnlyInAttribute) {
  RouteSpec spec;
  spec.table = 1000;
  Bytes msg = BuildRouteRequest(ChangeOp::kAdd, spec);
  EXPECT_EQ(msg[20], RT_TABLE_UNSPEC);
  const Bytes table_attr = {8, 0, 15, 0, 0xe8, 0x03, 0, 0};
  EXPECT_EQ(Bytes(msg.begin() + 28, msg.begin() + 36), table_attr);
}

TEST(RtnetlinkBuildTest, RuleAddFromPrefixToTable) {
  RuleSpec spec;
  spec.src = Addr("10.99.1.0");
  spec.src_len = 24;
  spec.table = 100;
  spec.priority = 1000;
  spec.fwmark = 7;
  const Bytes expected = {
      60, 0, 0, 0,  32, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_NEWRULE
      2, 0, 24, 0,  100, 0, 0, 1,  0, 0, 0, 0,  // inet, src_len 24, table 100, FR_ACT_TO_TBL
      8, 0, 15, 0,  100, 0, 0, 0,              // FRA_TABLE
      8, 0, 2, 0,  10, 99, 1, 0,               // FRA_SRC
      8, 0, 6, 0,  0xe8, 0x03, 0, 0,           // FRA_PRIORITY
      8, 0, 10, 0,  7, 0, 0, 0,                // FRA_FWMARK
  };
  EXPECT_EQ(BuildRuleRequest(ChangeOp::kAdd, spec), expected);
  spec.protocol = RTPROT_KEEPALIVED;
  Bytes with_protocol = expected;
  with_protocol[0] = 68;
  with_protocol.insert(with_protocol.end(), {5, 0, 21, 0, 18, 0, 0, 0});  // FRA_PROTOCOL
  EXPECT_EQ(BuildRuleRequest(ChangeOp::kAdd, spec), with_protocol);
  EXPECT_EQ(BuildRuleRequest(ChangeOp::kDelete, spec).size(), expected.size());
}

TEST(RtnetlinkBuildTest, RuleActionsAndMatches) {
  RuleSpec spec;
  spec.action = FR_ACT_GOTO;
  spec.goto_target = 300;
  spec.invert = true;
  spec.tos = 0x10;
  spec.oifname = "eth1";
  spec.dport = {80, 81};
  const Bytes expected = {
      56, 0, 0, 0,  32, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_NEWRULE
      2, 0, 0, 0x10,  0, 0, 0, 2,  2, 0, 0, 0,  // inet, tos 0x10, FR_ACT_GOTO, FIB_RULE_INVERT
      8, 0, 4, 0,  0x2c, 1, 0, 0,              // FRA_GOTO 300
      9, 0, 17, 0,  'e', 't', 'h', '1',  0, 0, 0, 0,  // FRA_OIFNAME
      8, 0, 24, 0,  80, 0, 81, 0,              // FRA_DPORT_RANGE
  };
  EXPECT_EQ(BuildRuleRequest(ChangeOp::kAdd, spec), expected);
}

TEST(RtnetlinkBuildTest, DumpsAskForEverything) {
  const Bytes addr_dump = {
      24, 0, 0, 0,  22, 0,  0x01, 0x03,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_GETADDR, REQUEST|DUMP
      10, 0, 0, 0,  0, 0, 0, 0,
  };
  EXPECT_EQ(BuildAddressDump(AF_INET6), addr_dump);
  EXPECT_EQ(BuildLinkDump().size(), 32u);
  EXPECT_EQ(Header(BuildLinkDump()).nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
}

TEST(RtnetlinkBuildTest, RouteDumpAsksForEveryRouteOfTheFamily) {
  const Bytes want = {
      28, 0, 0, 0,  26, 0,  0x01, 0x03,  0, 0, 0, 0,  0, 0, 0, 0,  // RTM_GETROUTE, REQUEST|DUMP
      10, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,                       // rtmsg: inet6
  };
  EXPECT_EQ(BuildRouteDump(AF_INET6), want);
}

TEST(RtnetlinkDecodeTest, RouteRoundTripsThroughBuilder) {
  RouteSpec spec;
  spec.dst = Addr("10.99.0.100");
  spec.dst_len = 32;
  spec.table = 1000;  // beyond rtm_table: RTA_TABLE says it
  spec.protocol = 86;
  spec.type = RTN_BLACKHOLE;
  spec.oif = 4;
  auto info = DecodeRoute(Header(BuildRouteRequest(ChangeOp::kAdd, spec)));
  ASSERT_TRUE(info.has_value());
  RouteInfo want;
  want.family = AF_INET;
  want.dst = Addr("10.99.0.100");
  want.dst_len = 32;
  want.table = 1000;
  want.protocol = 86;
  want.type = RTN_BLACKHOLE;
  want.oif = 4;
  EXPECT_EQ(*info, want);
  // Not a route message; truncated.
  EXPECT_FALSE(DecodeRoute(Header(BuildAddressDump(AF_INET))).has_value());
  Bytes msg = BuildRouteRequest(ChangeOp::kAdd, spec);
  reinterpret_cast<nlmsghdr*>(msg.data())->nlmsg_len = 16 + 4;
  EXPECT_FALSE(DecodeRoute(Header(msg)).has_value());
}

TEST(RtnetlinkTest, ListRoutesFiltersByTableAndFamily) {
  RecordingTransport fake;
  RouteSpec a;
  a.dst = Addr("10.0.0.1");
  a.dst_len = 32;
  a.table = 100;
  RouteSpec b = a;
  b.table = RT_TABLE_MAIN;
  RouteSpec c;
  c.family = AF_INET6;
  c.dst = Addr("fd00::1");
  c.dst_len = 128;
  c.table = 100;
  fake.replies = {BuildRouteRequest(ChangeOp::kAdd, a), BuildRouteRequest(ChangeOp::kAdd, b),
                  BuildRouteRequest(ChangeOp::kAdd, c)};
  Rtnetlink rt(fake);
  auto t100 = rt.ListRoutes(100);
  ASSERT_TRUE(t100.has_value());
  ASSERT_EQ(t100->size(), 2u);
  EXPECT_EQ((*t100)[1].dst, Addr("fd00::1"));
  auto v4 = rt.ListRoutes(0, AF_INET);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->size(), 2u);
  EXPECT_EQ(fake.requests[0], BuildRouteDump(AF_UNSPEC));
  EXPECT_EQ(fake.requests[1], BuildRouteDump(AF_INET));
}

TEST(RtnetlinkDecodeTest, AddressRoundTripsThroughBuilder) {
  AddressSpec spec;
  spec.ifindex = 3;
  spec.address = Addr("10.99.1.100");
  spec.prefix_len = 24;
  spec.broadcast = Addr("10.99.1.255");
  spec.label = "eth0:vip";
  spec.scope = RT_SCOPE_HOST;
  auto info = DecodeAddress(Header(BuildAddressRequest(ChangeOp::kAdd, spec)));
  ASSERT_TRUE(info.has_value());
  AddressInfo want;
  want.ifindex = 3;
  want.address = Addr("10.99.1.100");
  want.prefix_len = 24;
  want.scope = RT_SCOPE_HOST;
  want.label = "eth0:vip";
  want.broadcast = Addr("10.99.1.255");
  EXPECT_EQ(*info, want);
}

TEST(RtnetlinkDecodeTest, AddressPeerIsReportedSeparately) {
  AddressSpec spec;
  spec.ifindex = 4;
  spec.address = Addr("fd00:99::1");
  spec.peer = Addr("fd00:99::2");
  auto info = DecodeAddress(Header(BuildAddressRequest(ChangeOp::kAdd, spec)));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->address, Addr("fd00:99::1"));
  EXPECT_EQ(info->peer, Addr("fd00:99::2"));
  EXPECT_EQ(info->flags, static_cast<std::uint32_t>(IFA_F_NODAD));
}

TEST(RtnetlinkDecodeTest, AddressWithoutAnyAddressAttributeIsRejected) {
  Bytes msg = BuildAddressDump(AF_INET);
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_type = RTM_NEWADDR;
  EXPECT_FALSE(DecodeAddress(*h).has_value());
  h->nlmsg_type = RTM_NEWLINK;
  EXPECT_FALSE(DecodeAddress(*h).has_value());
}

TEST(RtnetlinkDecodeTest, LinkFieldsAreDecoded) {
  Bytes msg = BuildMacvlanCreate({"vrrp.9", 2, VrrpVirtualMac(AF_INET6, 9), MACVLAN_MODE_PRIVATE});
  auto* ifi = reinterpret_cast<ifinfomsg*>(msg.data() + 16);
  ifi->ifi_index = 12;
  ifi->ifi_flags = IFF_UP | IFF_RUNNING | IFF_BROADCAST;
  auto link = DecodeLink(Header(msg));
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->ifindex, 12);
  EXPECT_EQ(link->name, "vrrp.9");
  EXPECT_TRUE(link->up());
  EXPECT_TRUE(link->running());
  EXPECT_EQ(link->mac, (std::vector<std::uint8_t>{0, 0, 0x5e, 0, 2, 9}));
  EXPECT_EQ(link->parent_ifindex, 2);
  EXPECT_EQ(link->kind, "macvlan");
  EXPECT_EQ(link->mtu, 0u);
}

TEST(RtnetlinkDecodeTest, TruncatedLinkIsRejected) {
  Bytes msg = BuildGetLinkByName("eth0");
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_type = RTM_NEWLINK;
  h->nlmsg_len = 16 + 8;  // shorter than ifinfomsg
  EXPECT_FALSE(DecodeLink(*h).has_value());
}

TEST(RtnetlinkTest, ListAddressesFiltersByInterfaceAndFamily) {
  RecordingTransport fake;
  AddressSpec a = MakeAddress(3, "10.99.1.1", 24);
  AddressSpec b = MakeAddress(4, "10.99.2.1", 24);
  AddressSpec c = MakeAddress(3, "fd00:99::1", 64);
  fake.replies = {BuildAddressRequest(ChangeOp::kAdd, a), BuildAddressRequest(ChangeOp::kAdd, b),
                  BuildAddressRequest(ChangeOp::kAdd, c)};
  Rtnetlink rt(fake);
  auto v4 = rt.ListAddresses(3, AF_INET);
  ASSERT_TRUE(v4.has_value());
  ASSERT_EQ(v4->size(), 1u);
  EXPECT_EQ((*v4)[0].address, Addr("10.99.1.1"));
  auto all3 = rt.ListAddresses(3);
  ASSERT_TRUE(all3.has_value());
  EXPECT_EQ(all3->size(), 2u);
  ASSERT_EQ(fake.requests.size(), 2u);
  EXPECT_EQ(fake.requests[0], BuildAddressDump(AF_INET));
  EXPECT_EQ(fake.requests[1], BuildAddressDump(AF_UNSPEC));
}

TEST(RtnetlinkTest, LinkByNameMapsNoDeviceToNotFound) {
  RecordingTransport fake;
  fake.error = ENODEV;
  Rtnetlink rt(fake);
  auto link = rt.LinkByName("nope0");
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(link.error().context(), "no interface named nope0");
  EXPECT_EQ(fake.requests[0], BuildGetLinkByName("nope0"));
}

TEST(RtnetlinkTest, KernelErrorsPassThrough) {
  RecordingTransport fake;
  fake.error = EEXIST;
  Rtnetlink rt(fake);
  auto r = rt.AddAddress(MakeAddress(1, "10.99.0.1", 32));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kExists);
}

// --- Against a real kernel, in a throwaway network namespace -------------------------------

std::string Check(bool ok, const std::string& what) { return ok ? "" : what + "; "; }

TEST(RtnetlinkKernelTest, AddressesRoutesRulesAndMacvlanInFreshNetns) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    RunCommand("echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad");
    if (std::system("ip link add va type veth peer name vb") != 0) return "ip link add failed";
    auto sock = NetlinkSocket::Open(NETLINK_ROUTE);
    if (!sock) return "open: " + sock.error().ToString();
    Rtnetlink rt(*sock);
    auto va = rt.LinkByName("va");
    if (!va) return "LinkByName: " + va.error().ToString();
    std::string f;
    f += Check(va->kind == "veth", "kind " + va->kind);
    f += Check(!va->up(), "va up before SetLinkUp");
    f += Check(va->mac.size() == 6, "mac size");
    auto by_index = rt.LinkByIndex(va->ifindex);
    f += Check(by_index && by_index->name == "va", "LinkByIndex");
    auto missing = rt.LinkByName("nope0");
    f += Check(!missing && missing.error().code() == ErrorCode::kNotFound, "missing link");
    if (auto r = rt.SetLinkUp(va->ifindex, true); !r) return "SetLinkUp: " + r.error().ToString();
    f += Check(rt.LinkByName("va")->up(), "va not up");
    if (auto r = rt.SetLinkUp(rt.LinkByName("vb")->ifindex, true); !r) return "vb up failed";

    AddressSpec v4 = MakeAddress(va->ifindex, "10.99.1.100", 24);
    v4.broadcast = Addr("10.99.1.255");
    v4.label = "va:vip";
    AddressSpec v6 = MakeAddress(va->ifindex, "fd00:99::100", 64);
    if (auto r = rt.AddAddress(v4); !r) return "AddAddress v4: " + r.error().ToString();
    if (auto r = rt.AddAddress(v6); !r) return "AddAddress v6: " + r.error().ToString();
    auto again = rt.AddAddress(v4);
    f += Check(!again && again.error().code() == ErrorCode::kExists, "duplicate add not EEXIST");
    auto listed = rt.ListAddresses(va->ifindex);
    if (!listed) return "ListAddresses: " + listed.error().ToString();
    bool saw_v4 = false, saw_v6_nodad = false;
    for (const auto& a : *listed) {
      if (a.address == Addr("10.99.1.100") && a.prefix_len == 24 && a.label == "va:vip" &&
          a.broadcast == Addr("10.99.1.255"))
        saw_v4 = true;
      if (a.address == Addr("fd00:99::100") && (a.flags & IFA_F_NODAD) != 0 &&
          (a.flags & IFA_F_TENTATIVE) == 0)
        saw_v6_nodad = true;
    }
    f += Check(saw_v4, "v4 address not listed");
    f += Check(saw_v6_nodad, "v6 address not listed as nodad");

    RouteSpec route;
    route.dst = Addr("10.99.2.0");
    route.dst_len = 24;
    route.gateway = Addr("10.99.1.1");
    route.oif = va->ifindex;
    route.table = 100;
    route.metric = 50;
    route.prefsrc = Addr("10.99.1.100");
    if (auto r = rt.AddRoute(route); !r) return "AddRoute: " + r.error().ToString();
    f += Check(RunCommand("ip -4 route show table 100") ==
                   "10.99.2.0/24 via 10.99.1.1 dev va src 10.99.1.100 metric 50 \n",
               "route: " + RunCommand("ip -4 route show table 100"));
    RuleSpec rule;
    rule.src = Addr("10.99.1.0");
    rule.src_len = 24;
    rule.table = 100;
    rule.priority = 1000;
    rule.fwmark = 7;
    if (auto r = rt.AddRule(rule); !r) return "AddRule: " + r.error().ToString();
    f += Check(RunCommand("ip rule show pref 1000") ==
                   "1000:\tfrom 10.99.1.0/24 fwmark 0x7 lookup 100\n",
               "rule: " + RunCommand("ip rule show pref 1000"));
    if (auto r = rt.DeleteRule(rule); !r) return "DeleteRule: " + r.error().ToString();
    if (auto r = rt.DeleteRoute(route); !r) return "DeleteRoute: " + r.error().ToString();
    f += Check(RunCommand("ip -4 route show table 100").empty(), "route left behind");
    f += Check(RunCommand("ip rule show pref 1000").empty(), "rule left behind");

    auto vmac = rt.CreateMacvlan({"vrrp.51", va->ifindex, VrrpVirtualMac(AF_INET, 51),
                                  MACVLAN_MODE_PRIVATE});
    if (!vmac) return "CreateMacvlan: " + vmac.error().ToString();
    f += Check(vmac->kind == "macvlan" && vmac->parent_ifindex == va->ifindex, "macvlan kind");
    f += Check(vmac->mac == std::vector<std::uint8_t>{0, 0, 0x5e, 0, 1, 51}, "macvlan mac");
    f += Check(RunCommand("ip -d link show vrrp.51").find("macvlan mode private") !=
                   std::string::npos,
               "macvlan mode");
    if (auto r = rt.DeleteLink(vmac->ifindex); !r) return "DeleteLink: " + r.error().ToString();
    f += Check(!rt.LinkByName("vrrp.51"), "macvlan left behind");

    if (auto r = rt.DeleteAddress(v4); !r) return "DeleteAddress v4: " + r.error().ToString();
    if (auto r = rt.DeleteAddress(v6); !r) return "DeleteAddress v6: " + r.error().ToString();
    f += Check(rt.ListAddresses(va->ifindex, AF_INET)->empty(), "v4 address left behind");
    return f;
  });
}

}  // namespace
}  // namespace vigil::net
