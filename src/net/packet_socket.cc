#include "net/packet_socket.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/fd.h"

namespace vigil::net {

Result<PacketSocket> PacketSocket::Open() {
  UniqueFd fd = fd::Socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
  if (!fd) return FailErrno("packet socket");
  return PacketSocket(std::move(fd));
}

Result<void> PacketSocket::Send(int ifindex, std::span<const std::uint8_t> frame) {
  if (frame.size() < ETH_HLEN) {
    return Fail(ErrorCode::kInvalidArgument, "frame shorter than an Ethernet header");
  }
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  std::memcpy(&to.sll_protocol, frame.data() + 12, 2);  // already network order
  to.sll_halen = ETH_ALEN;
  std::memcpy(to.sll_addr, frame.data(), ETH_ALEN);
  ssize_t sent;
  do {
    sent = ::sendto(fd_.get(), frame.data(), frame.size(), 0,
                    reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return FailErrno("packet send on ifindex " + std::to_string(ifindex));
  if (static_cast<std::size_t>(sent) != frame.size()) {
    return Fail(ErrorCode::kIo, "short packet send on ifindex " + std::to_string(ifindex));
  }
  return {};
}

}  // namespace vigil::net
