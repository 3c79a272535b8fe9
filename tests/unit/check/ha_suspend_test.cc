#include "check/ha_suspend.h"

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

net::LocalAddress On(int ifindex, const char* text) {
  return net::LocalAddress{ifindex, *net::RawAddress::Parse(text)};
}

model::IpAddress Ip(const char* text) { return *model::IpAddress::Parse(text); }

model::VirtualServer AddressVs(const char* address) {
  model::VirtualServer vs;
  vs.address = Ip(address);
  vs.port = 80;
  vs.ha_suspend = true;
  return vs;
}

model::VirtualServer GroupVs(const char* group) {
  model::VirtualServer vs;
  vs.group = group;
  vs.ha_suspend = true;
  return vs;
}

model::VsgEntry Entry(const char* from, const char* to = nullptr) {
  model::VsgEntry e;
  e.address = Ip(from);
  if (to) e.range_end = Ip(to);
  e.port = 80;
  return e;
}

TEST(HaSuspendTest, SuspendedWhileTheAddressIsNotLocal) {
  const model::VirtualServer vs = AddressVs("10.0.0.1");
  EXPECT_TRUE(HaSuspended(vs, {}, {}));
  EXPECT_TRUE(HaSuspended(vs, {}, {On(2, "10.0.0.2"), On(2, "10.0.0.10"), On(1, "127.0.0.1")}));
  EXPECT_FALSE(HaSuspended(vs, {}, {On(2, "10.0.0.2"), On(3, "10.0.0.1")}));
  // Without ha_suspend, or with a fwmark (the builder clears it then), never.
  model::VirtualServer plain = vs;
  plain.ha_suspend = false;
  EXPECT_FALSE(HaSuspended(plain, {}, {}));
  model::VirtualServer mark;
  mark.fwmark = 1;
  mark.ha_suspend = true;
  EXPECT_FALSE(HaSuspended(mark, {}, {}));
}

TEST(HaSuspendTest, TheSameAddressOnTwoInterfacesCountsTwice) {
  const model::VirtualServer vs = AddressVs("10.0.0.1");
  net::LocalAddresses local{On(2, "10.0.0.1"), On(3, "10.0.0.1"), On(3, "10.0.0.3")};
  EXPECT_EQ(LocalAddressCount(vs, nullptr, local), 2u);
  EXPECT_FALSE(HaSuspended(vs, {}, local));
  local.erase(On(2, "10.0.0.1"));
  EXPECT_EQ(LocalAddressCount(vs, nullptr, local), 1u);
  EXPECT_FALSE(HaSuspended(vs, {}, local));
  local.erase(On(3, "10.0.0.1"));
  EXPECT_EQ(LocalAddressCount(vs, nullptr, local), 0u);
  EXPECT_TRUE(HaSuspended(vs, {}, local));
}

TEST(HaSuspendTest, Ipv6AddressesMatchTheirFamilyOnly) {
  const model::VirtualServer vs = AddressVs("2001:db8::1");
  EXPECT_TRUE(HaSuspended(vs, {}, {On(2, "2001:db8::2"), On(2, "fe80::1")}));
  EXPECT_FALSE(HaSuspended(vs, {}, {On(2, "2001:db8::2"), On(4, "2001:db8::1")}));
  // ::ffff:10.0.0.1 and 10.0.0.1 are not the same address; 10.0.0.1's bytes are not ::a00:1.
  EXPECT_TRUE(HaSuspended(AddressVs("10.0.0.1"), {}, {On(2, "::ffff:10.0.0.1"), On(2, "::a00:1")}));
  EXPECT_TRUE(HaSuspended(AddressVs("::a00:1"), {}, {On(2, "10.0.0.1")}));
}

TEST(HaSuspendTest, AGroupIsSuspendedWhileNoneOfItsAddressesOrRangesIsLocal) {
  model::VirtualServerGroup g;
  g.name = "web";
  g.entries = {Entry("10.0.0.1"), Entry("10.0.1.10", "10.0.1.20"),
               Entry("2001:db8::1:100", "2001:db8::1:1ff")};
  model::VsgEntry mark;
  mark.fwmark = 7;
  g.entries.push_back(mark);
  const std::vector<model::VirtualServerGroup> groups{g};
  const model::VirtualServer vs = GroupVs("web");
  EXPECT_TRUE(HaSuspended(vs, groups, {}));
  for (const char* outside : {"10.0.0.2", "10.0.1.9", "10.0.1.21", "10.0.2.15", "11.0.1.15",
                              "2001:db8::1:ff", "2001:db8::1:200", "2001:db8::2:150"})
    EXPECT_TRUE(HaSuspended(vs, groups, {On(2, outside)})) << outside;
  for (const char* inside : {"10.0.0.1", "10.0.1.10", "10.0.1.15", "10.0.1.20",
                             "2001:db8::1:100", "2001:db8::1:1ff"})
    EXPECT_FALSE(HaSuspended(vs, groups, {On(2, inside)})) << inside;
  EXPECT_EQ(LocalAddressCount(vs, &groups[0],
                              {On(2, "10.0.0.1"), On(2, "10.0.1.11"), On(3, "10.0.1.11"),
                               On(2, "10.0.1.30"), On(2, "2001:db8::1:120")}),
            4u);
  // A group not (or no longer) defined has no address.
  EXPECT_TRUE(HaSuspended(GroupVs("other"), groups, {On(2, "10.0.0.1")}));
}

}  // namespace
}  // namespace vigil::check
