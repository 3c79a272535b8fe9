// PacketSocket: an AF_PACKET socket that sends complete Ethernet frames (GARP, NA) on a
// chosen interface. It is opened with protocol 0, so it never receives anything.
#ifndef VIGIL_NET_PACKET_SOCKET_H_
#define VIGIL_NET_PACKET_SOCKET_H_

#include <cstdint>
#include <span>

#include "base/error.h"
#include "base/unique_fd.h"

namespace vigil::net {

class PacketSocket {
 public:
  // Opens AF_PACKET/SOCK_RAW (needs CAP_NET_RAW), O_CLOEXEC | O_NONBLOCK.
  static Result<PacketSocket> Open();

  int fd() const { return fd_.get(); }

  // Sends `frame` (starting with the Ethernet header) out of interface `ifindex`. The
  // ethertype for the link-layer address is taken from the frame. Fails with kInvalidArgument
  // for a frame shorter than an Ethernet header.
  Result<void> Send(int ifindex, std::span<const std::uint8_t> frame);

 private:
  explicit PacketSocket(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_PACKET_SOCKET_H_
