#include "vrrp/auth_hmac.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/checksum.h"
#include "vrrp/packet.h"

namespace vigil::vrrp {
namespace {

using model::Family;
using model::IpAddress;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string ToHex(std::span<const uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += kDigits[c >> 4];
    s += kDigits[c & 15];
  }
  return s;
}

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

system_clock::time_point At(int64_t unix_seconds, milliseconds extra = milliseconds(0)) {
  return system_clock::time_point(seconds(unix_seconds)) + extra;
}

// RFC 4231 test cases 1, 2, 3 and 6 (a key longer than the block is hashed first).
TEST(HmacSha256Test, Rfc4231Vectors) {
  const std::vector<uint8_t> key1(20, 0x0b);
  EXPECT_EQ(ToHex(HmacSha256(key1, {Bytes("Hi There")})),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(ToHex(HmacSha256(Bytes("Jefe"), {Bytes("what do ya want for nothing?")})),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::vector<uint8_t> key3(20, 0xaa), data3(50, 0xdd);
  EXPECT_EQ(ToHex(HmacSha256(key3, {data3})),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  const std::vector<uint8_t> key6(131, 0xaa);
  EXPECT_EQ(ToHex(HmacSha256(key6, {Bytes("Test Using Larger Than Block-Size Key - Hash Key First")})),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256Test, PartsAreConcatenated) {
  EXPECT_EQ(HmacSha256(Bytes("Jefe"), {Bytes("what do ya "), Bytes(""), Bytes("want for nothing?")}),
            HmacSha256(Bytes("Jefe"), {Bytes("what do ya want for nothing?")}));
}

TEST(HmacPseudoHeaderTest, FamilyVersionVridAndZeroPaddedSource) {
  EXPECT_EQ(ToHex(HmacPseudoHeader({Family::kIpv4, 2, 51, Ip("10.0.0.1")})),
            "040233000a000001000000000000000000000000");
  EXPECT_EQ(ToHex(HmacPseudoHeader({Family::kIpv6, 3, 7, Ip("fe80::1")})),
            "06030700fe800000000000000000000000000001");
}

TEST(ClockSequenceTest, SecondsFractionAndZeroCounter) {
  EXPECT_EQ(ClockSequence(At(1700000000, milliseconds(500))), 0x6553f10080000000ull);
  EXPECT_EQ(ClockSequence(At(1700000000, milliseconds(250))), 0x6553f10040000000ull);
  EXPECT_EQ(ClockSequence(At(1)), 0x100000000ull);
}

model::AuthHmac Settings(std::string_view secret = "0123456789abcdef0123456789abcdef") {
  model::AuthHmac h;
  model::HmacKey key;
  key.id = 1;
  key.secret = Bytes(secret);
  h.keys.push_back(key);
  h.active_key = 1;
  h.time_window = 5;
  return h;
}

Advert V2Advert() {
  Advert a;
  a.version = Version::kV2;
  a.vrid = 51;
  a.priority = 100;
  a.interval = 1;
  a.addresses = {Ip("10.0.0.100")};
  return a;
}

// The packet below was computed independently with Python's hmac and hashlib modules:
// key "0123456789abcdef0123456789abcdef" (id 1), VRRPv2 VRID 51 priority 100, one VIP
// 10.0.0.100, from 10.0.0.1 to 224.0.0.18 (IP id 1) at 1700000000.5 s: the trailer is
// 01 01 0000, seconds 6553f100, fraction 8000, counter 0000, then the first 16 bytes of
// HMAC-SHA256(key, 040233000a000001 + 12 zeros + message with checksum 0 + 010100006553f10080000000 + 16 zeros).
constexpr char kSignedV2Packet[] =
    "45c0004400010000ff70d0750a000001e0000012"
    "21336401000170660a0000640000000000000000"
    "010100006553f100800000001579e7cb119f120e546a833172c26085";

TEST(HmacSignerTest, ExactAdvertBytesForAKnownKeyAndTime) {
  const Advert a = V2Advert();
  auto message = EncodeVrrp(a, Family::kIpv4);
  ASSERT_TRUE(message.has_value());
  HmacSigner signer;
  const HmacTrailer trailer = signer.Sign(Settings(), *message, {Family::kIpv4, 2, 51, Ip("10.0.0.1")},
                                          At(1700000000, milliseconds(500)));
  Ipv4Fields ip{.src = Ip("10.0.0.1"), .dst = Ip("224.0.0.18"), .id = 1};
  auto packet = EncodeIpv4Packet(a, ip, {}, trailer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(ToHex(*packet), kSignedV2Packet);
}

TEST(HmacSignerTest, SequenceGrowsWhenTheClockDoesNot) {
  HmacSigner signer;
  const auto m = *EncodeVrrp(V2Advert(), Family::kIpv4);
  const HmacBinding b{Family::kIpv4, 2, 51, Ip("10.0.0.1")};
  signer.Sign(Settings(), m, b, At(1700000000));
  EXPECT_EQ(signer.last_sequence(), 0x6553f10000000000ull);
  signer.Sign(Settings(), m, b, At(1700000000));
  EXPECT_EQ(signer.last_sequence(), 0x6553f10000000001ull);
  // A clock 3 s behind (within the 5 s window): the counter goes on.
  signer.Sign(Settings(), m, b, At(1699999997));
  EXPECT_EQ(signer.last_sequence(), 0x6553f10000000002ull);
  // Stepped back further than the window: restart from the clock.
  signer.Sign(Settings(), m, b, At(1699999990));
  EXPECT_EQ(signer.last_sequence(), ClockSequence(At(1699999990)));
  // Monotonic mode never restarts.
  model::AuthHmac mono = Settings();
  mono.anti_replay_time = false;
  HmacSigner m2;
  m2.Sign(mono, m, b, At(1700000000));
  m2.Sign(mono, m, b, At(1600000000));
  EXPECT_EQ(m2.last_sequence(), 0x6553f10000000001ull);
}

TEST(HmacSignerTest, NoActiveKeyLeavesAZeroHmac) {
  model::AuthHmac s = Settings();
  s.active_key = 9;
  HmacSigner signer;
  const auto m = *EncodeVrrp(V2Advert(), Family::kIpv4);
  const HmacTrailer t = signer.Sign(s, m, {Family::kIpv4, 2, 51, Ip("10.0.0.1")}, At(1700000000));
  EXPECT_EQ(t[1], 9);
  EXPECT_EQ(ToHex(std::span(t).subspan(12)), std::string(32, '0'));
}

// The receive side through ValidateAdvert, as the engine calls it.
class HmacValidateTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> Signed(HmacSigner& signer, const model::AuthHmac& s,
                              system_clock::time_point when, std::string_view src = "10.0.0.1") {
    const Advert a = V2Advert();
    auto m = *EncodeVrrp(a, Family::kIpv4);
    const HmacTrailer t = signer.Sign(s, m, {Family::kIpv4, 2, 51, Ip(src)}, when);
    return *EncodeIpv4Packet(a, {.src = Ip(src), .dst = Ip("224.0.0.18"), .id = 1}, {}, t);
  }

  std::expected<ValidAdvert, RejectReason> Receive(const std::vector<uint8_t>& bytes,
                                                   system_clock::time_point now) {
    ReceivedPacket p;
    p.bytes = bytes;
    p.family = Family::kIpv4;
    Expectation e;
    e.version = Version::kV2;
    e.vrid = 51;
    e.interval = 1;
    vips_ = {Ip("10.0.0.100")};
    e.virtual_addresses = vips_;
    e.hmac = &settings_;
    e.hmac_state = &verifier_;
    e.wall_clock = now;
    return ValidateAdvert(p, e);
  }

  model::AuthHmac settings_ = Settings();
  HmacVerifier verifier_;
  std::vector<IpAddress> vips_;
};

TEST_F(HmacValidateTest, AcceptsTheKnownPacketAndReportsSkew) {
  auto r = Receive(Hex(kSignedV2Packet), At(1700000002));
  ASSERT_TRUE(r.has_value()) << RejectReasonName(r.error());
  EXPECT_EQ(r->advert.priority, 100);
  EXPECT_EQ(r->hmac_skew, 2);
}

TEST_F(HmacValidateTest, EachRejectionHasItsReason) {
  const auto good = Hex(kSignedV2Packet);
  // A changed priority (checksum fixed up) breaks the HMAC.
  auto forged = good;
  forged[20 + 2] = 200;
  forged[20 + 6] = 0;
  forged[20 + 7] = 0;
  const uint16_t sum = net::InternetChecksum(std::span(forged).subspan(20, 20));
  forged[20 + 6] = static_cast<uint8_t>(sum >> 8);
  forged[20 + 7] = static_cast<uint8_t>(sum);
  EXPECT_EQ(Receive(forged, At(1700000000)).error(), RejectReason::kAuthBadHmac);

  // Another key of the same id.
  settings_.keys[0].secret = Bytes("another key of thirty-two bytes!");
  EXPECT_EQ(Receive(good, At(1700000000)).error(), RejectReason::kAuthBadHmac);
  settings_ = Settings();

  // A key id we do not have.
  auto other_id = good;
  other_id[40 + 1] = 2;
  EXPECT_EQ(Receive(other_id, At(1700000000)).error(), RejectReason::kAuthUnknownKey);

  // Reserved bits set; an unknown scheme.
  auto reserved = good;
  reserved[40 + 3] = 1;
  EXPECT_EQ(Receive(reserved, At(1700000000)).error(), RejectReason::kAuthMalformed);
  auto scheme = good;
  scheme[40] = 2;
  EXPECT_EQ(Receive(scheme, At(1700000000)).error(), RejectReason::kAuthMalformed);

  // Outside the 5 s window, either side.
  EXPECT_EQ(Receive(good, At(1700000006)).error(), RejectReason::kAuthStale);
  EXPECT_EQ(Receive(good, At(1699999994)).error(), RejectReason::kAuthStale);

  // No trailer, mode enforce.
  auto bare = std::vector<uint8_t>(good.begin(), good.begin() + 40);
  bare[3] = 40;
  bare[10] = bare[11] = 0;
  const uint16_t ipsum = net::InternetChecksum(std::span(bare).first(20));
  bare[10] = static_cast<uint8_t>(ipsum >> 8);
  bare[11] = static_cast<uint8_t>(ipsum);
  EXPECT_EQ(Receive(bare, At(1700000000)).error(), RejectReason::kAuthMissing);
  settings_.mode = model::HmacMode::kPermissive;
  EXPECT_TRUE(Receive(bare, At(1700000000)).has_value());
  settings_.mode = model::HmacMode::kReceiveOnly;
  EXPECT_TRUE(Receive(bare, At(1700000000)).has_value());

  // None of the refused adverts moved the sender's sequence: the original still passes.
  settings_ = Settings();
  EXPECT_TRUE(Receive(good, At(1700000000)).has_value());
}

TEST_F(HmacValidateTest, ReplayedAdvertIsRefused) {
  const auto good = Hex(kSignedV2Packet);
  ASSERT_TRUE(Receive(good, At(1700000000)).has_value());
  EXPECT_EQ(Receive(good, At(1700000001)).error(), RejectReason::kAuthReplay);
  // The sender's next advert goes through; then the older one is a replay too.
  HmacSigner signer;
  const auto next = Signed(signer, settings_, At(1700000001));
  EXPECT_TRUE(Receive(next, At(1700000001)).has_value());
  EXPECT_EQ(Receive(good, At(1700000001)).error(), RejectReason::kAuthReplay);
}

TEST_F(HmacValidateTest, MonotonicModeHasNoWindow) {
  settings_.anti_replay_time = false;
  const auto good = Hex(kSignedV2Packet);
  auto r = Receive(good, At(1800000000));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->hmac_skew.has_value());
  EXPECT_EQ(Receive(good, At(1800000000)).error(), RejectReason::kAuthReplay);
}

TEST_F(HmacValidateTest, MulticastSendersHaveFourSlots) {
  std::vector<HmacSigner> signers(5);
  std::vector<std::vector<uint8_t>> first;
  for (int i = 0; i < 5; ++i) {
    const std::string src = "10.0.0." + std::to_string(i + 1);
    first.push_back(Signed(signers[static_cast<size_t>(i)], settings_, At(1700000000), src));
    ASSERT_TRUE(Receive(first.back(), At(1700000000)).has_value()) << i;
  }
  // Senders 2..5 are remembered; sender 1 was evicted, so its replay is not recognised.
  EXPECT_EQ(Receive(first[4], At(1700000000)).error(), RejectReason::kAuthReplay);
  EXPECT_TRUE(Receive(first[0], At(1700000000)).has_value());
}

TEST_F(HmacValidateTest, UnicastSenderMustBeAPeer) {
  const Advert a = V2Advert();
  auto m = *EncodeVrrp(a, Family::kIpv4);
  HmacSigner signer;
  const HmacTrailer t = signer.Sign(settings_, m, {Family::kIpv4, 2, 51, Ip("10.0.0.9")}, At(1700000000));
  const auto bytes =
      *EncodeIpv4Packet(a, {.src = Ip("10.0.0.9"), .dst = Ip("10.0.0.2"), .id = 1}, {}, t);
  ReceivedPacket p;
  p.bytes = bytes;
  Expectation e;
  e.version = Version::kV2;
  e.vrid = 51;
  e.unicast = true;
  const std::vector<UnicastPeer> peers = {{Ip("10.0.0.3")}};
  e.peers = peers;
  e.hmac = &settings_;
  e.hmac_state = &verifier_;
  e.wall_clock = At(1700000000);
  EXPECT_EQ(ValidateAdvert(p, e).error(), RejectReason::kUnknownPeer);
  const std::vector<UnicastPeer> with_sender = {{Ip("10.0.0.3")}, {Ip("10.0.0.9")}};
  e.peers = with_sender;
  EXPECT_TRUE(ValidateAdvert(p, e).has_value());
  EXPECT_EQ(ValidateAdvert(p, e).error(), RejectReason::kAuthReplay);
}

TEST_F(HmacValidateTest, Ipv6TrailerFollowsTheMessage) {
  Advert a;
  a.version = Version::kV3;
  a.vrid = 7;
  a.priority = 150;
  a.interval = 100;
  a.addresses = {Ip("fe80::100")};
  auto m = *EncodeVrrp(a, Family::kIpv6);
  HmacSigner signer;
  const HmacTrailer t = signer.Sign(settings_, m, {Family::kIpv6, 3, 7, Ip("fe80::1")}, At(1700000000));
  std::vector<uint8_t> payload = m;
  payload.insert(payload.end(), t.begin(), t.end());
  // The kernel's checksum over the whole payload (IPV6_CHECKSUM).
  const uint16_t sum = net::Ipv6PseudoHeaderChecksum(Ip("fe80::1").bytes(), Ip("ff02::12").bytes(),
                                                     kVrrpProtocol, payload);
  payload[6] = static_cast<uint8_t>(sum >> 8);
  payload[7] = static_cast<uint8_t>(sum);
  ReceivedPacket p;
  p.bytes = payload;
  p.family = Family::kIpv6;
  p.source = Ip("fe80::1");
  p.destination = Ip("ff02::12");
  p.hop_limit = 255;
  Expectation e;
  e.family = Family::kIpv6;
  e.version = Version::kV3;
  e.vrid = 7;
  e.interval = 100;
  e.verify_ipv6_checksum = true;
  e.hmac = &settings_;
  e.hmac_state = &verifier_;
  e.wall_clock = At(1700000000);
  auto r = ValidateAdvert(p, e);
  ASSERT_TRUE(r.has_value()) << RejectReasonName(r.error());
  EXPECT_EQ(r->advert.priority, 150);
  // Signed by another source address: the pseudo-header differs.
  p.source = Ip("fe80::2");
  EXPECT_EQ(ValidateAdvert(p, e).error(), RejectReason::kAuthBadHmac);
}

TEST(RejectReasonTest, AuthHmacNames) {
  EXPECT_EQ(RejectReasonName(RejectReason::kAuthMissing), "auth_missing");
  EXPECT_EQ(RejectReasonName(RejectReason::kAuthMalformed), "auth_malformed");
  EXPECT_EQ(RejectReasonName(RejectReason::kAuthUnknownKey), "auth_unknown_key");
  EXPECT_EQ(RejectReasonName(RejectReason::kAuthBadHmac), "auth_bad_hmac");
  EXPECT_EQ(RejectReasonName(RejectReason::kAuthStale), "auth_stale");
  EXPECT_EQ(RejectReasonName(RejectReason::kAuthReplay), "auth_replay");
}

}  // namespace
}  // namespace vigil::vrrp
