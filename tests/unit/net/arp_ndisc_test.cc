#include "net/arp_ndisc.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "net/packet_socket.h"
#include "netns_helper.h"

namespace vigil::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

in_addr V4(const char* text) {
  in_addr a{};
  ::inet_pton(AF_INET, text, &a);
  return a;
}

in6_addr V6(const char* text) {
  in6_addr a{};
  ::inet_pton(AF_INET6, text, &a);
  return a;
}

// Expected frames were produced independently with scapy:
//   Ether(dst="ff:ff:ff:ff:ff:ff", src=MAC)/ARP(op=1, hwsrc=MAC, psrc=VIP,
//                                               hwdst="ff:ff:ff:ff:ff:ff", pdst=VIP)
TEST(GratuitousArpTest, MatchesScapyByteForByte) {
  const Bytes expected = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,
      0x0a, 0x63, 0x01, 0x64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x63, 0x01, 0x64,
  };
  Bytes frame = BuildGratuitousArp({0x02, 0x00, 0x5e, 0x10, 0x20, 0x30}, V4("10.99.1.100"));
  EXPECT_EQ(frame, expected);
  EXPECT_EQ(frame.size(), kGratuitousArpFrameSize);
}

//   Ether(dst="33:33:00:00:00:01", src=MAC)/IPv6(src=VIP, dst="ff02::1", hlim=255)/
//   ICMPv6ND_NA(R=0, S=0, O=1, tgt=VIP)/ICMPv6NDOptDstLLAddr(lladdr=MAC)
TEST(UnsolicitedNaTest, MatchesScapyByteForByteWithoutRouterFlag) {
  const Bytes expected = {
      0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x02, 0x33, 0x86, 0xdd,
      0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfd, 0x00, 0x00, 0x99, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xff, 0x02, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00,
      0xf9, 0x38, 0x20, 0x00, 0x00, 0x00, 0xfd, 0x00, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01, 0x00, 0x00, 0x5e, 0x00,
      0x02, 0x33,
  };
  Bytes frame = BuildUnsolicitedNa({0x00, 0x00, 0x5e, 0x00, 0x02, 0x33}, V6("fd00:99::100"),
                                   /*router=*/false);
  EXPECT_EQ(frame, expected);
  EXPECT_EQ(frame.size(), kUnsolicitedNaFrameSize);
}

// Same with R=1: only the flags byte (0x20 -> 0xa0) and the checksum (0xf938 -> 0x7938) change.
TEST(UnsolicitedNaTest, RouterFlagChangesFlagsAndChecksum) {
  Bytes frame = BuildUnsolicitedNa({0x00, 0x00, 0x5e, 0x00, 0x02, 0x33}, V6("fd00:99::100"),
                                   /*router=*/true);
  Bytes plain = BuildUnsolicitedNa({0x00, 0x00, 0x5e, 0x00, 0x02, 0x33}, V6("fd00:99::100"),
                                   /*router=*/false);
  ASSERT_EQ(frame.size(), plain.size());
  EXPECT_EQ(frame[56], 0x79);
  EXPECT_EQ(frame[57], 0x38);
  EXPECT_EQ(frame[58], 0xa0);
  for (std::size_t i = 0; i < frame.size(); ++i) {
    if (i == 56 || i == 58) continue;
    EXPECT_EQ(frame[i], plain[i]) << "byte " << i;
  }
}

TEST(PacketSocketTest, RejectsFrameShorterThanEthernetHeader) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs CAP_NET_RAW for AF_PACKET";
  auto sock = PacketSocket::Open();
  ASSERT_TRUE(sock.has_value()) << sock.error().ToString();
  auto r = sock->Send(1, Bytes(13, 0));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST(PacketSocketTest, GratuitousArpArrivesUnchangedOnVethPeer) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    if (std::system("ip link add va type veth peer name vb && ip link set va up && "
                    "ip link set vb up") != 0) {
      return "veth setup failed";
    }
    const int va = static_cast<int>(::if_nametoindex("va"));
    const int vb = static_cast<int>(::if_nametoindex("vb"));
    UniqueFd rx(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP)));
    if (!rx) return "receive socket failed";
    sockaddr_ll bind_to{};
    bind_to.sll_family = AF_PACKET;
    bind_to.sll_protocol = htons(ETH_P_ARP);
    bind_to.sll_ifindex = vb;
    if (::bind(rx.get(), reinterpret_cast<sockaddr*>(&bind_to), sizeof(bind_to)) != 0) {
      return "bind failed";
    }
    auto tx = PacketSocket::Open();
    if (!tx) return "open: " + tx.error().ToString();
    Bytes frame = BuildGratuitousArp({0x02, 0x00, 0x5e, 0x10, 0x20, 0x30}, V4("10.99.1.100"));
    if (auto r = tx->Send(va, frame); !r) return "send: " + r.error().ToString();
    pollfd pfd{rx.get(), POLLIN, 0};
    if (::poll(&pfd, 1, 5000) != 1) return "no frame arrived on vb";
    Bytes got(2048);
    ssize_t n = ::recv(rx.get(), got.data(), got.size(), 0);
    if (n < 0) return "recv failed";
    got.resize(static_cast<std::size_t>(n));
    if (got != frame) return "frame changed in transit (" + std::to_string(n) + " bytes)";
    return "";
  });
}

}  // namespace
}  // namespace vigil::net
