#include "net/rtnetlink.h"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <net/if.h>

#include <cstring>

namespace vigil::net {
namespace {

constexpr std::size_t kBuildBufferSize = 1024;

// Accumulates one netlink message in a libmnl-managed buffer.
class MessageBuilder {
 public:
  MessageBuilder(std::uint16_t type, std::uint16_t flags) : buffer_(kBuildBufferSize, 0) {
    header_ = mnl_nlmsg_put_header(buffer_.data());
    header_->nlmsg_type = type;
    header_->nlmsg_flags = flags;
  }

  template <typename T>
  T* PutExtraHeader() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(header_, sizeof(T)));
  }
  void PutAddress(std::uint16_t type, const RawAddress& address) {
    mnl_attr_put(header_, type, address.size(), address.bytes.data());
  }
  void PutU32(std::uint16_t type, std::uint32_t value) { mnl_attr_put_u32(header_, type, value); }
  void PutU16(std::uint16_t type, std::uint16_t value) { mnl_attr_put_u16(header_, type, value); }
  void PutU8(std::uint16_t type, std::uint8_t value) { mnl_attr_put_u8(header_, type, value); }
  void PutString(std::uint16_t type, std::string_view value) {
    std::string copy(value);
    mnl_attr_put_strz(header_, type, copy.c_str());
  }
  void PutBytes(std::uint16_t type, const void* data, std::size_t len) {
    mnl_attr_put(header_, type, len, data);
  }
  nlattr* BeginNest(std::uint16_t type) { return mnl_attr_nest_start(header_, type); }
  // Reserves `len` bytes (aligned) at the end of the message; returns them, zeroed.
  void* Reserve(std::size_t len) { return mnl_nlmsg_put_extra_header(header_, len); }
  // The message's length so far.
  std::size_t Length() const { return header_->nlmsg_len; }
  void EndNest(nlattr* nest) { mnl_attr_nest_end(header_, nest); }

  std::vector<std::uint8_t> Finish() {
    buffer_.resize(header_->nlmsg_len);
    return std::move(buffer_);
  }

 private:
  std::vector<std::uint8_t> buffer_;
  nlmsghdr* header_;
};

constexpr std::uint16_t kAddFlags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
constexpr std::uint16_t kDeleteFlags = NLM_F_REQUEST | NLM_F_ACK;
constexpr std::uint16_t kGetFlags = NLM_F_REQUEST | NLM_F_ACK;
constexpr std::uint16_t kDumpFlags = NLM_F_REQUEST | NLM_F_DUMP;

std::uint8_t FullLength(int family) { return family == AF_INET6 ? 128 : 32; }

// Collects the attributes after a fixed header of `header_len` bytes into `table` (indexed by
// type, up to `max_type`). Returns false if they are malformed.
bool ParseAttributes(const nlmsghdr& message, std::size_t header_len, const nlattr** table,
                     std::uint16_t max_type) {
  struct Ctx {
    const nlattr** table;
    std::uint16_t max_type;
  } ctx{table, max_type};
  int rc = mnl_attr_parse(
      &message, static_cast<unsigned>(header_len),
      [](const nlattr* attr, void* data) -> int {
        auto* c = static_cast<Ctx*>(data);
        std::uint16_t type = mnl_attr_get_type(attr);
        if (type <= c->max_type) c->table[type] = attr;
        return MNL_CB_OK;
      },
      &ctx);
  return rc >= MNL_CB_STOP;
}

bool ParseNested(const nlattr* nest, const nlattr** table, std::uint16_t max_type) {
  struct Ctx {
    const nlattr** table;
    std::uint16_t max_type;
  } ctx{table, max_type};
  int rc = mnl_attr_parse_nested(
      nest,
      [](const nlattr* attr, void* data) -> int {
        auto* c = static_cast<Ctx*>(data);
        std::uint16_t type = mnl_attr_get_type(attr);
        if (type <= c->max_type) c->table[type] = attr;
        return MNL_CB_OK;
      },
      &ctx);
  return rc >= MNL_CB_STOP;
}

std::optional<RawAddress> AttrAddress(const nlattr* attr) {
  if (attr == nullptr) return std::nullopt;
  RawAddress a = RawAddress::FromBytes(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
  if (a.family == AF_UNSPEC) return std::nullopt;
  return a;
}

std::string AttrString(const nlattr* attr) {
  if (attr == nullptr) return {};
  const char* text = static_cast<const char*>(mnl_attr_get_payload(attr));
  return std::string(text, ::strnlen(text, mnl_attr_get_payload_len(attr)));
}

std::uint32_t AttrU32(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_get_payload_len(attr) < 4) return 0;
  return mnl_attr_get_u32(attr);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Addresses

std::vector<std::uint8_t> BuildAddressRequest(ChangeOp op, const AddressSpec& spec) {
  const bool add = op == ChangeOp::kAdd;
  MessageBuilder b(add ? RTM_NEWADDR : RTM_DELADDR, add ? kAddFlags : kDeleteFlags);
  auto* ifa = b.PutExtraHeader<ifaddrmsg>();
  const int family = spec.address.family;
  ifa->ifa_family = static_cast<std::uint8_t>(family);
  ifa->ifa_prefixlen = spec.prefix_len != 0 ? spec.prefix_len : FullLength(family);
  ifa->ifa_scope = spec.scope;
  ifa->ifa_index = static_cast<std::uint32_t>(spec.ifindex);

  std::uint32_t flags = spec.flags;
  if (add && family == AF_INET6 && spec.ipv6_nodad) flags |= IFA_F_NODAD;
  if (add) ifa->ifa_flags = static_cast<std::uint8_t>(flags & 0xff);

  b.PutAddress(IFA_LOCAL, spec.address);
  b.PutAddress(IFA_ADDRESS, spec.peer ? *spec.peer : spec.address);
  if (add) {
    if (family == AF_INET && spec.broadcast) b.PutAddress(IFA_BROADCAST, *spec.broadcast);
    if (family == AF_INET && !spec.label.empty()) b.PutString(IFA_LABEL, spec.label);
    if (flags != 0) b.PutU32(IFA_FLAGS, flags);
    if (family == AF_INET6 && spec.ipv6_preferred_lifetime) {
      ifa_cacheinfo info{};
      info.ifa_prefered = *spec.ipv6_preferred_lifetime;
      info.ifa_valid = 0xffffffffu;  // INFINITY_LIFE_TIME
      b.PutBytes(IFA_CACHEINFO, &info, sizeof(info));
    }
  }
  return b.Finish();
}

std::vector<std::uint8_t> BuildAddressDump(int family) {
  MessageBuilder b(RTM_GETADDR, kDumpFlags);
  auto* ifa = b.PutExtraHeader<ifaddrmsg>();
  ifa->ifa_family = static_cast<std::uint8_t>(family);
  return b.Finish();
}

std::optional<AddressInfo> DecodeAddress(const nlmsghdr& message) {
  if (message.nlmsg_type != RTM_NEWADDR && message.nlmsg_type != RTM_DELADDR) return std::nullopt;
  if (message.nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(&message));
  const nlattr* tb[IFA_MAX + 1] = {};
  if (!ParseAttributes(message, sizeof(ifaddrmsg), tb, IFA_MAX)) return std::nullopt;

  AddressInfo info;
  info.ifindex = static_cast<int>(ifa->ifa_index);
  info.prefix_len = ifa->ifa_prefixlen;
  info.scope = ifa->ifa_scope;
  info.flags = tb[IFA_FLAGS] != nullptr ? AttrU32(tb[IFA_FLAGS]) : ifa->ifa_flags;
  auto local = AttrAddress(tb[IFA_LOCAL]);
  auto address = AttrAddress(tb[IFA_ADDRESS]);
  if (local) {
    info.address = *local;
    if (address && *address != *local) info.peer = address;
  } else if (address) {
    info.address = *address;
  } else {
    return std::nullopt;
  }
  if (info.address.family != ifa->ifa_family) return std::nullopt;
  info.broadcast = AttrAddress(tb[IFA_BROADCAST]);
  info.label = AttrString(tb[IFA_LABEL]);
  return info;
}

// ---------------------------------------------------------------------------------------
// Links

bool LinkInfo::up() const { return (flags & IFF_UP) != 0; }
bool LinkInfo::running() const { return (flags & IFF_RUNNING) != 0; }

std::vector<std::uint8_t> BuildGetLinkByName(std::string_view name) {
  MessageBuilder b(RTM_GETLINK, kGetFlags);
  auto* ifi = b.PutExtraHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  b.PutString(IFLA_IFNAME, name);
  return b.Finish();
}

std::vector<std::uint8_t> BuildGetLinkByIndex(int ifindex) {
  MessageBuilder b(RTM_GETLINK, kGetFlags);
  auto* ifi = b.PutExtraHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return b.Finish();
}

std::vector<std::uint8_t> BuildLinkDump() {
  MessageBuilder b(RTM_GETLINK, kDumpFlags);
  auto* ifi = b.PutExtraHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  return b.Finish();
}

std::vector<std::uint8_t> BuildSetLinkUp(int ifindex, bool up) {
  MessageBuilder b(RTM_NEWLINK, kGetFlags);
  auto* ifi = b.PutExtraHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  return b.Finish();
}

std::vector<std::uint8_t> BuildDeleteLink(int ifindex) {
  MessageBuilder b(RTM_DELLINK, kDeleteFlags);
  auto* ifi = b.PutExtraHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return b.Finish();
}

std::vector<std::uint8_t> BuildSetLinkMaster(int ifindex, int master_ifindex) {
  MessageBuilder b(RTM_NEWLINK, kGetFlags);
  auto* ifi = b.PutExtraHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  b.PutU32(IFLA_MASTER, static_cast<std::uint32_t>(master_ifindex));
  return b.Finish();
}

std::optional<LinkInfo> DecodeLink(const nlmsghdr& message) {
  if (message.nlmsg_type != RTM_NEWLINK && message.nlmsg_type != RTM_DELLINK) return std::nullopt;
  if (message.nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(&message));
  const nlattr* tb[IFLA_MAX + 1] = {};
  if (!ParseAttributes(message, sizeof(ifinfomsg), tb, IFLA_MAX)) return std::nullopt;

  LinkInfo info;
  info.ifindex = ifi->ifi_index;
  info.flags = ifi->ifi_flags;
  info.name = AttrString(tb[IFLA_IFNAME]);
  if (tb[IFLA_ADDRESS] != nullptr) {
    const auto* mac = static_cast<const std::uint8_t*>(mnl_attr_get_payload(tb[IFLA_ADDRESS]));
    info.mac.assign(mac, mac + mnl_attr_get_payload_len(tb[IFLA_ADDRESS]));
  }
  info.mtu = AttrU32(tb[IFLA_MTU]);
  info.parent_ifindex = static_cast<int>(AttrU32(tb[IFLA_LINK]));
  info.master_ifindex = static_cast<int>(AttrU32(tb[IFLA_MASTER]));
  info.group = AttrU32(tb[IFLA_GROUP]);
  if (tb[IFLA_LINKINFO] != nullptr) {
    const nlattr* li[IFLA_INFO_MAX + 1] = {};
    if (ParseNested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX)) info.kind = AttrString(li[IFLA_INFO_KIND]);
  }
  return info;
}

std::vector<std::uint8_t> BuildMacvlanCreate(const MacvlanSpec& spec) {
  MessageBuilder b(RTM_NEWLINK, kAddFlags);
  auto* ifi = b.PutExtraHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  b.PutU32(IFLA_LINK, static_cast<std::uint32_t>(spec.parent_ifindex));
  b.PutString(IFLA_IFNAME, spec.name);
  b.PutBytes(IFLA_ADDRESS, spec.mac.data(), spec.mac.size());
  nlattr* linkinfo = b.BeginNest(IFLA_LINKINFO);
  b.PutString(IFLA_INFO_KIND, "macvlan");
  nlattr* data = b.BeginNest(IFLA_INFO_DATA);
  b.PutU32(IFLA_MACVLAN_MODE, spec.mode);
  b.EndNest(data);
  b.EndNest(linkinfo);
  if (spec.master_ifindex) b.PutU32(IFLA_MASTER, static_cast<std::uint32_t>(spec.master_ifindex));
  if (spec.group) b.PutU32(IFLA_GROUP, spec.group);
  return b.Finish();
}

std::vector<std::uint8_t> BuildIpvlanCreate(const IpvlanSpec& spec) {
  MessageBuilder b(RTM_NEWLINK, kAddFlags);
  auto* ifi = b.PutExtraHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  b.PutU32(IFLA_LINK, static_cast<std::uint32_t>(spec.parent_ifindex));
  b.PutString(IFLA_IFNAME, spec.name);
  nlattr* linkinfo = b.BeginNest(IFLA_LINKINFO);
  b.PutString(IFLA_INFO_KIND, "ipvlan");
  nlattr* data = b.BeginNest(IFLA_INFO_DATA);
  b.PutU16(IFLA_IPVLAN_MODE, IPVLAN_MODE_L2);
  b.PutU16(IFLA_IPVLAN_FLAGS, spec.flags);
  b.EndNest(data);
  b.EndNest(linkinfo);
  if (spec.master_ifindex) b.PutU32(IFLA_MASTER, static_cast<std::uint32_t>(spec.master_ifindex));
  if (spec.group) b.PutU32(IFLA_GROUP, spec.group);
  return b.Finish();
}

MacAddress VrrpVirtualMac(int family, std::uint8_t vrid) {
  return {0x00, 0x00, 0x5e, 0x00, static_cast<std::uint8_t>(family == AF_INET6 ? 0x02 : 0x01),
          vrid};
}

// ---------------------------------------------------------------------------------------
// Routes and rules

std::vector<std::uint8_t> BuildRouteRequest(ChangeOp op, const RouteSpec& spec) {
  const bool add = op == ChangeOp::kAdd;
  const std::uint16_t add_flags =
      spec.append ? (kAddFlags & ~NLM_F_EXCL) | NLM_F_APPEND : kAddFlags;
  MessageBuilder b(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? add_flags : kDeleteFlags);
  auto* rtm = b.PutExtraHeader<rtmsg>();
  rtm->rtm_tos = spec.tos;
  rtm->rtm_family = static_cast<std::uint8_t>(spec.family);
  rtm->rtm_dst_len = spec.dst ? spec.dst_len : 0;
  rtm->rtm_table = spec.table < 256 ? static_cast<std::uint8_t>(spec.table)
                                  : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
  rtm->rtm_protocol = add ? spec.protocol : RTPROT_UNSPEC;
  rtm->rtm_type = spec.type;
  if (spec.scope) {
    rtm->rtm_scope = *spec.scope;
  } else if (!add) {
    rtm->rtm_scope = RT_SCOPE_NOWHERE;
  } else if (spec.type == RTN_LOCAL) {
    rtm->rtm_scope = RT_SCOPE_HOST;
  } else if (spec.type == RTN_UNICAST && !spec.gateway) {
    rtm->rtm_scope = RT_SCOPE_LINK;
  } else {
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  }
  b.PutU32(RTA_TABLE, spec.table);
  if (spec.dst) b.PutAddress(RTA_DST, *spec.dst);
  if (spec.prefsrc) b.PutAddress(RTA_PREFSRC, *spec.prefsrc);
  if (spec.gateway) b.PutAddress(RTA_GATEWAY, *spec.gateway);
  if (spec.oif != 0) b.PutU32(RTA_OIF, static_cast<std::uint32_t>(spec.oif));
  if (spec.metric) b.PutU32(RTA_PRIORITY, *spec.metric);
  if (add) rtm->rtm_flags = spec.flags;
  if (spec.realms) b.PutU32(RTA_FLOW, spec.realms);
  if (spec.pref && add) b.PutU8(RTA_PREF, *spec.pref);
  if (!spec.nexthops.empty()) {
    nlattr* paths = b.BeginNest(RTA_MULTIPATH);
    for (const Nexthop& nh : spec.nexthops) {
      auto* rtnh = static_cast<rtnexthop*>(b.Reserve(sizeof(rtnexthop)));
      rtnh->rtnh_flags = nh.flags;
      rtnh->rtnh_hops = nh.hops;
      rtnh->rtnh_ifindex = nh.oif;
      const std::size_t start = b.Length();
      if (nh.gateway) b.PutAddress(RTA_GATEWAY, *nh.gateway);
      if (nh.realms) b.PutU32(RTA_FLOW, nh.realms);
      rtnh->rtnh_len = static_cast<unsigned short>(sizeof(rtnexthop) + b.Length() - start);
    }
    b.EndNest(paths);
  }
  if (add && (!spec.metrics.empty() || !spec.congctl.empty())) {
    nlattr* nest = b.BeginNest(RTA_METRICS);
    for (const auto& [type, value] : spec.metrics) b.PutU32(type, value);
    if (!spec.congctl.empty())
      b.PutBytes(RTAX_CC_ALGO, spec.congctl.data(), spec.congctl.size());
    b.EndNest(nest);
  }
  return b.Finish();
}

std::vector<std::uint8_t> BuildRouteDump(int family) {
  MessageBuilder b(RTM_GETROUTE, kDumpFlags);
  auto* rtm = b.PutExtraHeader<rtmsg>();
  rtm->rtm_family = static_cast<std::uint8_t>(family);
  return b.Finish();
}

std::optional<RouteInfo> DecodeRoute(const nlmsghdr& message) {
  if (message.nlmsg_type != RTM_NEWROUTE && message.nlmsg_type != RTM_DELROUTE) return std::nullopt;
  if (message.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return std::nullopt;
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(&message));
  const nlattr* tb[RTA_MAX + 1] = {};
  if (!ParseAttributes(message, sizeof(rtmsg), tb, RTA_MAX)) return std::nullopt;
  RouteInfo info;
  info.family = rtm->rtm_family;
  info.dst_len = rtm->rtm_dst_len;
  info.table = tb[RTA_TABLE] != nullptr ? AttrU32(tb[RTA_TABLE]) : rtm->rtm_table;
  info.protocol = rtm->rtm_protocol;
  info.type = rtm->rtm_type;
  info.dst = AttrAddress(tb[RTA_DST]);
  if (info.dst && info.dst->family != info.family) return std::nullopt;
  if (tb[RTA_OIF] != nullptr) info.oif = static_cast<int>(AttrU32(tb[RTA_OIF]));
  return info;
}

std::vector<std::uint8_t> BuildRuleRequest(ChangeOp op, const RuleSpec& spec) {
  const bool add = op == ChangeOp::kAdd;
  MessageBuilder b(add ? RTM_NEWRULE : RTM_DELRULE, add ? kAddFlags : kDeleteFlags);
  auto* frh = b.PutExtraHeader<fib_rule_hdr>();
  frh->family = static_cast<std::uint8_t>(spec.family);
  frh->src_len = spec.src ? spec.src_len : 0;
  frh->dst_len = spec.dst ? spec.dst_len : 0;
  frh->tos = spec.tos;
  frh->action = spec.action;
  if (spec.invert) frh->flags |= FIB_RULE_INVERT;
  // A table only for a lookup, and none for an l3mdev's (the VRF's own).
  if (spec.action == FR_ACT_TO_TBL && !spec.l3mdev) {
    frh->table = spec.table < 256 ? static_cast<std::uint8_t>(spec.table)
                                  : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
    b.PutU32(FRA_TABLE, spec.table);
  }
  if (spec.action == FR_ACT_GOTO) b.PutU32(FRA_GOTO, spec.goto_target);
  if (spec.src) b.PutAddress(FRA_SRC, *spec.src);
  if (spec.dst) b.PutAddress(FRA_DST, *spec.dst);
  if (spec.priority) b.PutU32(FRA_PRIORITY, *spec.priority);
  if (spec.fwmark) b.PutU32(FRA_FWMARK, *spec.fwmark);
  if (spec.fwmask) b.PutU32(FRA_FWMASK, *spec.fwmask);
  if (!spec.iifname.empty()) b.PutString(FRA_IIFNAME, spec.iifname);
  if (!spec.oifname.empty()) b.PutString(FRA_OIFNAME, spec.oifname);
  if (spec.realms) b.PutU32(FRA_FLOW, spec.realms);
  if (spec.suppress_prefixlen) b.PutU32(FRA_SUPPRESS_PREFIXLEN, *spec.suppress_prefixlen);
  if (spec.suppress_ifgroup) b.PutU32(FRA_SUPPRESS_IFGROUP, *spec.suppress_ifgroup);
  if (spec.uid_range) {
    const fib_rule_uid_range range{spec.uid_range->first, spec.uid_range->second};
    b.PutBytes(FRA_UID_RANGE, &range, sizeof range);
  }
  if (spec.l3mdev) b.PutU8(FRA_L3MDEV, 1);
  if (spec.ip_proto) b.PutU8(FRA_IP_PROTO, *spec.ip_proto);
  for (const auto& [type, ports] : {std::pair{FRA_SPORT_RANGE, spec.sport},
                                    std::pair{FRA_DPORT_RANGE, spec.dport}}) {
    if (!ports) continue;
    const fib_rule_port_range range{ports->first, ports->second};
    b.PutBytes(type, &range, sizeof range);
  }
  if (spec.protocol && add) b.PutU8(FRA_PROTOCOL, *spec.protocol);
  return b.Finish();
}

// ---------------------------------------------------------------------------------------
// Execution

Result<void> Rtnetlink::AddAddress(const AddressSpec& spec) {
  return transport_.Transact(BuildAddressRequest(ChangeOp::kAdd, spec), {});
}

Result<void> Rtnetlink::DeleteAddress(const AddressSpec& spec) {
  return transport_.Transact(BuildAddressRequest(ChangeOp::kDelete, spec), {});
}

Result<std::vector<AddressInfo>> Rtnetlink::ListAddresses(int ifindex, int family) {
  std::vector<AddressInfo> out;
  auto r = transport_.Transact(BuildAddressDump(family), [&](const nlmsghdr& m) {
    auto info = DecodeAddress(m);
    if (!info) return;
    if (ifindex != 0 && info->ifindex != ifindex) return;
    if (family != AF_UNSPEC && info->address.family != family) return;
    out.push_back(std::move(*info));
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

namespace {

// Sends an RTM_GETLINK `request` and returns the one link it names; `what` describes it
// in the not-found error ("named eth0", "with index 3").
Result<LinkInfo> GetLink(NetlinkTransport& transport, const std::vector<std::uint8_t>& request,
                         const std::string& what) {
  std::optional<LinkInfo> found;
  auto r = transport.Transact(request, [&](const nlmsghdr& m) {
    if (!found) found = DecodeLink(m);
  });
  if (!r) {
    if (r.error().code() == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kNotFound, "no interface " + what, r.error().sys_errno());
    }
    return std::unexpected(r.error());
  }
  if (!found) return Fail(ErrorCode::kNotFound, "no interface " + what);
  return *found;
}

}  // namespace

Result<LinkInfo> Rtnetlink::LinkByName(std::string_view name) {
  return GetLink(transport_, BuildGetLinkByName(name), "named " + std::string(name));
}

Result<LinkInfo> Rtnetlink::LinkByIndex(int ifindex) {
  return GetLink(transport_, BuildGetLinkByIndex(ifindex),
                 "with index " + std::to_string(ifindex));
}

Result<std::vector<LinkInfo>> Rtnetlink::ListLinks() {
  std::vector<LinkInfo> out;
  auto r = transport_.Transact(BuildLinkDump(), [&](const nlmsghdr& m) {
    if (auto info = DecodeLink(m)) out.push_back(std::move(*info));
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<void> Rtnetlink::SetLinkUp(int ifindex, bool up) {
  return transport_.Transact(BuildSetLinkUp(ifindex, up), {});
}

Result<void> Rtnetlink::DeleteLink(int ifindex) {
  return transport_.Transact(BuildDeleteLink(ifindex), {});
}

Result<void> Rtnetlink::SetLinkMaster(int ifindex, int master_ifindex) {
  return transport_.Transact(BuildSetLinkMaster(ifindex, master_ifindex), {});
}

Result<LinkInfo> Rtnetlink::CreateMacvlan(const MacvlanSpec& spec) {
  if (auto r = transport_.Transact(BuildMacvlanCreate(spec), {}); !r) {
    return std::unexpected(r.error());
  }
  return LinkByName(spec.name);
}

Result<LinkInfo> Rtnetlink::CreateIpvlan(const IpvlanSpec& spec) {
  if (auto r = transport_.Transact(BuildIpvlanCreate(spec), {}); !r) {
    return std::unexpected(r.error());
  }
  return LinkByName(spec.name);
}

Result<void> Rtnetlink::AddRoute(const RouteSpec& spec) {
  return transport_.Transact(BuildRouteRequest(ChangeOp::kAdd, spec), {});
}

Result<void> Rtnetlink::DeleteRoute(const RouteSpec& spec) {
  return transport_.Transact(BuildRouteRequest(ChangeOp::kDelete, spec), {});
}

Result<std::vector<RouteInfo>> Rtnetlink::ListRoutes(std::uint32_t table, int family) {
  std::vector<RouteInfo> out;
  auto r = transport_.Transact(BuildRouteDump(family), [&](const nlmsghdr& m) {
    auto info = DecodeRoute(m);
    if (!info) return;
    if (table != 0 && info->table != table) return;
    if (family != AF_UNSPEC && info->family != family) return;
    out.push_back(std::move(*info));
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<void> Rtnetlink::AddRule(const RuleSpec& spec) {
  return transport_.Transact(BuildRuleRequest(ChangeOp::kAdd, spec), {});
}

Result<void> Rtnetlink::DeleteRule(const RuleSpec& spec) {
  return transport_.Transact(BuildRuleRequest(ChangeOp::kDelete, spec), {});
}

}  // namespace vigil::net
