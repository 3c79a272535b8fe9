#include "vrrp/packet.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "net/checksum.h"

namespace vigil::vrrp {
namespace {

using model::Family;
using model::IpAddress;

// Test vectors below were built with scapy (scapy.layers.vrrp VRRP / VRRPv3, which
// compute the checksums independently) and decoded again with `tshark -V`, which reports
// every VRRP checksum "correct" except the v3_checksum_as_v2 one (Wireshark, like
// keepalived's default, sums VRRPv3 over IPv4 with the pseudo-header):
//
//   IP(src="192.168.1.10", dst="224.0.0.18", ttl=255, tos=0xc0, id=1, proto=112) /
//     VRRP(vrid=51, priority=100, ipcount=2, addrlist=[".100", ".101"], authtype=0, adv=1)
constexpr char kV2Ipv4NoAuth[] =
    "45c0002c00010000ff7018dcc0a8010ae0000012"
    "213364020001f6aec0a80164c0a801650000000000000000";
//   IP(src="10.0.0.2", dst="224.0.0.18", ttl=255, tos=0xc0, id=0x1234) /
//     VRRP(vrid=1, priority=150, addrlist=["10.0.0.100"], authtype=1, adv=3, "secret")
constexpr char kV2Ipv4Pass[] =
    "45c0002812340000ff70be5d0a000002e0000012"
    "210196010103014a0a0000647365637265740000";
//   IP(src="10.0.0.1", dst="224.0.0.18", ttl=255, tos=0xc0, id=7) /
//     VRRPv3(vrid=10, priority=200, addrlist=["10.0.0.100"], adv=100)
constexpr char kV3Ipv4[] =
    "45c0002000070000ff70d0930a000001e0000012"
    "310ac8010064119c0a000064";
// The same VRRPv3 message summed without the pseudo-header (v3_checksum_as_v2):
// scapy's checksum() over 310ac80100640000 0a000064 gives 0xfc2b.
constexpr char kV3Ipv4AsV2Message[] = "310ac8010064fc2b0a000064";
//   IPv6(src="fe80::1", dst="ff02::12", hlim=255) /
//     VRRPv3(vrid=20, priority=100, addrlist=["fe80::100", "2001:db8::100"], adv=100)
constexpr char kV3Ipv6Message[] =
    "3114640200643e1c"
    "fe800000000000000000000000000100"
    "20010db8000000000000000000000100";

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

ChecksumOptions AsV2() {
  ChecksumOptions o;
  o.v3_checksum_as_v2 = true;
  return o;
}

ChecksumOptions LegacyUnicast() {
  ChecksumOptions o;
  o.pseudo_header_destination = Ipv4MulticastGroup();
  return o;
}

Expectation Expect(Family family, Version version, uint8_t vrid, uint16_t interval,
                   std::span<const IpAddress> vips) {
  Expectation e;
  e.family = family;
  e.version = version;
  e.vrid = vrid;
  e.interval = interval;
  e.virtual_addresses = vips;
  return e;
}

Advert V2NoAuthAdvert() {
  Advert a;
  a.version = Version::kV2;
  a.vrid = 51;
  a.priority = 100;
  a.interval = 1;
  a.addresses = {Ip("192.168.1.100"), Ip("192.168.1.101")};
  return a;
}

Advert V2PassAdvert() {
  Advert a;
  a.version = Version::kV2;
  a.vrid = 1;
  a.priority = 150;
  a.interval = 3;
  a.auth_type = AuthType::kPass;
  a.auth_data = MakeAuthData("secret");
  a.addresses = {Ip("10.0.0.100")};
  return a;
}

Advert V3Ipv4Advert() {
  Advert a;
  a.version = Version::kV3;
  a.vrid = 10;
  a.priority = 200;
  a.interval = 100;
  a.addresses = {Ip("10.0.0.100")};
  return a;
}

Advert V3Ipv6Advert() {
  Advert a;
  a.version = Version::kV3;
  a.vrid = 20;
  a.priority = 100;
  a.interval = 100;
  a.addresses = {Ip("fe80::100"), Ip("2001:db8::100")};
  return a;
}

// --- Encoding ---------------------------------------------------------------------

TEST(PacketEncodeTest, V2Ipv4NoAuthIsByteExact) {
  auto p = EncodeIpv4Packet(V2NoAuthAdvert(),
                            {.src = Ip("192.168.1.10"), .dst = Ipv4MulticastGroup(), .id = 1});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, Hex(kV2Ipv4NoAuth));
}

TEST(PacketEncodeTest, V2Ipv4PasswordIsByteExact) {
  auto p = EncodeIpv4Packet(V2PassAdvert(),
                            {.src = Ip("10.0.0.2"), .dst = Ipv4MulticastGroup(), .id = 0x1234});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, Hex(kV2Ipv4Pass));
}

TEST(PacketEncodeTest, V2AuthNoneWritesZeroAuthDataWhateverIsStored) {
  Advert a = V2NoAuthAdvert();
  a.auth_data = MakeAuthData("ignored");
  auto p = EncodeIpv4Packet(a, {.src = Ip("192.168.1.10"), .dst = Ipv4MulticastGroup(), .id = 1});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, Hex(kV2Ipv4NoAuth));
}

TEST(PacketEncodeTest, V3Ipv4IncludesPseudoHeaderByDefault) {
  auto p = EncodeIpv4Packet(V3Ipv4Advert(),
                            {.src = Ip("10.0.0.1"), .dst = Ipv4MulticastGroup(), .id = 7});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, Hex(kV3Ipv4));
}

TEST(PacketEncodeTest, V3Ipv4ChecksumAsV2OmitsPseudoHeader) {
  auto m = EncodeVrrp(V3Ipv4Advert(), Ip("10.0.0.1"), Ipv4MulticastGroup(), AsV2());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, Hex(kV3Ipv4AsV2Message));
}

TEST(PacketEncodeTest, LegacyUnicastChecksumSumsTheMulticastGroup) {
  // Sent to a unicast peer, but summed as if to 224.0.0.18: the checksum equals the
  // multicast advert's.
  auto m = EncodeVrrp(V3Ipv4Advert(), Ip("10.0.0.1"), Ip("10.0.0.2"), LegacyUnicast());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, Hex("310ac8010064119c0a000064"));
  auto plain = EncodeVrrp(V3Ipv4Advert(), Ip("10.0.0.1"), Ip("10.0.0.2"));
  ASSERT_TRUE(plain.has_value());
  EXPECT_NE((*plain)[6], 0x11);  // the real unicast checksum differs
}

TEST(PacketEncodeTest, V3Ipv6ChecksumUsesIpv6PseudoHeader) {
  auto m = EncodeVrrp(V3Ipv6Advert(), Ip("fe80::1"), Ipv6MulticastGroup());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, Hex(kV3Ipv6Message));
}

TEST(PacketEncodeTest, Ipv6PayloadForKernelChecksumHasZeroChecksum) {
  auto m = EncodeVrrp(V3Ipv6Advert(), Family::kIpv6);
  ASSERT_TRUE(m.has_value());
  std::vector<uint8_t> want = Hex(kV3Ipv6Message);
  want[6] = 0;
  want[7] = 0;
  EXPECT_EQ(*m, want);
}

TEST(PacketEncodeTest, ComputeChecksumIgnoresStoredChecksumBytes) {
  const std::vector<uint8_t> m = Hex(kV3Ipv6Message);
  EXPECT_EQ(ComputeChecksum(m, Version::kV3, Ip("fe80::1"), Ipv6MulticastGroup()), 0x3e1c);
}

TEST(PacketEncodeTest, UnicastTtlAndIdAreTheSendersChoice) {
  auto p = EncodeIpv4Packet(V3Ipv4Advert(),
                            {.src = Ip("10.0.0.1"), .dst = Ip("10.0.0.2"), .ttl = 64, .id = 9});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ((*p)[8], 64);
  EXPECT_EQ((*p)[5], 9);
  EXPECT_EQ(net::InternetChecksum(std::span(*p).first(20)), 0);  // header checksum valid
  EXPECT_EQ((*p)[6], 0);                                         // no DF
}

TEST(PacketEncodeTest, Ipv4IdCountsUpAndSkipsZero) {
  EXPECT_EQ(NextIpv4Id(0), 1);
  EXPECT_EQ(NextIpv4Id(41), 42);
  EXPECT_EQ(NextIpv4Id(0xffff), 1);  // the kernel would replace a zero id with its own
}

TEST(PacketEncodeTest, RefusesAddressOfOtherFamily) {
  Advert a = V3Ipv4Advert();
  a.addresses.push_back(Ip("fe80::1"));
  auto m = EncodeVrrp(a, Family::kIpv4);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(m.error().context(), "VRRP advert address fe80::1 is not of the packet's family");
}

TEST(PacketEncodeTest, RefusesV3IntervalBeyondTwelveBits) {
  Advert a = V3Ipv4Advert();
  a.interval = 4096;
  auto m = EncodeVrrp(a, Family::kIpv4);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().context(), "VRRP advert interval 4096 out of range");
}

TEST(PacketEncodeTest, RefusesMoreThan255Addresses) {
  Advert a = V3Ipv4Advert();
  a.addresses.assign(256, Ip("10.0.0.1"));
  EXPECT_FALSE(EncodeVrrp(a, Family::kIpv4).has_value());
}

TEST(PacketEncodeTest, MessageSizes) {
  EXPECT_EQ(MessageSize(Version::kV2, Family::kIpv4, 2), 24u);  // with auth data
  EXPECT_EQ(MessageSize(Version::kV3, Family::kIpv4, 2), 16u);
  EXPECT_EQ(MessageSize(Version::kV3, Family::kIpv6, 2), 40u);
}

TEST(PacketIntervalTest, ConvertsWireUnits) {
  using std::chrono::microseconds;
  EXPECT_EQ(IntervalDuration(Version::kV2, 3), microseconds(3'000'000));
  EXPECT_EQ(IntervalDuration(Version::kV3, 4095), microseconds(40'950'000));
  EXPECT_EQ(IntervalField(Version::kV2, microseconds(1'999'999)), 1);
  EXPECT_EQ(IntervalField(Version::kV3, microseconds(15'000)), 1);
  EXPECT_EQ(IntervalField(Version::kV3, microseconds(50'000'000)), 4095);
  EXPECT_EQ(IntervalField(Version::kV2, microseconds(300'000'000)), 255);
}

// --- Decoding -----------------------------------------------------------------------

TEST(PacketDecodeTest, RoundTripsEveryVector) {
  const std::vector<uint8_t> packet = Hex(kV2Ipv4Pass);
  auto v2 = DecodeVrrp(std::span(packet).subspan(20), Family::kIpv4);
  ASSERT_TRUE(v2.has_value());
  Advert want = V2PassAdvert();
  want.checksum = 0x014a;
  EXPECT_EQ(*v2, want);

  auto v3 = DecodeVrrp(Hex(kV3Ipv6Message), Family::kIpv6);
  ASSERT_TRUE(v3.has_value());
  want = V3Ipv6Advert();
  want.checksum = 0x3e1c;
  EXPECT_EQ(*v3, want);
}

TEST(PacketDecodeTest, ReservedBitsOfV3IntervalAreMasked) {
  std::vector<uint8_t> m = Hex(kV3Ipv6Message);
  m[4] |= 0xf0;
  auto a = DecodeVrrp(m, Family::kIpv6);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->interval, 100);
}

TEST(PacketDecodeTest, RefusesTruncatedMessages) {
  std::vector<uint8_t> m = Hex(kV3Ipv6Message);
  EXPECT_EQ(DecodeVrrp(std::span(m).first(7), Family::kIpv6).error(), RejectReason::kTooShort);
  EXPECT_EQ(DecodeVrrp(std::span(m).first(39), Family::kIpv6).error(), RejectReason::kBadLength);
  m[0] = 0x41;
  EXPECT_EQ(DecodeVrrp(m, Family::kIpv6).error(), RejectReason::kBadVersion);
}

// --- Validation ----------------------------------------------------------------------

class ValidateTest : public ::testing::Test {
 protected:
  // The expectation of the instance that kV2Ipv4NoAuth was sent by.
  Expectation V2NoAuth() { return Expect(Family::kIpv4, Version::kV2, 51, 1, v2_vips_); }
  Expectation V2Pass() {
    Expectation e = Expect(Family::kIpv4, Version::kV2, 1, 3, pass_vips_);
    e.auth_type = AuthType::kPass;
    e.auth_data = MakeAuthData("secret");
    return e;
  }
  Expectation V3Ipv4() { return Expect(Family::kIpv4, Version::kV3, 10, 100, v3_vips_); }
  Expectation V3Ipv6() { return Expect(Family::kIpv6, Version::kV3, 20, 100, v6_vips_); }
  static ReceivedPacket V4(const std::vector<uint8_t>& bytes) {
    ReceivedPacket p;
    p.bytes = bytes;
    p.family = Family::kIpv4;
    return p;
  }
  static ReceivedPacket V6(const std::vector<uint8_t>& bytes, int hop_limit = 255) {
    ReceivedPacket p;
    p.bytes = bytes;
    p.family = Family::kIpv6;
    p.source = Ip("fe80::1");
    p.destination = Ipv6MulticastGroup();
    p.hop_limit = hop_limit;
    return p;
  }
  static RejectReason Reason(const ReceivedPacket& p, const Expectation& e) {
    auto r = ValidateAdvert(p, e);
    EXPECT_FALSE(r.has_value());
    return r.has_value() ? RejectReason::kTooShort : r.error();
  }
  // Rewrites the IPv4 header checksum after a header edit.
  static void FixIpChecksum(std::vector<uint8_t>& p) {
    p[10] = p[11] = 0;
    const uint16_t c = net::InternetChecksum(std::span(p).first(20));
    p[10] = static_cast<uint8_t>(c >> 8);
    p[11] = static_cast<uint8_t>(c);
  }

  std::vector<IpAddress> v2_vips_ = {Ip("192.168.1.100"), Ip("192.168.1.101")};
  std::vector<IpAddress> pass_vips_ = {Ip("10.0.0.100")};
  std::vector<IpAddress> v3_vips_ = {Ip("10.0.0.100")};
  std::vector<IpAddress> v6_vips_ = {Ip("fe80::100"), Ip("2001:db8::100")};
};

TEST_F(ValidateTest, AcceptsV2NoAuth) {
  const auto bytes = Hex(kV2Ipv4NoAuth);
  auto r = ValidateAdvert(V4(bytes), V2NoAuth());
  ASSERT_TRUE(r.has_value()) << RejectReasonName(r.error());
  EXPECT_EQ(r->advert.priority, 100);
  EXPECT_EQ(r->source, Ip("192.168.1.10"));
  EXPECT_EQ(r->destination, Ipv4MulticastGroup());
  EXPECT_FALSE(r->address_mismatch);
  EXPECT_FALSE(r->address_count_mismatch);
}

TEST_F(ValidateTest, AcceptsV2Password) {
  const auto bytes = Hex(kV2Ipv4Pass);
  auto r = ValidateAdvert(V4(bytes), V2Pass());
  ASSERT_TRUE(r.has_value()) << RejectReasonName(r.error());
  EXPECT_EQ(r->advert.auth_data, MakeAuthData("secret"));
}

TEST_F(ValidateTest, AcceptsV3Ipv4) {
  const auto bytes = Hex(kV3Ipv4);
  auto r = ValidateAdvert(V4(bytes), V3Ipv4());
  ASSERT_TRUE(r.has_value()) << RejectReasonName(r.error());
  EXPECT_EQ(r->advert.interval, 100);
  EXPECT_FALSE(r->interval_mismatch);
  EXPECT_FALSE(r->legacy_unicast_checksum);
}

TEST_F(ValidateTest, AcceptsV3Ipv6AndVerifiesChecksumOnRequest) {
  const auto bytes = Hex(kV3Ipv6Message);
  Expectation e = V3Ipv6();
  e.verify_ipv6_checksum = true;
  auto r = ValidateAdvert(V6(bytes), e);
  ASSERT_TRUE(r.has_value()) << RejectReasonName(r.error());
  EXPECT_EQ(r->source, Ip("fe80::1"));
}

TEST_F(ValidateTest, Ipv6ChecksumIsLeftToTheKernelByDefault) {
  auto bytes = Hex(kV3Ipv6Message);
  bytes[7] ^= 0x01;
  EXPECT_TRUE(ValidateAdvert(V6(bytes), V3Ipv6()).has_value());
  Expectation e = V3Ipv6();
  e.verify_ipv6_checksum = true;
  EXPECT_EQ(Reason(V6(bytes), e), RejectReason::kBadChecksum);
}

TEST_F(ValidateTest, TooShortForHeaders) {
  const auto bytes = Hex(kV3Ipv4);
  EXPECT_EQ(Reason(V4(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 19)), V3Ipv4()),
            RejectReason::kTooShort);
  EXPECT_EQ(Reason(V4(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 27)), V3Ipv4()),
            RejectReason::kTooShort);
  EXPECT_EQ(Reason(V6(std::vector<uint8_t>(7, 0x31)), V3Ipv6()), RejectReason::kTooShort);
}

TEST_F(ValidateTest, AhPacketsAreUnsupported) {
  auto bytes = Hex(kV2Ipv4NoAuth);
  bytes[9] = 51;
  EXPECT_EQ(Reason(V4(bytes), V2NoAuth()), RejectReason::kAhUnsupported);
  Expectation e = V2NoAuth();
  e.auth_type = AuthType::kAh;
  EXPECT_EQ(Reason(V4(Hex(kV2Ipv4NoAuth)), e), RejectReason::kAhUnsupported);
}

TEST_F(ValidateTest, OtherProtocolIsNotVrrp) {
  auto bytes = Hex(kV2Ipv4NoAuth);
  bytes[9] = 17;
  EXPECT_EQ(Reason(V4(bytes), V2NoAuth()), RejectReason::kNotVrrp);
}

TEST_F(ValidateTest, WrongVridIsCheckedBeforeAnythingElse) {
  auto bytes = Hex(kV2Ipv4NoAuth);
  bytes[8] = 1;  // bad TTL as well: the VRID lookup comes first
  Expectation e = V2NoAuth();
  e.vrid = 52;
  EXPECT_EQ(Reason(V4(bytes), e), RejectReason::kWrongVrid);
}

TEST_F(ValidateTest, LengthMustMatchAddressCount) {
  auto bytes = Hex(kV2Ipv4NoAuth);
  bytes[20 + 3] = 3;  // claims three addresses
  EXPECT_EQ(Reason(V4(bytes), V2NoAuth()), RejectReason::kBadLength);
  auto longer = Hex(kV2Ipv4NoAuth);
  longer.push_back(0);  // 45 bytes: not an Ethernet padding pattern
  EXPECT_EQ(Reason(V4(longer), V2NoAuth()), RejectReason::kBadLength);
}

TEST_F(ValidateTest, ToleratesEthernetPadding) {
  // 44-byte packet padded to the 46-byte minimum Ethernet payload.
  auto v2 = Hex(kV2Ipv4NoAuth);
  v2.resize(46, 0);
  EXPECT_TRUE(ValidateAdvert(V4(v2), V2NoAuth()).has_value());
  // 32-byte packet padded to 46 (14 bytes), and to 42 (a VLAN tag stripped after padding).
  auto v3 = Hex(kV3Ipv4);
  v3.resize(46, 0);
  EXPECT_TRUE(ValidateAdvert(V4(v3), V3Ipv4()).has_value());
  v3.resize(42);
  EXPECT_TRUE(ValidateAdvert(V4(v3), V3Ipv4()).has_value());
  v3.resize(44);  // 12 surplus bytes cannot be padding
  EXPECT_EQ(Reason(V4(v3), V3Ipv4()), RejectReason::kBadLength);
  v3.resize(50, 0);  // beyond the minimum frame: not padding
  EXPECT_EQ(Reason(V4(v3), V3Ipv4()), RejectReason::kBadLength);
}

TEST_F(ValidateTest, MulticastNeedsTtl255) {
  auto bytes = Hex(kV3Ipv4);
  bytes[8] = 254;
  FixIpChecksum(bytes);
  EXPECT_EQ(Reason(V4(bytes), V3Ipv4()), RejectReason::kBadTtl);
  EXPECT_EQ(Reason(V6(Hex(kV3Ipv6Message), 1), V3Ipv6()), RejectReason::kBadTtl);
}

TEST_F(ValidateTest, UnknownHopLimitIsNotChecked) {
  EXPECT_TRUE(ValidateAdvert(V6(Hex(kV3Ipv6Message), -1), V3Ipv6()).has_value());
}

TEST_F(ValidateTest, UnicastSkipsTtlCheck) {
  auto p = EncodeIpv4Packet(V3Ipv4Advert(),
                            {.src = Ip("10.0.0.1"), .dst = Ip("10.0.0.2"), .ttl = 64, .id = 1});
  ASSERT_TRUE(p.has_value());
  Expectation e = V3Ipv4();
  e.unicast = true;
  EXPECT_TRUE(ValidateAdvert(V4(*p), e).has_value());
}

TEST_F(ValidateTest, TtlIsCheckedBeforeVersion) {
  auto bytes = Hex(kV3Ipv4);
  bytes[8] = 1;
  Expectation e = V3Ipv4();
  e.version = Version::kV2;
  EXPECT_EQ(Reason(V4(bytes), e), RejectReason::kBadTtl);
}

TEST_F(ValidateTest, VersionMustMatch) {
  Expectation e = V3Ipv4();
  e.version = Version::kV2;
  EXPECT_EQ(Reason(V4(Hex(kV3Ipv4)), e), RejectReason::kBadVersion);
}

TEST_F(ValidateTest, V2AuthChecks) {
  auto bytes = Hex(kV2Ipv4NoAuth);
  bytes[20 + 4] = 3;
  EXPECT_EQ(Reason(V4(bytes), V2NoAuth()), RejectReason::kInvalidAuthType);
  EXPECT_EQ(Reason(V4(Hex(kV2Ipv4Pass)),
                   [&] {
                     Expectation e = V2Pass();
                     e.auth_type = AuthType::kNone;
                     return e;
                   }()),
            RejectReason::kAuthTypeMismatch);
  Expectation wrong = V2Pass();
  wrong.auth_data = MakeAuthData("secrets");
  EXPECT_EQ(Reason(V4(Hex(kV2Ipv4Pass)), wrong), RejectReason::kAuthFailure);
}

TEST_F(ValidateTest, PasswordIsComparedOverAllEightBytes) {
  Expectation e = V2Pass();
  e.auth_data = MakeAuthData("secret12345");  // only "secret12" is significant
  auto a = V2PassAdvert();
  a.auth_data = MakeAuthData("secret12");
  auto p = EncodeIpv4Packet(a, {.src = Ip("10.0.0.2"), .dst = Ipv4MulticastGroup(), .id = 1});
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(ValidateAdvert(V4(*p), e).has_value());
}

TEST_F(ValidateTest, V2IntervalMismatchIsDropped) {
  Expectation e = V2NoAuth();
  e.interval = 2;
  EXPECT_EQ(Reason(V4(Hex(kV2Ipv4NoAuth)), e), RejectReason::kIntervalMismatch);
}

TEST_F(ValidateTest, V3IntervalMismatchIsOnlyFlagged) {
  Expectation e = V3Ipv4();
  e.interval = 50;
  auto r = ValidateAdvert(V4(Hex(kV3Ipv4)), e);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->interval_mismatch);
}

TEST_F(ValidateTest, TypeMustBeAdvertisement) {
  auto bytes = Hex(kV3Ipv4);
  bytes[20] = 0x32;
  EXPECT_EQ(Reason(V4(bytes), V3Ipv4()), RejectReason::kBadType);
}

TEST_F(ValidateTest, IpTotalLengthMustMatch) {
  auto bytes = Hex(kV3Ipv4);
  bytes[3] = 0x24;
  FixIpChecksum(bytes);
  EXPECT_EQ(Reason(V4(bytes), V3Ipv4()), RejectReason::kBadIpLength);
}

TEST_F(ValidateTest, BadChecksumIsRefused) {
  auto v2 = Hex(kV2Ipv4NoAuth);
  v2[20 + 7] ^= 0x01;
  EXPECT_EQ(Reason(V4(v2), V2NoAuth()), RejectReason::kBadChecksum);
  auto v3 = Hex(kV3Ipv4);
  v3[20 + 7] ^= 0x01;
  EXPECT_EQ(Reason(V4(v3), V3Ipv4()), RejectReason::kBadChecksum);
}

TEST_F(ValidateTest, ChecksumAsV2IsSentAndNotVerified) {
  // keepalived 2.4 sums a v3_checksum_as_v2 instance's adverts without the pseudo-header
  // and skips the check of those it receives: the standard sum, the as_v2 sum and a wrong
  // one all pass. A standard instance refuses the as_v2 sum.
  Expectation as_v2 = V3Ipv4();
  as_v2.v3_checksum_as_v2 = true;
  EXPECT_TRUE(ValidateAdvert(V4(Hex(kV3Ipv4)), as_v2).has_value());
  auto p = EncodeIpv4Packet(V3Ipv4Advert(),
                            {.src = Ip("10.0.0.1"), .dst = Ipv4MulticastGroup(), .id = 7}, AsV2());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(std::vector<uint8_t>(p->begin() + 20, p->end()), Hex(kV3Ipv4AsV2Message));
  EXPECT_TRUE(ValidateAdvert(V4(*p), as_v2).has_value());
  EXPECT_EQ(Reason(V4(*p), V3Ipv4()), RejectReason::kBadChecksum);
  auto wrong = Hex(kV3Ipv4);
  wrong[20 + 7] ^= 0x01;
  EXPECT_TRUE(ValidateAdvert(V4(wrong), as_v2).has_value());
  // VRRPv2 is verified whatever the flag says.
  auto v2 = Hex(kV2Ipv4NoAuth);
  v2[20 + 7] ^= 0x01;
  Expectation v2_as_v2 = V2NoAuth();
  v2_as_v2.v3_checksum_as_v2 = true;
  EXPECT_EQ(Reason(V4(v2), v2_as_v2), RejectReason::kBadChecksum);
}

TEST_F(ValidateTest, UnicastChecksumRuleSelectsThePseudoHeaderDestination) {
  auto legacy = EncodeIpv4Packet(V3Ipv4Advert(),
                                 {.src = Ip("10.0.0.1"), .dst = Ip("10.0.0.2"), .id = 1},
                                 LegacyUnicast());
  auto modern =
      EncodeIpv4Packet(V3Ipv4Advert(), {.src = Ip("10.0.0.1"), .dst = Ip("10.0.0.2"), .id = 1});
  ASSERT_TRUE(legacy.has_value() && modern.has_value());
  Expectation e = V3Ipv4();
  e.unicast = true;
  // `old_unicast_checksum never`: the packet's destination only.
  e.unicast_checksum = UnicastChecksum::kStandard;
  EXPECT_TRUE(ValidateAdvert(V4(*modern), e).has_value());
  EXPECT_EQ(Reason(V4(*legacy), e), RejectReason::kBadChecksum);
  // `old_unicast_checksum` (or detect after the switch): the multicast group only.
  e.unicast_checksum = UnicastChecksum::kLegacy;
  auto r = ValidateAdvert(V4(*legacy), e);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->legacy_unicast_checksum);  // nothing to switch
  EXPECT_EQ(Reason(V4(*modern), e), RejectReason::kBadChecksum);
}

TEST_F(ValidateTest, DetectsLegacyUnicastChecksum) {
  auto p = EncodeIpv4Packet(V3Ipv4Advert(), {.src = Ip("10.0.0.1"), .dst = Ip("10.0.0.2"), .id = 1},
                            LegacyUnicast());
  ASSERT_TRUE(p.has_value());
  Expectation e = V3Ipv4();
  e.unicast = true;
  auto r = ValidateAdvert(V4(*p), e);
  ASSERT_TRUE(r.has_value()) << RejectReasonName(r.error());
  EXPECT_TRUE(r->legacy_unicast_checksum);

  auto modern =
      EncodeIpv4Packet(V3Ipv4Advert(), {.src = Ip("10.0.0.1"), .dst = Ip("10.0.0.2"), .id = 1});
  ASSERT_TRUE(modern.has_value());
  r = ValidateAdvert(V4(*modern), e);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->legacy_unicast_checksum);
}

TEST_F(ValidateTest, CastMustMatchInstance) {
  Expectation unicast = V3Ipv4();
  unicast.unicast = true;
  EXPECT_EQ(Reason(V4(Hex(kV3Ipv4)), unicast), RejectReason::kCastMismatch);
  auto p =
      EncodeIpv4Packet(V3Ipv4Advert(), {.src = Ip("10.0.0.1"), .dst = Ip("10.0.0.2"), .id = 1});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(Reason(V4(*p), V3Ipv4()), RejectReason::kCastMismatch);
  const std::vector<uint8_t> v6_bytes = Hex(kV3Ipv6Message);
  ReceivedPacket v6 = V6(v6_bytes);
  v6.destination = Ip("fe80::2");
  EXPECT_EQ(Reason(v6, V3Ipv6()), RejectReason::kCastMismatch);
}

TEST_F(ValidateTest, AddressDifferencesAreFlaggedNotRefused) {
  std::vector<IpAddress> other = {Ip("10.0.0.200")};
  Expectation e = V3Ipv4();
  e.virtual_addresses = other;
  auto r = ValidateAdvert(V4(Hex(kV3Ipv4)), e);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->address_mismatch);
  EXPECT_FALSE(r->address_count_mismatch);

  e.check_addresses = false;  // skip_check_adv_addr for the known master
  r = ValidateAdvert(V4(Hex(kV3Ipv4)), e);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->address_mismatch);

  std::vector<IpAddress> two = {Ip("10.0.0.100"), Ip("10.0.0.101")};
  e.virtual_addresses = two;
  r = ValidateAdvert(V4(Hex(kV3Ipv4)), e);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->address_count_mismatch);
}

TEST_F(ValidateTest, AddressOrderDoesNotMatter) {
  std::vector<IpAddress> reversed = {Ip("192.168.1.101"), Ip("192.168.1.100")};
  Expectation e = V2NoAuth();
  e.virtual_addresses = reversed;
  auto r = ValidateAdvert(V4(Hex(kV2Ipv4NoAuth)), e);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->address_mismatch);
}

TEST_F(ValidateTest, UnicastSourceMustBeAPeerWithinTtlRange) {
  auto p = EncodeIpv4Packet(V3Ipv4Advert(),
                            {.src = Ip("10.0.0.1"), .dst = Ip("10.0.0.2"), .ttl = 60, .id = 1});
  ASSERT_TRUE(p.has_value());
  std::vector<UnicastPeer> peers = {{.address = Ip("10.0.0.3")}};
  Expectation e = V3Ipv4();
  e.unicast = true;
  e.check_unicast_source = true;
  e.peers = peers;
  EXPECT_EQ(Reason(V4(*p), e), RejectReason::kUnknownPeer);
  peers.push_back({.address = Ip("10.0.0.1"), .min_ttl = 61, .max_ttl = 255});
  e.peers = peers;
  EXPECT_EQ(Reason(V4(*p), e), RejectReason::kPeerTtlOutOfRange);
  peers.back().min_ttl = 60;
  EXPECT_TRUE(ValidateAdvert(V4(*p), e).has_value());
  e.check_unicast_source = false;
  peers.clear();
  e.peers = peers;
  EXPECT_TRUE(ValidateAdvert(V4(*p), e).has_value());
}

// A VRRPv3 advert whose Max Adver Int is 0 (kV3Ipv4 with adv=0; checksum 0x1200 over the
// pseudo-header, so only the interval is wrong) is dropped under its own reason: obeyed,
// it would set every backup's Master_Down timer to its skew alone and make it take over
// at once on each advert.
constexpr char kV3Ipv4ZeroInterval[] =
    "45c0002000070000ff70d0930a000001e0000012"
    "310ac801000012000a000064";
//   IPv6(src="fe80::1", dst="ff02::12") / VRRPv3(vrid=20, priority=100, adv=0, ...)
constexpr char kV3Ipv6ZeroIntervalMessage[] =
    "3114640200003e80"
    "fe800000000000000000000000000100"
    "20010db8000000000000000000000100";

TEST_F(ValidateTest, V3ZeroIntervalIsDroppedWithItsOwnReason) {
  const auto v4 = Hex(kV3Ipv4ZeroInterval);
  EXPECT_EQ(Reason(V4(v4), V3Ipv4()), RejectReason::kZeroInterval);
  Expectation e6 = V3Ipv6();
  e6.verify_ipv6_checksum = true;
  EXPECT_EQ(Reason(V6(Hex(kV3Ipv6ZeroIntervalMessage)), e6), RejectReason::kZeroInterval);
  // The same messages with adv=1 (1 cs, the smallest valid interval) pass: the checksums
  // above were right, only the interval was refused.
  auto v4_one = v4;
  v4_one[25] = 0x01;  // interval 1
  v4_one[26] = 0x11;  // checksum 0x11ff
  v4_one[27] = 0xff;
  auto ok = ValidateAdvert(V4(v4_one), V3Ipv4());
  ASSERT_TRUE(ok.has_value()) << RejectReasonName(ok.error());
  EXPECT_EQ(ok->advert.interval, 1);
  EXPECT_TRUE(ok->interval_mismatch);
  EXPECT_EQ(RejectReasonName(RejectReason::kZeroInterval), "zero_interval");
}

TEST(RejectReasonTest, NamesAreStableAndDistinct) {
  EXPECT_EQ(RejectReasonName(RejectReason::kBadTtl), "bad_ttl");
  EXPECT_EQ(RejectReasonName(RejectReason::kBadChecksum), "bad_checksum");
  EXPECT_EQ(RejectReasonName(RejectReason::kAuthFailure), "auth_failure");
  EXPECT_EQ(RejectReasonName(RejectReason::kPeerTtlOutOfRange), "peer_ttl_out_of_range");
  std::set<std::string_view> names;
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    names.insert(RejectReasonName(static_cast<RejectReason>(i)));
  }
  EXPECT_EQ(names.size(), kRejectReasonCount);
  EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace vigil::vrrp
