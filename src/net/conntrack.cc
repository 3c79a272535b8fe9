#include "net/conntrack.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include <array>

namespace vigil::net::conntrack {
namespace {

// CTA_FILTER_*_FLAGS bits: the kernel's CTA_FILTER_F_* (nf_conntrack_netlink.c; not in the
// uapi headers). Each names a part of the tuple the dump must match.
constexpr uint32_t kFilterIpSource = 1u << 0;
constexpr uint32_t kFilterProtocol = 1u << 3;
constexpr uint32_t kFilterSourcePort = 1u << 4;

constexpr size_t kRequestBufferSize = 256;

template <size_t N>
using Table = std::array<const nlattr*, N>;

template <size_t N>
bool CollectNested(const nlattr* nest, Table<N>& table) {
  table.fill(nullptr);
  return mnl_attr_parse_nested(
             nest,
             [](const nlattr* attr, void* data) -> int {
               auto* t = static_cast<Table<N>*>(data);
               const uint16_t type = mnl_attr_get_type(attr);
               if (type < N) (*t)[type] = attr;
               return MNL_CB_OK;
             },
             &table) >= MNL_CB_STOP;
}

bool HasPayload(const nlattr* attr, size_t len) {
  return attr != nullptr && mnl_attr_get_payload_len(attr) >= len;
}

uint16_t Port(const nlattr* attr) { return HasPayload(attr, 2) ? ntohs(mnl_attr_get_u16(attr)) : 0; }

Result<void> ParseTuple(const nlattr* nest, uint8_t* protocol, Tuple* out) {
  Table<CTA_TUPLE_MAX + 1> tuple;
  Table<CTA_IP_MAX + 1> ip;
  Table<CTA_PROTO_MAX + 1> proto;
  if (!CollectNested(nest, tuple) || tuple[CTA_TUPLE_IP] == nullptr ||
      tuple[CTA_TUPLE_PROTO] == nullptr || !CollectNested(tuple[CTA_TUPLE_IP], ip) ||
      !CollectNested(tuple[CTA_TUPLE_PROTO], proto) || !HasPayload(proto[CTA_PROTO_NUM], 1))
    return Fail(ErrorCode::kParse, "conntrack entry: malformed tuple");
  auto address = [&](int v4, int v6) {
    if (HasPayload(ip[v4], 4)) return RawAddress::FromBytes(mnl_attr_get_payload(ip[v4]), 4);
    if (HasPayload(ip[v6], 16)) return RawAddress::FromBytes(mnl_attr_get_payload(ip[v6]), 16);
    return RawAddress{};
  };
  out->source = address(CTA_IP_V4_SRC, CTA_IP_V6_SRC);
  out->destination = address(CTA_IP_V4_DST, CTA_IP_V6_DST);
  if (out->source.family == AF_UNSPEC || out->destination.family == AF_UNSPEC)
    return Fail(ErrorCode::kParse, "conntrack entry: tuple without addresses");
  *protocol = mnl_attr_get_u8(proto[CTA_PROTO_NUM]);
  out->source_port = Port(proto[CTA_PROTO_SRC_PORT]);
  out->destination_port = Port(proto[CTA_PROTO_DST_PORT]);
  return {};
}

}  // namespace

std::vector<uint8_t> BuildServerDump(const ServerMatch& match) {
  std::vector<uint8_t> buffer(kRequestBufferSize, 0);
  nlmsghdr* h = mnl_nlmsg_put_header(buffer.data());
  h->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* gen = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(h, sizeof(nfgenmsg)));
  gen->nfgen_family = static_cast<uint8_t>(match.server.family);
  gen->version = NFNETLINK_V0;
  gen->res_id = 0;

  nlattr* reply = mnl_attr_nest_start(h, CTA_TUPLE_REPLY);
  nlattr* ip = mnl_attr_nest_start(h, CTA_TUPLE_IP);
  mnl_attr_put(h, match.server.family == AF_INET6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC,
               match.server.size(), match.server.bytes.data());
  mnl_attr_nest_end(h, ip);
  uint32_t flags = kFilterIpSource;
  if (match.protocol != 0) {  // the kernel filters on a port only with a protocol
    nlattr* proto = mnl_attr_nest_start(h, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(h, CTA_PROTO_NUM, match.protocol);
    flags |= kFilterProtocol;
    if (match.server_port != 0) {
      mnl_attr_put_u16(h, CTA_PROTO_SRC_PORT, htons(match.server_port));
      flags |= kFilterSourcePort;
    }
    mnl_attr_nest_end(h, proto);
  }
  mnl_attr_nest_end(h, reply);

  nlattr* filter = mnl_attr_nest_start(h, CTA_FILTER);
  mnl_attr_put_u32(h, CTA_FILTER_REPLY_FLAGS, flags);
  mnl_attr_nest_end(h, filter);
  buffer.resize(h->nlmsg_len);
  return buffer;
}

Result<Entry> ParseEntry(const nlmsghdr& message) {
  if (message.nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg)))
    return Fail(ErrorCode::kParse, "conntrack entry: message too short");
  Table<CTA_MAX + 1> at;
  at.fill(nullptr);
  if (mnl_attr_parse(
          &message, sizeof(nfgenmsg),
          [](const nlattr* attr, void* data) -> int {
            auto* t = static_cast<Table<CTA_MAX + 1>*>(data);
            const uint16_t type = mnl_attr_get_type(attr);
            if (type <= CTA_MAX) (*t)[type] = attr;
            return MNL_CB_OK;
          },
          &at) < MNL_CB_STOP)
    return Fail(ErrorCode::kParse, "conntrack entry: malformed attributes");
  if (at[CTA_TUPLE_ORIG] == nullptr || at[CTA_TUPLE_REPLY] == nullptr)
    return Fail(ErrorCode::kParse, "conntrack entry: no tuples");
  Entry e;
  uint8_t reply_protocol = 0;
  if (auto r = ParseTuple(at[CTA_TUPLE_ORIG], &e.protocol, &e.original); !r)
    return std::unexpected(r.error());
  if (auto r = ParseTuple(at[CTA_TUPLE_REPLY], &reply_protocol, &e.reply); !r)
    return std::unexpected(r.error());
  if (HasPayload(at[CTA_STATUS], 4)) e.status = ntohl(mnl_attr_get_u32(at[CTA_STATUS]));
  Table<CTA_PROTOINFO_MAX + 1> info;
  Table<CTA_PROTOINFO_TCP_MAX + 1> tcp;
  if (e.protocol == IPPROTO_TCP && at[CTA_PROTOINFO] != nullptr &&
      CollectNested(at[CTA_PROTOINFO], info) && info[CTA_PROTOINFO_TCP] != nullptr &&
      CollectNested(info[CTA_PROTOINFO_TCP], tcp) && HasPayload(tcp[CTA_PROTOINFO_TCP_STATE], 1))
    e.tcp_state = mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
  return e;
}

bool IsOpenConnection(const Entry& entry, const ServerMatch& match) {
  if (!(entry.status & IPS_DST_NAT) || entry.reply.source != match.server ||
      (match.protocol != 0 && entry.protocol != match.protocol))
    return false;
  if (match.server_port != 0 && entry.reply.source_port != match.server_port) return false;
  if (match.virtual_address) {
    if (entry.original.destination != *match.virtual_address) return false;
    if (match.virtual_port != 0 && entry.original.destination_port != match.virtual_port)
      return false;
  }
  if (entry.tcp_state && (*entry.tcp_state == TCP_CONNTRACK_TIME_WAIT ||
                          *entry.tcp_state == TCP_CONNTRACK_CLOSE))
    return false;
  return true;
}

Result<size_t> CountOpenConnections(NetlinkTransport& transport, const ServerMatch& match) {
  const std::vector<uint8_t> request = BuildServerDump(match);
  size_t count = 0;
  std::optional<Error> bad;
  auto r = transport.Transact(request, [&](const nlmsghdr& m) {
    auto e = ParseEntry(m);
    if (!e) {
      if (!bad) bad = e.error();
      return;
    }
    if (IsOpenConnection(*e, match)) ++count;
  });
  if (!r) return std::unexpected(r.error());
  if (bad) return std::unexpected(*bad);
  return count;
}

}  // namespace vigil::net::conntrack
