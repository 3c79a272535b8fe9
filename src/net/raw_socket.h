// VrrpSocket: raw IP sockets for VRRP adverts (IP protocol 112, or 51 for AH).
//
// Senders: IPv4 uses IP_HDRINCL (the caller builds the IP header); IPv6 lets the kernel build
// the header and compute the checksum (IPV6_CHECKSUM at offset 6), hop limit 255. Senders
// never receive (an always-drop socket filter). Receivers are either multicast (join the
// group on one interface, bind to the group) or unicast (IP_FREEBIND, bind to the local
// source address), and report source, destination, ifindex and TTL / hop limit.
#ifndef VIGIL_NET_RAW_SOCKET_H_
#define VIGIL_NET_RAW_SOCKET_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "net/netlink.h"

namespace vigil::net {

inline constexpr int kIpProtoVrrp = 112;
inline constexpr int kIpProtoAh = 51;

// Returns 224.0.0.18 (AF_INET) or ff02::12 (AF_INET6).
RawAddress VrrpMulticastGroup(int family);

struct VrrpSendOptions {
  int family = AF_INET;
  int protocol = kIpProtoVrrp;
  // Interface to send on (SO_BINDTODEVICE, and IP(V6)_MULTICAST_IF when multicast); 0: none.
  int ifindex = 0;
  // Multicast sending: sets the multicast interface, disables multicast loopback and (IPv6)
  // sets IPV6_MULTICAST_HOPS 255. IPV6_UNICAST_HOPS 255 is always set for IPv6.
  bool multicast = true;
};

struct VrrpReceiveOptions {
  int family = AF_INET;
  int protocol = kIpProtoVrrp;
  // Interface to receive on (SO_BINDTODEVICE; multicast membership). Required for multicast.
  int ifindex = 0;
  // Unicast mode when set: bind to this local address (IP_FREEBIND, so it need not exist yet).
  std::optional<RawAddress> unicast_src;
  // Multicast group to join when not unicast; unset: VrrpMulticastGroup(family).
  std::optional<RawAddress> group;
  // SO_RCVBUF in bytes; 0 leaves the kernel default.
  int receive_buffer = 0;
};

// One received packet.
struct ReceivedPacket {
  // IPv4: the whole IP datagram, header included. IPv6: the payload after the IPv6 header.
  std::vector<std::uint8_t> data;
  RawAddress source;
  RawAddress destination;  // from IP_PKTINFO / IPV6_PKTINFO
  int ifindex = 0;         // arrival interface
  int ttl = -1;            // IPv4 TTL or IPv6 hop limit; -1 if the kernel did not say
};

class VrrpSocket {
 public:
  static Result<VrrpSocket> OpenSender(const VrrpSendOptions& options);
  static Result<VrrpSocket> OpenReceiver(const VrrpReceiveOptions& options);

  int fd() const { return fd_.get(); }
  int family() const { return family_; }

  // Sends `packet` to `destination`. IPv4: `packet` must start with the IP header. IPv6:
  // `packet` is the VRRP message (its checksum is filled in by the kernel); a link-local or
  // multicast destination is scoped to the socket's interface.
  Result<void> SendTo(const RawAddress& destination, std::span<const std::uint8_t> packet);

  // Returns the next queued packet, or nullopt if none is queued (never blocks).
  Result<std::optional<ReceivedPacket>> Receive();

 private:
  VrrpSocket(UniqueFd fd, int family, int ifindex)
      : fd_(std::move(fd)), family_(family), ifindex_(ifindex) {}

  UniqueFd fd_;
  int family_;
  int ifindex_;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_RAW_SOCKET_H_
