#include "net/address_watch.h"

#include <gtest/gtest.h>

namespace vigil::net {
namespace {

RawAddress Addr(const char* text) { return *RawAddress::Parse(text); }

TEST(ApplyAddressEventTest, KeepsEveryInterfacesAddressesOnce) {
  LocalAddresses a;
  EXPECT_TRUE(ApplyAddressEvent(AddressAdded{2, AF_INET, Addr("10.0.0.1"), 24}, a));
  // The kernel announces an address again (a flag or lifetime change, IPv6 DAD ending).
  EXPECT_FALSE(ApplyAddressEvent(AddressAdded{2, AF_INET, Addr("10.0.0.1"), 24}, a));
  // The same address on another interface is another entry.
  EXPECT_TRUE(ApplyAddressEvent(AddressAdded{3, AF_INET, Addr("10.0.0.1"), 32}, a));
  EXPECT_TRUE(ApplyAddressEvent(AddressAdded{3, AF_INET6, Addr("2001:db8::1"), 64}, a));
  EXPECT_EQ(a, (LocalAddresses{{2, Addr("10.0.0.1")}, {3, Addr("10.0.0.1")},
                               {3, Addr("2001:db8::1")}}));
  EXPECT_TRUE(ApplyAddressEvent(AddressRemoved{2, AF_INET, Addr("10.0.0.1"), 24}, a));
  EXPECT_FALSE(ApplyAddressEvent(AddressRemoved{2, AF_INET, Addr("10.0.0.1"), 24}, a));
  EXPECT_EQ(a, (LocalAddresses{{3, Addr("10.0.0.1")}, {3, Addr("2001:db8::1")}}));
  // A link that changes keeps its addresses; one that is removed takes them with it.
  EXPECT_FALSE(ApplyAddressEvent(LinkChanged{.ifindex = 3, .name = "eth1", .up = false}, a));
  EXPECT_EQ(a.size(), 2u);
  EXPECT_FALSE(ApplyAddressEvent(LinkChanged{.ifindex = 4, .name = "eth2", .removed = true}, a));
  EXPECT_TRUE(ApplyAddressEvent(LinkChanged{.ifindex = 3, .name = "eth1", .removed = true}, a));
  EXPECT_TRUE(a.empty());
}

}  // namespace
}  // namespace vigil::net
