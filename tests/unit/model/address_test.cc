#include "model/address.h"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

TEST(AddressTest, ParsesAndFormatsIpv4) {
  auto a = IpAddress::Parse("192.168.1.10");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->v4_host_order(), 0xc0a8010au);
  EXPECT_EQ(a->ToString(), "192.168.1.10");
  EXPECT_EQ(*a, IpAddress::V4(0xc0a8010a));
}

TEST(AddressTest, ParsesAndCanonicalisesIpv6) {
  auto a = IpAddress::Parse("FE80:0:0::0001");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v6());
  EXPECT_EQ(a->ToString(), "fe80::1");
  EXPECT_TRUE(a->IsLinkLocal());
  EXPECT_FALSE(a->IsMulticast());
  EXPECT_TRUE(IpAddress::Parse("ff02::12")->IsMulticast());
  EXPECT_TRUE(IpAddress::Parse("224.0.0.18")->IsMulticast());
  EXPECT_TRUE(IpAddress::Parse("169.254.1.1")->IsLinkLocal());
}

TEST(AddressTest, RejectsNonAddresses) {
  for (const char* s : {"", "10.0.0", "10.0.0.256", "host.example", "10.0.0.1/24", "::g", "1.2.3.4 "})
    EXPECT_FALSE(IpAddress::Parse(s)) << s;
  EXPECT_TRUE(IpAddress().is_unspec());
  EXPECT_EQ(IpAddress().ToString(), "");
}

TEST(AddressTest, PrefixParsing) {
  EXPECT_EQ(IpPrefix::Parse("10.0.0.1")->ToString(), "10.0.0.1/32");
  EXPECT_EQ(IpPrefix::Parse("10.0.0.1/24")->ToString(), "10.0.0.1/24");
  EXPECT_EQ(IpPrefix::Parse("2001:db8::1")->length, 128);
  EXPECT_EQ(IpPrefix::Parse("2001:db8::/32")->ToString(), "2001:db8::/32");
  EXPECT_FALSE(IpPrefix::Parse("10.0.0.1/33"));
  EXPECT_FALSE(IpPrefix::Parse("10.0.0.1/"));
  EXPECT_FALSE(IpPrefix::Parse("10.0.0.1/2a"));
  EXPECT_FALSE(IpPrefix::Parse("2001:db8::/129"));
}

TEST(AddressTest, OrderingIsByFamilyThenBytes) {
  auto a = *IpAddress::Parse("10.0.0.1");
  auto b = *IpAddress::Parse("10.0.0.2");
  auto c = *IpAddress::Parse("::1");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(FamilyName(Family::kIpv6), "inet6");
}

}  // namespace
}  // namespace vigil::model
