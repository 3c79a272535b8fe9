#include "bfd/packet.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace vigil::bfd {
namespace {

// Vectors built with scapy's BFD layer (scapy.contrib.bfd), which lays the fields out
// independently of this codec:
//   BFD(diag=0, sta=1, detect_mult=5, my_discriminator=0x01020304, your_discriminator=0,
//       min_tx_interval=1000000, min_rx_interval=10000, echo_rx_interval=0)
constexpr char kDownStart[] = "204005180102030400000000000f42400000271000000000";
//   BFD(diag=1, sta=3, flags="F", detect_mult=3, my_discriminator=0xdeadbeef,
//       your_discriminator=0x42, min_tx_interval=100000, min_rx_interval=300000,
//       echo_rx_interval=50000)
constexpr char kUpFinal[] = "21d00318deadbeef00000042000186a0000493e00000c350";
//   BFD(diag=7, sta=0, flags="CD", detect_mult=255, my_discriminator=0xffffffff,
//       your_discriminator=0xfffffffe, min_tx_interval=0xffffffff, min_rx_interval=0,
//       echo_rx_interval=1)
constexpr char kAdminDownCD[] = "270aff18fffffffffffffffeffffffff0000000000000001";
// The Down packet of kDownStart's layout with A set and a simple-password section
// (RFC 5880 4.2: type 1, Auth Len 8, key id 1, "abcde"); Length 32.
constexpr char kWithPassword[] =
    "204403200000000700000000000f4240000f42400000000001080161626364" "65";

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

RejectReason RejectOf(const std::vector<uint8_t>& bytes) {
  auto r = Decode(bytes);
  EXPECT_FALSE(r.has_value());
  return r ? RejectReason::kTooShort : r.error();
}

TEST(BfdPacketTest, EncodesTheDownPacketAsScapyDoes) {
  ControlPacket p;
  p.state = State::kDown;
  p.detect_mult = 5;
  p.my_discriminator = 0x01020304;
  p.desired_min_tx_us = 1000000;
  p.required_min_rx_us = 10000;
  EXPECT_EQ(ToHex(Encode(p)), kDownStart);
}

TEST(BfdPacketTest, EncodesEveryFlagAndFieldInPlace) {
  ControlPacket p;
  p.diag = Diag::kDetectionExpired;
  p.state = State::kUp;
  p.final = true;
  p.detect_mult = 3;
  p.my_discriminator = 0xdeadbeef;
  p.your_discriminator = 0x42;
  p.desired_min_tx_us = 100000;
  p.required_min_rx_us = 300000;
  p.required_min_echo_rx_us = 50000;
  EXPECT_EQ(ToHex(Encode(p)), kUpFinal);

  ControlPacket q;
  q.diag = Diag::kAdminDown;
  q.state = State::kAdminDown;
  q.control_plane_independent = true;
  q.demand = true;
  q.detect_mult = 255;
  q.my_discriminator = 0xffffffff;
  q.your_discriminator = 0xfffffffe;
  q.desired_min_tx_us = 0xffffffff;
  q.required_min_echo_rx_us = 1;
  EXPECT_EQ(ToHex(Encode(q)), kAdminDownCD);
}

TEST(BfdPacketTest, NeverSendsTheAuthBitOrAnotherLength) {
  ControlPacket p;
  p.detect_mult = 1;
  p.my_discriminator = 1;
  p.auth_present = true;
  const auto bytes = Encode(p);
  EXPECT_EQ(bytes[1] & 0x04, 0);
  EXPECT_EQ(bytes[3], 24);
}

TEST(BfdPacketTest, DecodesScapyVectors) {
  auto down = Decode(Hex(kDownStart));
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->version, 1);
  EXPECT_EQ(down->state, State::kDown);
  EXPECT_EQ(down->diag, Diag::kNone);
  EXPECT_EQ(down->detect_mult, 5);
  EXPECT_EQ(down->my_discriminator, 0x01020304u);
  EXPECT_EQ(down->your_discriminator, 0u);
  EXPECT_EQ(down->desired_min_tx_us, 1000000u);
  EXPECT_EQ(down->required_min_rx_us, 10000u);
  EXPECT_FALSE(down->poll || down->final || down->demand || down->auth_present);

  auto up = Decode(Hex(kUpFinal));
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->state, State::kUp);
  EXPECT_EQ(up->diag, Diag::kDetectionExpired);
  EXPECT_TRUE(up->final);
  EXPECT_FALSE(up->poll);
  EXPECT_EQ(up->your_discriminator, 0x42u);
  EXPECT_EQ(up->required_min_echo_rx_us, 50000u);

  auto admin = Decode(Hex(kAdminDownCD));
  ASSERT_TRUE(admin.has_value());
  EXPECT_EQ(admin->state, State::kAdminDown);
  EXPECT_EQ(admin->diag, Diag::kAdminDown);
  EXPECT_TRUE(admin->control_plane_independent);
  EXPECT_TRUE(admin->demand);
  EXPECT_EQ(admin->desired_min_tx_us, 0xffffffffu);
  EXPECT_EQ(ToHex(Encode(*admin)), kAdminDownCD);
}

TEST(BfdPacketTest, RefusesShortPacketsAndEveryLengthMismatch) {
  auto b = Hex(kDownStart);
  EXPECT_EQ(RejectOf({b.begin(), b.end() - 1}), RejectReason::kTooShort);
  EXPECT_EQ(RejectOf({}), RejectReason::kTooShort);
  auto longer = b;
  longer.push_back(0);  // Length 24 in a 25-byte datagram: refused as keepalived does
  EXPECT_EQ(RejectOf(longer), RejectReason::kBadLength);
  auto field_short = b;
  field_short[3] = 23;
  EXPECT_EQ(RejectOf(field_short), RejectReason::kBadLength);
  auto field_long = b;
  field_long[3] = 25;
  EXPECT_EQ(RejectOf(field_long), RejectReason::kBadLength);
}

TEST(BfdPacketTest, RefusesEachRfc5880Rule) {
  const auto good = Hex(kUpFinal);
  auto v0 = good;
  v0[0] = static_cast<uint8_t>((v0[0] & 0x1f) | 0 << 5);
  EXPECT_EQ(RejectOf(v0), RejectReason::kBadVersion);
  auto v2 = good;
  v2[0] = static_cast<uint8_t>((v2[0] & 0x1f) | 2 << 5);
  EXPECT_EQ(RejectOf(v2), RejectReason::kBadVersion);
  auto mult = good;
  mult[2] = 0;
  EXPECT_EQ(RejectOf(mult), RejectReason::kZeroDetectMult);
  auto multipoint = good;
  multipoint[1] |= 0x01;
  EXPECT_EQ(RejectOf(multipoint), RejectReason::kMultipoint);
  auto mine = good;
  mine[4] = mine[5] = mine[6] = mine[7] = 0;
  EXPECT_EQ(RejectOf(mine), RejectReason::kZeroMyDiscriminator);
  auto yours = good;  // Up without Your Discriminator
  yours[8] = yours[9] = yours[10] = yours[11] = 0;
  EXPECT_EQ(RejectOf(yours), RejectReason::kZeroYourDiscriminator);
  auto init = yours;  // Init likewise
  init[1] = static_cast<uint8_t>((init[1] & 0x3f) | 2 << 6);
  EXPECT_EQ(RejectOf(init), RejectReason::kZeroYourDiscriminator);
  auto down = yours;  // Down and AdminDown may have it zero
  down[1] = static_cast<uint8_t>((down[1] & 0x3f) | 1 << 6);
  EXPECT_TRUE(Decode(down).has_value());
  auto admin = yours;
  admin[1] = static_cast<uint8_t>(admin[1] & 0x3f);
  EXPECT_TRUE(Decode(admin).has_value());
}

TEST(BfdPacketTest, RefusesKeepalivedsAdditionalChecks) {
  auto pf = Hex(kUpFinal);
  pf[1] |= 0x20;
  EXPECT_EQ(RejectOf(pf), RejectReason::kPollAndFinal);
  auto diag8 = Hex(kUpFinal);
  diag8[0] = static_cast<uint8_t>((diag8[0] & 0xe0) | 8);
  EXPECT_TRUE(Decode(diag8).has_value());
  auto diag9 = Hex(kUpFinal);
  diag9[0] = static_cast<uint8_t>((diag9[0] & 0xe0) | 9);
  EXPECT_EQ(RejectOf(diag9), RejectReason::kBadDiag);
  auto diag31 = Hex(kUpFinal);
  diag31[0] = static_cast<uint8_t>(diag31[0] | 0x1f);
  EXPECT_EQ(RejectOf(diag31), RejectReason::kBadDiag);
}

TEST(BfdPacketTest, RefusesAnAuthenticatedPacketOnceItsSectionIsRead) {
  const auto pass = Hex(kWithPassword);
  ASSERT_EQ(pass.size(), 32u);
  EXPECT_EQ(RejectOf(pass), RejectReason::kAuthNotConfigured);
  // A without room for the section header: Length 24 is below the 26 the A bit needs.
  auto no_section = Hex(kDownStart);
  no_section[1] |= 0x04;
  EXPECT_EQ(RejectOf(no_section), RejectReason::kBadLength);
  // Auth Len beyond the packet, and below its own header.
  auto too_long = pass;
  too_long[25] = 9;
  EXPECT_EQ(RejectOf(too_long), RejectReason::kBadAuthLength);
  auto too_small = pass;
  too_small[25] = 1;
  EXPECT_EQ(RejectOf(too_small), RejectReason::kBadAuthLength);
  // The same bytes without the A bit are a length mismatch, not an auth packet.
  auto cleared = pass;
  cleared[1] &= static_cast<uint8_t>(~0x04);
  cleared[3] = 24;
  EXPECT_EQ(RejectOf(cleared), RejectReason::kBadLength);
  // ... unless the Length says 32: keepalived takes such a packet, and so does vigil.
  cleared[3] = 32;
  auto taken = Decode(cleared);
  ASSERT_TRUE(taken.has_value());
  EXPECT_FALSE(taken->auth_present);
  EXPECT_EQ(taken->my_discriminator, 7u);
}

TEST(BfdPacketTest, RoundTripsEveryStateAndDiag) {
  for (uint8_t s = 0; s < 4; ++s) {
    for (uint8_t d = 0; d <= kMaxDiag; ++d) {
      ControlPacket p;
      p.state = static_cast<State>(s);
      p.diag = static_cast<Diag>(d);
      p.detect_mult = 3;
      p.my_discriminator = 9;
      p.your_discriminator = 10;
      p.poll = (d % 2) == 0;
      p.final = !p.poll;
      auto back = Decode(Encode(p));
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(*back, p);
    }
  }
}

TEST(BfdPacketTest, NamesEveryRejectReasonDistinctly) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    const auto name = RejectReasonName(static_cast<RejectReason>(i));
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kRejectReasonCount);
  EXPECT_EQ(RejectReasonName(static_cast<RejectReason>(kRejectReasonCount)), "unknown");
  EXPECT_EQ(StateName(State::kInit), "Init");
  EXPECT_EQ(DiagName(Diag::kNeighborDown), "Neighbor Signaled Session Down");
}

TEST(BfdPacketTest, TtlCheckIsGtsmWithKeepalivedsMaxHops) {
  EXPECT_TRUE(TtlAcceptable(255, 255, 0));
  EXPECT_FALSE(TtlAcceptable(254, 255, 0));  // one router crossed: refused on single hop
  EXPECT_TRUE(TtlAcceptable(254, 255, 1));
  EXPECT_FALSE(TtlAcceptable(253, 255, 1));
  EXPECT_TRUE(TtlAcceptable(1, 255, 255));  // max_hops 255 (keepalived's -1): no check
  EXPECT_TRUE(TtlAcceptable(0, 255, 0));    // not reported by the kernel
  EXPECT_TRUE(TtlAcceptable(64, 64, 0));    // IPv6 default hop limit
  EXPECT_FALSE(TtlAcceptable(63, 64, 0));
}

}  // namespace
}  // namespace vigil::bfd
