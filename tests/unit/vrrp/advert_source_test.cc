#include "vrrp/advert_source.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::vrrp {
namespace {

using model::IpAddress;

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

InstanceSpec Spec(model::Family family = model::Family::kIpv4) {
  InstanceSpec s;
  s.name = "VI_1";
  s.interface = "vlan9";
  s.family = family;
  return s;
}

std::string Failure(const Result<IpAddress>& r) {
  EXPECT_FALSE(r.has_value());
  if (r) return "chose " + r->ToString();
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  return r.error().ToString();
}

TEST(ChooseAdvertSourceTest, Ipv4TakesTheFirstAddressOfTheInterface) {
  std::vector<IpAddress> addrs{Ip("10.77.0.1"), Ip("10.78.0.1")};
  EXPECT_EQ(ChooseAdvertSource(Spec(), addrs, {}), Ip("10.77.0.1"));
  // The first one gone, the next takes over.
  EXPECT_EQ(ChooseAdvertSource(Spec(), std::span(addrs).subspan(1), {}), Ip("10.78.0.1"));
}

TEST(ChooseAdvertSourceTest, NeverAVipOfAnyInstance) {
  std::vector<IpAddress> addrs{Ip("10.77.0.100"), Ip("10.77.0.101"), Ip("10.77.0.1")};
  EXPECT_EQ(ChooseAdvertSource(Spec(), addrs, {Ip("10.77.0.100"), Ip("10.77.0.101")}),
            Ip("10.77.0.1"));
  EXPECT_EQ(Failure(ChooseAdvertSource(Spec(), std::span(addrs).first(2),
                                       {Ip("10.77.0.100"), Ip("10.77.0.101")})),
            "interface vlan9 has no inet address to send adverts from");
}

TEST(ChooseAdvertSourceTest, NoAddressLeftIsNotFound) {
  EXPECT_EQ(Failure(ChooseAdvertSource(Spec(), {}, {})),
            "interface vlan9 has no inet address to send adverts from");
}

TEST(ChooseAdvertSourceTest, Ipv6TakesTheLinkLocalAddressOnly) {
  auto spec = Spec(model::Family::kIpv6);
  std::vector<IpAddress> addrs{Ip("fd00:77::1"), Ip("fe80::99"), Ip("fe80::1")};
  EXPECT_EQ(ChooseAdvertSource(spec, addrs, {}), Ip("fe80::99"));
  EXPECT_EQ(ChooseAdvertSource(spec, addrs, {Ip("fe80::99")}), Ip("fe80::1"));
  // A global address alone does not do (keepalived 2.2.7 stays in FAULT too).
  EXPECT_EQ(Failure(ChooseAdvertSource(spec, std::span(addrs).first(1), {})),
            "interface vlan9 has no inet6 address to send adverts from");
}

TEST(ChooseAdvertSourceTest, AConfiguredSourceIsTakenAsItIs) {
  auto spec = Spec();
  spec.source = Ip("10.78.0.1");
  EXPECT_FALSE(FollowsInterfaceAddresses(spec));
  EXPECT_EQ(ChooseAdvertSource(spec, {}, {}), Ip("10.78.0.1"));
  std::vector<IpAddress> addrs{Ip("10.77.0.1")};
  EXPECT_EQ(ChooseAdvertSource(spec, addrs, {}), Ip("10.78.0.1"));
}

TEST(ChooseAdvertSourceTest, TrackSrcIpNeedsTheSourceOnTheInterface) {
  auto spec = Spec();
  spec.source = Ip("10.78.0.1");
  spec.track_source = true;
  EXPECT_TRUE(FollowsInterfaceAddresses(spec));
  std::vector<IpAddress> addrs{Ip("10.77.0.1"), Ip("10.78.0.1")};
  EXPECT_EQ(ChooseAdvertSource(spec, addrs, {}), Ip("10.78.0.1"));
  // Another address of the interface never stands in for it.
  EXPECT_EQ(Failure(ChooseAdvertSource(spec, std::span(addrs).first(1), {})),
            "source address 10.78.0.1 (track_src_ip) is not on interface vlan9");
}

TEST(ChooseAdvertSourceTest, WithoutASourceTheInterfaceAddressesDecide) {
  EXPECT_TRUE(FollowsInterfaceAddresses(Spec()));
  EXPECT_TRUE(FollowsInterfaceAddresses(Spec(model::Family::kIpv6)));
}

}  // namespace
}  // namespace vigil::vrrp
