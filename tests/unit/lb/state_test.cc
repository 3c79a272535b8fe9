#include "lb/state.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace vigil::lb {
namespace {

using testing::Dest;
using testing::Ip;
using testing::Tcp;

TEST(IpAddressTest, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(Ip("10.0.0.1").ToString(), "10.0.0.1");
  EXPECT_EQ(Ip("10.0.0.1").family(), Family::kIpv4);
  EXPECT_EQ(Ip("FD00:0::1").ToString(), "fd00::1");
  EXPECT_EQ(Ip("fd00::1").family(), Family::kIpv6);
  EXPECT_EQ(Ip("10.1.2.3").bytes()[1], 1);
}

TEST(IpAddressTest, RejectsGarbageWithMessage) {
  auto r = IpAddress::Parse("10.0.0");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().ToString(), "'10.0.0' is not an IP address");
  EXPECT_FALSE(IpAddress::Parse("fd00:::1").has_value());
}

TEST(IpAddressTest, OrdersIpv4BeforeIpv6AndNumerically) {
  EXPECT_LT(Ip("10.0.0.2"), Ip("10.0.0.10"));
  EXPECT_LT(Ip("255.255.255.255"), Ip("::1"));
}

TEST(ServiceKeyTest, AddressKeysOrderBeforeFwmarkKeys) {
  ServiceKey a = AddressKey{Protocol::kUdp, Ip("10.0.0.9"), 1};
  ServiceKey f = FwmarkKey{Family::kIpv4, 1};
  EXPECT_LT(a, f);
  EXPECT_EQ(KeyToString(a), "udp 10.0.0.9:1");
  EXPECT_EQ(KeyToString(f), "fwmark 1 ipv4");
  EXPECT_EQ(KeyToString(AddressKey{Protocol::kSctp, Ip("fd00::1"), 80}), "sctp [fd00::1]:80");
}

TEST(SchedulerTest, NamesRoundTrip) {
  for (auto name : {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf",
                    "mh", "twos", "random"}) {
    auto s = ParseScheduler(name);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_EQ(SchedulerName(*s), name);
  }
  EXPECT_FALSE(ParseScheduler("wwr").has_value());
}

TEST(ProtocolTest, NumbersRoundTrip) {
  EXPECT_EQ(ProtocolNumber(Protocol::kSctp), 132);
  EXPECT_EQ(ProtocolFromNumber(17), Protocol::kUdp);
  EXPECT_FALSE(ProtocolFromNumber(1).has_value());
}

TEST(StateTest, PutKeepsDestinationsAndIteratesInKeyOrder) {
  State s;
  s.Put(Tcp("10.0.0.2", 80));
  s.Put(Tcp("10.0.0.1", 443));
  s.PutDestination(Tcp("10.0.0.1", 443).key, Dest("192.168.0.2", 443, 2));
  s.PutDestination(Tcp("10.0.0.1", 443).key, Dest("192.168.0.1", 443));
  s.Put(Tcp("10.0.0.1", 443, Scheduler::kWrr));  // Replaces attributes, keeps destinations.
  EXPECT_EQ(ToString(s),
            "tcp 10.0.0.1:443 wrr\n"
            "  -> 192.168.0.1:443 NAT weight=1\n"
            "  -> 192.168.0.2:443 NAT weight=2\n"
            "tcp 10.0.0.2:80 rr\n");
}

TEST(StateTest, EqualityCoversEveryAttribute) {
  State a, b;
  a.Put(Tcp("10.0.0.1", 80));
  b.Put(Tcp("10.0.0.1", 80));
  EXPECT_EQ(a, b);
  Service persistent = Tcp("10.0.0.1", 80);
  persistent.persistence_timeout = 300;
  b.Put(persistent);
  EXPECT_NE(a, b);
  persistent.persistence_timeout = 0;
  b.Put(persistent);
  a.PutDestination(persistent.key, Dest("10.1.0.1", 80));
  b.PutDestination(persistent.key, Dest("10.1.0.1", 80));
  EXPECT_EQ(a, b);
  Destination dr = Dest("10.1.0.1", 80);
  dr.forwarding = Forwarding::kDirectRoute;
  b.PutDestination(persistent.key, dr);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace vigil::lb
