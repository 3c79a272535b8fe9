#include "vrrp/instance_spec.h"

#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>

#include "model/config.h"

namespace vigil::vrrp {
namespace {

// Returns a virtual_ipaddress line: `text` on `dev` (unset: the instance's), no_track or not.
model::VirtualAddress Vaddr(std::string_view text, std::optional<std::string> dev = std::nullopt,
                            bool no_track = false) {
  model::VirtualAddress a;
  a.prefix = model::IpPrefix::Parse(text).value();
  a.dev = std::move(dev);
  a.no_track = no_track;
  return a;
}

// The devs of `s`'s VIPs, in order.
std::vector<std::string> VipDevs(const InstanceSpec& s) {
  std::vector<std::string> devs;
  for (const auto& v : s.vips) devs.push_back(v.dev);
  return devs;
}

// `s`'s tracked interfaces as NAME/WEIGHT.
std::vector<std::string> Tracked(const InstanceSpec& s) {
  std::vector<std::string> tracked;
  for (const auto& t : s.track_interfaces) tracked.push_back(t.name + "/" + std::to_string(t.weight));
  return tracked;
}

// Returns instance VI_1 on eth0 with VRID `vrid`.
model::VrrpInstance Eth0Instance(int vrid) {
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.virtual_router_id = vrid;
  return vi;
}

model::Config TwoTrackedScripts(std::optional<std::string> found_program) {
  model::Config c;
  model::VrrpScript found;
  found.name = "chk_haproxy";
  found.command = "killall -0 haproxy";
  found.program = std::move(found_program);  // set by config::ResolveCommands when found
  found.weight = 2;
  model::VrrpScript absolute;
  absolute.name = "chk_file";
  absolute.command = "/usr/bin/test -e /run/flag";
  absolute.weight = 3;
  c.vrrp_scripts = {found, absolute};
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.virtual_router_id = 51;
  vi.track_script = {{"chk_haproxy", std::nullopt, false, {}}, {"chk_file", std::nullopt, false, {}}};
  c.vrrp_instances = {vi};
  return c;
}

TEST(SpecFromModelTest, UseIpvlanSendsFromItsAddressAndLeavesTheVipsOnTheInterface) {
  model::Config c;
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.virtual_router_id = 51;
  vi.vmac_xmit_base = true;  // no meaning for an ipvlan
  vi.use_ipvlan = model::UseIpvlan{"", model::IpPrefix::Parse("10.0.0.9/24"),
                                   model::IpvlanMode::kVepa};
  model::VirtualAddress vip;
  vip.prefix = *model::IpPrefix::Parse("10.0.0.100/24");
  vi.virtual_ipaddress = {vip};
  c.vrrp_instances = {vi};
  VrrpSpec spec = SpecFromModel(c);
  ASSERT_EQ(spec.instances.size(), 1u);
  const InstanceSpec& s = spec.instances[0];
  EXPECT_EQ(s.vmac, "vrrp.51");
  EXPECT_FALSE(s.vmac_xmit_base);
  ASSERT_TRUE(s.ipvlan);
  EXPECT_EQ(s.ipvlan->flags, IPVLAN_F_VEPA);
  EXPECT_EQ(s.ipvlan->address, model::IpPrefix::Parse("10.0.0.9/24"));
  EXPECT_FALSE(s.vmac_ipv6);
  EXPECT_EQ(s.source, model::IpAddress::Parse("10.0.0.9"));
  ASSERT_EQ(s.vips.size(), 1u);
  EXPECT_EQ(s.vips[0].dev, "eth0");  // as keepalived: only the adverts use the ipvlan

  // A configured source stays; an excluded VIP of the other family keeps IPv6 on.
  c.vrrp_instances[0].use_ipvlan->name = "ipv1";
  c.vrrp_instances[0].unicast_src_ip = model::IpAddress::Parse("10.0.0.1");
  vip.prefix = *model::IpPrefix::Parse("2001:db8::1/64");
  c.vrrp_instances[0].virtual_ipaddress_excluded = {vip};
  spec = SpecFromModel(c);
  EXPECT_EQ(spec.instances[0].vmac, "ipv1");
  EXPECT_EQ(spec.instances[0].source, model::IpAddress::Parse("10.0.0.1"));
  EXPECT_TRUE(spec.instances[0].vmac_ipv6);
}

// keepalived puts a VMAC instance's VIPs without `dev` on the VMAC when they are of the
// instance's family, on the interface itself otherwise; `dev` always wins. The VMAC keeps
// IPv6 only when the instance needs it.
TEST(SpecFromModelTest, UseVmacTakesOnlyTheVipsOfTheInstancesFamily) {
  model::Config c;
  model::VrrpInstance vi = Eth0Instance(61);
  vi.use_vmac = "";
  vi.virtual_ipaddress = {Vaddr("10.0.0.100/24"), Vaddr("10.1.0.100/24", "lan1")};
  vi.virtual_ipaddress_excluded = {Vaddr("fd00::100/64"), Vaddr("10.0.0.101/24")};
  c.vrrp_instances = {vi};
  VrrpSpec spec = SpecFromModel(c);
  EXPECT_EQ(VipDevs(spec.instances.at(0)),
            (std::vector<std::string>{"vrrp.61", "lan1", "eth0", "vrrp.61"}));
  // keepalived 2.2.7 (netlink_link_add_vmac) leaves IPv6 on on the VMAC of an IPv4
  // instance only for excluded VIPs of the other family, always for an IPv6 instance.
  EXPECT_TRUE(spec.instances.at(0).vmac_ipv6);
  c.vrrp_instances[0].virtual_ipaddress_excluded = {Vaddr("10.0.0.101/24")};
  EXPECT_FALSE(SpecFromModel(c).instances.at(0).vmac_ipv6);
  c.vrrp_instances[0].family = model::Family::kIpv6;
  c.vrrp_instances[0].virtual_ipaddress = {Vaddr("fe80::100/64")};
  EXPECT_TRUE(SpecFromModel(c).instances.at(0).vmac_ipv6);
}

// use_vmac_addr as keepalived 2.2.7: a VIP on another interface, or of the other family on
// the instance's, goes on a VMAC of its own there (one per interface and family), named
// vrrp.VRID unless taken, then vrrpN.VRID (IPv6 tries 6 first); names go instance by
// instance, so VI_2's own VMAC, named after VI_1's, is vrrp2.61 (checked live with this
// layout: vrrp.61@lan1, vrrp6.61@eth0, vrrp1.61@lan1, vrrp2.61@eth1); the instance tracks
// those VMACs, not the interfaces they are made on.
TEST(SpecFromModelTest, UseVmacAddrPutsOtherInterfacesAndFamiliesOnVmacsOfTheirOwn) {
  model::Config c;
  model::VrrpInstance vi = Eth0Instance(61);
  vi.use_vmac_addr = true;
  vi.virtual_ipaddress = {Vaddr("10.0.0.100/24"), Vaddr("10.1.0.100/24", "lan1"),
                          Vaddr("10.1.0.101/24", "lan1")};
  vi.virtual_ipaddress_excluded = {Vaddr("fd00::100/64"), Vaddr("fd00:1::100/64", "lan1")};
  model::VrrpInstance v2 = vi;
  v2.name = "VI_2";
  v2.interface = "eth1";
  v2.use_vmac_addr = false;
  v2.use_vmac = "";
  v2.virtual_ipaddress = {Vaddr("10.2.0.100/24")};
  v2.virtual_ipaddress_excluded = {};
  c.vrrp_instances = {vi, v2};
  const VrrpSpec spec = SpecFromModel(c);
  const InstanceSpec& s = spec.instances.at(0);
  using Vmac = InstanceSpec::AddressVmac;
  EXPECT_EQ(s.address_vmacs, (std::vector<Vmac>{{"vrrp.61", "lan1", model::Family::kIpv4},
                                                 {"vrrp6.61", "eth0", model::Family::kIpv6},
                                                 {"vrrp1.61", "lan1", model::Family::kIpv6}}));
  EXPECT_EQ(VipDevs(s), (std::vector<std::string>{"eth0", "vrrp.61", "vrrp.61", "vrrp6.61",
                                                  "vrrp1.61"}));
  EXPECT_EQ(Tracked(s), (std::vector<std::string>{"vrrp.61/0", "vrrp6.61/0", "vrrp1.61/0"}));
  EXPECT_EQ(spec.instances.at(1).vmac, "vrrp2.61");
  // Each is made as a VMAC of its family on its parent.
  const InstanceSpec made = AddressVmacSpec(s, s.address_vmacs[1]);
  EXPECT_EQ(made.vmac, "vrrp6.61");
  EXPECT_EQ(made.interface, "eth0");
  EXPECT_EQ(VmacMac(made), (net::MacAddress{0x00, 0x00, 0x5e, 0x00, 0x02, 61}));
  EXPECT_TRUE(made.vmac_ipv6);
  EXPECT_FALSE(AddressVmacSpec(s, s.address_vmacs[0]).vmac_ipv6);
}

// `use_vmac` on a VIP line as keepalived 2.2.7 acts on it (checked live with this layout:
// vrrp.61@eth0 and vrrp1.61@lan1 00:00:5e:00:01:3d, vrrp6.61@eth0 00:00:5e:00:02:3d, each
// with its VIP; the others on eth0 and lan1 themselves): the VIP goes on a VMAC of its own
// on its interface, one per interface and family, named as use_vmac_addr's; the instance
// tracks it.
// A VIP line's options as keepalived 2.2.7 sends them: IFA_F_* flags, -nodad, peer, and
// IPv6 preferred_lft, 0 (deprecated) by default for a /128 and forever otherwise.
TEST(SpecFromModelTest, VipOptionsBecomeTheKernelsFlagsPeerAndLifetime) {
  auto with = [](model::VirtualAddress a, std::vector<std::string> other) {
    a.other = std::move(other);
    return a;
  };
  model::Config c;
  model::VrrpInstance vi = Eth0Instance(61);
  vi.virtual_ipaddress = {with(Vaddr("10.0.0.1/32"), {"peer", "10.0.0.9", "noprefixroute"})};
  vi.virtual_ipaddress_excluded = {
      Vaddr("fd00::1/128"), Vaddr("fd00::2/64"),
      with(Vaddr("fd00::3/64"), {"home", "mngtmpaddr", "autojoin", "-nodad"}),
      with(Vaddr("fd00::4/128"), {"preferred_lft", "forever"}),
      with(Vaddr("fd00::5/64"), {"preferred_lft", "30"})};
  c.vrrp_instances = {vi};
  const InstanceSpec s = SpecFromModel(c).instances.at(0);
  ASSERT_EQ(s.vips.size(), 6u);
  EXPECT_EQ(s.vips[0].flags, IFA_F_NOPREFIXROUTE);
  EXPECT_EQ(s.vips[0].peer, model::IpAddress::Parse("10.0.0.9"));
  EXPECT_EQ(s.vips[0].preferred_lft, std::nullopt);
  EXPECT_EQ(s.vips[1].preferred_lft, std::optional<uint32_t>(0));
  EXPECT_EQ(s.vips[2].preferred_lft, std::nullopt);
  EXPECT_EQ(s.vips[3].flags, IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_MCAUTOJOIN);
  EXPECT_TRUE(s.vips[3].keep_dad);
  EXPECT_FALSE(s.vips[2].keep_dad);
  EXPECT_EQ(s.vips[4].preferred_lft, std::nullopt);
  EXPECT_EQ(s.vips[5].preferred_lft, std::optional<uint32_t>(30));
}

TEST(SpecFromModelTest, UseVmacOnAVipPutsItOnAVmacOfItsOwn) {
  auto own = [](model::VirtualAddress a) {
    a.other = {"use_vmac"};
    return a;
  };
  model::Config c;
  model::VrrpInstance vi = Eth0Instance(61);
  vi.virtual_ipaddress = {Vaddr("10.0.0.100/16"), own(Vaddr("10.0.0.101/16")),
                          own(Vaddr("10.1.0.100/24", "lan1")), Vaddr("10.1.0.101/24", "lan1")};
  vi.virtual_ipaddress_excluded = {own(Vaddr("fd00::100/64")), Vaddr("fd00::101/64")};
  c.vrrp_instances = {vi};
  const InstanceSpec s = SpecFromModel(c).instances.at(0);
  using Vmac = InstanceSpec::AddressVmac;
  EXPECT_EQ(s.address_vmacs, (std::vector<Vmac>{{"vrrp.61", "eth0", model::Family::kIpv4},
                                                 {"vrrp1.61", "lan1", model::Family::kIpv4},
                                                 {"vrrp6.61", "eth0", model::Family::kIpv6}}));
  EXPECT_EQ(VipDevs(s), (std::vector<std::string>{"eth0", "vrrp.61", "vrrp1.61", "lan1", "vrrp6.61",
                                            "eth0"}));
  EXPECT_EQ(Tracked(s), (std::vector<std::string>{"vrrp.61/0", "vrrp1.61/0", "lan1/0", "vrrp6.61/0"}));
  EXPECT_EQ(VmacMac(AddressVmacSpec(s, s.address_vmacs[0])),
            (net::MacAddress{0x00, 0x00, 0x5e, 0x00, 0x01, 61}));
}

// A VIP whose dev is the instance's interface goes where one without a dev goes: with
// use_vmac on the VMAC (keepalived 2.2.7, checked live: 10.99.0.111/16 dev eth0 on vrrp.62).
TEST(SpecFromModelTest, AVipOnTheInstancesInterfaceByNameGoesOnItsVmac) {
  model::Config c;
  model::VrrpInstance vi = Eth0Instance(62);
  vi.use_vmac = "";
  vi.virtual_ipaddress = {Vaddr("10.0.0.110/16"), Vaddr("10.0.0.111/16", "eth0")};
  c.vrrp_instances = {vi};
  const InstanceSpec s = SpecFromModel(c).instances.at(0);
  EXPECT_EQ(VipDevs(s), (std::vector<std::string>{"vrrp.62", "vrrp.62"}));
  EXPECT_TRUE(s.track_interfaces.empty());
}

// global_defs vmac_prefix names the VMACs vigil names itself, vmac_addr_prefix the
// use_vmac_addr ones (default: vmac_prefix's), as keepalived 2.2.7 does (checked live:
// vmac_prefix vx, vmac_addr_prefix va -> vx.61 on eth0, va.61 on lan1).
TEST(SpecFromModelTest, VmacPrefixesNameTheVmacs) {
  model::Config c;
  model::VrrpInstance vi = Eth0Instance(61);
  vi.use_vmac = "";
  vi.use_vmac_addr = true;
  vi.virtual_ipaddress = {Vaddr("10.0.0.100/24"), Vaddr("10.1.0.100/24", "lan1")};
  c.vrrp_instances = {vi};
  c.global.other = {model::RawSetting{.keyword = "vmac_prefix", .args = {"vx"}, .loc = {}}};
  InstanceSpec s = SpecFromModel(c).instances.at(0);
  EXPECT_EQ(s.vmac, "vx.61");
  ASSERT_EQ(s.address_vmacs.size(), 1u);
  EXPECT_EQ(s.address_vmacs[0].name, "vx1.61");  // (vx.61 is the instance's own)
  c.global.other.push_back(model::RawSetting{.keyword = "vmac_addr_prefix", .args = {"va"}, .loc = {}});
  s = SpecFromModel(c).instances.at(0);
  EXPECT_EQ(s.vmac, "vx.61");
  ASSERT_EQ(s.address_vmacs.size(), 1u);
  EXPECT_EQ(s.address_vmacs[0].name, "va.61");
}

// The VMAC or ipvlan of an instance without a name is named as keepalived 2.2.7 names it
// (create_vmac_name): vmac_prefix.VRID unless a name configured or given before has it, then
// a number after the prefix (IPv6 tries 6 first), the prefix cut to fit IFNAMSIZ. Checked
// live: vx.61@eth0 (IPv4), vx6.61@eth0 (IPv6), vx1.61@lan1 for three use_vmac instances of
// VRID 61; use_ipvlan's default name is made by the same code in 2.2.7's
// vrrp_complete_instance (UML case link: vx.52).
TEST(SpecFromModelTest, UnnamedVmacsAndIpvlansAreNamedAsKeepalivedNamesThem) {
  model::Config c;
  c.global.other = {model::RawSetting{.keyword = "vmac_prefix", .args = {"vx"}, .loc = {}}};
  auto vmac = [](std::string name, std::string dev, model::Family family) {
    model::VrrpInstance vi = Eth0Instance(61);
    vi.name = std::move(name);
    vi.interface = std::move(dev);
    vi.family = family;
    vi.use_vmac = "";
    return vi;
  };
  model::VrrpInstance ipvlan = vmac("VI_8", "eth1", model::Family::kIpv4);
  ipvlan.use_vmac.reset();
  ipvlan.use_ipvlan = model::UseIpvlan{};
  model::VrrpInstance named = vmac("VI_9", "eth2", model::Family::kIpv4);
  named.use_vmac = "vx2.61";  // configured: no unnamed one takes it, even before it
  c.vrrp_instances = {vmac("VI_4", "eth0", model::Family::kIpv4),
                      vmac("VI_6", "eth0", model::Family::kIpv6),
                      vmac("VI_7", "lan1", model::Family::kIpv4), ipvlan, named};
  std::vector<std::string> names;
  for (const auto& s : SpecFromModel(c).instances) names.push_back(s.vmac.value_or("-"));
  EXPECT_EQ(names, (std::vector<std::string>{"vx.61", "vx6.61", "vx1.61", "vx3.61", "vx2.61"}));
  // A long prefix is cut so that the name has 15 characters at most (keepalived 2.2.7 live:
  // averyverylon.61, averyverylo6.61, averyverylo1.61).
  c.global.other[0].args = {"averyverylongprefix"};
  names.clear();
  for (const auto& s : SpecFromModel(c).instances) names.push_back(s.vmac.value_or("-"));
  EXPECT_EQ(names, (std::vector<std::string>{"averyverylon.61", "averyverylo6.61",
                                             "averyverylo1.61", "averyverylo2.61", "vx2.61"}));
}

// global_defs log_unknown_vrids and fifo_write_vrrp_states_on_reload (no value, as
// keepalived reads them) turn the engine's log of adverts for VRIDs it has no instance for,
// and its FIFO lines of the states kept at a reload, on.
TEST(SpecFromModelTest, LogUnknownVridsAndFifoWriteStatesAreReadFromGlobalDefs) {
  model::Config c;
  EXPECT_FALSE(SpecFromModel(c).log_unknown_vrids);
  EXPECT_FALSE(SpecFromModel(c).fifo_write_states_on_reload);
  c.global.other = {model::RawSetting{.keyword = "log_unknown_vrids", .args = {}, .loc = {}}};
  EXPECT_TRUE(SpecFromModel(c).log_unknown_vrids);
  EXPECT_FALSE(SpecFromModel(c).fifo_write_states_on_reload);
  c.global.other = {
      model::RawSetting{.keyword = "fifo_write_vrrp_states_on_reload", .args = {}, .loc = {}}};
  EXPECT_FALSE(SpecFromModel(c).log_unknown_vrids);
  EXPECT_TRUE(SpecFromModel(c).fifo_write_states_on_reload);
}

// As keepalived: an instance tracks the interface of each VIP on another interface than its
// own with weight 0 (a weight it tracks that interface with goes), unless no_track; an
// instance without an interface has none (default_interface is for static addresses).
TEST(SpecFromModelTest, VipInterfacesAreTrackedAndNoInterfaceMeansNone) {
  model::Config c;
  c.global.default_interface = "eth9";
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.virtual_router_id = 71;
  vi.unicast_src_ip = model::IpAddress::Parse("10.0.0.1");
  vi.track_interface = {{"lan1", 10, false, {}}, {"lan4", 5, false, {}}};
  vi.virtual_ipaddress = {Vaddr("10.1.0.100/24", "lan1"), Vaddr("10.2.0.100/24", "lan2")};
  vi.virtual_ipaddress_excluded = {Vaddr("10.3.0.100/24", "lan3", /*no_track=*/true)};
  c.vrrp_instances = {vi};
  const InstanceSpec s = SpecFromModel(c).instances.at(0);
  EXPECT_EQ(s.interface, "");
  EXPECT_EQ(s.track_interfaces, (std::vector<InterfaceRef>{
                                    {"lan1", 0, false}, {"lan4", 5, false}, {"lan2", 0, false}}));
  c.vrrp_instances[0].interface = "lan2";
  EXPECT_EQ(SpecFromModel(c).instances.at(0).track_interfaces,
            (std::vector<InterfaceRef>{{"lan1", 0, false}, {"lan4", 5, false}}));
}

TEST(SpecFromModelTest, TrackScriptFoundAlongPathRunsTheProgramFound) {
  VrrpSpec spec = SpecFromModel(TwoTrackedScripts("/usr/bin/killall"));
  ASSERT_EQ(spec.scripts.size(), 2u);
  EXPECT_EQ(spec.scripts[0].command.argv,
            (std::vector<std::string>{"/usr/bin/killall", "-0", "haproxy"}));
  ASSERT_EQ(spec.instances.size(), 1u);
  ASSERT_EQ(spec.instances[0].track_scripts.size(), 2u);
  EXPECT_EQ(spec.instances[0].track_scripts[0].name, "chk_haproxy");
  EXPECT_EQ(spec.instances[0].track_scripts[0].weight, 2);
}

TEST(SpecFromModelTest, TrackScriptNotFoundAlongPathIsDroppedAsKeepalivedDoes) {
  // keepalived: "track script chk_haproxy not found, ignoring": the instance neither runs it
  // nor loses priority for it; the other tracked script stays.
  VrrpSpec spec = SpecFromModel(TwoTrackedScripts(std::nullopt));
  ASSERT_EQ(spec.scripts.size(), 1u);
  EXPECT_EQ(spec.scripts[0].name, "chk_file");
  ASSERT_EQ(spec.instances.size(), 1u);
  ASSERT_EQ(spec.instances[0].track_scripts.size(), 1u);
  EXPECT_EQ(spec.instances[0].track_scripts[0].name, "chk_file");
  EXPECT_EQ(spec.instances[0].track_scripts[0].weight, 3);
  EXPECT_EQ(spec.disabled_scripts, std::vector<std::string>{"chk_haproxy"});
}

TEST(SpecFromModelTest, TrackScriptWhoseFileIsMissingIsDroppedAsKeepalivedDoes) {
  // keepalived: "Disabling track script chk_file since not found/accessible".
  model::Config c = TwoTrackedScripts("/usr/bin/killall");
  c.vrrp_scripts[1].program = "/usr/bin/test";
  c.vrrp_scripts[1].missing = true;  // set by config::ResolveCommands
  VrrpSpec spec = SpecFromModel(c);
  ASSERT_EQ(spec.scripts.size(), 1u);
  EXPECT_EQ(spec.scripts[0].name, "chk_haproxy");
  ASSERT_EQ(spec.instances[0].track_scripts.size(), 1u);
  EXPECT_EQ(spec.instances[0].track_scripts[0].name, "chk_haproxy");
  EXPECT_EQ(spec.disabled_scripts, std::vector<std::string>{"chk_file"});
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

model::VrrpInstance Member(std::string name, int vrid, int priority, bool master) {
  model::VrrpInstance vi;
  vi.name = std::move(name);
  vi.interface = "eth0";
  vi.virtual_router_id = vrid;
  vi.priority = priority;
  vi.initial_state = master ? model::VrrpState::kMaster : model::VrrpState::kBackup;
  return vi;
}

model::Config SyncGroupConfig(bool tracking_weight) {
  model::Config c;
  model::VrrpScript weighted;
  weighted.name = "chk_weighted";
  weighted.command = "/bin/true";
  weighted.weight = 2;
  model::VrrpScript plain;
  plain.name = "chk_plain";
  plain.command = "/bin/true";
  model::VrrpScript group_script;
  group_script.name = "chk_group";
  group_script.command = "/bin/true";
  group_script.weight = 5;
  c.vrrp_scripts = {weighted, plain, group_script};
  model::TrackFile f1;
  f1.name = "f1";
  f1.path = "/run/f1";
  f1.weight = 1;
  model::TrackFile f3;
  f3.name = "f3";
  f3.path = "/run/f3";
  f3.weight = 3;
  c.track_files = {f1, f3};
  model::VrrpInstance a = Member("VI_1", 51, 100, true);
  a.track_interface = {{"eth1", 10, false, {}}};
  a.track_script = {{"chk_weighted", std::nullopt, false, {}}, {"chk_plain", std::nullopt, false, {}}};
  a.track_file = {{"f1", std::nullopt, false, {}}, {"f3", std::nullopt, false, {}}};
  model::VrrpInstance b = Member("VI_2", 52, 100, false);
  model::VrrpInstance alone = Member("VI_3", 53, 100, false);
  alone.track_script = {{"chk_weighted", std::nullopt, false, {}}};
  c.vrrp_instances = {a, b, alone};
  model::SyncGroup g;
  g.name = "G";
  g.members = {"VI_2", "VI_1"};
  g.track_script = {{"chk_group", std::nullopt, false, {}}};
  g.sync_group_tracking_weight = tracking_weight;
  g.notify.master = model::Script{};
  g.notify.master->command = "/bin/echo group-master";
  c.sync_groups = {g};
  return c;
}

TEST(SpecFromModelTest, SyncGroupMembersLoseWeightedTrackersAsInKeepalived) {
  VrrpSpec spec = SpecFromModel(SyncGroupConfig(false));
  ASSERT_EQ(spec.instances.size(), 3u);
  const InstanceSpec& a = spec.instances[0];
  EXPECT_TRUE(a.params.sync_member);
  EXPECT_EQ(a.sync_group, "G");
  // A weighted interface faults the group; a weighted script is not tracked; a file with
  // the default weight 1 faults, one with another weight is not tracked.
  EXPECT_EQ(a.track_interfaces, (std::vector<InterfaceRef>{{"eth1", 0, false}}));
  EXPECT_EQ(a.track_scripts,
            (std::vector<ScriptRef>{{"chk_plain", 0, false}, {"chk_group", 5, false}}));
  EXPECT_EQ(a.track_files, (std::vector<FileRef>{{"f1", "/run/f1", 0, false}}));
  // The group's own trackers reach every member, weights kept.
  EXPECT_EQ(spec.instances[1].track_scripts, (std::vector<ScriptRef>{{"chk_group", 5, false}}));
  // Outside the group nothing changes.
  EXPECT_FALSE(spec.instances[2].params.sync_member);
  EXPECT_EQ(spec.instances[2].track_scripts, (std::vector<ScriptRef>{{"chk_weighted", 2, false}}));
  // state MASTER without being the address owner: the group's members start as backups.
  EXPECT_FALSE(a.params.start_as_master);
  ASSERT_EQ(spec.sync_groups.size(), 1u);
  EXPECT_EQ(spec.sync_groups[0].members, (std::vector<std::string>{"VI_2", "VI_1"}));
  ASSERT_TRUE(spec.sync_groups[0].notify.master);
  EXPECT_EQ(spec.sync_groups[0].notify.master->argv,
            (std::vector<std::string>{"/bin/echo", "group-master"}));
}

TEST(SpecFromModelTest, SyncGroupTrackingWeightKeepsTheMembersWeights) {
  VrrpSpec spec = SpecFromModel(SyncGroupConfig(true));
  const InstanceSpec& a = spec.instances[0];
  EXPECT_EQ(a.track_interfaces, (std::vector<InterfaceRef>{{"eth1", 10, false}}));
  EXPECT_EQ(a.track_scripts, (std::vector<ScriptRef>{{"chk_weighted", 2, false},
                                                     {"chk_plain", 0, false},
                                                     {"chk_group", 5, false}}));
  EXPECT_EQ(a.track_files.size(), 2u);
}

// bfd_instances B1 (weight 10 reverse), B2 (weight -5), B3 (checker only); VI_1 tracks
// them as `refs` say, in sync group G when `grouped`.
model::Config TrackBfdConfig(std::vector<model::TrackedRef> refs, bool grouped) {
  model::Config c;
  model::BfdInstance b1;
  b1.name = "B1";
  b1.weight = 10;
  b1.weight_reverse = true;
  model::BfdInstance b2;
  b2.name = "B2";
  b2.weight = -5;
  model::BfdInstance b3;
  b3.name = "B3";
  b3.vrrp = false;
  c.bfd_instances = {b1, b2, b3};
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.virtual_router_id = 51;
  vi.track_bfd = std::move(refs);
  c.vrrp_instances = {vi};
  if (grouped) {
    model::SyncGroup g;
    g.name = "G";
    g.members = {"VI_1"};
    g.track_bfd = {{"B2", 0, false, {}}};
    c.sync_groups = {g};
  }
  return c;
}

TEST(SpecFromModelTest, TrackBfdTakesTheBfdInstancesWeightUnlessTheReferenceSetsOne) {
  model::TrackedRef noreverse{"B1", 20, false, {}};
  noreverse.noreverse = true;
  VrrpSpec spec = SpecFromModel(TrackBfdConfig(
      {{"B1", std::nullopt, false, {}}, {"B2", 7, true, {}}, {"B3", std::nullopt, false, {}}},
      false));
  EXPECT_EQ(spec.instances[0].track_bfds,
            (std::vector<ScriptRef>{{"B1", 10, true}, {"B2", 7, true}}));
  spec = SpecFromModel(TrackBfdConfig({noreverse}, false));
  EXPECT_EQ(spec.instances[0].track_bfds, (std::vector<ScriptRef>{{"B1", 20, false}}));
}

TEST(SpecFromModelTest, SyncGroupMembersDropWeightedTrackBfdAsKeepalived) {
  VrrpSpec spec = SpecFromModel(
      TrackBfdConfig({{"B1", std::nullopt, false, {}}, {"B2", 0, false, {}}}, true));
  // B1 (weight 10) is not tracked in the group; B2 with weight 0 is, once.
  EXPECT_EQ(spec.instances[0].track_bfds, (std::vector<ScriptRef>{{"B2", 0, false}}));
}

TEST(SpecFromModelTest, AGroupOfAddressOwnersInStateMasterStartsAsMaster) {
  model::Config c;
  c.vrrp_instances = {Member("VI_1", 51, 255, true), Member("VI_2", 52, 255, true)};
  model::SyncGroup g;
  g.name = "G";
  g.members = {"VI_1", "VI_2"};
  c.sync_groups = {g};
  VrrpSpec spec = SpecFromModel(c);
  EXPECT_TRUE(spec.instances[0].params.start_as_master);
  EXPECT_TRUE(spec.instances[1].params.start_as_master);
  c.vrrp_instances[1].priority = 254;
  spec = SpecFromModel(c);
  EXPECT_FALSE(spec.instances[0].params.start_as_master);
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

TEST(PacingForTest, GarpGroupInterfacesShareOnePacingThatReplacesTheGlobal) {
  model::Config c;
  c.global.vrrp_garp_interval = std::chrono::milliseconds(300);
  c.global.vrrp_gna_interval = std::chrono::milliseconds(400);
  model::GarpGroup g;
  g.interfaces = {"eth0", "eth1"};
  g.gna_interval = std::chrono::milliseconds(100);
  model::GarpGroup none;  // neither interval: keepalived drops it
  none.interfaces = {"eth2"};
  c.garp_groups = {g, none};
  VrrpSpec spec = SpecFromModel(c);
  ASSERT_EQ(spec.garp_groups.size(), 1u);
  using std::chrono::milliseconds;
  EXPECT_EQ(PacingFor(spec, "eth0", false), (GarpPacing{"garp_group 1 na", milliseconds(100)}));
  EXPECT_EQ(PacingFor(spec, "eth1", false), (GarpPacing{"garp_group 1 na", milliseconds(100)}));
  // The group sets no garp_interval: ARPs on its interfaces are not paced, global or not.
  EXPECT_EQ(PacingFor(spec, "eth0", true), (GarpPacing{"garp_group 1 arp", milliseconds(0)}));
  // Outside any group, each interface alone with the global intervals.
  EXPECT_EQ(PacingFor(spec, "eth2", true), (GarpPacing{"eth2 arp", milliseconds(300)}));
  EXPECT_EQ(PacingFor(spec, "eth2", false), (GarpPacing{"eth2 na", milliseconds(400)}));
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

model::IpAddress Addr(std::string_view text) { return *model::IpAddress::Parse(text); }

VipSpec Vip(std::string_view address, bool advertised = true) {
  VipSpec v;
  v.prefix = model::IpPrefix{Addr(address), static_cast<uint8_t>(Addr(address).is_v4() ? 32 : 128)};
  v.dev = "eth0";
  v.advertised = advertised;
  return v;
}

TEST(AdvertisedAddressesTest, OwnFamilyAndAdvertisedOnlyInOrder) {
  InstanceSpec s;
  s.vips = {Vip("10.0.0.20"), Vip("fd00::1"), Vip("10.0.0.9", /*advertised=*/false),
            Vip("10.0.0.10")};
  EXPECT_EQ(AdvertisedAddresses(s),
            (std::vector<model::IpAddress>{Addr("10.0.0.20"), Addr("10.0.0.10")}));
  s.family = model::Family::kIpv6;
  EXPECT_EQ(AdvertisedAddresses(s), (std::vector<model::IpAddress>{Addr("fd00::1")}));
}

TEST(ExpectationForTest, V2WithPasswordMulticastIpv4) {
  InstanceSpec s;
  s.params.vrid = 51;
  s.params.version = Version::kV2;
  s.params.advert_interval = std::chrono::seconds(3);
  s.auth_type = AuthType::kPass;
  s.auth_pass = "secret123";  // keepalived keeps 8 bytes
  s.multicast_group = Addr("224.0.0.99");
  s.vips = {Vip("10.0.0.20")};
  auto advertised = AdvertisedAddresses(s);
  Expectation e = ExpectationFor(s, advertised, /*check_addresses=*/false, UnicastChecksum::kDetect);
  EXPECT_EQ(e.family, model::Family::kIpv4);
  EXPECT_EQ(e.version, Version::kV2);
  EXPECT_EQ(e.vrid, 51);
  EXPECT_EQ(e.auth_type, AuthType::kPass);
  EXPECT_EQ(e.auth_data, MakeAuthData("secret12"));
  EXPECT_EQ(e.interval, 3);  // seconds in v2
  EXPECT_FALSE(e.unicast);
  ASSERT_EQ(e.virtual_addresses.size(), 1u);
  EXPECT_EQ(e.virtual_addresses.data(), advertised.data());
  EXPECT_FALSE(e.check_addresses);
  EXPECT_EQ(e.ipv4_multicast_group, Addr("224.0.0.99"));
  EXPECT_EQ(e.hmac, nullptr);
  EXPECT_EQ(e.hmac_state, nullptr);
}

TEST(ExpectationForTest, V3IgnoresV2AuthenticationAndCarriesUnicastRules) {
  InstanceSpec s;
  s.params.version = Version::kV3;
  s.params.advert_interval = std::chrono::milliseconds(100);
  s.auth_type = AuthType::kPass;  // no authentication in v3
  s.auth_pass = "secret";
  s.unicast_peers = {{Addr("10.0.0.2"), 250, 255}};
  s.check_unicast_src = true;
  s.v3_checksum_as_v2 = true;
  s.auth_hmac.emplace();
  Expectation e = ExpectationFor(s, {}, /*check_addresses=*/true, UnicastChecksum::kLegacy);
  EXPECT_EQ(e.auth_type, AuthType::kNone);
  EXPECT_EQ(e.auth_data, AuthData{});
  EXPECT_EQ(e.interval, 10);  // centiseconds in v3
  EXPECT_TRUE(e.unicast);
  EXPECT_TRUE(e.check_addresses);
  EXPECT_TRUE(e.check_unicast_source);
  EXPECT_TRUE(e.v3_checksum_as_v2);
  EXPECT_EQ(e.unicast_checksum, UnicastChecksum::kLegacy);
  ASSERT_EQ(e.peers.size(), 1u);
  EXPECT_EQ(e.peers[0], s.unicast_peers[0]);
  EXPECT_EQ(e.hmac, &*s.auth_hmac);
  EXPECT_EQ(e.hmac_state, nullptr);  // the running instance's
}

TEST(ExpectationForTest, Ipv6KeepsTheIpv4GroupDefault) {
  InstanceSpec s;
  s.family = model::Family::kIpv6;
  s.multicast_group = Addr("ff02::12");
  Expectation e = ExpectationFor(s, {}, true, UnicastChecksum::kDetect);
  EXPECT_EQ(e.family, model::Family::kIpv6);
  EXPECT_EQ(e.ipv4_multicast_group, Ipv4MulticastGroup());
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

model::RouteOrRule Words(std::vector<std::string> w, std::optional<std::string> group) {
  model::RouteOrRule r;
  r.words = std::move(w);
  r.track_group = std::move(group);
  return r;
}

TEST(SpecFromModelTest, TrackGroupMembersTrackTheStaticItemsInterfacesWithWeightZero) {
  model::Config c;
  c.global.default_interface = "eth9";
  c.track_groups = {{"G", {"VI_1", "VI_2"}, {}}, {"H", {"VI_2"}, {}}};
  model::VirtualAddress a1;  // on the default interface
  a1.prefix = *model::IpPrefix::Parse("10.1.1.1/24");
  a1.track_group = "G";
  model::VirtualAddress a2;  // no_track: not tracked
  a2.prefix = *model::IpPrefix::Parse("10.1.2.1/24");
  a2.dev = "eth5";
  a2.no_track = true;
  a2.track_group = "G";
  model::VirtualAddress a3;  // no track_group
  a3.prefix = *model::IpPrefix::Parse("10.1.3.1/24");
  a3.dev = "eth6";
  c.static_addresses = {a1, a2, a3};
  c.static_routes = {Words({"10.2.0.0/16", "via", "10.1.1.254", "dev", "eth2"}, "G"),
                     Words({"10.3.0.0/16", "oif", "eth3", "no_track"}, "G")};
  c.static_rules = {Words({"from", "10.4.0.0/16", "table", "5", "iif", "eth4"}, "H")};
  model::VrrpInstance v1;
  v1.name = "VI_1";
  v1.interface = "eth0";
  v1.virtual_router_id = 1;
  v1.track_interface = {{"eth2", 20, true, {}}, {"eth7", 10, false, {}}};
  model::VrrpInstance v2 = v1;
  v2.name = "VI_2";
  v2.virtual_router_id = 2;
  v2.track_interface = {};
  model::VrrpInstance v3 = v2;
  v3.name = "VI_3";
  v3.virtual_router_id = 3;
  c.vrrp_instances = {v1, v2, v3};
  VrrpSpec spec = SpecFromModel(c);
  ASSERT_EQ(spec.instances.size(), 3u);
  // A weighted track_interface of the same interface loses its weight.
  EXPECT_EQ(spec.instances[0].track_interfaces,
            (std::vector<InterfaceRef>{{"eth2", 0, false}, {"eth7", 10, false}, {"eth9", 0, false}}));
  EXPECT_EQ(spec.instances[1].track_interfaces,
            (std::vector<InterfaceRef>{{"eth9", 0, false}, {"eth2", 0, false}, {"eth4", 0, false}}));
  EXPECT_EQ(spec.instances[2].track_interfaces, std::vector<InterfaceRef>{});
}

TEST(SpecFromModelTest, InterfaceUpDownDelaysByInterface) {
  model::Config c;
  c.interface_up_down_delays = {{"eth0", std::chrono::seconds(2), std::chrono::milliseconds(500), {}},
                                {"eth1", std::chrono::milliseconds(10), std::chrono::seconds(0), {}}};
  VrrpSpec spec = SpecFromModel(c);
  EXPECT_EQ(spec.up_down_delays,
            (std::map<std::string, UpDownDelays>{
                {"eth0", {std::chrono::seconds(2), std::chrono::milliseconds(500)}},
                {"eth1", {std::chrono::milliseconds(10), std::chrono::seconds(0)}}}));
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

TEST(BufferForTest, ConfiguredBytesAskPlainOrForcedElseTheSocketsDefault) {
  auto same = [](net::ReceiveBuffer a, net::ReceiveBuffer b) {
    return a.bytes == b.bytes && a.force == b.force;
  };
  const net::ReceiveBuffer fallback(4 << 20, true);
  EXPECT_TRUE(same(BufferFor({300000u, false}, fallback), {300000, false}));
  EXPECT_TRUE(same(BufferFor({300000u, true}, fallback), {300000, true}));
  EXPECT_TRUE(same(BufferFor({4294967295u, false}, fallback), {2147483647, false}));
  EXPECT_TRUE(same(BufferFor({std::nullopt, false}, fallback), {4 << 20, true}));
  EXPECT_TRUE(same(BufferFor({std::nullopt, true}, {0, false}), {0, true}));
  EXPECT_TRUE(same(BufferFor({std::nullopt, false}, {0, false}), {0, false}));
}

TEST(BufferForTest, SpecCarriesTheEnginesThreeBuffers) {
  model::Config c;
  c.global.vrrp_netlink_cmd_rcv_bufs = {1000000u, false};
  c.global.vrrp_netlink_monitor_rcv_bufs = {9000000u, true};
  VrrpSpec spec = SpecFromModel(c);
  EXPECT_EQ(spec.command_buffer.bytes, 1000000);
  EXPECT_FALSE(spec.command_buffer.force);
  EXPECT_EQ(spec.monitor_buffer.bytes, 9000000);
  EXPECT_TRUE(spec.monitor_buffer.force);
  EXPECT_EQ(spec.process_monitor_buffer.bytes, 0);
}

TEST(SpecFromModelTest, DebugLevelIsCarried) {
  model::Config c;
  model::VrrpInstance v;
  v.name = "VI_1";
  v.interface = "eth0";
  v.virtual_router_id = 1;
  v.debug = 4;
  c.vrrp_instances = {v};
  EXPECT_EQ(SpecFromModel(c).instances.at(0).debug, 4);
}

// keepalived keys a link-local VIP by interface name in the accept-mode filter for an
// instance with dont_track_primary (VIP on its interface, or no_track), unless
// nftables_ifindex; by index otherwise. nftables NAME, priority and counters pass through.
TEST(SpecFromModelTest, AcceptFilterKeysAndOptionsAsKeepalived) {
  auto vip = [](std::string_view text, std::optional<std::string> dev, bool no_track) {
    return Vaddr(text, std::move(dev), no_track);
  };
  model::Config c;
  model::VrrpInstance vi;
  vi.name = "VI_6";
  vi.interface = "eth0";
  vi.virtual_router_id = 52;
  vi.dont_track_primary = true;
  vi.virtual_ipaddress = {vip("fe80::1/64", std::nullopt, false), vip("fe80::2/64", "eth1", false),
                          vip("fe80::3/64", "eth1", true)};
  c.vrrp_instances = {vi};
  auto by_name = [](const VrrpSpec& s) {
    std::vector<bool> out;
    for (const auto& v : s.instances.at(0).vips) out.push_back(v.filter_by_name);
    return out;
  };
  VrrpSpec spec = SpecFromModel(c);
  EXPECT_EQ(by_name(spec), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(spec.nftables_table, std::nullopt);
  EXPECT_EQ(spec.nftables_priority, -1);
  EXPECT_FALSE(spec.nftables_counters);

  c.global.nftables_ifindex = true;
  c.global.nftables = "fw";
  c.global.nftables_priority = 5;
  c.global.nftables_counters = true;
  spec = SpecFromModel(c);
  EXPECT_EQ(by_name(spec), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(spec.nftables_table, "fw");
  EXPECT_EQ(spec.nftables_priority, 5);
  EXPECT_TRUE(spec.nftables_counters);

  c.global.nftables_ifindex = false;
  c.global.nftables = "";  // `nftables` alone: vigil's own table
  c.vrrp_instances[0].dont_track_primary = false;
  spec = SpecFromModel(c);
  EXPECT_EQ(by_name(spec), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(spec.nftables_table, std::nullopt);
}

TEST(RxBufTest, AdvertLengthAsKeepalivedCountsIt) {
  InstanceSpec s;
  s.vips = {Vip("10.0.0.1"), Vip("10.0.0.2"), Vip("10.0.0.3", /*advertised=*/false)};
  // v2 over IPv4: IP header 20 + VRRP header 8 + 2 addresses + authentication data 8.
  EXPECT_EQ(AdvertLength(s), 20u + 8u + 8u + 8u);
  s.params.version = Version::kV3;
  EXPECT_EQ(AdvertLength(s), 20u + 8u + 8u);
  s.auth_hmac = model::AuthHmac{};
  EXPECT_EQ(AdvertLength(s), 20u + 8u + 8u + 28u);  // the signed trailer
  s.auth_hmac->mode = model::HmacMode::kReceiveOnly;
  EXPECT_EQ(AdvertLength(s), 20u + 8u + 8u);
  InstanceSpec v6;
  v6.family = model::Family::kIpv6;
  v6.params.version = Version::kV3;
  v6.vips = {Vip("fd00::1"), Vip("10.0.0.1")};
  EXPECT_EQ(AdvertLength(v6), 8u + 16u);  // no IP header: the socket does not return it
}

TEST(RxBufTest, ShareFromKernelRxBufSizeElseThePolicy) {
  model::Config c;
  model::VrrpInstance v;
  v.name = "VI_1";
  v.interface = "eth0";
  v.virtual_router_id = 1;
  model::VirtualAddress a;
  a.prefix = *model::IpPrefix::Parse("10.0.0.1/32");
  v.virtual_ipaddress = {a};
  c.vrrp_instances = {v};
  auto share = [&] { return SpecFromModel(c).instances.at(0); };
  EXPECT_EQ(RxBufBytes(share(), 1500), 0u);  // no policy: the kernel's default
  c.global.vrrp_rx_bufs_policy = model::RxBufsPolicy::kMtu;
  EXPECT_EQ(RxBufBytes(share(), 1500), 3u * 1500);
  c.global.vrrp_rx_bufs_multiplier = 5;
  EXPECT_EQ(RxBufBytes(share(), 9000), 5u * 9000);
  c.global.vrrp_rx_bufs_policy = model::RxBufsPolicy::kAdvert;
  EXPECT_EQ(RxBufBytes(share(), 1500), 5u * (20 + 8 + 4 + 8));
  c.global.vrrp_rx_bufs_policy = model::RxBufsPolicy::kSize;
  c.global.vrrp_rx_bufs_size = 70000;
  EXPECT_EQ(RxBufBytes(share(), 1500), 70000u);
  c.vrrp_instances[0].kernel_rx_buf_size = 12345;  // the instance's own wins
  EXPECT_EQ(RxBufBytes(share(), 1500), 12345u);
}

// unicast_fault_no_peer holds an instance in FAULT only while it has no unicast peer.
TEST(SpecFromModelTest, UnicastFaultNoPeerFaultsOnlyWithoutPeers) {
  model::Config c;
  model::VrrpInstance vi = Eth0Instance(71);
  vi.unicast_fault_no_peer = true;
  c.vrrp_instances = {vi};
  EXPECT_TRUE(SpecFromModel(c).instances[0].no_peer_fault);
  c.vrrp_instances[0].unicast_peer.push_back({});
  c.vrrp_instances[0].unicast_peer[0].address = *model::IpAddress::Parse("10.0.0.2");
  EXPECT_FALSE(SpecFromModel(c).instances[0].no_peer_fault);
  c.vrrp_instances[0].unicast_fault_no_peer = false;
  c.vrrp_instances[0].unicast_peer.clear();
  EXPECT_FALSE(SpecFromModel(c).instances[0].no_peer_fault);
}

}  // namespace
}  // namespace vigil::vrrp
