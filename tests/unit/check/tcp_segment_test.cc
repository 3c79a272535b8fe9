#include "check/tcp_segment.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <vector>

namespace vigil::check {
namespace {

SegmentAddresses Addresses(int family, const char* src, const char* dst) {
  SegmentAddresses a;
  a.family = family;
  EXPECT_EQ(inet_pton(family, src, a.src.data()), 1);
  EXPECT_EQ(inet_pton(family, dst, a.dst.data()), 1);
  return a;
}

// Expected bytes from scapy: IP(src=..., dst=...)/TCP(sport=40000, dport=..., seq=...,
// flags='S', window=64240, options=[('MSS', ...)]), transport part.
TEST(TcpSegmentTest, BuildsAnIpv4SynByteForByte) {
  const auto syn = BuildSyn(Addresses(AF_INET, "10.0.0.1", "10.0.0.2"), 40000, 80, 0x01020304, 1460);
  const std::vector<uint8_t> expected = {0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04,
                                         0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xfa, 0xf0,
                                         0xe8, 0x9c, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4};
  EXPECT_EQ(std::vector<uint8_t>(syn.begin(), syn.end()), expected);
}

TEST(TcpSegmentTest, BuildsAnIpv6SynByteForByte) {
  const auto syn =
      BuildSyn(Addresses(AF_INET6, "2001:db8::1", "2001:db8::2"), 40000, 443, 0xfffffffe, 1440);
  const std::vector<uint8_t> expected = {0x9c, 0x40, 0x01, 0xbb, 0xff, 0xff, 0xff, 0xfe,
                                         0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xfa, 0xf0,
                                         0xa3, 0xda, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0};
  EXPECT_EQ(std::vector<uint8_t>(syn.begin(), syn.end()), expected);
}

TEST(TcpSegmentTest, BuildsTheIpv4HeaderForIpHdrincl) {
  // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=0, flags='DF', ttl=64)/<the SYN above>
  const auto h = BuildIpv4Header(Addresses(AF_INET, "10.0.0.1", "10.0.0.2"), kSynLength);
  const std::vector<uint8_t> expected = {0x45, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x40,
                                         0x00, 0x40, 0x06, 0x26, 0xca, 0x0a, 0x00,
                                         0x00, 0x01, 0x0a, 0x00, 0x00, 0x02};
  EXPECT_EQ(std::vector<uint8_t>(h.begin(), h.end()), expected);
}

TEST(TcpSegmentTest, FindsTheTransportHeaderInAQuotedPacket) {
  // An ICMP error quotes the IPv4 header (here with 4 bytes of options) and 8 bytes of TCP.
  std::vector<uint8_t> quoted = {0x46, 0, 0, 0x2c, 0, 0, 0x40, 0, 0x40, 6, 0, 0, 10, 0, 0, 1,
                                 10,   0, 0, 2,    1, 1, 1,    1, 0x9c, 0x40, 0, 0x50,
                                 1,    2, 3, 4};
  auto tcp = ParseQuotedTcpHeader(QuotedIpv4Payload(quoted));
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->sport, 40000);
  EXPECT_EQ(tcp->dport, 80);
  EXPECT_EQ(tcp->seq, 0x01020304u);
  EXPECT_TRUE(QuotedIpv4Payload(std::span(quoted).first(23)).empty());  // header cut short
  quoted[0] = 0x60;
  EXPECT_TRUE(QuotedIpv4Payload(quoted).empty());
}

// A SYN-ACK from 10.0.0.2:80 to 10.0.0.1:40000 with one IPv4 option (NOP x4), as a raw
// IPv4 socket reads it.
std::vector<uint8_t> SynAckPacket() {
  return {0x46, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,  // IPv4
          10,   0,    0,    2,    10,   0,    0,    1,    0x01, 0x01, 0x01, 0x01,  // + option
          0x00, 0x50, 0x9c, 0x40, 0xaa, 0xbb, 0xcc, 0xdd, 0x01, 0x02, 0x03, 0x05,  // TCP
          0x50, 0x12, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
}

TEST(TcpSegmentTest, SplitsAnIpv4PacketWithOptions) {
  const std::vector<uint8_t> packet = SynAckPacket();
  auto ip = ParseIpv4Packet(packet);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->protocol, 6);
  EXPECT_EQ(ip->src, (std::array<uint8_t, 4>{10, 0, 0, 2}));
  EXPECT_EQ(ip->dst, (std::array<uint8_t, 4>{10, 0, 0, 1}));
  ASSERT_EQ(ip->payload.size(), 20u);
  auto tcp = ParseTcpHeader(ip->payload);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->sport, 80);
  EXPECT_EQ(tcp->dport, 40000);
  EXPECT_EQ(tcp->seq, 0xaabbccddu);
  EXPECT_EQ(tcp->ack, 0x01020305u);
  EXPECT_EQ(tcp->flags, kTcpFlagSyn | kTcpFlagAck);
}

TEST(TcpSegmentTest, RejectsTruncatedOrForeignPackets) {
  std::vector<uint8_t> packet = SynAckPacket();
  EXPECT_FALSE(ParseIpv4Packet(std::span(packet).first(19)));
  EXPECT_FALSE(ParseIpv4Packet(std::span(packet).first(40)));  // shorter than total length
  std::vector<uint8_t> v6 = packet;
  v6[0] = 0x66;
  EXPECT_FALSE(ParseIpv4Packet(v6));
  std::vector<uint8_t> fragment = packet;
  fragment[7] = 0x08;  // offset 8: not the first fragment
  EXPECT_FALSE(ParseIpv4Packet(fragment));
  std::vector<uint8_t> short_header = packet;
  short_header[0] = 0x44;  // IHL 4 < 5
  EXPECT_FALSE(ParseIpv4Packet(short_header));

  const std::span<const uint8_t> tcp = std::span<const uint8_t>(packet).subspan(24);
  EXPECT_FALSE(ParseTcpHeader(tcp.first(19)));
  std::vector<uint8_t> bad_offset(tcp.begin(), tcp.end());
  bad_offset[12] = 0x40;  // data offset 4 words
  EXPECT_FALSE(ParseTcpHeader(bad_offset));
  bad_offset[12] = 0x60;  // 6 words: longer than the 20 bytes there are
  EXPECT_FALSE(ParseTcpHeader(bad_offset));
  auto quoted = ParseQuotedTcpHeader(tcp.first(8));
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->sport, 80);
  EXPECT_EQ(quoted->seq, 0xaabbccddu);
  EXPECT_FALSE(ParseQuotedTcpHeader(tcp.first(7)));
}

TEST(TcpSegmentTest, ClassifiesTheAnswersToASyn) {
  TcpHeaderFields reply;
  reply.ack = 0x01020305;
  reply.flags = kTcpFlagSyn | kTcpFlagAck;
  EXPECT_EQ(ClassifyReply(reply, 0x01020304), SynReply::kOpen);
  EXPECT_EQ(ClassifyReply(reply, 0x01020305), std::nullopt);  // answers another SYN
  reply.flags = kTcpFlagRst | kTcpFlagAck;
  EXPECT_EQ(ClassifyReply(reply, 0x01020304), SynReply::kRefused);
  reply.flags = kTcpFlagRst;  // a reset without ACK answers nothing of ours
  EXPECT_EQ(ClassifyReply(reply, 0x01020304), std::nullopt);
  reply.flags = kTcpFlagSyn;
  EXPECT_EQ(ClassifyReply(reply, 0x01020304), std::nullopt);
  reply.flags = kTcpFlagSyn | kTcpFlagAck | kTcpFlagFin;
  EXPECT_EQ(ClassifyReply(reply, 0x01020304), std::nullopt);
  reply.flags = kTcpFlagSyn | kTcpFlagAck;
  reply.ack = 0;
  EXPECT_EQ(ClassifyReply(reply, 0xffffffff), SynReply::kOpen);  // sequence numbers wrap
}

}  // namespace
}  // namespace vigil::check
