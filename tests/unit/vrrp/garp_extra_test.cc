#include "vrrp/garp_extra.h"

#include <gtest/gtest.h>

#include "model/config.h"

namespace vigil::vrrp {
namespace {

using std::chrono::seconds;

model::VirtualAddress Vaddr(std::string_view text, std::optional<std::string> dev = std::nullopt) {
  model::VirtualAddress a;
  a.prefix = model::IpPrefix::Parse(text).value();
  a.dev = std::move(dev);
  return a;
}

model::RawSetting Raw(std::string keyword, std::vector<std::string> args) {
  return model::RawSetting{std::move(keyword), std::move(args), {}};
}

// VI_1 on eth0 (VRID 61) with 10.0.0.100 on eth0, 10.1.0.100 and 10.1.0.101 on lan1,
// excluded fd00:2::100 on lan2.
model::Config ThreeInterfaces() {
  model::Config c;
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.virtual_router_id = 61;
  vi.virtual_ipaddress = {Vaddr("10.0.0.100/24"), Vaddr("10.1.0.100/24", "lan1"),
                          Vaddr("10.1.0.101/24", "lan1")};
  vi.virtual_ipaddress_excluded = {Vaddr("fd00:2::100/64", "lan2")};
  c.vrrp_instances = {vi};
  return c;
}

// Each VIP announced each period as ADDRESS@DEV.
std::vector<std::string> Announced(const InstanceSpec& s) {
  std::vector<std::string> out;
  for (const VipSpec& v : s.garp_extra_vips)
    out.push_back(v.prefix.address.ToString() + "@" + v.dev);
  return out;
}

TEST(GarpExtraTest, TheInstancesOwnSettingWinsOverGlobalDefs) {
  model::Config c = ThreeInterfaces();
  model::VrrpInstance& vi = c.vrrp_instances[0];
  c.global.other = {Raw("vrrp_garp_extra_if", {"all", "30"})};
  EXPECT_EQ(GarpExtraOf(vi, c.global), (GarpExtra{seconds(30), true}));
  c.global.other = {Raw("vrrp_vmac_garp_intvl", {"20"})};
  EXPECT_EQ(GarpExtraOf(vi, c.global), (GarpExtra{seconds(20), false}));
  vi.other = {Raw("vmac_garp_intvl", {"5"})};
  EXPECT_EQ(GarpExtraOf(vi, c.global), (GarpExtra{seconds(5), false}));
  vi.other = {Raw("garp_extra_if", {"0"})};  // 0: off, global_defs' not taken
  EXPECT_EQ(GarpExtraOf(vi, c.global), (GarpExtra{seconds(0), false}));
  vi.other = {Raw("garp_extra_if", {"bad"})};  // ignored: global_defs' applies
  EXPECT_EQ(GarpExtraOf(vi, c.global), (GarpExtra{seconds(20), false}));
}

// Without `all` only VMACs of ours count: lan1 and lan2 are not, so nothing is sent.
TEST(GarpExtraTest, WithoutAllPlainInterfacesGetNothing) {
  model::Config c = ThreeInterfaces();
  c.vrrp_instances[0].other = {Raw("garp_extra_if", {"10"})};
  const InstanceSpec s = SpecFromModel(c).instances.at(0);
  EXPECT_EQ(Announced(s), std::vector<std::string>{});
  EXPECT_EQ(s.params.garp_extra_if, std::chrono::microseconds(0));
}

// With `all`: the first VIP of each other interface (VIPs, then excluded VIPs), not the
// instance's own interface.
TEST(GarpExtraTest, WithAllTheFirstVipOfEachOtherInterface) {
  model::Config c = ThreeInterfaces();
  c.global.other = {Raw("vrrp_garp_extra_if", {"all", "10"})};
  const InstanceSpec s = SpecFromModel(c).instances.at(0);
  EXPECT_EQ(Announced(s), (std::vector<std::string>{"10.1.0.100@lan1", "fd00:2::100@lan2"}));
  EXPECT_EQ(s.params.garp_extra_if, std::chrono::microseconds(seconds(10)));
}

// use_vmac_addr: the VIPs on lan1 / lan2 are on VMACs of ours; without `all` they count.
TEST(GarpExtraTest, VmacsOfOursCountWithoutAll) {
  model::Config c = ThreeInterfaces();
  c.vrrp_instances[0].use_vmac_addr = true;
  c.vrrp_instances[0].other = {Raw("garp_extra_if", {"10"})};
  const InstanceSpec s = SpecFromModel(c).instances.at(0);
  EXPECT_EQ(Announced(s), (std::vector<std::string>{"10.1.0.100@vrrp.61", "fd00:2::100@vrrp6.61"}));
  EXPECT_EQ(s.params.garp_extra_if, std::chrono::microseconds(seconds(10)));
}

// use_vmac: the instance's VIPs are on its VMAC; vmac_xmit_base (adverts leave by eth0)
// adds its first VIP there, but only when another interface has one too.
TEST(GarpExtraTest, XmitBaseAddsTheInstancesVmac) {
  model::Config c = ThreeInterfaces();
  model::VrrpInstance& vi = c.vrrp_instances[0];
  vi.use_vmac = "";
  vi.other = {Raw("garp_extra_if", {"all", "10"})};
  EXPECT_EQ(Announced(SpecFromModel(c).instances.at(0)),
            (std::vector<std::string>{"10.1.0.100@lan1", "fd00:2::100@lan2"}));
  vi.vmac_xmit_base = true;
  EXPECT_EQ(Announced(SpecFromModel(c).instances.at(0)),
            (std::vector<std::string>{"10.0.0.100@vrrp.61", "10.1.0.100@lan1",
                                      "fd00:2::100@lan2"}));
  vi.virtual_ipaddress.resize(1);
  vi.virtual_ipaddress_excluded.clear();
  const InstanceSpec alone = SpecFromModel(c).instances.at(0);
  EXPECT_EQ(Announced(alone), std::vector<std::string>{});
  EXPECT_EQ(alone.params.garp_extra_if, std::chrono::microseconds(0));
}

}  // namespace
}  // namespace vigil::vrrp
