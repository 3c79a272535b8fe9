// Conntrack over ctnetlink (NETLINK_NETFILTER, NFNL_SUBSYS_CTNETLINK): counting the
// connections that reach one server through destination NAT.
//
// The dump request is IPCTNL_MSG_CT_GET with NLM_F_REQUEST | NLM_F_DUMP, an nfgenmsg of the
// server's family, and a filter on the reply tuple, which the kernel (5.9 and later) applies
// before it answers:
//
//   CTA_TUPLE_REPLY (nested)                 CTA_FILTER (nested)
//     CTA_TUPLE_IP (nested)                    CTA_FILTER_REPLY_FLAGS u32:
//       CTA_IP_V4_SRC be32 | V6_SRC 16 bytes      IP_SRC [| PROTO_NUM [| PROTO_SRC_PORT]]
//     CTA_TUPLE_PROTO (nested)
//       CTA_PROTO_NUM      u8 (when the protocol is known: not for fwmark services)
//       CTA_PROTO_SRC_PORT be16 (when the port is known too)
//
// Every answer is parsed and matched again here, so an older kernel that ignores the filter
// costs time, never a wrong count.
#ifndef VIGIL_NET_CONNTRACK_H_
#define VIGIL_NET_CONNTRACK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/error.h"
#include "net/netlink.h"

namespace vigil::net::conntrack {

// One endpoint pair of a conntrack tuple.
struct Tuple {
  RawAddress source;
  RawAddress destination;
  uint16_t source_port = 0;  // host order; 0 for protocols without ports
  uint16_t destination_port = 0;
};

// What one conntrack entry says (only what counting needs).
struct Entry {
  uint8_t protocol = 0;  // IPPROTO_*
  Tuple original;        // as the client sent it (to the virtual address)
  Tuple reply;           // as the server answers (from the real server, after DNAT)
  uint32_t status = 0;   // IPS_* bits
  std::optional<uint8_t> tcp_state;  // TCP_CONNTRACK_*, for TCP entries
};

// Which entries count as connections of one real server: destination-NATed to `server`
// (the reply's source) on `protocol` (0: any, and then any port), at `server_port` unless it
// is 0 (any port), and, when
// `virtual_address` is set, sent to it at `virtual_port` (0: any port).
struct ServerMatch {
  RawAddress server;
  uint16_t server_port = 0;
  uint8_t protocol = 0;
  std::optional<RawAddress> virtual_address;
  uint16_t virtual_port = 0;
};

// Returns the dump request filtered on the reply tuple of `match` (see the file comment);
// seq and pid are 0 (the transport stamps them).
std::vector<uint8_t> BuildServerDump(const ServerMatch& match);

// Parses one message of a conntrack dump (IPCTNL_MSG_CT_NEW under NFNL_SUBSYS_CTNETLINK).
Result<Entry> ParseEntry(const nlmsghdr& message);

// Returns true if `entry` is a connection of `match` that is still open: destination-NATed,
// its tuples as `match` says, and for TCP not in TIME_WAIT or CLOSE (the connection is over;
// the entry only waits to expire).
bool IsOpenConnection(const Entry& entry, const ServerMatch& match);

// Dumps conntrack through `transport` and returns how many entries are open connections of
// `match`.
Result<size_t> CountOpenConnections(NetlinkTransport& transport, const ServerMatch& match);

}  // namespace vigil::net::conntrack

#endif  // VIGIL_NET_CONNTRACK_H_
