// LinkMonitor: the rtnetlink subscriber that reports interface and address changes
// (links going up/down or away, addresses added or removed behind vigil's back).
#ifndef VIGIL_NET_LINK_MONITOR_H_
#define VIGIL_NET_LINK_MONITOR_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/error.h"
#include "net/netlink.h"

namespace vigil::net {

// An interface appeared, changed or (removed = true) disappeared.
struct LinkChanged {
  int ifindex = 0;
  std::string name;
  bool up = false;       // IFF_UP
  bool running = false;  // IFF_RUNNING
  bool removed = false;  // RTM_DELLINK
  std::uint32_t flags = 0;  // every IFF_* flag (IFF_NOARP, ...), IFF_UP / IFF_RUNNING included
  int master_ifindex = 0;   // IFLA_MASTER (a VRF, bridge or bond it is enslaved to), 0 if none
  friend bool operator==(const LinkChanged&, const LinkChanged&) = default;
};

struct AddressAdded {
  int ifindex = 0;
  int family = 0;  // AF_INET or AF_INET6
  RawAddress address;
  std::uint8_t prefix = 0;
  friend bool operator==(const AddressAdded&, const AddressAdded&) = default;
};

struct AddressRemoved {
  int ifindex = 0;
  int family = 0;
  RawAddress address;
  std::uint8_t prefix = 0;
  friend bool operator==(const AddressRemoved&, const AddressRemoved&) = default;
};

using LinkEvent = std::variant<LinkChanged, AddressAdded, AddressRemoved>;

// Decodes one rtnetlink notification; nullopt for messages that are not link/address events
// or are malformed.
std::optional<LinkEvent> DecodeLinkEvent(const nlmsghdr& message);
// Decodes every event in one received datagram, in order.
std::vector<LinkEvent> DecodeLinkEvents(std::span<const std::uint8_t> datagram);

// What one Poll() found.
struct LinkEventBatch {
  std::vector<LinkEvent> events;
  // The kernel dropped notifications: the caller must re-read links and addresses (dump).
  bool resync_needed = false;
};

// A NETLINK_ROUTE socket subscribed to RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and
// RTNLGRP_IPV6_IFADDR. Move-only, not thread-safe.
class LinkMonitor {
 public:
  static Result<LinkMonitor> Open(ReceiveBuffer receive_buffer = NetlinkSocket::kDefaultReceiveBuffer);

  // Returns the descriptor to watch for readability in an event loop.
  int fd() const { return socket_.fd(); }
  // Reads everything queued now without blocking and returns the decoded events.
  Result<LinkEventBatch> Poll();

 private:
  explicit LinkMonitor(NetlinkSocket socket) : socket_(std::move(socket)) {}
  NetlinkSocket socket_;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_LINK_MONITOR_H_
