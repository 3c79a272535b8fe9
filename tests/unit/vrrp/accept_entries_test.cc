#include "vrrp/accept_entries.h"

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }

VipSpec Vip(std::string_view address, std::string dev = "eth0", bool by_name = false) {
  VipSpec v;
  v.prefix = {Ip(address), static_cast<uint8_t>(Ip(address).is_v6() ? 128 : 32)};
  v.dev = std::move(dev);
  v.filter_by_name = by_name;
  return v;
}

InstanceSpec Spec(std::vector<VipSpec> vips, model::Family family = model::Family::kIpv4) {
  InstanceSpec s;
  s.name = "VI_1";
  s.interface = "eth0";
  s.family = family;
  s.params.priority = 100;
  s.params.accept = false;  // no_accept
  s.vips = std::move(vips);
  return s;
}

int Ifindex(const std::string& dev) { return dev == "eth0" ? 2 : dev == "eth1" ? 3 : 0; }

FilterInstance Holding(const InstanceSpec& spec) { return {&spec, true, 2, 0, false, Ifindex}; }

TEST(AcceptFilterContentsTest, AMasterWithoutAcceptModeFiltersItsVips) {
  const InstanceSpec spec = Spec({Vip("10.0.0.100"), Vip("fe80::100", "eth1"),
                                  Vip("fe80::101", "eth0", /*by_name=*/true)});
  const FilterInstance in[] = {Holding(spec)};
  FilterContents want;
  want.entries = {{Ip("10.0.0.100"), "", 0, false},
                  {Ip("fe80::100"), "eth1", 3, false},
                  {Ip("fe80::101"), "eth0", 0, true}};
  EXPECT_EQ(AcceptFilterContents(in, false), want);
}

TEST(AcceptFilterContentsTest, NothingForAcceptModeOwnersOrVipsNotHeld) {
  InstanceSpec accept = Spec({Vip("10.0.0.1")}), owner = Spec({Vip("10.0.0.2")}),
               backup = Spec({Vip("10.0.0.3")});
  accept.params.accept = true;
  owner.params.priority = kOwnerPriority;
  FilterInstance not_held = Holding(backup);
  not_held.vips_installed = false;
  const FilterInstance in[] = {Holding(accept), Holding(owner), not_held};
  EXPECT_EQ(AcceptFilterContents(in, false), FilterContents{});
}

TEST(AcceptFilterContentsTest, AMacvlanVmacMovesItsReportsInItsFamiliesAsKeepalived) {
  struct Case {
    model::Family family;
    std::vector<VipSpec> vips;
    bool macvlan;
    int ifindex;
    bool disable_local_igmp;
    std::set<VmacEntry> vmacs;
  };
  const std::vector<Case> cases = {
      {model::Family::kIpv4, {Vip("10.0.0.1")}, true, 2, false, {{false, 9, 2}}},
      {model::Family::kIpv4, {Vip("10.0.0.1"), Vip("2001:db8::1")}, true, 2, false,
       {{false, 9, 2}, {true, 9, 2}}},
      {model::Family::kIpv4, {Vip("10.0.0.1")}, true, 2, true, {}},
      {model::Family::kIpv6, {Vip("2001:db8::1")}, true, 2, true, {{true, 9, 2}}},
      {model::Family::kIpv6, {Vip("2001:db8::1"), Vip("10.0.0.1")}, true, 2, false,
       {{true, 9, 2}, {false, 9, 2}}},
      {model::Family::kIpv4, {Vip("10.0.0.1")}, false, 2, false, {}},  // an ipvlan
      {model::Family::kIpv4, {Vip("10.0.0.1")}, true, 0, false, {}},   // not bound
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    InstanceSpec spec = Spec(c.vips, c.family);
    spec.params.accept = true;  // no VIP entries: only the VMAC's
    const FilterInstance in[] = {{&spec, true, c.ifindex, 9, c.macvlan, Ifindex}};
    EXPECT_EQ(AcceptFilterContents(in, c.disable_local_igmp).vmacs, c.vmacs);
  }
}

}  // namespace
}  // namespace vigil::vrrp
