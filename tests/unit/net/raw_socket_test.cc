#include "net/raw_socket.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "netns_helper.h"

namespace vigil::net {
namespace {

using Bytes = std::vector<std::uint8_t>;
using ::vigil::net::testing::RunCommand;

TEST(VrrpSocketTest, GroupsAreTheIanaAddresses) {
  EXPECT_EQ(VrrpMulticastGroup(AF_INET).ToString(), "224.0.0.18");
  EXPECT_EQ(VrrpMulticastGroup(AF_INET6).ToString(), "ff02::12");
}

TEST(VrrpSocketTest, MulticastReceiverNeedsAnInterface) {
  if (::geteuid() != 0) GTEST_SKIP() << "raw sockets need CAP_NET_RAW";
  VrrpReceiveOptions options;
  options.family = AF_INET;
  auto r = VrrpSocket::OpenReceiver(options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().context(), "vrrp socket: multicast needs an interface");
}

// A VRRPv2-shaped IPv4 packet with header: TTL 255, protocol 112, 10.99.1.1 -> 224.0.0.18.
Bytes Ipv4Advert() {
  Bytes p = {
      0x45, 0xc0, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0xff, 0x70, 0x00, 0x00,  // checksum by kernel
      10, 99, 1, 1, 224, 0, 0, 18,
      0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0xaa, 0xbb,  // version 2, VRID 51, prio 100, ...
  };
  return p;
}

bool WaitReadable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, 5000) == 1;
}

// Waits (up to 5 s) until interface `name` has an IPv6 link-local address.
bool WaitForLinkLocal(const char* name) {
  for (int i = 0; i < 50; ++i) {
    ifaddrs* list = nullptr;
    bool found = false;
    if (::getifaddrs(&list) == 0) {
      for (const ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET6) continue;
        if (std::string_view(a->ifa_name) != name) continue;
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
        found = IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr);
      }
      ::freeifaddrs(list);
    }
    if (found) return true;
    ::usleep(100 * 1000);
  }
  return false;
}

// Sets up a veth pair va<->vb in one namespace, both up, IPv6 DAD off, addresses on both
// ends. Both ends' addresses are local, so vb must accept packets with a local source.
std::string SetUpVeth() {
  RunCommand("echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad");
  RunCommand("echo 1 > /proc/sys/net/ipv4/conf/all/accept_local");
  RunCommand("echo 1 > /proc/sys/net/ipv4/conf/default/accept_local");
  if (std::system("ip link add va type veth peer name vb && ip link set va up && "
                  "ip link set vb up && ip addr add 10.99.1.1/24 dev va && "
                  "ip addr add 10.99.1.2/24 dev vb && ip -6 addr add fd00:99::1/64 dev va nodad && "
                  "ip -6 addr add fd00:99::2/64 dev vb nodad") != 0) {
    return "veth setup failed";
  }
  return "";
}

TEST(VrrpSocketKernelTest, Ipv4MulticastAdvertArrivesWithTtlAndInterface) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    if (auto e = SetUpVeth(); !e.empty()) return e;
    const int va = static_cast<int>(::if_nametoindex("va"));
    const int vb = static_cast<int>(::if_nametoindex("vb"));
    VrrpReceiveOptions ro;
    ro.family = AF_INET;
    ro.ifindex = vb;
    auto rx = VrrpSocket::OpenReceiver(ro);
    if (!rx) return "receiver: " + rx.error().ToString();
    VrrpSendOptions so;
    so.family = AF_INET;
    so.ifindex = va;
    auto tx = VrrpSocket::OpenSender(so);
    if (!tx) return "sender: " + tx.error().ToString();
    if (auto r = tx->SendTo(VrrpMulticastGroup(AF_INET), Ipv4Advert()); !r) {
      return "send: " + r.error().ToString();
    }
    if (!WaitReadable(rx->fd())) return "nothing received";
    auto got = rx->Receive();
    if (!got || !got->has_value()) return "receive failed";
    const ReceivedPacket& p = **got;
    if (p.data.size() != 28) return "size " + std::to_string(p.data.size());
    const Bytes sent = Ipv4Advert();
    if (Bytes(p.data.begin() + 20, p.data.end()) != Bytes(sent.begin() + 20, sent.end())) {
      return "payload changed";
    }
    if (p.ttl != 255) return "ttl " + std::to_string(p.ttl);
    if (p.ifindex != vb) return "ifindex " + std::to_string(p.ifindex);
    if (p.source.ToString() != "10.99.1.1") return "source " + p.source.ToString();
    if (p.destination.ToString() != "224.0.0.18") return "dest " + p.destination.ToString();
    auto none = rx->Receive();
    if (!none || none->has_value()) return "second receive should be empty";
    return "";
  });
}

TEST(VrrpSocketKernelTest, Ipv6MulticastAdvertHasHopLimit255AndKernelChecksum) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    if (auto e = SetUpVeth(); !e.empty()) return e;
    const int va = static_cast<int>(::if_nametoindex("va"));
    const int vb = static_cast<int>(::if_nametoindex("vb"));
    VrrpReceiveOptions ro;
    ro.family = AF_INET6;
    ro.ifindex = vb;
    auto rx = VrrpSocket::OpenReceiver(ro);
    if (!rx) return "receiver: " + rx.error().ToString();
    VrrpSendOptions so;
    so.family = AF_INET6;
    so.ifindex = va;
    auto tx = VrrpSocket::OpenSender(so);
    if (!tx) return "sender: " + tx.error().ToString();
    // VRRPv3: version 3 type 1, VRID 51, prio 100, 0 addrs, max adver int 100cs, checksum 0.
    const Bytes advert = {0x31, 0x33, 0x64, 0x00, 0x00, 0x64, 0x00, 0x00};
    // The link-local source takes a moment to appear even without DAD: until it has, the
    // kernel picks fd00:99::1. Wait (bounded) for it, then retry the send, bounded too.
    if (!WaitForLinkLocal("va")) return "va never got a link-local address";
    bool sent = false;
    for (int i = 0; i < 50 && !sent; ++i) {
      sent = tx->SendTo(VrrpMulticastGroup(AF_INET6), advert).has_value();
      if (!sent) ::usleep(100 * 1000);
    }
    if (!sent) return "send never succeeded";
    if (!WaitReadable(rx->fd())) return "nothing received";
    auto got = rx->Receive();
    if (!got || !got->has_value()) return "receive failed";
    const ReceivedPacket& p = **got;
    if (p.data.size() != 8) return "size " + std::to_string(p.data.size());
    if (p.data[6] == 0 && p.data[7] == 0) return "kernel did not fill the checksum";
    if (p.ttl != 255) return "hop limit " + std::to_string(p.ttl);
    if (p.ifindex != vb) return "ifindex " + std::to_string(p.ifindex);
    if (p.destination.ToString() != "ff02::12") return "dest " + p.destination.ToString();
    if (p.source.ToString().rfind("fe80:", 0) != 0) return "source " + p.source.ToString();
    return "";
  });
}

// Both addresses are local to the one namespace, so the packet travels over lo: no interface
// binding here, only address demultiplexing.
TEST(VrrpSocketKernelTest, UnicastReceiverBindsToAbsentAddressWithFreebind) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    if (auto e = SetUpVeth(); !e.empty()) return e;
    if (std::system("ip link set lo up") != 0) return "lo up failed";
    VrrpReceiveOptions ro;
    ro.family = AF_INET;
    ro.unicast_src = *RawAddress::Parse("10.99.1.200");  // not configured anywhere
    auto rx = VrrpSocket::OpenReceiver(ro);
    if (!rx) return "freebind receiver: " + rx.error().ToString();
    VrrpReceiveOptions bound;
    bound.family = AF_INET;
    bound.unicast_src = *RawAddress::Parse("10.99.1.2");
    auto rx2 = VrrpSocket::OpenReceiver(bound);
    if (!rx2) return "receiver: " + rx2.error().ToString();
    VrrpSendOptions so;
    so.family = AF_INET;
    so.multicast = false;
    auto tx = VrrpSocket::OpenSender(so);
    if (!tx) return "sender: " + tx.error().ToString();
    Bytes packet = Ipv4Advert();
    packet[16] = 10; packet[17] = 99; packet[18] = 1; packet[19] = 2;  // to 10.99.1.2
    if (auto r = tx->SendTo(*RawAddress::Parse("10.99.1.2"), packet); !r) {
      return "send: " + r.error().ToString();
    }
    if (!WaitReadable(rx2->fd())) return "unicast not received";
    auto got = rx2->Receive();
    if (!got || !got->has_value()) return "receive failed";
    if ((*got)->destination.ToString() != "10.99.1.2") return "dest " + (*got)->destination.ToString();
    auto other = rx->Receive();
    if (!other || other->has_value()) return "socket bound elsewhere saw the packet";
    return "";
  });
}

}  // namespace
}  // namespace vigil::net
