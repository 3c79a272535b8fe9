// rtnetlink: links, addresses, routes, rules and macvlan (VMAC) interfaces.
//
// Each kernel operation has a pure builder returning the complete request message as bytes
// (nlmsg_seq = 0, nlmsg_pid = 0; the transport stamps the sequence) and, for queries, a pure
// decoder of the kernel's reply. Rtnetlink runs them through an injected NetlinkTransport.
#ifndef VIGIL_NET_RTNETLINK_H_
#define VIGIL_NET_RTNETLINK_H_

#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "net/netlink.h"

namespace vigil::net {

using MacAddress = std::array<std::uint8_t, 6>;

// Whether a builder makes an "add" (create, fail if present) or a "delete" request.
enum class ChangeOp { kAdd, kDelete };

// ---------------------------------------------------------------------------------------
// Addresses

// An address to add to or delete from an interface (ip addr add/del).
struct AddressSpec {
  int ifindex = 0;
  RawAddress address;
  // 0 means the full length of the family (32 or 128).
  std::uint8_t prefix_len = 0;
  // IPv4 only: IFA_BROADCAST (add only).
  std::optional<RawAddress> broadcast;
  // Point-to-point peer: sent as IFA_ADDRESS instead of the local address.
  std::optional<RawAddress> peer;
  std::uint8_t scope = RT_SCOPE_UNIVERSE;
  // IPv4 only: IFA_LABEL ("eth0:vip"); empty for none (add only).
  std::string label;
  // IFA_F_* flags sent as IFA_FLAGS (add only).
  std::uint32_t flags = 0;
  // IPv6 add only: adds IFA_F_NODAD so a VIP is usable at once and can never be stuck in
  // "dadfailed" after a transient split brain (keepalived does the same unless told not to).
  bool ipv6_nodad = true;
  // IPv6 add only: preferred lifetime in seconds (0 marks the address deprecated so that it
  // is not chosen as a source address); unset leaves the kernel's default (forever).
  std::optional<std::uint32_t> ipv6_preferred_lifetime;
};

// An address as reported by the kernel (ip addr show).
struct AddressInfo {
  int ifindex = 0;
  RawAddress address;  // IFA_LOCAL, or IFA_ADDRESS where there is no IFA_LOCAL (IPv6)
  std::uint8_t prefix_len = 0;
  std::uint8_t scope = 0;
  std::uint32_t flags = 0;  // IFA_FLAGS if present, else ifa_flags
  std::string label;
  std::optional<RawAddress> broadcast;
  std::optional<RawAddress> peer;  // IFA_ADDRESS when it differs from IFA_LOCAL

  friend bool operator==(const AddressInfo&, const AddressInfo&) = default;
};

// Returns RTM_NEWADDR (NLM_F_CREATE | NLM_F_EXCL) or RTM_DELADDR for `spec`.
std::vector<std::uint8_t> BuildAddressRequest(ChangeOp op, const AddressSpec& spec);
// Returns an RTM_GETADDR dump request for `family` (AF_UNSPEC for both).
std::vector<std::uint8_t> BuildAddressDump(int family);
// Decodes an RTM_NEWADDR / RTM_DELADDR message; nullopt for any other or malformed message.
std::optional<AddressInfo> DecodeAddress(const nlmsghdr& message);

// ---------------------------------------------------------------------------------------
// Links

// A network interface as reported by the kernel (ip link show).
struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::uint32_t flags = 0;  // IFF_*
  std::vector<std::uint8_t> mac;  // IFLA_ADDRESS (6 bytes for Ethernet, empty if none)
  std::uint32_t mtu = 0;
  int parent_ifindex = 0;  // IFLA_LINK (the lower device of a macvlan or veth peer), 0 if none
  std::string kind;        // IFLA_INFO_KIND ("veth", "macvlan", "bridge"), empty if none
  int master_ifindex = 0;  // IFLA_MASTER (a bridge, bond or VRF it is enslaved to), 0 if none
  std::uint32_t group = 0;  // IFLA_GROUP (the interface group; 0 is "default")

  bool up() const;       // IFF_UP
  bool running() const;  // IFF_RUNNING
  friend bool operator==(const LinkInfo&, const LinkInfo&) = default;
};

// Returns an RTM_GETLINK request for the interface named `name`.
std::vector<std::uint8_t> BuildGetLinkByName(std::string_view name);
// Returns an RTM_GETLINK request for interface `ifindex`.
std::vector<std::uint8_t> BuildGetLinkByIndex(int ifindex);
// Returns an RTM_GETLINK dump request for every interface.
std::vector<std::uint8_t> BuildLinkDump();
// Returns an RTM_NEWLINK request that sets (`up`) or clears IFF_UP on `ifindex`.
std::vector<std::uint8_t> BuildSetLinkUp(int ifindex, bool up);
// Returns an RTM_DELLINK request for `ifindex`.
std::vector<std::uint8_t> BuildDeleteLink(int ifindex);
// Returns an RTM_NEWLINK request that enslaves `ifindex` to `master_ifindex` (a VRF, ...),
// or frees it from its master when that is 0 (`ip link set IF master M` / `nomaster`).
std::vector<std::uint8_t> BuildSetLinkMaster(int ifindex, int master_ifindex);
// Decodes an RTM_NEWLINK / RTM_DELLINK message; nullopt for any other or malformed message.
std::optional<LinkInfo> DecodeLink(const nlmsghdr& message);

// A macvlan to create for a VMAC (keepalived's use_vmac).
struct MacvlanSpec {
  std::string name;  // e.g. "vrrp.51"
  int parent_ifindex = 0;
  MacAddress mac{};  // 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6
  std::uint32_t mode = MACVLAN_MODE_PRIVATE;
  int master_ifindex = 0;  // IFLA_MASTER (the parent's VRF), 0: none
  std::uint32_t group = 0;  // IFLA_GROUP, sent unless 0 (the kernel's default group)
};

// Returns an RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL) request creating the macvlan.
std::vector<std::uint8_t> BuildMacvlanCreate(const MacvlanSpec& spec);
// An L2 ipvlan to create (keepalived's use_ipvlan): it shares its parent's MAC.
struct IpvlanSpec {
  std::string name;
  int parent_ifindex = 0;
  std::uint16_t flags = 0;  // IFLA_IPVLAN_FLAGS: 0 (bridge), IPVLAN_F_PRIVATE or IPVLAN_F_VEPA
  int master_ifindex = 0;   // IFLA_MASTER (the parent's VRF), 0: none
  std::uint32_t group = 0;  // IFLA_GROUP, sent unless 0 (the kernel's default group)
};

// Returns an RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL) request creating the ipvlan, up, in
// mode l2.
std::vector<std::uint8_t> BuildIpvlanCreate(const IpvlanSpec& spec);

// Returns the VRRP virtual MAC of `vrid` for `family`: 00:00:5e:00:01:VRID (AF_INET) or
// 00:00:5e:00:02:VRID (AF_INET6).
MacAddress VrrpVirtualMac(int family, std::uint8_t vrid);

// ---------------------------------------------------------------------------------------
// Routes and rules

// A route (ip route add/del). Unset optionals are left out of the message.
// One path of a multipath route (`nexthop via GW dev IF weight W onlink realms R`).
struct Nexthop {
  std::optional<RawAddress> gateway;
  int oif = 0;
  std::uint8_t hops = 0;    // rtnh_hops: the weight less one
  std::uint8_t flags = 0;   // RTNH_F_ONLINK
  std::uint32_t realms = 0; // RTA_FLOW (0: none)
};

struct RouteSpec {
  int family = AF_INET;
  std::optional<RawAddress> dst;  // unset: default route
  std::uint8_t dst_len = 0;
  std::optional<RawAddress> gateway;
  int oif = 0;  // 0: none
  std::uint32_t table = RT_TABLE_MAIN;
  std::optional<std::uint32_t> metric;  // RTA_PRIORITY
  std::optional<RawAddress> prefsrc;    // "src"
  // Unset: as iproute2 picks it (add: link scope without a gateway, else universe; delete:
  // RT_SCOPE_NOWHERE, which matches any scope).
  std::optional<std::uint8_t> scope;
  std::uint8_t protocol = RTPROT_BOOT;
  std::uint8_t type = RTN_UNICAST;
  std::uint32_t flags = 0;  // rtm_flags on an add: RTNH_F_ONLINK ("onlink")
  // RTA_METRICS on an add: RTAX_* -> value ("mtu 1400": RTAX_MTU -> 1400; RTAX_LOCK the
  // bits of the locked ones), sent in RTAX order, and the congestion control algorithm
  // (RTAX_CC_ALGO, "" none).
  std::vector<std::pair<std::uint16_t, std::uint32_t>> metrics;
  std::string congctl;
  std::uint8_t tos = 0;
  std::uint32_t realms = 0;           // RTA_FLOW (0: none)
  std::optional<std::uint8_t> pref;   // RTA_PREF (IPv6 router preference)
  bool append = false;                // NLM_F_APPEND, not NLM_F_EXCL ("append")
  std::vector<Nexthop> nexthops;      // RTA_MULTIPATH (none: a single path)
};

// Returns RTM_NEWROUTE (NLM_F_CREATE | NLM_F_EXCL) or RTM_DELROUTE for `spec`.
std::vector<std::uint8_t> BuildRouteRequest(ChangeOp op, const RouteSpec& spec);

// A route as reported by the kernel (ip route show table all).
struct RouteInfo {
  int family = AF_INET;
  std::optional<RawAddress> dst;  // unset: default route
  std::uint8_t dst_len = 0;
  std::uint32_t table = 0;  // RTA_TABLE, else rtm_table
  std::uint8_t protocol = 0;
  std::uint8_t type = 0;
  int oif = 0;

  friend bool operator==(const RouteInfo&, const RouteInfo&) = default;
};

// Returns an RTM_GETROUTE dump request for `family` (AF_UNSPEC for both).
std::vector<std::uint8_t> BuildRouteDump(int family);
// Decodes an RTM_NEWROUTE / RTM_DELROUTE message; nullopt for any other or malformed message.
std::optional<RouteInfo> DecodeRoute(const nlmsghdr& message);

// A policy-routing rule (ip rule add/del).
struct RuleSpec {
  int family = AF_INET;
  std::optional<RawAddress> src;  // "from"
  std::uint8_t src_len = 0;
  std::optional<RawAddress> dst;  // "to"
  std::uint8_t dst_len = 0;
  std::uint32_t table = RT_TABLE_MAIN;
  std::optional<std::uint32_t> priority;
  std::optional<std::uint32_t> fwmark;
  std::optional<std::uint32_t> fwmask;
  std::string iifname;  // "iif" / "dev": packets arriving on this interface ("" = any)
  std::optional<std::uint8_t> protocol;  // FRA_PROTOCOL, who made it (unset: none sent)
  // What a match does: FR_ACT_TO_TBL (look up `table`), FR_ACT_GOTO (`goto_target`),
  // FR_ACT_NOP, FR_ACT_BLACKHOLE, FR_ACT_UNREACHABLE or FR_ACT_PROHIBIT.
  std::uint8_t action = FR_ACT_TO_TBL;
  std::uint32_t goto_target = 0;
  bool invert = false;        // "not": FIB_RULE_INVERT
  std::uint8_t tos = 0;
  std::string oifname;        // "oif": packets leaving by this interface ("" = any)
  bool l3mdev = false;        // look up the l3mdev's (VRF's) table
  std::optional<std::uint32_t> suppress_prefixlen;
  std::optional<std::uint32_t> suppress_ifgroup;
  std::optional<std::pair<std::uint32_t, std::uint32_t>> uid_range;  // first, last
  std::optional<std::uint8_t> ip_proto;
  std::optional<std::pair<std::uint16_t, std::uint16_t>> sport;  // first, last
  std::optional<std::pair<std::uint16_t, std::uint16_t>> dport;
  std::uint32_t realms = 0;   // FRA_FLOW (0: none)
};

// Returns RTM_NEWRULE (NLM_F_CREATE | NLM_F_EXCL) or RTM_DELRULE for `spec`.
std::vector<std::uint8_t> BuildRuleRequest(ChangeOp op, const RuleSpec& spec);

// ---------------------------------------------------------------------------------------
// Execution

// Runs the builders above through a transport and decodes the answers. Holds a reference to
// the transport, which must outlive it. Not thread-safe.
class Rtnetlink {
 public:
  explicit Rtnetlink(NetlinkTransport& transport) : transport_(transport) {}

  Result<void> AddAddress(const AddressSpec& spec);
  Result<void> DeleteAddress(const AddressSpec& spec);
  // Returns the addresses of `ifindex` (0: every interface) of `family` (AF_UNSPEC: both).
  Result<std::vector<AddressInfo>> ListAddresses(int ifindex, int family = AF_UNSPEC);

  // Returns the interface named `name`; kNotFound if there is none.
  Result<LinkInfo> LinkByName(std::string_view name);
  // Returns interface `ifindex`; kNotFound if there is none.
  Result<LinkInfo> LinkByIndex(int ifindex);
  Result<std::vector<LinkInfo>> ListLinks();
  Result<void> SetLinkUp(int ifindex, bool up);
  Result<void> DeleteLink(int ifindex);
  Result<void> SetLinkMaster(int ifindex, int master_ifindex);  // BuildSetLinkMaster
  // Creates the macvlan and returns it as the kernel now reports it.
  Result<LinkInfo> CreateMacvlan(const MacvlanSpec& spec);
  // Creates the ipvlan and returns it as the kernel now reports it.
  Result<LinkInfo> CreateIpvlan(const IpvlanSpec& spec);

  Result<void> AddRoute(const RouteSpec& spec);
  Result<void> DeleteRoute(const RouteSpec& spec);
  // Returns the routes of `family` (AF_UNSPEC: both) in table `table` (0: every table).
  Result<std::vector<RouteInfo>> ListRoutes(std::uint32_t table, int family = AF_UNSPEC);
  Result<void> AddRule(const RuleSpec& spec);
  Result<void> DeleteRule(const RuleSpec& spec);

 private:
  NetlinkTransport& transport_;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_RTNETLINK_H_
