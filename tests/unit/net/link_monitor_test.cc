#include "net/link_monitor.h"

#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "net/rtnetlink.h"
#include "netns_helper.h"

namespace vigil::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A kernel-style RTM_NEWLINK/RTM_DELLINK notification for interface 5 "eth1".
Bytes LinkNotification(std::uint16_t type, std::uint32_t flags) {
  return {
      44, 0, 0, 0,  static_cast<std::uint8_t>(type), 0,  0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
      0, 0, 1, 0,  5, 0, 0, 0,                                  // AF_UNSPEC, ARPHRD_ETHER, index 5
      static_cast<std::uint8_t>(flags), static_cast<std::uint8_t>(flags >> 8), 0, 0,
      0xff, 0xff, 0xff, 0xff,                                   // change
      9, 0, 3, 0,  'e', 't', 'h', '1', 0, 0, 0, 0,              // IFLA_IFNAME
  };
}

// A kernel-style RTM_NEWADDR/RTM_DELADDR notification: 10.99.1.100/24 on interface 5.
Bytes AddressNotification(std::uint16_t type) {
  return {
      40, 0, 0, 0,  static_cast<std::uint8_t>(type), 0,  0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
      2, 24, 0x80, 0,  5, 0, 0, 0,           // AF_INET /24 IFA_F_PERMANENT scope 0 index 5
      8, 0, 1, 0,  10, 99, 1, 100,           // IFA_ADDRESS
      8, 0, 2, 0,  10, 99, 1, 100,           // IFA_LOCAL
  };
}

TEST(LinkMonitorDecodeTest, NewLinkBecomesLinkChanged) {
  Bytes m = LinkNotification(RTM_NEWLINK, IFF_UP | IFF_RUNNING | IFF_BROADCAST);
  auto events = DecodeLinkEvents(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<LinkChanged>(events[0]),
            (LinkChanged{5, "eth1", true, true, false, IFF_UP | IFF_RUNNING | IFF_BROADCAST, 0}));
}

TEST(LinkMonitorDecodeTest, UpButNotRunningIsReported) {
  Bytes m = LinkNotification(RTM_NEWLINK, IFF_UP);
  auto events = DecodeLinkEvents(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<LinkChanged>(events[0]),
            (LinkChanged{5, "eth1", true, false, false, IFF_UP, 0}));
}

TEST(LinkMonitorDecodeTest, DelLinkIsMarkedRemoved) {
  Bytes m = LinkNotification(RTM_DELLINK, 0);
  auto events = DecodeLinkEvents(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<LinkChanged>(events[0]), (LinkChanged{5, "eth1", false, false, true, 0, 0}));
}

TEST(LinkMonitorDecodeTest, AddressEventsCarryFamilyAddressAndPrefix) {
  Bytes datagram = AddressNotification(RTM_NEWADDR);
  Bytes del = AddressNotification(RTM_DELADDR);
  datagram.insert(datagram.end(), del.begin(), del.end());
  auto events = DecodeLinkEvents(datagram);
  ASSERT_EQ(events.size(), 2u);
  const RawAddress vip = *RawAddress::Parse("10.99.1.100");
  EXPECT_EQ(std::get<AddressAdded>(events[0]), (AddressAdded{5, AF_INET, vip, 24}));
  EXPECT_EQ(std::get<AddressRemoved>(events[1]), (AddressRemoved{5, AF_INET, vip, 24}));
}

TEST(LinkMonitorDecodeTest, OtherMessagesAreIgnored) {
  Bytes route = BuildRouteRequest(ChangeOp::kAdd, RouteSpec{});
  EXPECT_TRUE(DecodeLinkEvents(route).empty());
  Bytes truncated = AddressNotification(RTM_NEWADDR);
  truncated[0] = 20;  // shorter than ifaddrmsg
  EXPECT_TRUE(DecodeLinkEvents(truncated).empty());
}

TEST(LinkMonitorKernelTest, ReportsLinkAndAddressChanges) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    auto monitor = LinkMonitor::Open();
    if (!monitor) return "open: " + monitor.error().ToString();
    if (monitor->fd() < 0) return "no fd";
    auto cmd = NetlinkSocket::Open(NETLINK_ROUTE);
    if (!cmd) return "open cmd";
    Rtnetlink rt(*cmd);
    if (auto r = rt.SetLinkUp(1, true); !r) return "lo up: " + r.error().ToString();
    AddressSpec spec;
    spec.ifindex = 1;
    spec.address = *RawAddress::Parse("10.99.7.7");
    spec.prefix_len = 32;
    if (auto r = rt.AddAddress(spec); !r) return "add: " + r.error().ToString();
    if (auto r = rt.DeleteAddress(spec); !r) return "del: " + r.error().ToString();
    auto batch = monitor->Poll();
    if (!batch) return "poll: " + batch.error().ToString();
    if (batch->resync_needed) return "unexpected overrun";
    bool saw_up = false, saw_add = false, saw_del = false;
    for (const auto& e : batch->events) {
      if (auto* l = std::get_if<LinkChanged>(&e); l && l->ifindex == 1 && l->name == "lo" && l->up)
        saw_up = true;
      if (auto* a = std::get_if<AddressAdded>(&e); a && a->address == spec.address && a->prefix == 32)
        saw_add = true;
      if (auto* d = std::get_if<AddressRemoved>(&e); d && d->address == spec.address) saw_del = true;
    }
    if (!saw_up || !saw_add || !saw_del) {
      return "events missing: up=" + std::to_string(saw_up) + " add=" + std::to_string(saw_add) +
             " del=" + std::to_string(saw_del);
    }
    auto again = monitor->Poll();
    if (!again || !again->events.empty()) return "second poll not empty";
    return "";
  });
}

}  // namespace
}  // namespace vigil::net
