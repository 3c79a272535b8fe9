#include "net/conntrack.h"

#include <linux/netfilter/nf_conntrack_tcp.h>

#include <cstring>

#include <gtest/gtest.h>

// Designated initializers name only the fields a test cares about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vigil::net::conntrack {
namespace {

using Bytes = std::vector<uint8_t>;

RawAddress Addr(const char* text) { return *RawAddress::Parse(text); }

// One netlink attribute as the kernel lays it out: {u16 len, u16 type}, payload, padding to 4.
Bytes Attr(uint16_t type, const Bytes& payload) {
  const uint16_t len = static_cast<uint16_t>(4 + payload.size());
  Bytes out = {static_cast<uint8_t>(len), static_cast<uint8_t>(len >> 8),
               static_cast<uint8_t>(type), static_cast<uint8_t>(type >> 8)};
  out.insert(out.end(), payload.begin(), payload.end());
  while (out.size() % 4) out.push_back(0);
  return out;
}
Bytes Nest(uint16_t type, std::initializer_list<Bytes> parts) {
  Bytes payload;
  for (const Bytes& p : parts) payload.insert(payload.end(), p.begin(), p.end());
  return Attr(type | 0x8000, payload);
}

// A conntrack dump answer: header {len, type 0x0100 (CTNETLINK, CT_NEW), NLM_F_MULTI},
// nfgenmsg {AF_INET, 0, 0} and the attributes.
Bytes EntryMessage(std::initializer_list<Bytes> attrs) {
  Bytes body = {2, 0, 0, 0};
  for (const Bytes& a : attrs) body.insert(body.end(), a.begin(), a.end());
  const uint32_t len = static_cast<uint32_t>(16 + body.size());
  Bytes out = {static_cast<uint8_t>(len), static_cast<uint8_t>(len >> 8), 0, 0,
               0x00, 0x01, 0x02, 0x00, 7, 0, 0, 0, 0, 0, 0, 0};
  for (uint8_t b : body) out.push_back(b);
  return out;
}

// Tuple {src:sport -> dst:dport} over TCP.
Bytes Tuple4(uint16_t type, Bytes src, uint16_t sport, Bytes dst, uint16_t dport) {
  return Nest(type, {Nest(1, {Attr(1, src), Attr(2, dst)}),
                     Nest(2, {Attr(1, {6}), Attr(2, {uint8_t(sport >> 8), uint8_t(sport)}),
                              Attr(3, {uint8_t(dport >> 8), uint8_t(dport)})})});
}

// A client's connection 10.99.0.1:40000 -> VIP 10.99.0.100:80, NATed to 10.99.0.4:8080.
Bytes NatedEntry(uint8_t tcp_state, uint32_t status = 0x1ae) {
  return EntryMessage({
      Tuple4(1, {10, 99, 0, 1}, 40000, {10, 99, 0, 100}, 80),
      Tuple4(2, {10, 99, 0, 4}, 8080, {10, 99, 0, 1}, 40000),
      Attr(3, {uint8_t(status >> 24), uint8_t(status >> 16), uint8_t(status >> 8), uint8_t(status)}),
      Nest(4, {Nest(1, {Attr(1, {tcp_state})})}),
  });
}

const nlmsghdr& Header(const Bytes& b) { return *reinterpret_cast<const nlmsghdr*>(b.data()); }

ServerMatch Web4() {
  return ServerMatch{.server = Addr("10.99.0.4"), .server_port = 8080, .protocol = 6,
                     .virtual_address = Addr("10.99.0.100"), .virtual_port = 80};
}

TEST(ConntrackTest, DumpRequestFiltersOnTheReplySourceInTheKernel) {
  const Bytes expected = {
      0x44, 0, 0, 0,  0x01, 0x01, 0x01, 0x03,  0, 0, 0, 0,  0, 0, 0, 0,  // CTNETLINK GET, dump
      2, 0, 0, 0,                                                         // AF_INET, v0
      36, 0, 0x02, 0x80,                                                  // CTA_TUPLE_REPLY
      12, 0, 0x01, 0x80,  8, 0, 1, 0,  10, 0, 1, 1,                       // IP: V4_SRC
      20, 0, 0x02, 0x80,  5, 0, 1, 0,  6, 0, 0, 0,  6, 0, 2, 0,  0x1f, 0x90, 0, 0,  // tcp, 8080
      12, 0, 0x19, 0x80,  8, 0, 2, 0,  0x19, 0, 0, 0,                     // CTA_FILTER: reply
  };                                                                     // ip src|proto|sport
  EXPECT_EQ(BuildServerDump(ServerMatch{.server = Addr("10.0.1.1"), .server_port = 8080,
                                        .protocol = 6}),
            expected);
}

TEST(ConntrackTest, DumpRequestWithoutAPortLeavesThePortOut) {
  const Bytes expected = {
      0x48, 0, 0, 0,  0x01, 0x01, 0x01, 0x03,  0, 0, 0, 0,  0, 0, 0, 0,
      10, 0, 0, 0,                                                        // AF_INET6
      40, 0, 0x02, 0x80,
      24, 0, 0x01, 0x80,  20, 0, 3, 0,  0xfd, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 5,
      12, 0, 0x02, 0x80,  5, 0, 1, 0,  17, 0, 0, 0,                       // udp, no port
      12, 0, 0x19, 0x80,  8, 0, 2, 0,  0x09, 0, 0, 0,                     // ip src|proto
  };
  EXPECT_EQ(BuildServerDump(ServerMatch{.server = Addr("fd00::5"), .protocol = 17}), expected);
}

TEST(ConntrackTest, DumpRequestWithoutAProtocolFiltersOnTheAddressOnly) {
  const Bytes expected = {
      0x30, 0, 0, 0,  0x01, 0x01, 0x01, 0x03,  0, 0, 0, 0,  0, 0, 0, 0,
      2, 0, 0, 0,
      16, 0, 0x02, 0x80,
      12, 0, 0x01, 0x80,  8, 0, 1, 0,  10, 0, 1, 1,
      12, 0, 0x19, 0x80,  8, 0, 2, 0,  0x01, 0, 0, 0,                     // ip src
  };
  EXPECT_EQ(BuildServerDump(ServerMatch{.server = Addr("10.0.1.1"), .server_port = 8080}),
            expected);
}

TEST(ConntrackTest, ParsesTuplesStatusAndTcpState) {
  const Bytes m = NatedEntry(TCP_CONNTRACK_ESTABLISHED);
  auto e = ParseEntry(Header(m));
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(e->protocol, 6);
  EXPECT_EQ(e->original.source, Addr("10.99.0.1"));
  EXPECT_EQ(e->original.source_port, 40000);
  EXPECT_EQ(e->original.destination, Addr("10.99.0.100"));
  EXPECT_EQ(e->original.destination_port, 80);
  EXPECT_EQ(e->reply.source, Addr("10.99.0.4"));
  EXPECT_EQ(e->reply.source_port, 8080);
  EXPECT_EQ(e->reply.destination, Addr("10.99.0.1"));
  EXPECT_EQ(e->status, 0x1aeu);
  EXPECT_EQ(e->tcp_state, TCP_CONNTRACK_ESTABLISHED);
}

TEST(ConntrackTest, MalformedEntriesAreErrors) {
  Bytes m = EntryMessage({Tuple4(1, {10, 99, 0, 1}, 1, {10, 99, 0, 100}, 80)});
  EXPECT_EQ(ParseEntry(Header(m)).error().ToString(), "conntrack entry: no tuples");
  m = EntryMessage({Nest(1, {Nest(1, {Attr(1, {10, 99, 0, 1})})}),
                    Tuple4(2, {10, 99, 0, 4}, 8080, {10, 99, 0, 1}, 1)});
  EXPECT_EQ(ParseEntry(Header(m)).error().ToString(), "conntrack entry: malformed tuple");
}

TEST(ConntrackTest, OpenConnectionsAreNatedToTheServerAndNotClosing) {
  const ServerMatch match = Web4();
  auto open = [&](const Bytes& m) { return IsOpenConnection(*ParseEntry(Header(m)), match); };
  for (uint8_t state : {TCP_CONNTRACK_SYN_SENT, TCP_CONNTRACK_ESTABLISHED, TCP_CONNTRACK_FIN_WAIT,
                        TCP_CONNTRACK_CLOSE_WAIT, TCP_CONNTRACK_LAST_ACK})
    EXPECT_TRUE(open(NatedEntry(state))) << int(state);
  EXPECT_FALSE(open(NatedEntry(TCP_CONNTRACK_TIME_WAIT)));
  EXPECT_FALSE(open(NatedEntry(TCP_CONNTRACK_CLOSE)));
  // Not destination-NATed: the director's own connection to the server (a health check).
  EXPECT_FALSE(open(NatedEntry(TCP_CONNTRACK_ESTABLISHED, 0x18e)));

  ServerMatch other = match;
  other.server_port = 8081;
  EXPECT_FALSE(IsOpenConnection(*ParseEntry(Header(NatedEntry(3))), other));
  other = match;
  other.virtual_port = 443;  // the same server behind another virtual server
  EXPECT_FALSE(IsOpenConnection(*ParseEntry(Header(NatedEntry(3))), other));
  other.virtual_address.reset();  // a fwmark service: any virtual address
  EXPECT_TRUE(IsOpenConnection(*ParseEntry(Header(NatedEntry(3))), other));
  other = match;
  other.protocol = 17;
  EXPECT_FALSE(IsOpenConnection(*ParseEntry(Header(NatedEntry(3))), other));
  other.protocol = 0;  // a fwmark service: any protocol
  EXPECT_TRUE(IsOpenConnection(*ParseEntry(Header(NatedEntry(3))), other));
}

class FakeTransport final : public NetlinkTransport {
 public:
  Result<void> Transact(std::span<const uint8_t> request, const NetlinkReplyHandler& on_reply) override {
    requests.emplace_back(request.begin(), request.end());
    for (const Bytes& r : replies) on_reply(Header(r));
    return {};
  }
  std::vector<Bytes> requests;
  std::vector<Bytes> replies;
};

TEST(ConntrackTest, CountsTheOpenConnectionsOfTheDump) {
  FakeTransport t;
  t.replies = {NatedEntry(TCP_CONNTRACK_ESTABLISHED), NatedEntry(TCP_CONNTRACK_TIME_WAIT),
               NatedEntry(TCP_CONNTRACK_FIN_WAIT)};
  auto n = CountOpenConnections(t, Web4());
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 2u);
  ASSERT_EQ(t.requests.size(), 1u);
  EXPECT_EQ(t.requests[0], BuildServerDump(Web4()));
  t.replies.push_back(EntryMessage({}));
  EXPECT_EQ(CountOpenConnections(t, Web4()).error().ToString(), "conntrack entry: no tuples");
}

}  // namespace
}  // namespace vigil::net::conntrack
