#include "lb/ipvs_message.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <array>
#include <bit>
#include <cstring>

#include "model/config.h"

namespace vigil::lb::ipvs {
namespace {

constexpr size_t kBufferSize = 1024;  // Far above the largest message (about 200 bytes).

static_assert(static_cast<int>(Command::kNewService) == IPVS_CMD_NEW_SERVICE);
static_assert(static_cast<int>(Command::kSetService) == IPVS_CMD_SET_SERVICE);
static_assert(static_cast<int>(Command::kDelService) == IPVS_CMD_DEL_SERVICE);
static_assert(static_cast<int>(Command::kGetService) == IPVS_CMD_GET_SERVICE);
static_assert(static_cast<int>(Command::kNewDest) == IPVS_CMD_NEW_DEST);
static_assert(static_cast<int>(Command::kSetDest) == IPVS_CMD_SET_DEST);
static_assert(static_cast<int>(Command::kDelDest) == IPVS_CMD_DEL_DEST);
static_assert(static_cast<int>(Command::kGetDest) == IPVS_CMD_GET_DEST);
static_assert(static_cast<int>(Command::kFlush) == IPVS_CMD_FLUSH);
static_assert(static_cast<int>(Command::kNewDaemon) == IPVS_CMD_NEW_DAEMON);
static_assert(static_cast<int>(Command::kDelDaemon) == IPVS_CMD_DEL_DAEMON);
static_assert(static_cast<int>(Command::kGetDaemon) == IPVS_CMD_GET_DAEMON);
static_assert(static_cast<int>(SyncRole::kMaster) == IP_VS_STATE_MASTER);
static_assert(static_cast<int>(SyncRole::kBackup) == IP_VS_STATE_BACKUP);
static_assert(static_cast<int>(Command::kGetConfig) == IPVS_CMD_GET_CONFIG);
static_assert(static_cast<int>(Command::kSetConfig) == IPVS_CMD_SET_CONFIG);

// Builds one netlink message in a fixed buffer and hands back exactly its bytes.
class Builder {
 public:
  Builder(uint16_t type, uint16_t flags, uint8_t cmd, uint8_t version) : buf_(kBufferSize, 0) {
    nlh_ = mnl_nlmsg_put_header(buf_.data());
    nlh_->nlmsg_type = type;
    nlh_->nlmsg_flags = flags;
    auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(genlmsghdr)));
    genl->cmd = cmd;
    genl->version = version;
  }
  nlmsghdr* nlh() { return nlh_; }
  Message Take() {
    buf_.resize(nlh_->nlmsg_len);
    return std::move(buf_);
  }

 private:
  Message buf_;
  nlmsghdr* nlh_;
};

uint16_t AfOf(Family f) { return f == Family::kIpv4 ? AF_INET : AF_INET6; }

bool FullCommand(Command c) {
  return c == Command::kNewService || c == Command::kSetService || c == Command::kNewDest ||
         c == Command::kSetDest;
}

constexpr uint16_t kRequestFlags = NLM_F_REQUEST | NLM_F_ACK;

// The 16-byte union nf_inet_addr the kernel copies addresses from.
std::array<uint8_t, 16> InetAddr(const IpAddress& a) { return a.bytes(); }

uint32_t NetmaskValue(const Service& s) {
  Family f = KeyFamily(s.key);
  int bits = FamilyBits(f);
  int prefix =
      (s.persistence_prefix && *s.persistence_prefix < bits) ? *s.persistence_prefix : bits;
  if (f == Family::kIpv6) return static_cast<uint32_t>(prefix);
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return htonl(mask);  // The kernel keeps the IPv4 mask as a __be32.
}

void PutServiceKey(nlmsghdr* nlh, const ServiceKey& key) {
  mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, AfOf(KeyFamily(key)));
  if (const auto* a = std::get_if<AddressKey>(&key)) {
    mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, ProtocolNumber(a->protocol));
    auto addr = InetAddr(a->address);
    mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, addr.size(), addr.data());
    mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PORT, htons(a->port));
  } else {
    mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_FWMARK, std::get<FwmarkKey>(key).mark);
  }
}

void PutService(nlmsghdr* nlh, const Service& s, bool full) {
  nlattr* nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
  PutServiceKey(nlh, s.key);
  if (full) {
    std::string name(SchedulerName(s.scheduler));
    mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_SCHED_NAME, name.c_str());
    ip_vs_flags flags{};
    if (s.persistence_timeout != 0) flags.flags |= IP_VS_SVC_F_PERSISTENT;
    if (s.one_packet) flags.flags |= IP_VS_SVC_F_ONEPACKET;
    if (s.scheduler_flags & kSchedFlag1) flags.flags |= IP_VS_SVC_F_SCHED1;
    if (s.scheduler_flags & kSchedFlag2) flags.flags |= IP_VS_SVC_F_SCHED2;
    if (s.scheduler_flags & kSchedFlag3) flags.flags |= IP_VS_SVC_F_SCHED3;
    flags.mask = ~0U;
    mnl_attr_put(nlh, IPVS_SVC_ATTR_FLAGS, sizeof flags, &flags);
    mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_TIMEOUT, s.persistence_timeout);
    mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_NETMASK, NetmaskValue(s));
    if (!s.persistence_engine.empty()) {
      mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_PE_NAME, s.persistence_engine.c_str());
    }
  }
  mnl_attr_nest_end(nlh, nest);
}

uint32_t FwdMethod(Forwarding f) {
  switch (f) {
    case Forwarding::kNat:
      return IP_VS_CONN_F_MASQ;
    case Forwarding::kTunnel:
      return IP_VS_CONN_F_TUNNEL;
    case Forwarding::kDirectRoute:
      return IP_VS_CONN_F_DROUTE;
  }
  return IP_VS_CONN_F_MASQ;
}

void PutDestination(nlmsghdr* nlh, const Destination& d, bool full) {
  nlattr* nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
  mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_ADDR_FAMILY, AfOf(d.key.address.family()));
  auto addr = InetAddr(d.key.address);
  mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, addr.size(), addr.data());
  mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_PORT, htons(d.key.port));
  if (full) {
    mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_FWD_METHOD, FwdMethod(d.forwarding));
    mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_WEIGHT, d.weight);
    if (d.forwarding == Forwarding::kTunnel) {
      mnl_attr_put_u8(nlh, IPVS_DEST_ATTR_TUN_TYPE, static_cast<uint8_t>(d.tunnel.type));
      if (d.tunnel.type == TunnelType::kGue) {
        mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_TUN_PORT, htons(d.tunnel.port));
      }
      if (d.tunnel.type != TunnelType::kIpip) {
        mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_TUN_FLAGS, d.tunnel.flags);
      }
    }
    mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_U_THRESH, d.upper_threshold);
    mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_L_THRESH, d.lower_threshold);
  }
  mnl_attr_nest_end(nlh, nest);
}

// Collects the attributes of one level into `table` (indexed by type, up to max).
template <size_t N>
struct AttrTable {
  std::array<const nlattr*, N> at{};
};

template <size_t N>
int CollectAttr(const nlattr* attr, void* data) {
  auto* table = static_cast<AttrTable<N>*>(data);
  uint16_t type = mnl_attr_get_type(attr);
  if (type < N) table->at[type] = attr;
  return MNL_CB_OK;
}

// Finds the nested attribute `type` at the top level of a genetlink reply and parses it.
template <size_t N>
Result<AttrTable<N>> ParseNested(const nlmsghdr& reply, uint16_t type, const char* what) {
  AttrTable<1 + IPVS_CMD_ATTR_MAX> top;
  auto* nlh = const_cast<nlmsghdr*>(&reply);
  if (mnl_attr_parse(nlh, sizeof(genlmsghdr), CollectAttr<1 + IPVS_CMD_ATTR_MAX>, &top) < 0 ||
      top.at[type] == nullptr) {
    return Fail(ErrorCode::kParse, std::string("ipvs: reply without a ") + what + " attribute");
  }
  AttrTable<N> inner;
  if (mnl_attr_parse_nested(top.at[type], CollectAttr<N>, &inner) < 0) {
    return Fail(ErrorCode::kParse, std::string("ipvs: malformed ") + what + " attribute");
  }
  return inner;
}

bool HasPayload(const nlattr* a, size_t size) {
  return a != nullptr && mnl_attr_get_payload_len(a) >= size;
}

uint16_t GetU16(const nlattr* a) {
  uint16_t v;
  std::memcpy(&v, mnl_attr_get_payload(a), sizeof v);
  return v;
}

uint32_t GetU32(const nlattr* a) {
  uint32_t v;
  std::memcpy(&v, mnl_attr_get_payload(a), sizeof v);
  return v;
}

Result<Family> FamilyFromAf(uint16_t af) {
  if (af == AF_INET) return Family::kIpv4;
  if (af == AF_INET6) return Family::kIpv6;
  return Fail(ErrorCode::kParse, "ipvs: unknown address family " + std::to_string(af));
}

}  // namespace

Message BuildGetFamily() {
  Builder b(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
  mnl_attr_put_strz(b.nlh(), CTRL_ATTR_FAMILY_NAME, kFamilyName);
  return b.Take();
}

Result<uint16_t> ParseFamilyId(const nlmsghdr& reply) {
  AttrTable<1 + CTRL_ATTR_MAX> top;
  if (reply.nlmsg_len < NLMSG_HDRLEN + sizeof(genlmsghdr) ||
      mnl_attr_parse(const_cast<nlmsghdr*>(&reply), sizeof(genlmsghdr),
                     CollectAttr<1 + CTRL_ATTR_MAX>, &top) < 0 ||
      !HasPayload(top.at[CTRL_ATTR_FAMILY_ID], 2)) {
    return Fail(ErrorCode::kParse, "ipvs: family reply without CTRL_ATTR_FAMILY_ID");
  }
  return GetU16(top.at[CTRL_ATTR_FAMILY_ID]);
}

Message BuildGetTimeouts(uint16_t family_id) {
  Builder b(family_id, kRequestFlags, IPVS_CMD_GET_CONFIG, kFamilyVersion);
  return b.Take();
}

Message BuildSetTimeouts(uint16_t family_id, const Timeouts& t) {
  Builder b(family_id, kRequestFlags, IPVS_CMD_SET_CONFIG, kFamilyVersion);
  if (t.tcp != 0) mnl_attr_put_u32(b.nlh(), IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
  if (t.tcp_fin != 0) mnl_attr_put_u32(b.nlh(), IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin);
  if (t.udp != 0) mnl_attr_put_u32(b.nlh(), IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
  return b.Take();
}

Result<Timeouts> ParseTimeouts(const nlmsghdr& reply) {
  AttrTable<1 + IPVS_CMD_ATTR_MAX> top;
  if (reply.nlmsg_len < NLMSG_HDRLEN + sizeof(genlmsghdr) ||
      mnl_attr_parse(const_cast<nlmsghdr*>(&reply), sizeof(genlmsghdr),
                     CollectAttr<1 + IPVS_CMD_ATTR_MAX>, &top) < 0) {
    return Fail(ErrorCode::kParse, "ipvs: malformed GET_CONFIG reply");
  }
  Timeouts t;
  for (auto [type, slot] : {std::pair{IPVS_CMD_ATTR_TIMEOUT_TCP, &t.tcp},
                            std::pair{IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, &t.tcp_fin},
                            std::pair{IPVS_CMD_ATTR_TIMEOUT_UDP, &t.udp}}) {
    if (!HasPayload(top.at[type], 4))
      return Fail(ErrorCode::kParse, "ipvs: GET_CONFIG reply without its timeouts");
    *slot = GetU32(top.at[type]);
  }
  return t;
}

Message BuildServiceCommand(uint16_t family_id, Command command, const Service& service) {
  Builder b(family_id, kRequestFlags, static_cast<uint8_t>(command), kFamilyVersion);
  PutService(b.nlh(), service, FullCommand(command));
  return b.Take();
}

Message BuildDestinationCommand(uint16_t family_id, Command command, const Service& service,
                                const Destination& destination) {
  Builder b(family_id, kRequestFlags, static_cast<uint8_t>(command), kFamilyVersion);
  PutService(b.nlh(), service, /*full=*/false);
  PutDestination(b.nlh(), destination, FullCommand(command));
  return b.Take();
}

Message BuildDumpServices(uint16_t family_id) {
  Builder b(family_id, NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_SERVICE, kFamilyVersion);
  return b.Take();
}

Message BuildDumpDestinations(uint16_t family_id, const ServiceKey& key) {
  Builder b(family_id, NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_DEST, kFamilyVersion);
  Service s;
  s.key = key;
  PutService(b.nlh(), s, /*full=*/false);
  return b.Take();
}

Message BuildFlush(uint16_t family_id) {
  Builder b(family_id, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_FLUSH, kFamilyVersion);
  return b.Take();
}

Message BuildOp(uint16_t family_id, const Op& op) {
  switch (op.kind) {
    case OpKind::kAddService:
      return BuildServiceCommand(family_id, Command::kNewService, op.service);
    case OpKind::kUpdateService:
      return BuildServiceCommand(family_id, Command::kSetService, op.service);
    case OpKind::kDeleteService:
      return BuildServiceCommand(family_id, Command::kDelService, op.service);
    case OpKind::kAddDestination:
      return BuildDestinationCommand(family_id, Command::kNewDest, op.service, *op.destination);
    case OpKind::kUpdateDestination:
      return BuildDestinationCommand(family_id, Command::kSetDest, op.service, *op.destination);
    case OpKind::kDeleteDestination:
      return BuildDestinationCommand(family_id, Command::kDelDest, op.service, *op.destination);
  }
  return {};
}

SyncDaemonConfig SyncDaemonConfigOf(const model::LvsSyncDaemon& d, uint32_t default_sync_id) {
  SyncDaemonConfig c;
  c.interface = d.interface;
  c.sync_id = static_cast<uint8_t>(d.sync_id.value_or(default_sync_id));
  c.maxlen = static_cast<uint16_t>(d.maxlen.value_or(0));
  c.port = d.port.value_or(0);
  c.ttl = d.ttl.value_or(0);
  if (d.group) {
    const auto& b = d.group->bytes();
    c.group = IpAddress::FromBytes(d.group->is_v4() ? Family::kIpv4 : Family::kIpv6, b.data());
  }
  return c;
}

Message BuildStartDaemon(uint16_t family_id, SyncRole role, const SyncDaemonConfig& c) {
  Builder b(family_id, kRequestFlags, IPVS_CMD_NEW_DAEMON, kFamilyVersion);
  nlmsghdr* nlh = b.nlh();
  nlattr* nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DAEMON);
  mnl_attr_put_u32(nlh, IPVS_DAEMON_ATTR_STATE, static_cast<uint32_t>(role));
  mnl_attr_put_strz(nlh, IPVS_DAEMON_ATTR_MCAST_IFN, c.interface.c_str());
  mnl_attr_put_u32(nlh, IPVS_DAEMON_ATTR_SYNC_ID, c.sync_id);
  if (c.maxlen != 0) mnl_attr_put_u16(nlh, IPVS_DAEMON_ATTR_SYNC_MAXLEN, c.maxlen);
  if (c.port != 0) mnl_attr_put_u16(nlh, IPVS_DAEMON_ATTR_MCAST_PORT, c.port);
  if (c.ttl != 0) mnl_attr_put_u8(nlh, IPVS_DAEMON_ATTR_MCAST_TTL, c.ttl);
  if (c.group && c.group->family() == Family::kIpv4) {
    mnl_attr_put(nlh, IPVS_DAEMON_ATTR_MCAST_GROUP, 4, c.group->bytes().data());
  } else if (c.group) {
    mnl_attr_put(nlh, IPVS_DAEMON_ATTR_MCAST_GROUP6, 16, c.group->bytes().data());
  }
  mnl_attr_nest_end(nlh, nest);
  return b.Take();
}

Message BuildStopDaemon(uint16_t family_id, SyncRole role, uint8_t sync_id) {
  Builder b(family_id, kRequestFlags, IPVS_CMD_DEL_DAEMON, kFamilyVersion);
  nlattr* nest = mnl_attr_nest_start(b.nlh(), IPVS_CMD_ATTR_DAEMON);
  mnl_attr_put_u32(b.nlh(), IPVS_DAEMON_ATTR_STATE, static_cast<uint32_t>(role));
  mnl_attr_put_u32(b.nlh(), IPVS_DAEMON_ATTR_SYNC_ID, sync_id);
  mnl_attr_nest_end(b.nlh(), nest);
  return b.Take();
}

Message BuildDumpDaemons(uint16_t family_id) {
  Builder b(family_id, NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_DAEMON, kFamilyVersion);
  return b.Take();
}

Result<DaemonStatus> ParseDaemon(const nlmsghdr& reply) {
  auto t = ParseNested<1 + IPVS_DAEMON_ATTR_MAX>(reply, IPVS_CMD_ATTR_DAEMON, "daemon");
  if (!t) return std::unexpected(t.error());
  const auto& at = t->at;
  if (!HasPayload(at[IPVS_DAEMON_ATTR_STATE], 4) || !HasPayload(at[IPVS_DAEMON_ATTR_SYNC_ID], 4) ||
      at[IPVS_DAEMON_ATTR_MCAST_IFN] == nullptr ||
      mnl_attr_validate(at[IPVS_DAEMON_ATTR_MCAST_IFN], MNL_TYPE_NUL_STRING) < 0) {
    return Fail(ErrorCode::kParse, "ipvs: daemon without state, interface or sync id");
  }
  DaemonStatus d;
  uint32_t state = GetU32(at[IPVS_DAEMON_ATTR_STATE]);
  if (state != IP_VS_STATE_MASTER && state != IP_VS_STATE_BACKUP)
    return Fail(ErrorCode::kParse, "ipvs: daemon in unknown state " + std::to_string(state));
  d.role = static_cast<SyncRole>(state);
  d.config.interface = mnl_attr_get_str(at[IPVS_DAEMON_ATTR_MCAST_IFN]);
  d.config.sync_id = static_cast<uint8_t>(GetU32(at[IPVS_DAEMON_ATTR_SYNC_ID]));
  if (HasPayload(at[IPVS_DAEMON_ATTR_SYNC_MAXLEN], 2))
    d.config.maxlen = GetU16(at[IPVS_DAEMON_ATTR_SYNC_MAXLEN]);
  if (HasPayload(at[IPVS_DAEMON_ATTR_MCAST_PORT], 2))
    d.config.port = GetU16(at[IPVS_DAEMON_ATTR_MCAST_PORT]);
  if (HasPayload(at[IPVS_DAEMON_ATTR_MCAST_TTL], 1))
    d.config.ttl = mnl_attr_get_u8(at[IPVS_DAEMON_ATTR_MCAST_TTL]);
  if (HasPayload(at[IPVS_DAEMON_ATTR_MCAST_GROUP6], 16)) {
    d.config.group = IpAddress::FromBytes(
        Family::kIpv6,
        static_cast<const uint8_t*>(mnl_attr_get_payload(at[IPVS_DAEMON_ATTR_MCAST_GROUP6])));
  } else if (HasPayload(at[IPVS_DAEMON_ATTR_MCAST_GROUP], 4)) {
    d.config.group = IpAddress::FromBytes(
        Family::kIpv4,
        static_cast<const uint8_t*>(mnl_attr_get_payload(at[IPVS_DAEMON_ATTR_MCAST_GROUP])));
  }
  return d;
}

Result<Service> ParseService(const nlmsghdr& reply) {
  auto t = ParseNested<1 + IPVS_SVC_ATTR_MAX>(reply, IPVS_CMD_ATTR_SERVICE, "service");
  if (!t) return std::unexpected(t.error());
  const auto& at = t->at;
  if (!HasPayload(at[IPVS_SVC_ATTR_AF], 2))
    return Fail(ErrorCode::kParse, "ipvs: service without AF");
  auto family = FamilyFromAf(GetU16(at[IPVS_SVC_ATTR_AF]));
  if (!family) return std::unexpected(family.error());
  Service s;
  if (HasPayload(at[IPVS_SVC_ATTR_FWMARK], 4) && GetU32(at[IPVS_SVC_ATTR_FWMARK]) != 0) {
    s.key = FwmarkKey{*family, GetU32(at[IPVS_SVC_ATTR_FWMARK])};
  } else {
    size_t len = *family == Family::kIpv4 ? 4 : 16;
    if (!HasPayload(at[IPVS_SVC_ATTR_PROTOCOL], 2) || !HasPayload(at[IPVS_SVC_ATTR_ADDR], len) ||
        !HasPayload(at[IPVS_SVC_ATTR_PORT], 2)) {
      return Fail(ErrorCode::kParse, "ipvs: service without protocol, address or port");
    }
    auto proto = ProtocolFromNumber(static_cast<uint8_t>(GetU16(at[IPVS_SVC_ATTR_PROTOCOL])));
    if (!proto) {
      return Fail(ErrorCode::kParse, "ipvs: service with unknown protocol " +
                                         std::to_string(GetU16(at[IPVS_SVC_ATTR_PROTOCOL])));
    }
    auto* bytes = static_cast<const uint8_t*>(mnl_attr_get_payload(at[IPVS_SVC_ATTR_ADDR]));
    s.key = AddressKey{*proto, IpAddress::FromBytes(*family, bytes),
                       ntohs(GetU16(at[IPVS_SVC_ATTR_PORT]))};
  }
  if (at[IPVS_SVC_ATTR_SCHED_NAME] == nullptr ||
      mnl_attr_validate(at[IPVS_SVC_ATTR_SCHED_NAME], MNL_TYPE_NUL_STRING) < 0) {
    return Fail(ErrorCode::kParse, "ipvs: service without a scheduler name");
  }
  std::string name = mnl_attr_get_str(at[IPVS_SVC_ATTR_SCHED_NAME]);
  auto sched = ParseScheduler(name);
  if (!sched || *sched == Scheduler::kRandom) {
    return Fail(ErrorCode::kParse, "ipvs: service with unknown scheduler '" + name + "'");
  }
  s.scheduler = *sched;
  if (HasPayload(at[IPVS_SVC_ATTR_FLAGS], sizeof(ip_vs_flags))) {
    ip_vs_flags flags;
    std::memcpy(&flags, mnl_attr_get_payload(at[IPVS_SVC_ATTR_FLAGS]), sizeof flags);
    s.one_packet = (flags.flags & IP_VS_SVC_F_ONEPACKET) != 0;
    if (flags.flags & IP_VS_SVC_F_SCHED1) s.scheduler_flags |= kSchedFlag1;
    if (flags.flags & IP_VS_SVC_F_SCHED2) s.scheduler_flags |= kSchedFlag2;
    if (flags.flags & IP_VS_SVC_F_SCHED3) s.scheduler_flags |= kSchedFlag3;
    if ((flags.flags & IP_VS_SVC_F_PERSISTENT) && HasPayload(at[IPVS_SVC_ATTR_TIMEOUT], 4)) {
      s.persistence_timeout = GetU32(at[IPVS_SVC_ATTR_TIMEOUT]);
    }
  }
  if (at[IPVS_SVC_ATTR_PE_NAME] != nullptr &&
      mnl_attr_validate(at[IPVS_SVC_ATTR_PE_NAME], MNL_TYPE_NUL_STRING) >= 0) {
    s.persistence_engine = mnl_attr_get_str(at[IPVS_SVC_ATTR_PE_NAME]);
  }
  if (s.persistence_timeout != 0 && HasPayload(at[IPVS_SVC_ATTR_NETMASK], 4)) {
    uint32_t v = GetU32(at[IPVS_SVC_ATTR_NETMASK]);
    int prefix = *family == Family::kIpv6 ? static_cast<int>(v) : std::popcount(ntohl(v));
    if (prefix < FamilyBits(*family)) s.persistence_prefix = static_cast<uint8_t>(prefix);
  }
  return s;
}

Result<DestinationConnections> ParseDestinationConnections(const nlmsghdr& reply,
                                                           Family service_family) {
  auto d = ParseDestination(reply, service_family);
  if (!d) return std::unexpected(d.error());
  auto t = ParseNested<1 + IPVS_DEST_ATTR_MAX>(reply, IPVS_CMD_ATTR_DEST, "destination");
  if (!t) return std::unexpected(t.error());
  DestinationConnections out{.key = d->key};
  if (HasPayload(t->at[IPVS_DEST_ATTR_ACTIVE_CONNS], 4))
    out.active = GetU32(t->at[IPVS_DEST_ATTR_ACTIVE_CONNS]);
  if (HasPayload(t->at[IPVS_DEST_ATTR_INACT_CONNS], 4))
    out.inactive = GetU32(t->at[IPVS_DEST_ATTR_INACT_CONNS]);
  return out;
}

Result<Destination> ParseDestination(const nlmsghdr& reply, Family service_family) {
  auto t = ParseNested<1 + IPVS_DEST_ATTR_MAX>(reply, IPVS_CMD_ATTR_DEST, "destination");
  if (!t) return std::unexpected(t.error());
  const auto& at = t->at;
  Family family = service_family;
  if (HasPayload(at[IPVS_DEST_ATTR_ADDR_FAMILY], 2)) {
    auto f = FamilyFromAf(GetU16(at[IPVS_DEST_ATTR_ADDR_FAMILY]));
    if (!f) return std::unexpected(f.error());
    family = *f;
  }
  size_t len = family == Family::kIpv4 ? 4 : 16;
  if (!HasPayload(at[IPVS_DEST_ATTR_ADDR], len) || !HasPayload(at[IPVS_DEST_ATTR_PORT], 2) ||
      !HasPayload(at[IPVS_DEST_ATTR_FWD_METHOD], 4) || !HasPayload(at[IPVS_DEST_ATTR_WEIGHT], 4)) {
    return Fail(ErrorCode::kParse, "ipvs: destination without address, port, method or weight");
  }
  Destination d;
  auto* bytes = static_cast<const uint8_t*>(mnl_attr_get_payload(at[IPVS_DEST_ATTR_ADDR]));
  d.key =
      DestinationKey{IpAddress::FromBytes(family, bytes), ntohs(GetU16(at[IPVS_DEST_ATTR_PORT]))};
  switch (GetU32(at[IPVS_DEST_ATTR_FWD_METHOD]) & IP_VS_CONN_F_FWD_MASK) {
    case IP_VS_CONN_F_MASQ:
      d.forwarding = Forwarding::kNat;
      break;
    case IP_VS_CONN_F_TUNNEL:
      d.forwarding = Forwarding::kTunnel;
      break;
    case IP_VS_CONN_F_DROUTE:
      d.forwarding = Forwarding::kDirectRoute;
      break;
    default:
      return Fail(ErrorCode::kParse, "ipvs: destination with unsupported forwarding method " +
                                         std::to_string(GetU32(at[IPVS_DEST_ATTR_FWD_METHOD])));
  }
  d.weight = GetU32(at[IPVS_DEST_ATTR_WEIGHT]);
  if (d.forwarding == Forwarding::kTunnel) {
    if (HasPayload(at[IPVS_DEST_ATTR_TUN_TYPE], 1)) {
      d.tunnel.type = static_cast<TunnelType>(mnl_attr_get_u8(at[IPVS_DEST_ATTR_TUN_TYPE]));
    }
    if (d.tunnel.type == TunnelType::kGue && HasPayload(at[IPVS_DEST_ATTR_TUN_PORT], 2)) {
      d.tunnel.port = ntohs(GetU16(at[IPVS_DEST_ATTR_TUN_PORT]));
    }
    if (d.tunnel.type != TunnelType::kIpip && HasPayload(at[IPVS_DEST_ATTR_TUN_FLAGS], 2)) {
      d.tunnel.flags = GetU16(at[IPVS_DEST_ATTR_TUN_FLAGS]);
    }
  }
  if (HasPayload(at[IPVS_DEST_ATTR_U_THRESH], 4))
    d.upper_threshold = GetU32(at[IPVS_DEST_ATTR_U_THRESH]);
  if (HasPayload(at[IPVS_DEST_ATTR_L_THRESH], 4))
    d.lower_threshold = GetU32(at[IPVS_DEST_ATTR_L_THRESH]);
  return d;
}

Result<void> ValidateService(const ServiceEntry& e) {
  const Service& s = e.service;
  std::string context = "virtual server " + KeyToString(s.key) + ": ";
  if (s.scheduler == Scheduler::kRandom) {
    return Fail(ErrorCode::kUnsupported,
                context +
                    "scheduler 'random' is not available with the ipvs backend (use rr, "
                    "wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh or twos, or "
                    "the nftables backend)");
  }
  Family f = KeyFamily(s.key);
  if (s.persistence_prefix && *s.persistence_prefix > FamilyBits(f)) {
    return Fail(ErrorCode::kInvalidArgument,
                context + "persistence prefix /" + std::to_string(*s.persistence_prefix) +
                    " is longer than an " + std::string(FamilyName(f)) + " address");
  }
  for (const auto& [dk, d] : e.destinations) {
    if (d.forwarding == Forwarding::kTunnel && d.tunnel.type == TunnelType::kGue &&
        d.tunnel.port == 0) {
      return Fail(
          ErrorCode::kInvalidArgument,
          context + "real server " + DestinationKeyToString(dk) + ": a GUE tunnel needs a port");
    }
  }
  return {};
}

Result<void> Validate(const State& state) {
  for (const auto& [key, e] : state.services) {
    if (auto r = ValidateService(e); !r) return r;
  }
  return {};
}

}  // namespace vigil::lb::ipvs
