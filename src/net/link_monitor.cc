#include "net/link_monitor.h"

#include <linux/rtnetlink.h>

#include "net/rtnetlink.h"

namespace vigil::net {

std::optional<LinkEvent> DecodeLinkEvent(const nlmsghdr& message) {
  switch (message.nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      auto link = DecodeLink(message);
      if (!link) return std::nullopt;
      return LinkChanged{.ifindex = link->ifindex,
                         .name = link->name,
                         .up = link->up(),
                         .running = link->running(),
                         .removed = message.nlmsg_type == RTM_DELLINK,
                         .flags = link->flags,
                         .master_ifindex = link->master_ifindex};
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      auto addr = DecodeAddress(message);
      if (!addr) return std::nullopt;
      if (message.nlmsg_type == RTM_NEWADDR) {
        return AddressAdded{addr->ifindex, addr->address.family, addr->address, addr->prefix_len};
      }
      return AddressRemoved{addr->ifindex, addr->address.family, addr->address, addr->prefix_len};
    }
    default:
      return std::nullopt;
  }
}

std::vector<LinkEvent> DecodeLinkEvents(std::span<const std::uint8_t> datagram) {
  std::vector<LinkEvent> events;
  ForEachNetlinkMessage(datagram, [&](const nlmsghdr& m) {
    if (auto e = DecodeLinkEvent(m)) events.push_back(std::move(*e));
  });
  return events;
}

Result<LinkMonitor> LinkMonitor::Open(ReceiveBuffer receive_buffer) {
  const unsigned groups[] = {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR};
  auto socket = NetlinkSocket::Open(NETLINK_ROUTE, groups, receive_buffer);
  if (!socket) return std::unexpected(socket.error());
  return LinkMonitor(std::move(*socket));
}

Result<LinkEventBatch> LinkMonitor::Poll() {
  LinkEventBatch batch;
  auto outcome = socket_.ReceivePending([&](const nlmsghdr& m) {
    if (auto e = DecodeLinkEvent(m)) batch.events.push_back(std::move(*e));
  });
  if (!outcome) return std::unexpected(outcome.error());
  batch.resync_needed = *outcome == ReceiveOutcome::kOverrun;
  return batch;
}

}  // namespace vigil::net
