#include "lb/ipvs_message.h"

#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>

#include "test_util.h"

namespace vigil::lb::ipvs {
namespace {

// Byte tables are laid out by hand, one attribute per line.
// clang-format off

using testing::Dest;
using testing::Fwmark;
using testing::Tcp;
using Bytes = std::vector<uint8_t>;

// The attribute numbers the expected bytes below are written with, checked against the
// kernel header so a renumbering would show here first.
static_assert(IPVS_CMD_ATTR_SERVICE == 1 && IPVS_CMD_ATTR_DEST == 2);
static_assert(IPVS_SVC_ATTR_AF == 1 && IPVS_SVC_ATTR_PROTOCOL == 2 && IPVS_SVC_ATTR_ADDR == 3 &&
              IPVS_SVC_ATTR_PORT == 4 && IPVS_SVC_ATTR_FWMARK == 5 &&
              IPVS_SVC_ATTR_SCHED_NAME == 6 && IPVS_SVC_ATTR_FLAGS == 7 &&
              IPVS_SVC_ATTR_TIMEOUT == 8 && IPVS_SVC_ATTR_NETMASK == 9);
static_assert(IPVS_DEST_ATTR_ADDR == 1 && IPVS_DEST_ATTR_PORT == 2 &&
              IPVS_DEST_ATTR_FWD_METHOD == 3 && IPVS_DEST_ATTR_WEIGHT == 4 &&
              IPVS_DEST_ATTR_U_THRESH == 5 && IPVS_DEST_ATTR_L_THRESH == 6 &&
              IPVS_DEST_ATTR_ADDR_FAMILY == 11 && IPVS_DEST_ATTR_TUN_TYPE == 13 &&
              IPVS_DEST_ATTR_TUN_PORT == 14 && IPVS_DEST_ATTR_TUN_FLAGS == 15);
static_assert(IPVS_CMD_NEW_SERVICE == 1 && IPVS_CMD_NEW_DEST == 5 && IPVS_CMD_SET_DEST == 6 &&
              IPVS_CMD_DEL_DEST == 7 && IPVS_CMD_GET_DEST == 8 && IPVS_CMD_FLUSH == 17);

constexpr uint16_t kFamily = 0x0024;

// nlmsghdr {len, type = kFamily, flags, seq 0, pid 0} + genlmsghdr {cmd, 1, 0}.
Bytes Head(uint32_t len, uint16_t flags, uint8_t cmd, uint16_t type = kFamily) {
  return {uint8_t(len), uint8_t(len >> 8), 0, 0, uint8_t(type), uint8_t(type >> 8),
          uint8_t(flags), uint8_t(flags >> 8), 0, 0, 0, 0, 0, 0, 0, 0, cmd, 1, 0, 0};
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kTcpKey = {
    0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,  // AF = AF_INET
    0x06, 0x00, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00,  // PROTOCOL = 6
    0x14, 0x00, 0x03, 0x00, 0x0a, 0x00, 0x00, 0x01,  // ADDR = 10.0.0.1 (16 bytes)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
    0x00, 0x00, 0x00, 0x00,                          //
    0x06, 0x00, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00,  // PORT = be16 80
};

TEST(IpvsMessageTest, GetFamilyAsksTheControllerForIpvs) {
  EXPECT_EQ(BuildGetFamily(),
            Cat({Head(32, NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY, GENL_ID_CTRL),
                 {0x09, 0x00, 0x02, 0x00, 'I', 'P', 'V', 'S', 0x00, 0x00, 0x00, 0x00}}));
}

TEST(IpvsMessageTest, NewServiceCarriesEveryAttribute) {
  EXPECT_EQ(BuildServiceCommand(kFamily, Command::kNewService, Tcp("10.0.0.1", 80, Scheduler::kWlc)),
            Cat({Head(104, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_NEW_SERVICE),
                 {0x54, 0x00, 0x01, 0x80},  // nested SERVICE, 84 bytes
                 kTcpKey,
                 {0x08, 0x00, 0x06, 0x00, 'w', 'l', 'c', 0x00,        // SCHED_NAME
                  0x0c, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,     // FLAGS {0,
                  0xff, 0xff, 0xff, 0xff,                             //        ~0}
                  0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,     // TIMEOUT 0
                  0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff}}));  // NETMASK /32
}

TEST(IpvsMessageTest, PersistentFwmarkServiceSetsFlagsTimeoutAndPrefix) {
  Service s = Fwmark(7, Scheduler::kSh, Family::kIpv6);
  s.scheduler_flags = kSchedFlag2;  // sh-port
  s.persistence_timeout = 300;
  s.persistence_prefix = 64;
  EXPECT_EQ(BuildServiceCommand(kFamily, Command::kSetService, s),
            Cat({Head(76, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_SET_SERVICE),
                 {0x38, 0x00, 0x01, 0x80,                            // nested SERVICE, 56 bytes
                  0x06, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00,     // AF = AF_INET6
                  0x08, 0x00, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00,     // FWMARK 7
                  0x07, 0x00, 0x06, 0x00, 's', 'h', 0x00, 0x00,       // SCHED_NAME + pad
                  0x0c, 0x00, 0x07, 0x00, 0x11, 0x00, 0x00, 0x00,     // FLAGS {PERSISTENT|SCHED2,
                  0xff, 0xff, 0xff, 0xff,                             //        ~0}
                  0x08, 0x00, 0x08, 0x00, 0x2c, 0x01, 0x00, 0x00,     // TIMEOUT 300
                  0x08, 0x00, 0x09, 0x00, 0x40, 0x00, 0x00, 0x00}}));  // NETMASK: prefix 64
}

static_assert(IPVS_SVC_ATTR_PE_NAME == 11);

TEST(IpvsMessageTest, PersistenceEngineFollowsTheNetmask) {
  Service s = Tcp("10.0.0.1", 80, Scheduler::kRr);
  s.persistence_timeout = 30;
  s.persistence_engine = "sip";
  Bytes m = BuildServiceCommand(kFamily, Command::kNewService, s);
  EXPECT_EQ(m.size(), 112u);
  EXPECT_EQ(Bytes(m.begin() + 20, m.begin() + 24), (Bytes{0x5c, 0x00, 0x01, 0x80}));  // 92 bytes
  EXPECT_EQ(Bytes(m.end() - 16, m.end()),
            (Bytes{0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff,     // NETMASK /32
                   0x08, 0x00, 0x0b, 0x00, 's', 'i', 'p', 0x00}));     // PE_NAME "sip"
  // Without an engine there is no PE_NAME at all (the kernel would look one up).
  s.persistence_engine.clear();
  EXPECT_EQ(BuildServiceCommand(kFamily, Command::kNewService, s).size(), 104u);
}

TEST(IpvsMessageTest, Ipv4NetmaskIsSentInNetworkOrder) {
  Service s = Tcp("10.0.0.1", 80, Scheduler::kRr);
  s.persistence_timeout = 60;
  s.persistence_prefix = 24;
  Bytes m = BuildServiceCommand(kFamily, Command::kNewService, s);
  EXPECT_EQ(Bytes(m.end() - 8, m.end()), (Bytes{0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0x00}));
}

TEST(IpvsMessageTest, DeleteServiceCarriesOnlyTheKey) {
  EXPECT_EQ(BuildServiceCommand(kFamily, Command::kDelService, Tcp("10.0.0.1", 80)),
            Cat({Head(68, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_DEL_SERVICE),
                 {0x30, 0x00, 0x01, 0x80}, kTcpKey}));
}

TEST(IpvsMessageTest, NewDestinationCarriesServiceKeyThenDestination) {
  Destination d = Dest("10.1.0.1", 8080, 3);
  d.forwarding = Forwarding::kDirectRoute;
  d.upper_threshold = 100;
  d.lower_threshold = 10;
  EXPECT_EQ(BuildDestinationCommand(kFamily, Command::kNewDest, Tcp("10.0.0.1", 80), d),
            Cat({Head(140, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_NEW_DEST),
                 {0x30, 0x00, 0x01, 0x80}, kTcpKey,
                 {0x48, 0x00, 0x02, 0x80,                            // nested DEST, 72 bytes
                  0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00,     // ADDR_FAMILY AF_INET
                  0x14, 0x00, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x01,     // ADDR 10.1.0.1
                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     //
                  0x00, 0x00, 0x00, 0x00,                             //
                  0x06, 0x00, 0x02, 0x00, 0x1f, 0x90, 0x00, 0x00,     // PORT be16 8080
                  0x08, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00,     // FWD_METHOD DROUTE
                  0x08, 0x00, 0x04, 0x00, 0x03, 0x00, 0x00, 0x00,     // WEIGHT 3
                  0x08, 0x00, 0x05, 0x00, 0x64, 0x00, 0x00, 0x00,     // U_THRESH 100
                  0x08, 0x00, 0x06, 0x00, 0x0a, 0x00, 0x00, 0x00}}));  // L_THRESH 10
}

TEST(IpvsMessageTest, TunnelDestinationCarriesGueTypePortAndFlags) {
  Destination d = Dest("fd00::10", 0, 1);
  d.forwarding = Forwarding::kTunnel;
  d.tunnel = Tunnel{TunnelType::kGue, 6080, kTunnelFlagCsum};
  Bytes m = BuildDestinationCommand(kFamily, Command::kSetDest, Fwmark(1), d);
  // After ADDR_FAMILY (8), ADDR (20), PORT (8), FWD_METHOD (8), WEIGHT (8) of the DEST nest:
  Bytes want_tail = {
      0x08, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00,  // FWD_METHOD TUNNEL
      0x08, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,  // WEIGHT 1
      0x05, 0x00, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x00,  // TUN_TYPE GUE + pad
      0x06, 0x00, 0x0e, 0x00, 0x17, 0xc0, 0x00, 0x00,  // TUN_PORT be16 6080
      0x06, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x00,  // TUN_FLAGS CSUM
      0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,  // U_THRESH 0
      0x08, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,  // L_THRESH 0
  };
  ASSERT_GT(m.size(), want_tail.size());
  EXPECT_EQ(Bytes(m.end() - static_cast<long>(want_tail.size()), m.end()), want_tail);
  EXPECT_EQ(m[16], IPVS_CMD_SET_DEST);
}

TEST(IpvsMessageTest, DeleteDestinationCarriesOnlyKeys) {
  EXPECT_EQ(BuildDestinationCommand(kFamily, Command::kDelDest, Tcp("10.0.0.1", 80),
                                    Dest("10.1.0.1", 8080, 9)),
            Cat({Head(108, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_DEL_DEST),
                 {0x30, 0x00, 0x01, 0x80}, kTcpKey,
                 {0x28, 0x00, 0x02, 0x80,                            // nested DEST, 40 bytes
                  0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00,     // ADDR_FAMILY
                  0x14, 0x00, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x01,     // ADDR
                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     //
                  0x00, 0x00, 0x00, 0x00,                             //
                  0x06, 0x00, 0x02, 0x00, 0x1f, 0x90, 0x00, 0x00}}));  // PORT
}

TEST(IpvsMessageTest, DumpsAndFlush) {
  EXPECT_EQ(BuildDumpServices(kFamily), Head(20, NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_SERVICE));
  EXPECT_EQ(BuildFlush(kFamily), Head(20, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_FLUSH));
  EXPECT_EQ(BuildDumpDestinations(kFamily, Tcp("10.0.0.1", 80).key),
            Cat({Head(68, NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_DEST),
                 {0x30, 0x00, 0x01, 0x80}, kTcpKey}));
}

static_assert(IPVS_CMD_SET_CONFIG == 12 && IPVS_CMD_GET_CONFIG == 13 &&
              IPVS_CMD_ATTR_TIMEOUT_TCP == 4 && IPVS_CMD_ATTR_TIMEOUT_TCP_FIN == 5 &&
              IPVS_CMD_ATTR_TIMEOUT_UDP == 6);

TEST(IpvsMessageTest, TimeoutsAreGetAndSetConfig) {
  EXPECT_EQ(BuildGetTimeouts(kFamily), Head(20, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_GET_CONFIG));
  EXPECT_EQ(BuildSetTimeouts(kFamily, {.tcp = 900, .tcp_fin = 120, .udp = 300}),
            Cat({Head(44, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_SET_CONFIG),
                 {0x08, 0x00, 0x04, 0x00, 0x84, 0x03, 0x00, 0x00,    // TIMEOUT_TCP = 900
                  0x08, 0x00, 0x05, 0x00, 0x78, 0x00, 0x00, 0x00,    // TIMEOUT_TCP_FIN = 120
                  0x08, 0x00, 0x06, 0x00, 0x2c, 0x01, 0x00, 0x00}}));  // TIMEOUT_UDP = 300
  // Only what is set: the kernel keeps the others.
  EXPECT_EQ(BuildSetTimeouts(kFamily, {.udp = 60}),
            Cat({Head(28, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_SET_CONFIG),
                 {0x08, 0x00, 0x06, 0x00, 0x3c, 0x00, 0x00, 0x00}}));
}

TEST(IpvsParseTest, TimeoutsComeFromTheGetConfigReply) {
  Bytes reply = BuildSetTimeouts(kFamily, {.tcp = 900, .tcp_fin = 120, .udp = 300});
  auto t = ParseTimeouts(*reinterpret_cast<const nlmsghdr*>(reply.data()));
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(*t, (Timeouts{.tcp = 900, .tcp_fin = 120, .udp = 300}));
  Bytes partial = BuildSetTimeouts(kFamily, {.udp = 60});
  auto p = ParseTimeouts(*reinterpret_cast<const nlmsghdr*>(partial.data()));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "ipvs: GET_CONFIG reply without its timeouts");
}

TEST(IpvsMessageTest, OpsMapToCommands) {
  Service s = Tcp("10.0.0.1", 80);
  Destination d = Dest("10.1.0.1", 80);
  EXPECT_EQ(BuildOp(kFamily, {OpKind::kAddService, s, std::nullopt})[16], IPVS_CMD_NEW_SERVICE);
  EXPECT_EQ(BuildOp(kFamily, {OpKind::kUpdateService, s, std::nullopt})[16], IPVS_CMD_SET_SERVICE);
  EXPECT_EQ(BuildOp(kFamily, {OpKind::kDeleteService, s, std::nullopt})[16], IPVS_CMD_DEL_SERVICE);
  EXPECT_EQ(BuildOp(kFamily, {OpKind::kAddDestination, s, d}),
            BuildDestinationCommand(kFamily, Command::kNewDest, s, d));
  EXPECT_EQ(BuildOp(kFamily, {OpKind::kUpdateDestination, s, d})[16], IPVS_CMD_SET_DEST);
  EXPECT_EQ(BuildOp(kFamily, {OpKind::kDeleteDestination, s, d})[16], IPVS_CMD_DEL_DEST);
}

const nlmsghdr& AsHeader(const Bytes& b) { return *reinterpret_cast<const nlmsghdr*>(b.data()); }

TEST(IpvsParseTest, ServicesRoundTripThroughTheWireFormat) {
  Service persistent = Tcp("fd00::1", 443, Scheduler::kMh);
  persistent.persistence_timeout = 900;
  persistent.persistence_prefix = 48;
  persistent.scheduler_flags = kSchedFlag1 | kSchedFlag2;
  Service v4 = Tcp("10.0.0.1", 80, Scheduler::kWrr);
  v4.persistence_timeout = 60;
  v4.persistence_prefix = 24;
  Service ops = Fwmark(9, Scheduler::kRr);
  ops.one_packet = true;
  Service sip = Tcp("10.0.0.3", 5060, Scheduler::kRr);
  sip.persistence_timeout = 30;
  sip.persistence_engine = "sip";
  for (const Service& s : {persistent, v4, ops, sip, Tcp("10.0.0.2", 53, Scheduler::kLblcr)}) {
    Bytes m = BuildServiceCommand(kFamily, Command::kNewService, s);
    auto parsed = ParseService(AsHeader(m));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(*parsed, s) << ToString(*parsed);
  }
}

TEST(IpvsParseTest, DestinationsRoundTripThroughTheWireFormat) {
  Destination tun = Dest("fd00::10", 0, 4);
  tun.forwarding = Forwarding::kTunnel;
  tun.tunnel = Tunnel{TunnelType::kGre, 0, kTunnelFlagRemCsum};
  Destination dr = Dest("10.1.0.1", 8080, 0);
  dr.forwarding = Forwarding::kDirectRoute;
  dr.upper_threshold = 5;
  for (const Destination& d : {tun, dr, Dest("10.1.0.2", 80, 7)}) {
    Bytes m = BuildDestinationCommand(kFamily, Command::kNewDest, Tcp("10.0.0.1", 80), d);
    auto parsed = ParseDestination(AsHeader(m), Family::kIpv4);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(*parsed, d) << ToString(*parsed);
  }
}

TEST(IpvsParseTest, FamilyIdComesFromTheControllerReply) {
  Bytes reply = Cat({Head(40, 0, CTRL_CMD_NEWFAMILY, GENL_ID_CTRL),
                     {0x09, 0x00, 0x02, 0x00, 'I', 'P', 'V', 'S', 0x00, 0x00, 0x00, 0x00,
                      0x06, 0x00, 0x01, 0x00, 0x2a, 0x00, 0x00, 0x00}});
  auto id = ParseFamilyId(AsHeader(reply));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, 0x2a);
  Bytes empty = Head(20, 0, CTRL_CMD_NEWFAMILY, GENL_ID_CTRL);
  EXPECT_EQ(ParseFamilyId(AsHeader(empty)).error().ToString(),
            "ipvs: family reply without CTRL_ATTR_FAMILY_ID");
}

TEST(IpvsParseTest, RejectsRepliesWithoutTheNest) {
  Bytes bare = Head(20, 0, IPVS_CMD_NEW_SERVICE);
  EXPECT_EQ(ParseService(AsHeader(bare)).error().ToString(),
            "ipvs: reply without a service attribute");
  EXPECT_EQ(ParseDestination(AsHeader(bare), Family::kIpv4).error().ToString(),
            "ipvs: reply without a destination attribute");
}

static_assert(IPVS_CMD_NEW_DAEMON == 9 && IPVS_CMD_DEL_DAEMON == 10 &&
              IPVS_CMD_GET_DAEMON == 11 && IPVS_CMD_ATTR_DAEMON == 3);
static_assert(IPVS_DAEMON_ATTR_STATE == 1 && IPVS_DAEMON_ATTR_MCAST_IFN == 2 &&
              IPVS_DAEMON_ATTR_SYNC_ID == 3 && IPVS_DAEMON_ATTR_SYNC_MAXLEN == 4 &&
              IPVS_DAEMON_ATTR_MCAST_GROUP == 5 && IPVS_DAEMON_ATTR_MCAST_GROUP6 == 6 &&
              IPVS_DAEMON_ATTR_MCAST_PORT == 7 && IPVS_DAEMON_ATTR_MCAST_TTL == 8);
static_assert(IP_VS_STATE_MASTER == 1 && IP_VS_STATE_BACKUP == 2);

TEST(IpvsMessageTest, StartDaemonCarriesStateInterfaceAndSyncIdOnly) {
  // As keepalived's libipvs: the three attributes the kernel requires; the kernel's defaults
  // for the rest.
  EXPECT_EQ(BuildStartDaemon(kFamily, SyncRole::kBackup, {.interface = "eth0"}),
            Cat({Head(52, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_NEW_DAEMON),
                 {0x20, 0x00, 0x03, 0x80,                          // nested DAEMON, 32 bytes
                  0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,  // STATE = BACKUP
                  0x09, 0x00, 0x02, 0x00, 'e', 't', 'h', '0',      // MCAST_IFN "eth0\0"
                  0x00, 0x00, 0x00, 0x00,                          //
                  0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00}}));  // SYNC_ID = 0
}

TEST(IpvsMessageTest, StartDaemonCarriesMaxlenPortTtlAndGroupWhenSet) {
  SyncDaemonConfig c{.interface = "sync1", .sync_id = 51, .maxlen = 1472, .port = 8848,
                     .ttl = 2, .group = IpAddress::Parse("239.1.2.3").value()};
  EXPECT_EQ(BuildStartDaemon(kFamily, SyncRole::kMaster, c),
            Cat({Head(84, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_NEW_DAEMON),
                 {0x40, 0x00, 0x03, 0x80,                          // nested DAEMON, 64 bytes
                  0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,  // STATE = MASTER
                  0x0a, 0x00, 0x02, 0x00, 's', 'y', 'n', 'c',      // MCAST_IFN "sync1\0"
                  '1', 0x00, 0x00, 0x00,                           //
                  0x08, 0x00, 0x03, 0x00, 0x33, 0x00, 0x00, 0x00,  // SYNC_ID = 51
                  0x06, 0x00, 0x04, 0x00, 0xc0, 0x05, 0x00, 0x00,  // SYNC_MAXLEN = 1472
                  0x06, 0x00, 0x07, 0x00, 0x90, 0x22, 0x00, 0x00,  // MCAST_PORT = 8848 (host order)
                  0x05, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00,  // MCAST_TTL = 2
                  0x08, 0x00, 0x05, 0x00, 0xef, 0x01, 0x02, 0x03}}));  // MCAST_GROUP (network order)
  SyncDaemonConfig v6{.interface = "eth0", .sync_id = 7,
                      .group = IpAddress::Parse("ff02::1:2").value()};
  EXPECT_EQ(BuildStartDaemon(kFamily, SyncRole::kBackup, v6),
            Cat({Head(72, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_NEW_DAEMON),
                 {0x34, 0x00, 0x03, 0x80,                          // nested DAEMON, 52 bytes
                  0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,  // STATE = BACKUP
                  0x09, 0x00, 0x02, 0x00, 'e', 't', 'h', '0',      // MCAST_IFN "eth0\0"
                  0x00, 0x00, 0x00, 0x00,                          //
                  0x08, 0x00, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00,  // SYNC_ID = 7
                  0x14, 0x00, 0x06, 0x00, 0xff, 0x02, 0x00, 0x00,  // MCAST_GROUP6 ff02::1:2
                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
                  0x00, 0x01, 0x00, 0x02}}));
}

TEST(IpvsMessageTest, StopDaemonCarriesStateAndSyncIdOnly) {
  EXPECT_EQ(BuildStopDaemon(kFamily, SyncRole::kMaster, 51),
            Cat({Head(40, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_DEL_DAEMON),
                 {0x14, 0x00, 0x03, 0x80,                          // nested DAEMON, 20 bytes
                  0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,  // STATE = MASTER
                  0x08, 0x00, 0x03, 0x00, 0x33, 0x00, 0x00, 0x00}}));  // SYNC_ID = 51
  EXPECT_EQ(BuildDumpDaemons(kFamily), Head(20, NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_DAEMON));
}

TEST(IpvsParseTest, DaemonsRoundTripThroughTheWireFormat) {
  for (const auto& [role, config] :
       {std::pair{SyncRole::kMaster, SyncDaemonConfig{.interface = "eth1", .sync_id = 9,
                                                      .maxlen = 1000, .port = 9000, .ttl = 3,
                                                      .group = IpAddress::Parse("239.0.0.9").value()}},
        std::pair{SyncRole::kBackup, SyncDaemonConfig{.interface = "bond0.100", .sync_id = 255,
                                                      .group = IpAddress::Parse("ff05::9").value()}},
        std::pair{SyncRole::kBackup, SyncDaemonConfig{.interface = "eth0"}}}) {
    Bytes wire = BuildStartDaemon(kFamily, role, config);
    auto d = ParseDaemon(AsHeader(wire));
    ASSERT_TRUE(d) << d.error().ToString();
    EXPECT_EQ(*d, (DaemonStatus{role, config}));
  }
  Bytes bare = Head(20, 0, IPVS_CMD_NEW_DAEMON);
  EXPECT_EQ(ParseDaemon(AsHeader(bare)).error().ToString(), "ipvs: reply without a daemon attribute");
  Bytes stop = BuildStopDaemon(kFamily, SyncRole::kMaster, 1);
  EXPECT_EQ(ParseDaemon(AsHeader(stop)).error().ToString(),
            "ipvs: daemon without state, interface or sync id");
}

TEST(IpvsValidateTest, RandomIsAnNftablesOnlyScheduler) {
  State s;
  s.Put(Tcp("10.0.0.1", 80, Scheduler::kRandom));
  EXPECT_EQ(Validate(s).error().ToString(),
            "virtual server tcp 10.0.0.1:80: scheduler 'random' is not available with the ipvs "
            "backend (use rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh or twos, or "
            "the nftables backend)");
  State ok;
  ok.Put(Tcp("10.0.0.1", 80, Scheduler::kLblcr));
  Destination tun = Dest("10.1.0.1", 80);
  tun.forwarding = Forwarding::kTunnel;
  ok.PutDestination(Tcp("10.0.0.1", 80).key, tun);
  EXPECT_TRUE(Validate(ok).has_value());
  tun.tunnel.type = TunnelType::kGue;
  ok.PutDestination(Tcp("10.0.0.1", 80).key, tun);
  EXPECT_EQ(Validate(ok).error().ToString(),
            "virtual server tcp 10.0.0.1:80: real server 10.1.0.1:80: a GUE tunnel needs a port");
}

// clang-format on

}  // namespace
}  // namespace vigil::lb::ipvs
