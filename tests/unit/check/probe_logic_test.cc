#include "check/probe_logic.h"

#include <cerrno>

#include <gtest/gtest.h>

#include <climits>

namespace vigil::check {
namespace {

TEST(DnsQueryTest, RootSoaQueryBytes) {
  auto q = BuildDnsQuery(0x1234, ".", 6);
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, (std::vector<uint8_t>{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,  // header
                                      0,                                             // root
                                      0, 6, 0, 1}));
}

TEST(DnsQueryTest, NameIsEncodedAsLabels) {
  auto q = BuildDnsQuery(1, "www.example.com.", 28);
  ASSERT_TRUE(q);
  std::vector<uint8_t> want = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 7, 'e',
                               'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 28, 0, 1};
  EXPECT_EQ(*q, want);
  EXPECT_EQ(*BuildDnsQuery(1, "www.example.com", 28), want);
  EXPECT_FALSE(BuildDnsQuery(1, "a..b", 1));
  EXPECT_FALSE(BuildDnsQuery(1, std::string(64, 'x'), 1));
}

TEST(DnsQueryTest, TypeNames) {
  EXPECT_EQ(DnsTypeFromName("soa"), 6);
  EXPECT_EQ(DnsTypeFromName("AAAA"), 28);
  EXPECT_EQ(DnsTypeFromName("DNSKEY"), 48);
  EXPECT_EQ(DnsTypeFromName("SRV"), std::nullopt);
}

TEST(DnsResponseTest, JudgesIdQrAndRcode) {
  int rcode = -1;
  uint8_t ok[12] = {0x12, 0x34, 0x81, 0x80};
  EXPECT_EQ(JudgeDnsResponse(0x1234, ok, 12, &rcode), DnsVerdict::kSuccess);
  EXPECT_EQ(rcode, 0);
  uint8_t nx[12] = {0x12, 0x34, 0x81, 0x83};
  EXPECT_EQ(JudgeDnsResponse(0x1234, nx, 12, &rcode), DnsVerdict::kFailure);
  EXPECT_EQ(rcode, 3);
  EXPECT_EQ(JudgeDnsResponse(0x1235, ok, 12, &rcode), DnsVerdict::kIgnore);
  uint8_t query[12] = {0x12, 0x34, 0x01, 0x00};
  EXPECT_EQ(JudgeDnsResponse(0x1234, query, 12, &rcode), DnsVerdict::kIgnore);
  EXPECT_EQ(JudgeDnsResponse(0x1234, ok, 11, &rcode), DnsVerdict::kIgnore);
}

TEST(ConnectFailureKindTest, AtOnceOrUnderWayAsKeepalivedTellsThemApart) {
  for (int err : {ENETUNREACH, EHOSTUNREACH, ECONNREFUSED, EHOSTDOWN, ENETDOWN, ECONNRESET,
                  ECONNABORTED, ETIMEDOUT})
    EXPECT_EQ(ConnectFailureKind(err, true), FailureKind::kUnreachable) << err;
  EXPECT_EQ(ConnectFailureKind(EADDRNOTAVAIL, true), FailureKind::kConnectError);
  EXPECT_EQ(ConnectFailureKind(EACCES, true), FailureKind::kConnectError);
  EXPECT_EQ(ConnectFailureKind(ETIMEDOUT, false), FailureKind::kConnectTimeout);
  EXPECT_EQ(ConnectFailureKind(ECONNREFUSED, false), FailureKind::kConnectFailed);
  EXPECT_EQ(ConnectFailureKind(EHOSTUNREACH, false), FailureKind::kConnectFailed);
}

TEST(SmtpReplyTest, Codes) {
  EXPECT_EQ(SmtpReplyCode("220 mail.example ESMTP\r\n"), 220);
  EXPECT_EQ(SmtpReplyCode("250\r\n"), 250);
  EXPECT_EQ(SmtpReplyCode("220-first line\r\n"), 0);
  EXPECT_EQ(SmtpReplyCode("22 short\r\n"), -1);
  EXPECT_EQ(SmtpReplyCode("2200 long\r\n"), -1);
  EXPECT_EQ(SmtpReplyCode("hello\r\n"), -1);
  // Found by fuzz_smtp_reply: code 000 came back as 0, a continuation line, so a server
  // answering "000 x" kept the probe reading until its timeout.
  EXPECT_EQ(SmtpReplyCode("000 x\r\n"), -1);
  EXPECT_EQ(SmtpReplyCode("099\r\n"), -1);
  EXPECT_EQ(SmtpReplyCode("000-x\r\n"), -1);
  EXPECT_EQ(SmtpReplyCode("100 x\r\n"), 100);
}

TEST(UdpReplyTest, LengthsDataAndMask) {
  UdpCheck c;
  c.require_reply = true;
  c.min_reply_length = 2;
  c.max_reply_length = 4;
  const uint8_t three[] = {0xab, 0xcd, 0xef};
  EXPECT_TRUE(UdpReplyMatches(c, three, 3));
  EXPECT_FALSE(UdpReplyMatches(c, three, 1));
  const uint8_t five[] = {1, 2, 3, 4, 5};
  EXPECT_FALSE(UdpReplyMatches(c, five, 5));
  c.reply_data = {0xab, 0xcc};
  EXPECT_FALSE(UdpReplyMatches(c, three, 3));
  c.reply_mask = {0x00, 0x01};  // ignore the lowest bit of byte 1
  EXPECT_TRUE(UdpReplyMatches(c, three, 3));
}

TEST(UdpReplyTest, DefaultPayloadIs32FillerBytes) {
  auto p = DefaultUdpPayload();
  ASSERT_EQ(p.size(), 32u);
  EXPECT_EQ(std::string(p.begin(), p.end()), "vigil health check - vigil healt");
}

TEST(EchoTest, RequestBytes) {
  const std::vector<uint8_t> v4 = BuildEchoRequest(false, 0x1234, 0x0007);
  ASSERT_EQ(v4.size(), 64u);
  // type 8, code 0, checksum, id, sequence, then 0, 1, 2, ...
  EXPECT_EQ(std::vector<uint8_t>(v4.begin(), v4.begin() + 10),
            (std::vector<uint8_t>{8, 0, 0xee, 0xb1, 0x12, 0x34, 0x00, 0x07, 0, 1}));
  EXPECT_EQ(v4[63], 55);
  const std::vector<uint8_t> v6 = BuildEchoRequest(true, 0x1234, 0x0007);
  // type 128; the kernel fills the ICMPv6 checksum.
  EXPECT_EQ(std::vector<uint8_t>(v6.begin(), v6.begin() + 8),
            (std::vector<uint8_t>{128, 0, 0, 0, 0x12, 0x34, 0x00, 0x07}));
}

TEST(EchoTest, MatchesOnlyOurReply) {
  std::vector<uint8_t> reply = BuildEchoRequest(false, 0x1234, 7);
  reply[0] = 0;  // echo reply
  EchoExpectation dgram{.ipv6 = false, .with_ip_header = false, .match_id = false, .id = 0x9999,
                        .seq = 7};
  EXPECT_TRUE(IsEchoReply(reply, dgram));  // datagram sockets rewrite the id
  EchoExpectation raw = dgram;
  raw.match_id = true;
  EXPECT_FALSE(IsEchoReply(reply, raw));
  raw.id = 0x1234;
  EXPECT_TRUE(IsEchoReply(reply, raw));
  dgram.seq = 8;
  EXPECT_FALSE(IsEchoReply(reply, dgram));
  EXPECT_FALSE(IsEchoReply(std::span(reply).first(7), raw));
  reply[0] = 8;  // our own request looped back is not a reply
  EXPECT_FALSE(IsEchoReply(reply, raw));

  // Raw IPv4 sockets: skip the IP header by its IHL; a header shorter than 20 is refused.
  std::vector<uint8_t> with_header(24, 0);
  with_header[0] = 0x46;  // IHL 6: 4 bytes of options
  reply[0] = 0;
  with_header.insert(with_header.end(), reply.begin(), reply.end());
  raw.with_ip_header = true;
  EXPECT_TRUE(IsEchoReply(with_header, raw));
  with_header[0] = 0x44;
  EXPECT_FALSE(IsEchoReply(with_header, raw));

  std::vector<uint8_t> v6 = BuildEchoRequest(true, 1, 2);
  v6[0] = 129;
  EXPECT_TRUE(IsEchoReply(v6, {.ipv6 = true, .with_ip_header = false, .match_id = true, .id = 1,
                               .seq = 2}));
  v6[0] = 1;  // destination unreachable
  EXPECT_FALSE(IsEchoReply(v6, {.ipv6 = true, .with_ip_header = false, .match_id = false,
                                .id = 1, .seq = 2}));
}

TEST(MiscExitTest, StaticAndDynamic) {
  MiscCheck m;
  EXPECT_TRUE(MiscExitResult(m, 0).ok);
  EXPECT_EQ(MiscExitResult(m, 0).weight, std::nullopt);
  EXPECT_FALSE(MiscExitResult(m, 1).ok);
  EXPECT_FALSE(MiscExitResult(m, 5).ok);
  m.dynamic = true;
  EXPECT_EQ(MiscExitResult(m, 0).weight, (WeightUpdate{WeightUpdate::Kind::kOffset, 0}));
  EXPECT_FALSE(MiscExitResult(m, 1).ok);
  ProbeResult r = MiscExitResult(m, 2);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.weight, (WeightUpdate{WeightUpdate::Kind::kAbsolute, 0}));
  EXPECT_EQ(MiscExitResult(m, 255).weight, (WeightUpdate{WeightUpdate::Kind::kAbsolute, 253}));
  EXPECT_EQ(MiscExitResult(m, 7).detail, "exited with status 7");
}

TEST(FileCheckTest, WeightZeroMeansNonZeroFails) {
  FileCheck f{"/x", 0, false};
  EXPECT_TRUE(FileCheckResult(f, 0).ok);
  EXPECT_FALSE(FileCheckResult(f, 3).ok);
  f.reverse = true;
  EXPECT_FALSE(FileCheckResult(f, 0).ok);
  EXPECT_TRUE(FileCheckResult(f, 3).ok);
}

TEST(FileCheckTest, NonZeroWeightScalesTheValue) {
  FileCheck f{"/x", 5, false};
  ProbeResult r = FileCheckResult(f, 3);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.weight, (WeightUpdate{WeightUpdate::Kind::kOffset, 15}));
  f.reverse = true;
  EXPECT_EQ(FileCheckResult(f, 3).weight, (WeightUpdate{WeightUpdate::Kind::kOffset, -15}));
  f = FileCheck{"/x", 1, false};
  EXPECT_FALSE(FileCheckResult(f, INT32_MIN).ok);
  EXPECT_TRUE(FileCheckResult(f, INT32_MIN + 1LL).ok);
}

}  // namespace
}  // namespace vigil::check
