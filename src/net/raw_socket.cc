#include "net/raw_socket.h"

#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/fd.h"

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

namespace vigil::net {
namespace {

constexpr std::size_t kMaxPacket = 65535;

Result<void> SetInt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return FailErrno(std::string("vrrp socket ") + what);
  }
  return {};
}

Result<void> BindToDevice(int fd, int ifindex) {
  char name[IF_NAMESIZE] = {};
  if (::if_indextoname(static_cast<unsigned>(ifindex), name) == nullptr) {
    return FailErrno("vrrp socket: interface index " + std::to_string(ifindex));
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                   static_cast<socklen_t>(std::strlen(name) + 1)) != 0) {
    return FailErrno(std::string("vrrp socket SO_BINDTODEVICE ") + name);
  }
  return {};
}

// Fills `storage` with a socket address for `address`, scoped to `ifindex` where IPv6 needs
// a scope (link-local unicast, link- or interface-local multicast). Returns its length.
socklen_t MakeSockaddr(const RawAddress& address, int ifindex, sockaddr_storage* storage) {
  std::memset(storage, 0, sizeof(*storage));
  if (address.family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(storage);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, address.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(storage);
  sin6->sin6_family = AF_INET6;
  std::memcpy(&sin6->sin6_addr, address.bytes.data(), 16);
  if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&sin6->sin6_addr) ||
      IN6_IS_ADDR_MC_NODELOCAL(&sin6->sin6_addr)) {
    sin6->sin6_scope_id = static_cast<std::uint32_t>(ifindex);
  }
  return sizeof(sockaddr_in6);
}

Result<UniqueFd> OpenRaw(int family, int protocol) {
  if (family != AF_INET && family != AF_INET6) {
    return Fail(ErrorCode::kInvalidArgument, "vrrp socket: family must be AF_INET or AF_INET6");
  }
  UniqueFd fd = fd::Socket(family, SOCK_RAW | SOCK_NONBLOCK, protocol);
  if (!fd) return FailErrno("vrrp raw socket");
  return fd;
}

#define VIGIL_TRY(expr)                                   \
  do {                                                    \
    if (auto vigil_r_ = (expr); !vigil_r_) {              \
      return std::unexpected(std::move(vigil_r_).error()); \
    }                                                     \
  } while (0)

}  // namespace

RawAddress VrrpMulticastGroup(int family) {
  if (family == AF_INET6) return *RawAddress::Parse("ff02::12");
  return *RawAddress::Parse("224.0.0.18");
}

Result<VrrpSocket> VrrpSocket::OpenSender(const VrrpSendOptions& options) {
  auto opened = OpenRaw(options.family, options.protocol);
  if (!opened) return std::unexpected(opened.error());
  UniqueFd fd = std::move(*opened);
  const int s = fd.get();

  if (options.family == AF_INET) {
    VIGIL_TRY(SetInt(s, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL"));
    VIGIL_TRY(SetInt(s, IPPROTO_IP, IP_HDRINCL, 1, "IP_HDRINCL"));
  } else {
    (void)SetInt(s, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL");  // kernel >= 4.20
    VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_CHECKSUM, 6, "IPV6_CHECKSUM"));
    VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS"));
    VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_TCLASS, 0xc0, "IPV6_TCLASS"));
    if (options.multicast) {
      VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS"));
    }
  }
  if (options.ifindex != 0) {
    VIGIL_TRY(BindToDevice(s, options.ifindex));
    if (options.multicast) {
      if (options.family == AF_INET) {
        ip_mreqn mreq{};
        mreq.imr_ifindex = options.ifindex;
        if (::setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) != 0) {
          return FailErrno("vrrp socket IP_MULTICAST_IF");
        }
        VIGIL_TRY(SetInt(s, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP"));
      } else {
        VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, options.ifindex, "IPV6_MULTICAST_IF"));
        VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP"));
      }
    }
  }
  // A send socket never reads: drop everything before it is queued.
  sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  sock_fprog program{1, drop_all};
  if (::setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) != 0) {
    return FailErrno("vrrp socket SO_ATTACH_FILTER");
  }
  return VrrpSocket(std::move(fd), options.family, options.ifindex);
}

Result<VrrpSocket> VrrpSocket::OpenReceiver(const VrrpReceiveOptions& options) {
  auto opened = OpenRaw(options.family, options.protocol);
  if (!opened) return std::unexpected(opened.error());
  UniqueFd fd = std::move(*opened);
  const int s = fd.get();

  if (options.receive_buffer > 0) {
    VIGIL_TRY(SetInt(s, SOL_SOCKET, SO_RCVBUF, options.receive_buffer, "SO_RCVBUF"));
  }
  if (options.family == AF_INET) {
    VIGIL_TRY(SetInt(s, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL"));
    VIGIL_TRY(SetInt(s, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO"));
  } else {
    (void)SetInt(s, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL");
    VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"));
    VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"));
    VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_CHECKSUM, 6, "IPV6_CHECKSUM"));
  }
  if (options.ifindex != 0) VIGIL_TRY(BindToDevice(s, options.ifindex));

  sockaddr_storage local;
  socklen_t local_len;
  if (options.unicast_src) {
    if (options.unicast_src->family != options.family) {
      return Fail(ErrorCode::kInvalidArgument, "vrrp socket: unicast source of another family");
    }
    if (options.family == AF_INET) {
      VIGIL_TRY(SetInt(s, IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND"));
    } else {
      VIGIL_TRY(SetInt(s, IPPROTO_IPV6, IPV6_FREEBIND, 1, "IPV6_FREEBIND"));
    }
    local_len = MakeSockaddr(*options.unicast_src, options.ifindex, &local);
  } else {
    if (options.ifindex == 0) {
      return Fail(ErrorCode::kInvalidArgument, "vrrp socket: multicast needs an interface");
    }
    RawAddress group = options.group ? *options.group : VrrpMulticastGroup(options.family);
    if (group.family != options.family) {
      return Fail(ErrorCode::kInvalidArgument, "vrrp socket: multicast group of another family");
    }
    if (options.family == AF_INET) {
      ip_mreqn mreq{};
      std::memcpy(&mreq.imr_multiaddr, group.bytes.data(), 4);
      mreq.imr_ifindex = options.ifindex;
      if (::setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
        return FailErrno("vrrp socket join " + group.ToString());
      }
    } else {
      ipv6_mreq mreq{};
      std::memcpy(&mreq.ipv6mr_multiaddr, group.bytes.data(), 16);
      mreq.ipv6mr_interface = static_cast<unsigned>(options.ifindex);
      if (::setsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
        return FailErrno("vrrp socket join " + group.ToString());
      }
    }
    // Bound to the group, the socket sees multicast adverts only, not unicast ones.
    local_len = MakeSockaddr(group, options.ifindex, &local);
  }
  if (::bind(s, reinterpret_cast<const sockaddr*>(&local), local_len) != 0) {
    return FailErrno("vrrp socket bind");
  }
  return VrrpSocket(std::move(fd), options.family, options.ifindex);
}

Result<void> VrrpSocket::SendTo(const RawAddress& destination,
                                std::span<const std::uint8_t> packet) {
  if (destination.family != family_) {
    return Fail(ErrorCode::kInvalidArgument, "vrrp send: destination of another family");
  }
  sockaddr_storage to;
  socklen_t to_len = MakeSockaddr(destination, ifindex_, &to);
  ssize_t sent;
  do {
    sent = ::sendto(fd_.get(), packet.data(), packet.size(), 0,
                    reinterpret_cast<const sockaddr*>(&to), to_len);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return FailErrno("vrrp send to " + destination.ToString());
  if (static_cast<std::size_t>(sent) != packet.size()) {
    return Fail(ErrorCode::kIo, "vrrp send: short write to " + destination.ToString());
  }
  return {};
}

Result<std::optional<ReceivedPacket>> VrrpSocket::Receive() {
  ReceivedPacket packet;
  packet.data.resize(kMaxPacket);
  sockaddr_storage from{};
  alignas(cmsghdr) char control[256];
  iovec iov{packet.data.data(), packet.data.size()};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);

  ssize_t got;
  do {
    got = ::recvmsg(fd_.get(), &msg, 0);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<ReceivedPacket>();
    return FailErrno("vrrp receive");
  }
  packet.data.resize(static_cast<std::size_t>(got));

  if (from.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&from);
    packet.source = RawAddress::FromBytes(&sin->sin_addr, 4);
  } else if (from.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&from);
    packet.source = RawAddress::FromBytes(&sin6->sin6_addr, 16);
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      packet.ifindex = info.ipi_ifindex;
      packet.destination = RawAddress::FromBytes(&info.ipi_addr, 4);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      packet.ifindex = static_cast<int>(info.ipi6_ifindex);
      packet.destination = RawAddress::FromBytes(&info.ipi6_addr, 16);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      int hops;
      std::memcpy(&hops, CMSG_DATA(c), sizeof(hops));
      packet.ttl = hops;
    }
  }
  if (family_ == AF_INET && packet.data.size() >= 20) packet.ttl = packet.data[8];
  return std::optional<ReceivedPacket>(std::move(packet));
}

}  // namespace vigil::net
