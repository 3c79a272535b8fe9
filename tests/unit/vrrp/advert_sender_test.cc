#include "vrrp/advert_sender.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/config.h"

namespace vigil::vrrp {
namespace {

using model::IpAddress;

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// VRRPv3 VRID 10 priority 200, 1 s, VIP 10.0.0.100 from 10.0.0.1 to the unicast peer
// 10.0.0.2 (TTL 255, id 1). Checksums computed with Python over the pseudo-header
// 0a000001 DST 0070 000c: DST 0a000002 gives 0xe7ac, the group e0000012 gives 0x119c;
// without the pseudo-header (v3_checksum_as_v2) 0xfc2b.
constexpr char kIpHeader[] = "45c0002000010000ff70";
constexpr char kAddresses[] = "0a0000010a000002";

InstanceSpec UnicastSpec(model::OldUnicastChecksum mode, bool as_v2) {
  model::Config c;
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.virtual_router_id = 10;
  vi.priority = 200;
  vi.version = 3;
  vi.virtual_ipaddress.push_back({model::IpPrefix::Parse("10.0.0.100").value(), {}, {}, {}, {},
                                  false, {}, {}, {}});
  vi.unicast_peer.push_back({Ip("10.0.0.2"), std::nullopt, std::nullopt, {}});
  vi.unicast_src_ip = Ip("10.0.0.1");
  vi.old_unicast_checksum = mode;
  vi.v3_checksum_as_v2 = as_v2;
  c.vrrp_instances = {vi};
  return SpecFromModel(c).instances.at(0);
}

std::vector<uint8_t> Bytes(const InstanceSpec& s, UnicastChecksum rule) {
  const Advert a{.vrid = 10, .priority = 200, .interval = 100, .addresses = {Ip("10.0.0.100")}};
  auto p = EncodeAdvert(s, a, Ip("10.0.0.1"), Ip("10.0.0.2"), 1, rule);
  EXPECT_TRUE(p.has_value());
  return p.value_or(std::vector<uint8_t>{});
}

// Returns the expected packet with VRRP checksum `checksum` (4 hex digits); the IPv4
// header checksum is filled in by the encoder, so it is taken from `got`.
std::vector<uint8_t> Expected(std::string_view checksum, const std::vector<uint8_t>& got) {
  auto out = Hex(std::string(kIpHeader) + "0000" + kAddresses + "310ac8010064" +
                 std::string(checksum) + "0a000064");
  if (got.size() >= 12) {
    out[10] = got[10];
    out[11] = got[11];
  }
  return out;
}

TEST(EncodeAdvertTest, OldUnicastChecksumSumsOverTheMulticastGroup) {
  const InstanceSpec old_mode = UnicastSpec(model::OldUnicastChecksum::kOld, false);
  EXPECT_EQ(old_mode.unicast_checksum, UnicastChecksum::kLegacy);
  auto got = Bytes(old_mode, old_mode.unicast_checksum);
  EXPECT_EQ(got, Expected("119c", got));
}

TEST(EncodeAdvertTest, DefaultAndNeverSumOverThePeer) {
  for (auto mode : {model::OldUnicastChecksum::kAuto, model::OldUnicastChecksum::kNever}) {
    const InstanceSpec s = UnicastSpec(mode, false);
    EXPECT_EQ(s.unicast_checksum, mode == model::OldUnicastChecksum::kAuto
                                      ? UnicastChecksum::kDetect
                                      : UnicastChecksum::kStandard);
    auto got = Bytes(s, s.unicast_checksum);
    EXPECT_EQ(got, Expected("e7ac", got));
  }
  // A detecting instance that met an old peer answers in kind.
  const InstanceSpec s = UnicastSpec(model::OldUnicastChecksum::kAuto, false);
  auto got = Bytes(s, UnicastChecksum::kLegacy);
  EXPECT_EQ(got, Expected("119c", got));
}

TEST(EncodeAdvertTest, V3ChecksumAsV2LeavesThePseudoHeaderOut) {
  for (auto mode : {model::OldUnicastChecksum::kAuto, model::OldUnicastChecksum::kOld}) {
    const InstanceSpec s = UnicastSpec(mode, true);
    EXPECT_TRUE(s.v3_checksum_as_v2);
    auto got = Bytes(s, s.unicast_checksum);
    EXPECT_EQ(got, Expected("fc2b", got));
  }
}

TEST(AdvertSenderTest, SwitchesToTheLegacyChecksumOnce) {
  AdvertSender sender;
  const InstanceSpec s = UnicastSpec(model::OldUnicastChecksum::kAuto, false);
  EXPECT_EQ(sender.unicast_checksum(s), UnicastChecksum::kDetect);
  EXPECT_TRUE(sender.UseLegacyChecksum());
  EXPECT_FALSE(sender.UseLegacyChecksum());
  EXPECT_EQ(sender.unicast_checksum(s), UnicastChecksum::kLegacy);
}

}  // namespace
}  // namespace vigil::vrrp
