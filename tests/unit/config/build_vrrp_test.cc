#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "config/build.h"
#include "tree_text.h"

namespace vigil::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::DiagLines;
using testing::TreeFromText;
using Strings = std::vector<std::string>;

// Builds `text`; only the builder's diagnostics go to `d` (the parser's are the
// parser tests' business).
model::Config BuildText(std::string_view text, Diagnostics& d) {
  Diagnostics parse;
  return Build(TreeFromText(text, parse), d);
}

TEST(BuildVrrpTest, MinimalInstanceGetsKeepalivedDefaults) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.1/24
  }
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ASSERT_EQ(cfg.vrrp_instances.size(), 1u);
  const auto& v = cfg.vrrp_instances[0];
  EXPECT_EQ(v.name, "VI_1");
  EXPECT_EQ(v.interface, "eth0");
  EXPECT_EQ(v.virtual_router_id, 51);
  EXPECT_EQ(v.priority, 100);
  EXPECT_EQ(v.initial_state, model::VrrpState::kBackup);
  EXPECT_EQ(v.advert_int, seconds(1));
  EXPECT_EQ(v.version, 2);
  EXPECT_EQ(v.family, model::Family::kIpv4);
  EXPECT_TRUE(v.accept);
  EXPECT_FALSE(v.nopreempt);
  EXPECT_EQ(v.garp_master_delay, seconds(5));
  EXPECT_EQ(v.garp_master_repeat, 5u);
  EXPECT_EQ(v.garp_lower_prio_delay, seconds(5));
  EXPECT_EQ(v.garp_lower_prio_repeat, 5u);
  EXPECT_EQ(v.down_timer_adverts, 3u);
  ASSERT_EQ(v.virtual_ipaddress.size(), 1u);
  EXPECT_EQ(v.virtual_ipaddress[0].prefix.ToString(), "10.0.0.1/24");
  EXPECT_EQ(v.loc.line, 1u);
  EXPECT_EQ(v.loc.column, 15u);
}

// `use_vmac` on a VIP line, as keepalived 2.2.7 -t judges it (run on this text: exit 5 with
// "use_vmac specified for VIP/eVIP ... and vrrp instance" for 10.0.0.1 and 10.0.0.2,
// "use_vmac_addr specified and use_vmac specified" for 10.0.1.2 and fd00::2, "Unknown
// configuration entry 'use_vmac' for ip address" for the static address): kept where it
// gives the VIP a VMAC of its own, an error and dropped where the instance's use_vmac or
// use_vmac_addr places the VIP anyway.
// An address line's options are keepalived's words: "-nodad" (not ip(8)'s "nodad"), and
// neither "valid_lft" nor "metric" (keepalived 2.2.7 and upstream: "Unknown configuration
// entry ... for ip address", exit 5); a bad peer or preferred_lft drops that option.
TEST(BuildVrrpTest, AddressOptionsAreKeepalivedsWords) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress_excluded {
    fd00::1/64 -nodad home mngtmpaddr noprefixroute autojoin preferred_lft forever
    fd00::2/64 nodad preferred_lft soon
    fd00::3 peer fd00::9 valid_lft 30
  }
  virtual_ipaddress {
    10.0.0.1 peer 10.0.0.300 metric 5
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"6:16: error: 'nodad' is not a valid option for address fd00::2/64; ignored",
                     "6:36: error: preferred_lft: 'soon' is not a valid integer",
                     "7:26: error: 'valid_lft' is not a valid option for address fd00::3; ignored",
                     "7:36: error: '30' is not a valid option for address fd00::3; ignored",
                     "10:19: error: peer: '10.0.0.300' is not a valid IP address",
                     "10:30: error: 'metric' is not a valid option for address 10.0.0.1; ignored",
                     "10:37: error: '5' is not a valid option for address 10.0.0.1; ignored"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 1u);
  const auto& x = cfg.vrrp_instances[0].virtual_ipaddress_excluded;
  ASSERT_EQ(x.size(), 3u);
  EXPECT_EQ(x[0].other, (Strings{"-nodad", "home", "mngtmpaddr", "noprefixroute", "autojoin",
                                 "preferred_lft", "forever"}));
  EXPECT_EQ(x[1].other, Strings{});
  EXPECT_EQ(x[2].other, (Strings{"peer", "fd00::9"}));
  EXPECT_EQ(cfg.vrrp_instances[0].virtual_ipaddress.at(0).other, Strings{});
}

TEST(BuildVrrpTest, UseVmacOnAVirtualAddressIsCheckedAsKeepalivedChecksIt) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 51
  use_vmac
  virtual_ipaddress {
    10.0.0.1/24 use_vmac
    10.0.0.2/24 dev eth0 use_vmac
    10.0.0.3/24 dev eth1 use_vmac
  }
  virtual_ipaddress_excluded {
    fd00::1/64 use_vmac
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 52
  use_vmac_addr
  virtual_ipaddress {
    10.0.1.1/24 use_vmac
    10.0.1.2/24 dev eth1 use_vmac
  }
  virtual_ipaddress_excluded {
    fd00::2/64 use_vmac
  }
}
static_ipaddress {
  10.0.2.1/24 dev eth0 use_vmac
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"6:5: error: vrrp_instance A: VIP 10.0.0.1/24 and the instance both have "
                     "use_vmac; it goes on the instance's VMAC",
                     "7:5: error: vrrp_instance A: VIP 10.0.0.2/24 and the instance both have "
                     "use_vmac; it goes on the instance's VMAC",
                     "20:5: error: vrrp_instance B: VIP 10.0.1.2/24: use_vmac_addr puts it on a "
                     "VMAC of its own already; use_vmac ignored",
                     "23:5: error: vrrp_instance B: excluded VIP fd00::2/64: use_vmac_addr puts "
                     "it on a VMAC of its own already; use_vmac ignored",
                     "27:24: error: 'use_vmac' is not a valid option for address 10.0.2.1/24; "
                     "ignored"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 2u);
  auto flags = [](const std::vector<model::VirtualAddress>& list) {
    Strings out;
    for (const auto& a : list) out.push_back(a.other.empty() ? "-" : a.other[0]);
    return out;
  };
  const auto& a = cfg.vrrp_instances[0];
  const auto& b = cfg.vrrp_instances[1];
  EXPECT_EQ(flags(a.virtual_ipaddress), (Strings{"-", "-", "use_vmac"}));
  EXPECT_EQ(flags(a.virtual_ipaddress_excluded), (Strings{"use_vmac"}));
  EXPECT_EQ(flags(b.virtual_ipaddress), (Strings{"use_vmac", "-"}));
  EXPECT_EQ(flags(b.virtual_ipaddress_excluded), (Strings{"-"}));
  ASSERT_EQ(cfg.static_addresses.size(), 1u);
  EXPECT_EQ(cfg.static_addresses[0].other, Strings{});
}

// native_ipv6 as keepalived 2.2.7 reads it (-t on this text, exit 5: "(A) Cannot specify
// native_ipv6 with IPv4 addresses", "(B): address family must match VRRP instance
// [10.99.0.101/16] - ignoring"): the instance is IPv6 and VRRP version 3 (over an earlier
// `version 2`), unless IPv4 addresses came first.
TEST(BuildVrrpTest, NativeIpv6MakesTheInstanceIpv6UnlessIpv4AddressesCameFirst) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 61
  virtual_ipaddress {
    10.99.0.100/16
  }
  native_ipv6
}
vrrp_instance B {
  interface eth0
  virtual_router_id 62
  version 2
  native_ipv6
  virtual_ipaddress {
    10.99.0.101/16
    fd00:99::101/64
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"7:3: error: vrrp_instance A: native_ipv6 after IPv4 addresses; ignored",
                     "15:5: error: virtual_ipaddress '10.99.0.101/16' is IPv4 but "
                     "vrrp_instance B is IPv6; ignored"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 2u);
  EXPECT_EQ(cfg.vrrp_instances[0].family, model::Family::kIpv4);
  EXPECT_EQ(cfg.vrrp_instances[0].version, 2);
  const auto& b = cfg.vrrp_instances[1];
  EXPECT_EQ(b.family, model::Family::kIpv6);
  EXPECT_EQ(b.version, 3);
  ASSERT_EQ(b.virtual_ipaddress.size(), 1u);
  EXPECT_EQ(b.virtual_ipaddress[0].prefix.ToString(), "fd00:99::101/64");
  EXPECT_TRUE(b.other.empty());
}

TEST(BuildVrrpTest, StateMasterWithoutPriorityMeans255) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  state MASTER
  interface eth0
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  priority 255
  virtual_ipaddress { 10.0.0.2 }
}
vrrp_instance C {
  state MASTER
  interface eth0
  virtual_router_id 3
  priority 150
  virtual_ipaddress { 10.0.0.3 }
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ASSERT_EQ(cfg.vrrp_instances.size(), 3u);
  EXPECT_EQ(cfg.vrrp_instances[0].priority, 255);
  EXPECT_EQ(cfg.vrrp_instances[1].initial_state, model::VrrpState::kMaster);
  EXPECT_EQ(cfg.vrrp_instances[2].priority, 150);
  EXPECT_EQ(cfg.vrrp_instances[2].initial_state, model::VrrpState::kMaster);
}

TEST(BuildVrrpTest, KernelRxBufSize) {
  // keepalived: 0..4294967295; "-1" is "(A) invalid kernel_rx_buf_size specified" (exit 5).
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 1
  kernel_rx_buf_size 65536
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  kernel_rx_buf_size -1
  virtual_ipaddress { 10.0.0.2 }
})", d);
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  ASSERT_EQ(cfg.vrrp_instances.size(), 2u);
  EXPECT_EQ(cfg.vrrp_instances[0].kernel_rx_buf_size, 65536u);
  EXPECT_EQ(cfg.vrrp_instances[1].kernel_rx_buf_size, 0u);
}

TEST(BuildVrrpTest, OutOfRangeValuesAreErrorsAndDefaultsApply) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 300
  advert_int 0
  virtual_ipaddress { 10.0.0.1 }
})", d);
  EXPECT_EQ(DiagLines(d), (Strings{"5:12: error: priority 300 is out of range 1..255",
                                   "6:14: error: advert_int 0 is out of range 0.01..255"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 1u);
  // keepalived sets the default 100 explicitly, so MASTER does not lift it to 255.
  EXPECT_EQ(cfg.vrrp_instances[0].priority, 100);
  EXPECT_EQ(cfg.vrrp_instances[0].advert_int, seconds(1));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

TEST(BuildVrrpTest, MissingVridOrInterfaceIsFatal) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance B {
  virtual_router_id 5
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance C {
  virtual_router_id 300
  interface eth0
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: fatal: vrrp_instance A: virtual_router_id is not set",
                     "5:15: fatal: vrrp_instance B: no interface set (needed unless unicast peers are used)",
                     "10:21: error: virtual_router_id 300 is out of range 1..255",
                     "9:15: fatal: vrrp_instance C: virtual_router_id is not set"}));
  EXPECT_TRUE(cfg.vrrp_instances.empty());
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);  // keepalived: "the virtual router id must be set", exit 5
  EXPECT_TRUE(d.HasFatal());
}

TEST(BuildVrrpTest, UseIpvlanTakesNameAddressAndModeInAnyOrderAsKeepalived) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 51
  use_ipvlan 10.0.0.9/24 private name ipv1
  virtual_ipaddress { 10.0.0.1/24 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 52
  use_ipvlan vepa ipv2 10.0.0.8 bridge 10.0.0.7 ipv3
  use_ipvlan
  virtual_ipaddress { 10.0.0.2/24 }
}
vrrp_instance C {
  interface eth0
  virtual_router_id 53
  use_ipvlan 2001:db8::5 ipv1 abcdefghijklmnopq
  virtual_ipaddress {
    10.0.0.3/24
    fe80::3
  }
}
vrrp_instance D {
  interface eth0
  virtual_router_id 54
  use_ipvlan
  virtual_ipaddress { 10.0.0.4/24 }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"10:33: error: use_ipvlan: the mode is already given; 'bridge' ignored",
                     "10:40: error: use_ipvlan: the address is already given; '10.0.0.7' ignored",
                     "10:49: error: use_ipvlan: the interface name is already given; 'ipv3' ignored",
                     "11:3: error: use_ipvlan: already given for vrrp_instance B; ignored",
                     "17:26: error: use_ipvlan: vrrp_instance A already uses ipv1; name ignored",
                     "17:31: error: use_ipvlan: 'abcdefghijklmnopq' is too long for an interface name; ignored",
                     "19:5: error: virtual_ipaddress '10.0.0.3/24' is IPv4 but vrrp_instance C is IPv6; ignored",
                     "23:15: warning: vrrp_instance D: use_ipvlan without an address: an IPv4 instance "
                     "needs one for its adverts; the instance will stay in FAULT"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  ASSERT_EQ(cfg.vrrp_instances.size(), 4u);
  const auto& a = *cfg.vrrp_instances[0].use_ipvlan;
  EXPECT_EQ(a.name, "ipv1");
  EXPECT_EQ(a.address->ToString(), "10.0.0.9/24");
  EXPECT_EQ(a.mode, model::IpvlanMode::kPrivate);
  const auto& b = *cfg.vrrp_instances[1].use_ipvlan;
  EXPECT_EQ(b.name, "ipv2");
  EXPECT_EQ(b.address->ToString(), "10.0.0.8/32");
  EXPECT_EQ(b.mode, model::IpvlanMode::kVepa);
  const auto& c = cfg.vrrp_instances[2];
  EXPECT_EQ(c.family, model::Family::kIpv6);  // from the ipvlan's address, as keepalived
  EXPECT_EQ(c.use_ipvlan->name, "");
  EXPECT_EQ(c.use_ipvlan->address->ToString(), "2001:db8::5/128");
  EXPECT_EQ(c.use_ipvlan->mode, model::IpvlanMode::kBridge);
  EXPECT_EQ(cfg.vrrp_instances[3].use_ipvlan, model::UseIpvlan{});
}

// use_vmac as newer keepalived reads it (2.2.7: name and MAC only): the MAC (five octets:
// the VRID is the sixth), netlink_notify_msg, group and [name] NAME in any order; use_ipvlan
// takes group too.
TEST(BuildVrrpTest, UseVmacTakesNameMacAndGroupAsKeepalived) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 51
  use_vmac 02:aa:bb:cc:dd: group web netlink_notify_msg vm1 01:00:00:00:00:01
  virtual_ipaddress { 10.0.0.1/24 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 52
  use_vmac name group 00:00:5e:00:01:34 vm1 2:a:b:c:d:e group
  virtual_ipaddress { 10.0.0.2/24 }
}
vrrp_instance C {
  interface eth0
  virtual_router_id 53
  use_vmac 01:02:03:04:05:06 02:00:00:00:00:01:07 vm3 vm4
  use_ipvlan ipv3 10.0.0.9 group 5
  virtual_ipaddress { 10.0.0.3/24 }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"4:61: error: use_vmac: the MAC address is already given; "
                     "'01:00:00:00:00:01' ignored",
                     "10:23: error: use_vmac: 00:00:5e:00:01:34 is an RFC 5798 virtual router "
                     "MAC address, which may not be given; ignored",
                     "10:41: error: use_vmac: the interface name is already given; 'vm1' ignored",
                     "10:57: error: use_vmac: group without a value; ignored",
                     "16:12: error: use_vmac: 01:02:03:04:05:06 is a multicast MAC address; ignored",
                     "16:30: error: use_vmac: '02:00:00:00:00:01:07' is not a MAC address; ignored",
                     "16:55: error: use_vmac: the interface name is already given; 'vm4' ignored",
                     "13:15: error: vrrp_instance C: use_vmac and use_ipvlan together; the ipvlan "
                     "is used, use_vmac ignored"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 3u);
  const auto& a = cfg.vrrp_instances[0];
  EXPECT_EQ(a.use_vmac, "vm1");
  EXPECT_EQ(a.vmac_mac, (std::array<uint8_t, 6>{2, 0xaa, 0xbb, 0xcc, 0xdd, 0}));
  EXPECT_TRUE(a.vmac_mac_vrid);
  EXPECT_EQ(a.vmac_group, "web");
  const auto& b = cfg.vrrp_instances[1];
  EXPECT_EQ(b.use_vmac, "group");
  EXPECT_EQ(b.vmac_mac, (std::array<uint8_t, 6>{2, 0xa, 0xb, 0xc, 0xd, 0xe}));
  EXPECT_FALSE(b.vmac_mac_vrid);
  EXPECT_EQ(b.vmac_group, std::nullopt);
  EXPECT_EQ(cfg.vrrp_instances[2].vmac_group, "5");
}

TEST(BuildVrrpTest, UseIpvlanOrVmacWithUnicastAsKeepalived) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 51
  use_ipvlan ipv1 10.0.0.9
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.1/24 }
}
vrrp_instance B {
  virtual_router_id 52
  use_ipvlan ipv2 10.0.0.8
  unicast_src_ip 10.0.0.1
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.2/24 dev eth0 }
}
vrrp_instance C {
  interface eth0
  virtual_router_id 53
  use_vmac
  use_ipvlan ipv3 10.0.0.7
  promote_secondaries
  virtual_ipaddress { 10.0.0.3/24 }
}
vrrp_instance E {
  interface eth0
  virtual_router_id 55
  use_vmac
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.5/24 }
})", d);
  // keepalived -t: "unicast with use_vmac requires vmac_xmit_base - setting" (exit 5) for
  // either, and "Cannot use VMAC/ipvlan with unicast and no interface - clearing".
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: warning: vrrp_instance A: unicast with use_ipvlan: keepalived sets "
                     "vmac_xmit_base and clears it again (only for use_vmac); adverts leave from "
                     "the ipvlan",
                     "8:15: error: vrrp_instance B: use_ipvlan with unicast peers needs an "
                     "interface; use_ipvlan ignored",
                     "15:15: error: vrrp_instance C: use_vmac and use_ipvlan together; the ipvlan "
                     "is used, use_vmac ignored",
                     "15:15: error: vrrp_instance C: promote_secondaries is set on a VMAC anyway; ignored",
                     "23:15: warning: vrrp_instance E: unicast adverts with use_vmac leave from "
                     "the interface itself (vmac_xmit_base set)"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  ASSERT_EQ(cfg.vrrp_instances.size(), 4u);
  EXPECT_TRUE(cfg.vrrp_instances[0].use_ipvlan);
  EXPECT_FALSE(cfg.vrrp_instances[0].vmac_xmit_base);
  EXPECT_FALSE(cfg.vrrp_instances[1].use_ipvlan);
  EXPECT_FALSE(cfg.vrrp_instances[2].use_vmac);
  EXPECT_FALSE(cfg.vrrp_instances[2].promote_secondaries);
  EXPECT_TRUE(cfg.vrrp_instances[3].vmac_xmit_base);
}

TEST(BuildVrrpTest, VrfOnlyForAUnicastInstanceWithoutAnInterfaceAsKeepalived) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  virtual_router_id 51
  vrf blue
  vrf red
  unicast_src_ip 10.0.0.1
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.100/24 dev e1 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 52
  vrf blue
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.101/24 }
}
vrrp_instance C {
  virtual_router_id 53
  vrf blue
  interface eth0
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.102/24 }
}
vrrp_instance D {
  virtual_router_id 54
  vrf blue
  interface eth0
  virtual_ipaddress { 10.0.0.103/24 }
}
vrrp_instance E {
  virtual_router_id 55
  vrf lo
  vrf abcdefghijklmnopq
  unicast_src_ip 10.0.0.1
  unicast_peer { 10.0.0.2 }
  virtual_ipaddress { 10.0.0.104/24 dev e1 }
})", d);
  // keepalived -t: "VRF interface already specified", "Cannot specify VRF interface and
  // interface", "vrf can only be specified without interface / with unicast - clearing",
  // "cannot use a loopback interface", "VRF interface name ... too long" (all exit 5).
  EXPECT_EQ(DiagLines(d),
            (Strings{"4:7: error: vrf: vrrp_instance A is already in VRF blue; ignored",
                     "12:7: error: vrf: vrrp_instance B has an interface; a VRF is only for an "
                     "instance without one; ignored",
                     "16:15: error: vrrp_instance C: vrf is only for an instance without an "
                     "interface; cleared",
                     "23:15: error: vrrp_instance D: vrf is only for an instance without an "
                     "interface; cleared",
                     "31:7: error: vrf: the loopback interface cannot be a VRF; ignored",
                     "32:7: error: vrf: 'abcdefghijklmnopq' is too long for an interface name; "
                     "ignored"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  ASSERT_EQ(cfg.vrrp_instances.size(), 5u);
  EXPECT_EQ(cfg.vrrp_instances[0].vrf, "blue");
  for (size_t i = 1; i < 5; ++i) EXPECT_FALSE(cfg.vrrp_instances[i].vrf) << i;
}

TEST(BuildVrrpTest, VrfWithoutUnicastPeersIsClearedAsKeepalived) {
  Diagnostics d;
  (void)BuildText(R"(vrrp_instance A {
  virtual_router_id 51
  vrf blue
  unicast_src_ip 10.0.0.1
  virtual_ipaddress { 10.0.0.100/24 dev e1 }
})", d);
  // Without peers and without an interface the instance cannot run at all; the VRF is
  // cleared first, as keepalived's "vrf can only be specified with unicast - clearing".
  EXPECT_TRUE(d.HasFatal());
  bool said = false;
  for (const auto& line : DiagLines(d))
    said |= line.find("vrf is only for an instance with unicast peers; cleared") != std::string::npos;
  EXPECT_TRUE(said) << ::testing::PrintToString(DiagLines(d));
}

TEST(BuildVrrpTest, MixedFamiliesAndPeerMismatchAreDropped) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.1/24
    fe80::1
  }
  virtual_ipaddress_excluded {
    2001:db8::1/64
  }
  unicast_peer {
    fe80::2
    10.0.0.9 min_ttl 5
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"6:5: error: virtual_ipaddress 'fe80::1' is IPv6 but vrrp_instance VI_1 is IPv4; ignored",
                     "12:5: error: unicast_peer 'fe80::2' is IPv6 but vrrp_instance VI_1 is IPv4; ignored"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 1u);
  const auto& v = cfg.vrrp_instances[0];
  ASSERT_EQ(v.virtual_ipaddress.size(), 1u);
  ASSERT_EQ(v.virtual_ipaddress_excluded.size(), 1u);
  ASSERT_EQ(v.unicast_peer.size(), 1u);
  EXPECT_EQ(v.unicast_peer[0].address.ToString(), "10.0.0.9");
  EXPECT_EQ(v.unicast_peer[0].min_ttl, 5);
}

TEST(BuildVrrpTest, Ipv6InstanceUsesVersion3AndCentisecondAdverts) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance V6 {
  interface eth0
  virtual_router_id 7
  advert_int 0.015
  virtual_ipaddress { fe80::10 }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: error: vrrp_instance V6: advert_int must be a multiple of 0.01 seconds with VRRP version 3; using 0.02"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 1u);
  EXPECT_EQ(cfg.vrrp_instances[0].version, 3);
  EXPECT_EQ(cfg.vrrp_instances[0].family, model::Family::kIpv6);
  EXPECT_EQ(cfg.vrrp_instances[0].advert_int, milliseconds(20));
}

TEST(BuildVrrpTest, Version2AdvertIntIsRoundedToWholeSeconds) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  advert_int 1.5
  virtual_ipaddress { 10.0.0.1 }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: error: vrrp_instance VI_1: advert_int 1.5 must be whole seconds with VRRP version 2; using 2"}));
  EXPECT_EQ(cfg.vrrp_instances[0].advert_int, seconds(2));
}

TEST(BuildVrrpTest, Version3WithoutVipIsFatalVersion2OnlyWarns) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 51
  version 3
}
vrrp_instance B {
  interface eth0
  virtual_router_id 52
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: fatal: vrrp_instance A: no virtual_ipaddress (required with VRRP version 3 or strict mode)",
                     "6:15: warning: vrrp_instance B: no virtual_ipaddress"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 1u);
  EXPECT_EQ(cfg.vrrp_instances[0].name, "B");
}

TEST(BuildVrrpTest, DuplicateVridOnSameInterfaceIsFatal) {
  Diagnostics d;
  BuildText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.2 }
}
vrrp_instance VI_3 {
  interface eth1
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.3 }
}
vrrp_instance VI_4 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { fe80::4 }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"6:15: fatal: vrrp_instance VI_2: virtual_router_id 51 is already used by VI_1 (IPv4 on eth0)"}));
}

TEST(BuildVrrpTest, TrackScriptReferencesAreResolved) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  enable_script_security
}
vrrp_script chk {
  script "/usr/bin/check arg"
  interval 2
  weight -20 reverse
  fall 3
}
vrrp_script unused {
  script /bin/true
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  track_script {
    chk weight 10
    nosuch
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"19:5: error: vrrp_script 'nosuch' is not defined; ignored",
                     "10:13: warning: vrrp_script 'unused' is not used"}));
  ASSERT_EQ(cfg.vrrp_scripts.size(), 1u);
  const auto& s = cfg.vrrp_scripts[0];
  EXPECT_EQ(s.command, "/usr/bin/check arg");
  EXPECT_EQ(s.interval, seconds(2));
  EXPECT_EQ(s.timeout, seconds(2));
  EXPECT_EQ(s.weight, -20);
  EXPECT_TRUE(s.weight_reverse);
  EXPECT_EQ(s.rise, 1u);
  EXPECT_EQ(s.fall, 3u);
  ASSERT_EQ(cfg.vrrp_instances[0].track_script.size(), 1u);
  EXPECT_EQ(cfg.vrrp_instances[0].track_script[0].weight, 10);
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

TEST(BuildVrrpTest, TrackScriptBuildsWithoutDiagnostics) {
  Diagnostics d;
  BuildText(R"(vrrp_script chk { script "/bin/true" }
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  track_script { chk }
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);  // exit 5 is CheckSystem's call: it knows which scripts exist
}

TEST(BuildVrrpTest, NotifyScriptKeepsCommandAndUser) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  notify_master "/etc/notify.sh master" root
})", d);
  EXPECT_EQ(d.ExitCode(), CheckExit::kOk);  // exit 5 is CheckSystem's call: it knows which scripts exist
  ASSERT_TRUE(cfg.vrrp_instances[0].notify.master);
  EXPECT_EQ(cfg.vrrp_instances[0].notify.master->command, "/etc/notify.sh master");
  EXPECT_EQ(cfg.vrrp_instances[0].notify.master->user, "root");
}

TEST(BuildVrrpTest, SyncGroupMembersMustExist) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_sync_group G {
  group {
    VI_1
    VI_9
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"6:17: error: vrrp_sync_group G: vrrp_instance 'VI_9' is not defined; ignored",
                     "6:17: warning: vrrp_sync_group G has only one member"}));
  ASSERT_EQ(cfg.sync_groups.size(), 1u);
  EXPECT_EQ(cfg.sync_groups[0].members, Strings{"VI_1"});
}

TEST(BuildVrrpTest, StrictModeResolvesLikeKeepalived) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  vrrp_strict
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 100
  preempt_delay 5
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress { 10.0.0.1 }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"4:15: error: vrrp_instance VI_1: in strict mode state MASTER requires priority 255 and vice versa; state set from priority",
                     "4:15: error: vrrp_instance VI_1: authentication is not allowed in strict mode; removed",
                     "4:15: error: vrrp_instance VI_1: preempt_delay is not allowed in strict mode; cleared"}));
  const auto& v = cfg.vrrp_instances[0];
  EXPECT_TRUE(v.strict_mode);
  EXPECT_EQ(v.initial_state, model::VrrpState::kBackup);
  EXPECT_EQ(v.auth_type, model::AuthType::kNone);
  EXPECT_FALSE(v.accept);
  EXPECT_TRUE(v.lower_prio_no_advert);
  EXPECT_EQ(v.garp_lower_prio_repeat, 0u);
}

TEST(BuildVrrpTest, UnicastInStrictModeIsFatal) {
  Diagnostics d;
  BuildText(R"(vrrp_instance VI_1 {
  strict_mode
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  unicast_peer { 10.0.0.2 }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: fatal: vrrp_instance VI_1: unicast peers are not allowed in strict mode"}));
}

TEST(BuildVrrpTest, GlobalGarpDefaultsFlowIntoInstances) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  garp_master_repeat 2
}
global_defs {
  vrrp_garp_master_delay 10
  vrrp_garp_lower_prio_repeat 1
  vrrp_version 3
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const auto& v = cfg.vrrp_instances[0];
  EXPECT_EQ(v.garp_master_delay, seconds(10));
  EXPECT_EQ(v.garp_master_repeat, 2u);
  EXPECT_EQ(v.garp_lower_prio_delay, seconds(10));
  EXPECT_EQ(v.garp_lower_prio_repeat, 1u);
  EXPECT_EQ(v.version, 3);
}

TEST(BuildVrrpTest, TrackInterfaceAndVipOptions) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.1/24 brd 10.0.0.255 dev eth1 scope link label eth1:vip no_track
  }
  track_interface {
    eth2 weight -10
    eth3
  }
  authentication {
    auth_type PASS
    auth_pass 0123456789
  }
})", d);
  EXPECT_EQ(DiagLines(d), (Strings{"13:15: error: auth_pass is longer than 8 characters; truncated"}));
  const auto& v = cfg.vrrp_instances[0];
  const auto& a = v.virtual_ipaddress[0];
  EXPECT_EQ(a.broadcast->ToString(), "10.0.0.255");
  EXPECT_EQ(a.dev, "eth1");
  EXPECT_EQ(a.scope, "link");
  EXPECT_EQ(a.label, "eth1:vip");
  EXPECT_TRUE(a.no_track);
  ASSERT_EQ(v.track_interface.size(), 2u);
  EXPECT_EQ(v.track_interface[0].weight, -10);
  EXPECT_EQ(v.track_interface[1].weight, 0);
  EXPECT_EQ(v.auth_type, model::AuthType::kPass);
  EXPECT_EQ(v.auth_pass, "01234567");
}

TEST(BuildVrrpTest, NoVirtualIpaddressAllowsAnInstanceWithoutVips) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 51
  version 3
  no_virtual_ipaddress
}
vrrp_instance B {
  interface eth0
  virtual_router_id 52
  no_virtual_ipaddress
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ASSERT_EQ(cfg.vrrp_instances.size(), 2u);
  EXPECT_TRUE(cfg.vrrp_instances[0].no_virtual_ipaddress);
  EXPECT_TRUE(cfg.vrrp_instances[0].virtual_ipaddress.empty());
}

TEST(BuildVrrpTest, NoVirtualIpaddressIsClearedInStrictMode) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 51
  strict_mode
  no_virtual_ipaddress
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: warning: vrrp_instance A: no_virtual_ipaddress does not go with strict mode; cleared",
                     "1:15: fatal: vrrp_instance A: no virtual_ipaddress (required with VRRP version 3 or strict mode)"}));
  EXPECT_TRUE(cfg.vrrp_instances.empty());
}

TEST(BuildVrrpTest, AcceptIsResetInStrictModeWithVersion2AsKeepalived) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance V2 {
  interface eth0
  virtual_router_id 51
  strict_mode
  accept
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance V3 {
  interface eth0
  virtual_router_id 52
  version 3
  strict_mode
  accept
  virtual_ipaddress { 10.0.0.2 }
}
vrrp_instance Owner {
  interface eth0
  virtual_router_id 53
  state MASTER
  priority 255
  strict_mode
  accept
  virtual_ipaddress { 10.0.0.3 }
})", d);
  EXPECT_EQ(DiagLines(d),
            Strings{"1:15: warning: vrrp_instance V2: accept mode with strict mode does not comply "
                    "with VRRP version 2 (RFC 3768); accept is reset"});
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);  // keepalived -t: exit 5
  ASSERT_EQ(cfg.vrrp_instances.size(), 3u);
  EXPECT_FALSE(cfg.vrrp_instances[0].accept);  // its VIPs are filtered
  EXPECT_TRUE(cfg.vrrp_instances[1].accept);
  EXPECT_TRUE(cfg.vrrp_instances[2].accept);
}

TEST(BuildVrrpTest, OwnerIgnoreAdvertsDefaultsAndChecks) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  vrrp_owner_ignore_adverts
}
vrrp_instance Owner {
  interface eth0
  virtual_router_id 1
  priority 255
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance OwnerOff {
  interface eth0
  virtual_router_id 2
  priority 255
  owner_ignore_adverts false
  virtual_ipaddress { 10.0.0.2 }
}
vrrp_instance NotOwner {
  interface eth0
  virtual_router_id 3
  priority 200
  owner_ignore_adverts
  virtual_ipaddress { 10.0.0.3 }
}
vrrp_instance StrictOwner {
  interface eth0
  virtual_router_id 4
  priority 255
  strict_mode
  owner_ignore_adverts off
  virtual_ipaddress { 10.0.0.4 }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"17:15: error: vrrp_instance NotOwner: owner_ignore_adverts needs priority 255; ignored",
                     "24:15: error: vrrp_instance StrictOwner: strict mode with priority 255 requires owner_ignore_adverts; set"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 4u);
  EXPECT_TRUE(cfg.vrrp_instances[0].owner_ignore_adverts);   // the global default
  EXPECT_FALSE(cfg.vrrp_instances[1].owner_ignore_adverts);  // explicit, not strict
  EXPECT_FALSE(cfg.vrrp_instances[2].owner_ignore_adverts);
  EXPECT_TRUE(cfg.vrrp_instances[3].owner_ignore_adverts);
  Diagnostics d2;
  auto strict = BuildText(R"(vrrp_instance S {
  interface eth0
  virtual_router_id 1
  priority 255
  strict_mode
  virtual_ipaddress { 10.0.0.1 }
})", d2);
  EXPECT_TRUE(strict.vrrp_instances[0].owner_ignore_adverts);  // strict mode sets it
}

// keepalived 2.2.7: a unicast keyword without peers falls back to multicast with a
// deprecation error; with unicast_fault_no_peer the instance goes to FAULT instead, which
// keepalived logs at start, not as a configuration error (-t exits 0).
TEST(BuildVrrpTest, UnicastFaultNoPeerIsNoFallbackToMulticast) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 1
  unicast_src_ip 10.0.0.1
  virtual_ipaddress { 10.0.0.100 }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  unicast_src_ip 10.0.0.1
  unicast_fault_no_peer
  virtual_ipaddress { 10.0.0.101 }
}
)", d);
  EXPECT_EQ(DiagLines(d),
            Strings{"1:15: warning: vrrp_instance A: unicast settings without any unicast_peer; "
                    "using multicast"});
  ASSERT_EQ(cfg.vrrp_instances.size(), 2u);
  EXPECT_FALSE(cfg.vrrp_instances[0].unicast_fault_no_peer);
  EXPECT_TRUE(cfg.vrrp_instances[1].unicast_fault_no_peer);
}


}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(BuildVrrpTest, InstanceInTwoSyncGroupsAndBadTrackWeight) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance VI_1 {
  state MASTER
  nopreempt
  interface eth0
  virtual_router_id 51
  virtual_ipaddress { 10.0.0.1 }
  track_interface { eth1 weight 300 }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress { 10.0.0.2 }
}
vrrp_sync_group G1 { group { VI_1 VI_2 } }
vrrp_sync_group G2 { group { VI_1 } })", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"7:33: error: weight 300 is out of range -253..253",
                     "1:15: error: vrrp_instance VI_1: nopreempt cannot be used with priority 255; cleared",
                     "15:17: error: vrrp_sync_group G2: vrrp_instance 'VI_1' is already in vrrp_sync_group G1; ignored",
                     "15:17: error: vrrp_sync_group G2 has no members; ignored"}));
  EXPECT_TRUE(cfg.vrrp_instances[0].track_interface.empty());
  EXPECT_FALSE(cfg.vrrp_instances[0].nopreempt);
  ASSERT_EQ(cfg.sync_groups.size(), 1u);
  EXPECT_EQ(cfg.sync_groups[0].name, "G1");
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(BuildVrrpTest, GarpGroupsAsKeepalivedTakesThem) {
  Diagnostics d;
  auto cfg = BuildText(R"(garp_group {
  garp_interval 0.2
  interface eth0
}
garp_group {
  gna_interval 0.5
  interfaces {
    eth1
    eth0
  }
}
garp_group {
  interface eth2
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"9:5: error: garp_group: interface eth0 is in an earlier garp_group; ignored here",
                     "12:1: error: garp_group sets neither garp_interval nor gna_interval; ignored"}));
  ASSERT_EQ(cfg.garp_groups.size(), 2u);
  EXPECT_EQ(cfg.garp_groups[0].interfaces, Strings{"eth0"});
  EXPECT_EQ(cfg.garp_groups[0].garp_interval, milliseconds(200));
  EXPECT_EQ(cfg.garp_groups[1].interfaces, Strings{"eth1"});
  EXPECT_EQ(cfg.garp_groups[1].gna_interval, milliseconds(500));
}

TEST(BuildVrrpTest, OldUnicastChecksumModesAsKeepalived) {
  // keepalived 2.4: no argument = the old (multicast group) sum, `never` = never switch to
  // it, anything else is reported and leaves the default (detect).
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 1
  unicast_peer {
    10.0.0.2
  }
  old_unicast_checksum
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  unicast_peer {
    10.0.0.2
  }
  old_unicast_checksum never
}
vrrp_instance C {
  interface eth0
  virtual_router_id 3
  unicast_peer {
    10.0.0.2
  }
  old_unicast_checksum always
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"1:15: warning: vrrp_instance A: no virtual_ipaddress",
                     "9:15: warning: vrrp_instance B: no virtual_ipaddress",
                     "23:24: error: old_unicast_checksum: 'always' is not a valid mode (none, "
                     "or never); ignored",
                     "17:15: warning: vrrp_instance C: no virtual_ipaddress"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 3u);
  EXPECT_EQ(cfg.vrrp_instances[0].old_unicast_checksum, model::OldUnicastChecksum::kOld);
  EXPECT_EQ(cfg.vrrp_instances[1].old_unicast_checksum, model::OldUnicastChecksum::kNever);
  EXPECT_EQ(cfg.vrrp_instances[2].old_unicast_checksum, model::OldUnicastChecksum::kAuto);
}

TEST(BuildVrrpTest, V3ChecksumAsV2GlobalIsTheInstancesDefault) {
  Diagnostics d;
  auto cfg = BuildText(R"(global_defs {
  v3_checksum_as_v2
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  version 3
  virtual_ipaddress {
    10.0.0.1
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  version 3
  v3_checksum_as_v2 false
  virtual_ipaddress {
    10.0.0.2
  }
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  EXPECT_TRUE(cfg.global.v3_checksum_as_v2);
  ASSERT_EQ(cfg.vrrp_instances.size(), 2u);
  EXPECT_TRUE(cfg.vrrp_instances[0].v3_checksum_as_v2);
  EXPECT_FALSE(cfg.vrrp_instances[1].v3_checksum_as_v2);

  Diagnostics d2;
  auto plain = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 1
  v3_checksum_as_v2
  virtual_ipaddress {
    10.0.0.1
  }
})", d2);
  EXPECT_EQ(DiagLines(d2), Strings{});
  EXPECT_FALSE(plain.global.v3_checksum_as_v2);
  EXPECT_TRUE(plain.vrrp_instances.at(0).v3_checksum_as_v2);
}

TEST(BuildVrrpTest, TrackSrcIpIsAFlagThatNeedsAConfiguredSource) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 1
  mcast_src_ip 10.0.0.5
  track_src_ip
  virtual_ipaddress {
    10.0.0.1
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  track_src_ip
  virtual_ipaddress {
    10.0.0.2
  }
}
vrrp_instance C {
  interface eth0
  virtual_router_id 3
  unicast_src_ip 10.0.0.5
  unicast_peer {
    10.0.0.6
  }
  track_src_ip 10.0.0.5
  virtual_ipaddress {
    10.0.0.3
  }
})", d);
  EXPECT_EQ(DiagLines(d), (Strings{"25:16: warning: track_src_ip takes no argument; '10.0.0.5' "
                                   "ignored (the source is mcast_src_ip/unicast_src_ip)"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 3u);
  EXPECT_TRUE(cfg.vrrp_instances[0].track_src_ip);
  EXPECT_FALSE(cfg.vrrp_instances[1].track_src_ip);  // no source configured: cleared
  EXPECT_TRUE(cfg.vrrp_instances[2].track_src_ip);
}

TEST(BuildVrrpTest, BfdInstanceDefaultsAsKeepalived) {
  Diagnostics d;
  auto cfg = BuildText(R"(bfd_instance B4 {
  neighbor_ip 10.0.0.2
}
bfd_instance B6 {
  neighbour_ip fd00::2
  source_ip fd00::1
})", d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ASSERT_EQ(cfg.bfd_instances.size(), 2u);
  const auto& b = cfg.bfd_instances[0];
  EXPECT_EQ(b.neighbor_ip.ToString(), "10.0.0.2");
  EXPECT_FALSE(b.source_ip);
  EXPECT_EQ(b.min_rx, milliseconds(10));
  EXPECT_EQ(b.min_tx, milliseconds(10));
  EXPECT_EQ(b.idle_tx, seconds(1));
  EXPECT_EQ(b.multiplier, 5u);
  EXPECT_FALSE(b.passive);
  EXPECT_EQ(b.ttl, 255u);  // IPv4: ttl 255
  EXPECT_EQ(b.max_hops, 0u);
  EXPECT_FALSE(b.multihop);
  EXPECT_EQ(b.weight, 0);
  EXPECT_TRUE(b.vrrp);
  EXPECT_TRUE(b.checker);
  EXPECT_EQ(cfg.bfd_instances[1].ttl, 64u);  // IPv6: hoplimit 64
  EXPECT_EQ(cfg.bfd_instances[1].source_ip->ToString(), "fd00::1");
}

TEST(BuildVrrpTest, BfdInstanceValuesAndTheirDiagnostics) {
  Diagnostics d;
  auto cfg = BuildText(R"(bfd_instance B {
  neighbor_ip 10.0.0.2
  source_ip 10.0.0.1
  min_rx 3.312
  min_tx 0.5
  idle_tx 999
  multiplier 0
  passive
  ttl 10
  max_hops 20
  multihop
  weight -20 reverse
  vrrp
}
bfd_instance C {
  neighbor_ip 10.0.0.3
  min_rx 1.0001
  min_tx 2
  idle_tx 4294968
  multiplier 3
  weight 5 sideways
  checker
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"5:10: error: min_tx 0.5 is out of range 1..4294967 ms",
                     "6:11: error: idle_tx 999 is out of range 1000..4294967 ms",
                     "7:14: error: multiplier 0 is out of range 1..255",
                     "1:14: warning: bfd_instance 'B': max_hops 20 exceeds ttl/hoplimit 10; set to 10",
                     "17:10: error: min_rx: '1.0001' is not a valid time in milliseconds (at most 3 "
                     "decimals)",
                     "19:11: error: idle_tx 4294968 is out of range 1000..4294967 ms",
                     "21:12: error: weight: 'sideways' is not a valid option (reverse); ignored"}));
  ASSERT_EQ(cfg.bfd_instances.size(), 2u);
  const auto& b = cfg.bfd_instances[0];
  EXPECT_EQ(b.min_rx, std::chrono::microseconds(3312));
  EXPECT_EQ(b.min_tx, milliseconds(10));
  EXPECT_EQ(b.idle_tx, seconds(1));
  EXPECT_EQ(b.multiplier, 5u);
  EXPECT_TRUE(b.passive);
  EXPECT_EQ(b.ttl, 10u);
  EXPECT_EQ(b.max_hops, 10u);
  EXPECT_TRUE(b.multihop);
  EXPECT_EQ(b.weight, -20);
  EXPECT_TRUE(b.weight_reverse);
  EXPECT_TRUE(b.vrrp);
  EXPECT_FALSE(b.checker);
  const auto& c = cfg.bfd_instances[1];
  EXPECT_EQ(c.min_rx, milliseconds(10));
  EXPECT_EQ(c.min_tx, milliseconds(2));
  EXPECT_EQ(c.multiplier, 3u);
  EXPECT_EQ(c.weight, 5);
  EXPECT_FALSE(c.weight_reverse);
  EXPECT_FALSE(c.vrrp);
  EXPECT_TRUE(c.checker);
}

// keepalived's max_hops -1 is its byte 255: no TTL check; below a ttl of 255 it is lowered
// to the ttl (with keepalived's warning), which accepts any TTL just the same.
TEST(BuildVrrpTest, BfdMaxHopsMinusOneChecksNoTtl) {
  Diagnostics d;
  auto cfg = BuildText(R"(bfd_instance V4 {
  neighbor_ip 10.0.0.2
  max_hops -1
}
bfd_instance V6 {
  neighbor_ip fd00::2
  max_hops -1
}
bfd_instance Low {
  neighbor_ip 10.0.0.3
  max_hops -2
}
bfd_instance High {
  neighbor_ip 10.0.0.4
  max_hops 256
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"5:14: warning: bfd_instance 'V6': max_hops -1 exceeds ttl/hoplimit 64; set to 64",
                     "11:12: error: max_hops -2 is out of range -1..255",
                     "15:12: error: max_hops 256 is out of range -1..255"}));
  ASSERT_EQ(cfg.bfd_instances.size(), 4u);
  EXPECT_EQ(cfg.bfd_instances[0].max_hops, 255u);
  EXPECT_EQ(cfg.bfd_instances[1].max_hops, 64u);
  EXPECT_EQ(cfg.bfd_instances[2].max_hops, 0u);
  EXPECT_EQ(cfg.bfd_instances[3].max_hops, 0u);
}

TEST(BuildVrrpTest, BfdInstancesKeepalivedDrops) {
  Diagnostics d;
  auto cfg = BuildText(R"(bfd_instance A {
  neighbor_ip 10.0.0.2
}
bfd_instance A {
  neighbor_ip 10.0.0.9
}
bfd_instance NoNeighbor {
  min_rx 20
}
bfd_instance Mixed {
  neighbor_ip 10.0.0.4
  source_ip fd00::1
}
bfd_instance SameNeighbor {
  neighbor_ip 10.0.0.2
  source_ip 10.0.0.1
}
bfd_instance Multihop {
  neighbor_ip 10.0.0.2
  multihop true
}
bfd_instance Bad {
  neighbor_ip 10.0.0.300
  min_rx 20
}
bfd_instance a_name_that_is_32_characters_xxx {
  neighbor_ip 10.0.0.7
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"4:14: error: bfd_instance 'A' is already defined; this one is ignored",
                     "7:14: error: bfd_instance 'NoNeighbor' has no neighbor_ip; ignored",
                     "10:14: error: bfd_instance 'Mixed': source_ip fd00::1 and neighbor_ip "
                     "10.0.0.4 are not of the same family; ignored",
                     "14:14: error: bfd_instance 'SameNeighbor': neighbor_ip 10.0.0.2 from "
                     "10.0.0.1 is already bfd_instance 'A''s; ignored",
                     "23:15: error: neighbor_ip: '10.0.0.300' is not a valid IP address",
                     "22:14: error: bfd_instance 'Bad': no valid neighbor_ip; ignored",
                     "26:14: error: bfd_instance 'a_name_that_is_32_characters_xxx': the name is "
                     "longer than 31 characters; ignored"}));
  ASSERT_EQ(cfg.bfd_instances.size(), 2u);
  EXPECT_EQ(cfg.bfd_instances[0].name, "A");
  EXPECT_EQ(cfg.bfd_instances[0].neighbor_ip.ToString(), "10.0.0.2");
  EXPECT_EQ(cfg.bfd_instances[1].name, "Multihop");  // another port: another session
}

TEST(BuildVrrpTest, TrackBfdReferencesAsKeepalived) {
  Diagnostics d;
  auto cfg = BuildText(R"(bfd_instance B1 {
  neighbor_ip 10.0.0.2
  weight 10 reverse
}
bfd_instance B2 {
  neighbor_ip 10.0.0.3
  checker
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.1 }
  track_bfd {
    B1 weight -5 noreverse
    B1
    B2
    B3
    B1 reverse
  }
}
vrrp_sync_group G {
  group { VI_1 }
  track_bfd {
    B1 weight 300
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"15:5: error: track_bfd: 'B1' is already tracked; ignored",
                     "18:5: error: track_bfd: 'B1' is already tracked; ignored",
                     "24:15: error: weight 300 is out of range -253..253",
                     "16:5: error: bfd_instance 'B2' is not defined; ignored",
                     "17:5: error: bfd_instance 'B3' is not defined; ignored",
                     "21:17: warning: vrrp_sync_group G has only one member"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 1u);
  const auto& t = cfg.vrrp_instances[0].track_bfd;
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].name, "B1");
  EXPECT_EQ(t[0].weight, -5);
  EXPECT_FALSE(t[0].reverse);
  EXPECT_TRUE(t[0].noreverse);
  EXPECT_TRUE(cfg.sync_groups[0].track_bfd.empty());
}

}  // namespace
}  // namespace vigil::config

namespace vigil::config {
namespace {

TEST(BuildVrrpTest, TrackGroupsAndTheStaticItemsNamingThem) {
  Diagnostics d;
  auto cfg = BuildText(R"(track_group G1 {
  group {
    VI_1 VI_2
    VI_3
  }
}
static_ipaddress {
  10.1.1.1/24 dev eth1 track_group G1
  10.1.1.2/24 dev eth1
}
static_routes {
  10.2.0.0/16 via 10.1.1.254 dev eth1 track_group G1
}
static_rules {
  from 10.3.0.0/16 table 5 iif eth2 preference 9 track_group G1
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"17:15: warning: vrrp_instance VI_1: no virtual_ipaddress",
                     "21:15: warning: vrrp_instance VI_2: no virtual_ipaddress",
                     "1:13: warning: track_group G1: vrrp_instance 'VI_3' is not defined; ignored"}));
  ASSERT_EQ(cfg.track_groups.size(), 1u);
  EXPECT_EQ(cfg.track_groups[0].name, "G1");
  EXPECT_EQ(cfg.track_groups[0].members, (Strings{"VI_1", "VI_2"}));
  ASSERT_EQ(cfg.static_addresses.size(), 2u);
  EXPECT_EQ(cfg.static_addresses[0].track_group, "G1");
  EXPECT_EQ(cfg.static_addresses[0].other, Strings{});
  EXPECT_EQ(cfg.static_addresses[1].track_group, std::nullopt);
  ASSERT_EQ(cfg.static_routes.size(), 1u);
  EXPECT_EQ(cfg.static_routes[0].track_group, "G1");
  EXPECT_EQ(cfg.static_routes[0].words,
            (Strings{"10.2.0.0/16", "via", "10.1.1.254", "dev", "eth1"}));
  ASSERT_EQ(cfg.static_rules.size(), 1u);
  EXPECT_EQ(cfg.static_rules[0].track_group, "G1");
  EXPECT_EQ(cfg.static_rules[0].words,
            (Strings{"from", "10.3.0.0/16", "table", "5", "iif", "eth2", "preference", "9"}));
}

TEST(BuildVrrpTest, TrackGroupFindingsAsKeepalivedReportsThem) {
  Diagnostics d;
  auto cfg = BuildText(R"(static_ipaddress {
  10.1.1.1/24 dev eth1 track_group LATER
}
track_group LATER {
  group {
    VI_1
  }
}
track_group LATER {
  group {
    VI_1
  }
}
track_group EMPTY {
  group {
  }
}
track_group NONE {
}
track_group TWICE {
  group {
    VI_1
  }
  group {
    VI_2
  }
}
static_routes {
  10.2.0.0/16 via 10.1.1.254 track_group LATER
  10.4.0.0/16 dev eth1 track_group LATER track_group TWICE
}
static_rules {
  from 10.3.0.0/16 table 5 oif eth1 track_group LATER
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    10.0.0.1/24 track_group LATER
  }
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:36: error: track_group 'LATER' is not defined (a track_group block must "
                     "come before the line naming it); ignored",
                     "9:13: error: track_group 'LATER' is already defined; this one is ignored",
                     "15:3: error: track_group EMPTY: group is empty",
                     "18:13: warning: track_group NONE has no members; ignored",
                     "24:3: error: track_group TWICE: group is already given; this one is ignored",
                     "29:30: error: static route: track_group needs the interface the route's dev "
                     "names; ignored",
                     "30:54: error: track_group is given twice; 'TWICE' ignored",
                     "33:37: error: static rule: track_group needs the interface the rule's iif "
                     "(dev) names; ignored",
                     "39:17: error: 'track_group' is not a valid option for address 10.0.0.1/24; "
                     "ignored",
                     "39:29: error: 'LATER' is not a valid option for address 10.0.0.1/24; ignored",
                     "29:3: warning: a route without dev or oif cannot be tracked; not tracked",
                     "33:3: warning: rule has no preference: given 16384 as keepalived does, "
                     "which is probably not what you want"}));
  EXPECT_EQ(cfg.static_addresses.at(0).track_group, std::nullopt);
  EXPECT_EQ(cfg.static_routes.at(0).track_group, std::nullopt);
  EXPECT_EQ(cfg.static_routes.at(1).track_group, "LATER");
  EXPECT_EQ(cfg.static_rules.at(0).track_group, std::nullopt);
  ASSERT_EQ(cfg.track_groups.size(), 2u);
  EXPECT_EQ(cfg.track_groups[1].name, "TWICE");
  EXPECT_EQ(cfg.track_groups[1].members, Strings{"VI_1"});
}

TEST(BuildVrrpTest, InterfaceUpDownDelaysAreDownThenUp) {
  Diagnostics d;
  auto cfg = BuildText(R"(interface_up_down_delays {
  eth0 1.5 0.25
  eth1 2
  eth2
  eth3 1 2 3
  eth4 256
  eth5 1 x
  eth1 0.000010
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"4:3: warning: interface_up_down_delays: no delays for eth2; line ignored",
                     "5:12: warning: interface_up_down_delays: only a down and an up delay are "
                     "read; '3' and after ignored",
                     "6:8: error: down delay for eth4 256 is out of range 0..255",
                     "7:10: error: up delay for eth5: 'x' is not a valid time in seconds"}));
  ASSERT_EQ(cfg.interface_up_down_delays.size(), 3u);
  const auto& a = cfg.interface_up_down_delays;
  EXPECT_EQ(a[0].interface, "eth0");
  EXPECT_EQ(a[0].down, milliseconds(1500));
  EXPECT_EQ(a[0].up, milliseconds(250));
  EXPECT_EQ(a[1].interface, "eth3");
  EXPECT_EQ(a[1].down, seconds(1));
  EXPECT_EQ(a[1].up, seconds(2));
  // A later line replaces an earlier one; no up delay: up counts at once (keepalived's code).
  EXPECT_EQ(a[2].interface, "eth1");
  EXPECT_EQ(a[2].down, std::chrono::microseconds(10));
  EXPECT_EQ(a[2].up, std::chrono::microseconds(0));
}

TEST(BuildVrrpTest, TimerExpiredBackupAsKeepalived24) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_instance A {
  nopreempt
  interface eth0
  virtual_ipaddress { 10.0.0.9 }
  virtual_router_id 1
  timer_expired_backup
}
vrrp_instance B {
  nopreempt
  interface eth0
  virtual_ipaddress { 10.0.0.9 }
  virtual_router_id 2
  timer_expired_backup 120
}
vrrp_instance C {
  nopreempt
  interface eth0
  virtual_ipaddress { 10.0.0.9 }
  virtual_router_id 3
  timer_expired_backup 255
}
vrrp_instance D {
  nopreempt
  interface eth0
  virtual_ipaddress { 10.0.0.9 }
  virtual_router_id 4
  thread_timer_expired 7
}
vrrp_instance E {
  interface eth0
  virtual_ipaddress { 10.0.0.9 }
  virtual_router_id 5
  timer_expired_backup
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"20:24: error: timer_expired_backup 255 is out of range 1..254",
                     "27:3: error: vrrp_instance D: thread_timer_expired is an old name; use "
                     "timer_expired_backup",
                     "29:15: error: vrrp_instance E: timer_expired_backup requires nopreempt; "
                     "cleared"}));
  ASSERT_EQ(cfg.vrrp_instances.size(), 5u);
  EXPECT_EQ(cfg.vrrp_instances[0].timer_expired_backup, 254);  // the default
  EXPECT_EQ(cfg.vrrp_instances[1].timer_expired_backup, 120);
  EXPECT_EQ(cfg.vrrp_instances[2].timer_expired_backup, 0);    // an error: off
  EXPECT_EQ(cfg.vrrp_instances[3].timer_expired_backup, 7);    // the old name acts
  EXPECT_EQ(cfg.vrrp_instances[4].timer_expired_backup, 0);
}

// vrrp_instance VI_<n> on eth0 with virtual_router_id 50 + n and VIP 10.0.0.<n>, `extra`
// lines before the VIPs.
std::string Instance(int n, std::string_view extra = "") {
  const std::string i = std::to_string(n);
  return "vrrp_instance VI_" + i + " {\n  interface eth0\n  virtual_router_id " +
         std::to_string(50 + n) + "\n" + std::string(extra) + "  virtual_ipaddress { 10.0.0." +
         i + " }\n}\n";
}

// vrrp_min_garp, as keepalived 2.2.7 applies it (its SIGUSR1 dump of this text, run live:
// GARP delay 3, repeat 1, refresh repeat 0 for both instances, VI_2's own refresh 60 kept;
// lower-priority delay 3 and repeat 1 follow): each GARP setting still equal to its
// default where the keyword stands, even written explicitly, becomes "one GARP, no
// delay, no refresh"; a setting after it stays as written.
TEST(BuildVrrpTest, GlobalMinGarpSetsTheGarpDefaultsStillUnchanged) {
  Diagnostics d;
  auto cfg = BuildText("global_defs {\n  vrrp_garp_master_repeat 5\n  vrrp_min_garp\n"
                       "  vrrp_garp_master_delay 3\n}\n" +
                           Instance(1) + Instance(2, "  garp_master_refresh 60\n"),
                       d);
  EXPECT_EQ(DiagLines(d), Strings{});
  const auto& g = cfg.global;
  EXPECT_TRUE(g.vrrp_min_garp);
  EXPECT_EQ(g.vrrp_garp_master_repeat, 1u);
  EXPECT_EQ(g.vrrp_garp_master_delay, seconds(3));
  EXPECT_EQ(g.vrrp_garp_master_refresh, seconds(0));
  EXPECT_EQ(g.vrrp_garp_master_refresh_repeat, 0u);
  ASSERT_EQ(cfg.vrrp_instances.size(), 2u);
  for (const auto& v : cfg.vrrp_instances) {
    EXPECT_EQ(v.garp_master_repeat, 1u) << v.name;
    EXPECT_EQ(v.garp_master_delay, seconds(3)) << v.name;
    EXPECT_EQ(v.garp_master_refresh_repeat, 0u) << v.name;
    EXPECT_EQ(v.garp_lower_prio_repeat, 1u) << v.name;
    EXPECT_EQ(v.garp_lower_prio_delay, seconds(3)) << v.name;
  }
  EXPECT_EQ(cfg.vrrp_instances[0].garp_master_refresh, seconds(0));
  EXPECT_EQ(cfg.vrrp_instances[1].garp_master_refresh, seconds(60));
}

TEST(BuildVrrpTest, GlobalMinGarpOffOrAfterTheSettingsChangesNothing) {
  for (bool on : {false, true}) {
    Diagnostics d;
    auto cfg = BuildText(on ? "global_defs {\n  vrrp_garp_master_repeat 2\n"
                              "  vrrp_garp_master_delay 4\n  vrrp_garp_master_refresh_repeat 3\n"
                              "  vrrp_min_garp on\n}\n" + Instance(1)
                            : "global_defs {\n  vrrp_min_garp off\n}\n" + Instance(1),
                         d);
    EXPECT_EQ(DiagLines(d), Strings{});
    EXPECT_EQ(cfg.global.vrrp_min_garp, on);
    const auto& v = cfg.vrrp_instances[0];
    EXPECT_EQ(v.garp_master_repeat, on ? 2u : 5u);
    EXPECT_EQ(v.garp_master_delay, seconds(on ? 4 : 5));
    EXPECT_EQ(v.garp_master_refresh_repeat, on ? 3u : 1u);
  }
}

// vrrp_down_timer_adverts: every instance's default, checked against strict mode like the
// instance's own. keepalived 2.2.7 -t on this text (live): "Invalid vrrp_down_timer_adverts
// [1:100]" for 0 and 101, "(VI_1) down_timer_adverts is incompatible with strict mode -
// resetting", nothing for VI_2, exit 5 (vigild -t: 5 too); its SIGUSR1 dump shows 4 for
// every instance when the global is 4 without strict mode.
TEST(BuildVrrpTest, GlobalDownTimerAdvertsIsEveryInstancesDefault) {
  Diagnostics d;
  auto cfg = BuildText("global_defs {\n  vrrp_down_timer_adverts 0\n  vrrp_down_timer_adverts 101\n"
                       "  vrrp_down_timer_adverts 7\n  vrrp_strict\n}\n" +
                           Instance(1) + Instance(2, "  down_timer_adverts 3\n"),
                       d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:27: error: vrrp_down_timer_adverts 0 is out of range 1..100",
                     "3:27: error: vrrp_down_timer_adverts 101 is out of range 1..100",
                     "7:15: error: vrrp_instance VI_1: down_timer_adverts is not allowed in strict "
                     "mode; using 3"}));
  EXPECT_EQ(cfg.global.vrrp_down_timer_adverts, 7u);
  ASSERT_EQ(cfg.vrrp_instances.size(), 2u);
  EXPECT_EQ(cfg.vrrp_instances[0].down_timer_adverts, 3u);
  EXPECT_EQ(cfg.vrrp_instances[1].down_timer_adverts, 3u);

  Diagnostics d2;
  auto cfg2 = BuildText("global_defs {\n  vrrp_down_timer_adverts 4\n}\n" + Instance(1) +
                            Instance(2, "  down_timer_adverts 2\n"),
                        d2);
  EXPECT_EQ(DiagLines(d2), Strings{});
  EXPECT_EQ(cfg2.vrrp_instances[0].down_timer_adverts, 4u);
  EXPECT_EQ(cfg2.vrrp_instances[1].down_timer_adverts, 2u);
}

// notify_priority_changes: the instance's own, else its sync group's, else the global one
// (keepalived 2.2.7's SIGUSR1 dump of this text, live: VI_1 false, VI_2 true, VI_3 true).
TEST(BuildVrrpTest, NotifyPriorityChangesFallsBackToTheSyncGroupThenTheGlobal) {
  Diagnostics d;
  auto cfg = BuildText("global_defs {\n  vrrp_notify_priority_changes on\n}\n"
                       "vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n"
                       "  notify_priority_changes off\n}\n" +
                           Instance(1) + Instance(2, "  notify_priority_changes on\n") +
                           Instance(3),
                       d);
  EXPECT_EQ(DiagLines(d), Strings{});
  ASSERT_EQ(cfg.sync_groups.size(), 1u);
  EXPECT_EQ(cfg.sync_groups[0].notify_priority_changes, std::optional<bool>(false));
  ASSERT_EQ(cfg.vrrp_instances.size(), 3u);
  EXPECT_EQ(cfg.vrrp_instances[0].notify_priority_changes, std::optional<bool>(false));
  EXPECT_EQ(cfg.vrrp_instances[1].notify_priority_changes, std::optional<bool>(true));
  EXPECT_EQ(cfg.vrrp_instances[2].notify_priority_changes, std::optional<bool>(true));
}

// init_file VALUE as keepalived 2.2.7 -t judges this text (exit 5: "Track file t1 init value
// 300 is outside sensible range [-254, 254]", the same for -999, "Track file t3 init value
// 5x is invalid", "Unknown track file init option abc", the same for +5; the daemon runs and
// reloads with them): out of the range reported and still written; not an int reported and
// 0 written; another word reported and ignored; each init_file line starts again.
TEST(BuildVrrpTest, TrackFileInitValueOutsideTheSensibleRangeIsReportedAndUsed) {
  Diagnostics d;
  auto cfg = BuildText(R"(vrrp_track_file t1 {
  file /x/1
  init_file 300 overwrite
}
vrrp_track_file t2 {
  file /x/2
  init_file -999
}
vrrp_track_file t3 {
  file /x/3
  init_file 5 5x
}
vrrp_track_file t4 {
  file /x/4
  init_file -254 overwrite
  init_file 254 abc +5
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"3:13: warning: init_file 300 is outside the sensible range -254..254; "
                     "written as it is",
                     "7:13: warning: init_file -999 is outside the sensible range -254..254; "
                     "written as it is",
                     "11:15: warning: init_file: '5x' is not a valid integer",
                     "16:17: warning: init_file: unknown option 'abc'; ignored",
                     "16:21: warning: init_file: unknown option '+5'; ignored"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  EXPECT_FALSE(d.HasErrors());
  ASSERT_EQ(cfg.track_files.size(), 4u);
  EXPECT_EQ(cfg.track_files[0].init_value, 300);
  EXPECT_TRUE(cfg.track_files[0].init_overwrite);
  EXPECT_EQ(cfg.track_files[1].init_value, -999);
  EXPECT_EQ(cfg.track_files[2].init_value, std::nullopt);  // written as 0
  EXPECT_EQ(cfg.track_files[3].init_value, 254);
  EXPECT_FALSE(cfg.track_files[3].init_overwrite);
}

// A rule without a preference, as keepalived 2.2.7 numbers it (live, ip -j rule: 16384,
// 16383 for IPv4 in the order of the file, 16384 for IPv6; -t: "Rule has no preference
// specified - setting to 16384. This is probably not what you want.", exit 5).
TEST(BuildVrrpTest, RulesWithoutPreferenceAreNumberedFrom16384InFileOrder) {
  Diagnostics d;
  auto cfg = BuildText("static_rules {\n  from 10.1.0.0/16 table 5\n  from 10.2.0.0/16 table 5 "
                       "order 7\n  from fd00::/64 table 5\n}\n" +
                           Instance(1, "  virtual_rules {\n    to 10.3.0.0/16 table 6\n  }\n"),
                       d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:3: warning: rule has no preference: given 16384 as keepalived does, "
                     "which is probably not what you want",
                     "4:3: warning: rule has no preference: given 16384 as keepalived does, "
                     "which is probably not what you want",
                     "10:5: warning: rule has no preference: given 16383 as keepalived does, "
                     "which is probably not what you want"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
  EXPECT_EQ(cfg.static_rules.at(0).words,
            (Strings{"from", "10.1.0.0/16", "table", "5", "preference", "16384"}));
  EXPECT_EQ(cfg.static_rules.at(1).words,
            (Strings{"from", "10.2.0.0/16", "table", "5", "order", "7"}));
  EXPECT_EQ(cfg.static_rules.at(2).words,
            (Strings{"from", "fd00::/64", "table", "5", "preference", "16384"}));
  EXPECT_EQ(cfg.vrrp_instances.at(0).virtual_rules.at(0).words,
            (Strings{"to", "10.3.0.0/16", "table", "6", "preference", "16383"}));
}

// keepalived 2.2.7 -t on this text (exit 5): "Warning - cannot track route 10.1.4.0/24 with
// no interface specified, not tracking", "Route cannot be tracked if protocol is not
// RTPROT_KEEPALIVED(18), resetting protocol", the same for the rule; nothing for no_track.
TEST(BuildVrrpTest, TrackedRoutesWithoutDevOrWithAnotherProtocolAsKeepalivedWarns) {
  Diagnostics d;
  BuildText(R"(static_routes {
  10.1.4.0/24 via 10.99.0.254
  10.1.5.0/24 via 10.99.0.254 no_track
  10.1.6.0/24 dev lo protocol 4
  10.1.7.0/24 dev lo protocol 4 no_track
  10.1.8.0/24 dev lo protocol keepalived
}
static_rules {
  from 10.2.1.0/24 table 5 preference 10 protocol 4
})", d);
  EXPECT_EQ(DiagLines(d),
            (Strings{"2:3: warning: a route without dev or oif cannot be tracked; not tracked",
                     "4:3: warning: a tracked route is made by protocol keepalived (18), not 4 "
                     "(no_track keeps it)",
                     "9:3: warning: a tracked rule is made by protocol keepalived (18), not 4 "
                     "(no_track keeps it)"}));
  EXPECT_EQ(d.ExitCode(), CheckExit::kErrors);
}

}  // namespace
}  // namespace vigil::config
