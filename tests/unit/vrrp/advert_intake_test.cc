#include "vrrp/advert_intake.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/config.h"
#include "vrrp/kernel_addresses.h"

namespace vigil::vrrp {
namespace {

using model::IpAddress;
using std::chrono::seconds;

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

// VRRPv3 VRID 10 priority 100 on eth0 with VIP 10.0.0.100: multicast, or unicast from
// 10.0.0.1 to the peer 10.0.0.2.
InstanceSpec Spec(bool unicast = false, int priority = 100, bool owner_ignore = false) {
  model::Config c;
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.virtual_router_id = 10;
  vi.priority = priority;
  vi.version = 3;
  vi.owner_ignore_adverts = owner_ignore;
  vi.virtual_ipaddress.push_back({model::IpPrefix::Parse("10.0.0.100").value(), {}, {}, {}, {},
                                  false, {}, {}, {}});
  if (unicast) {
    vi.unicast_peer.push_back({Ip("10.0.0.2"), std::nullopt, std::nullopt, {}});
    vi.unicast_src_ip = Ip("10.0.0.1");
  }
  c.vrrp_instances = {vi};
  return SpecFromModel(c).instances.at(0);
}

// The packet a peer at `from` sends to `to`: VRID `vrid`, `priority`, 1 s, VIP 10.0.0.100,
// summed by `rule`, as a raw IPv4 socket reads it.
net::ReceivedPacket Packet(const InstanceSpec& s, uint8_t vrid, uint8_t priority,
                           std::string_view from = "10.0.0.2",
                           std::string_view to = "224.0.0.18",
                           UnicastChecksum rule = UnicastChecksum::kStandard) {
  const Advert a{.vrid = vrid, .priority = priority, .interval = 100,
                 .addresses = {Ip("10.0.0.100")}};
  net::ReceivedPacket p;
  p.data = EncodeAdvert(s, a, Ip(from), Ip(to), 7, rule).value();
  p.source = ToRaw(Ip(from));
  p.destination = ToRaw(Ip(to));
  p.ttl = 255;
  return p;
}

class AdvertIntakeTest : public ::testing::Test {
 protected:
  AdvertIntake::Outcome Take(const InstanceSpec& s, const net::ReceivedPacket& p) {
    if (!sm_) sm_.emplace(s.params);
    advertised_ = AdvertisedAddresses(s);
    return intake_.Take(s, advertised_, *sm_, sender_, p, status_, now_,
                        std::chrono::system_clock::time_point{});
  }

  AdvertIntake intake_;
  std::optional<StateMachine> sm_;
  AdvertSender sender_;
  std::vector<IpAddress> advertised_;
  control::InstanceStatus status_;
  std::chrono::steady_clock::time_point now_{seconds(100)};
};

TEST_F(AdvertIntakeTest, AValidAdvertGoesToTheStateMachineAndIsCounted) {
  const InstanceSpec s = Spec();
  auto out = Take(s, Packet(s, 10, 150));
  ASSERT_EQ(out.fate, AdvertIntake::Fate::kAccepted);
  EXPECT_EQ(out.advert.source, Ip("10.0.0.2"));
  EXPECT_EQ(out.advert.priority, 150);
  EXPECT_EQ(out.advert.interval, seconds(1));
  out = Take(s, Packet(s, 10, 0));
  ASSERT_EQ(out.fate, AdvertIntake::Fate::kAccepted);
  EXPECT_EQ(out.advert.priority, 0);
  EXPECT_EQ(status_.adverts_received, 2u);
  EXPECT_EQ(status_.priority_zero_received, 1u);
  EXPECT_TRUE(status_.rejected.empty());
}

TEST_F(AdvertIntakeTest, EveryRejectIsCountedUnderItsReasonAndNeverReachesTheMachine) {
  const InstanceSpec s = Spec();
  EXPECT_EQ(Take(s, Packet(s, 11, 150)).fate, AdvertIntake::Fate::kRejected);
  now_ += seconds(1);  // within the log's interval: still counted
  EXPECT_EQ(Take(s, Packet(s, 11, 150)).fate, AdvertIntake::Fate::kRejected);
  auto short_packet = Packet(s, 10, 150);
  short_packet.data.resize(20);
  EXPECT_EQ(Take(s, short_packet).fate, AdvertIntake::Fate::kRejected);
  EXPECT_EQ(status_.rejected, (std::map<std::string, uint64_t>{{"wrong_vrid", 2},
                                                               {"too_short", 1}}));
  EXPECT_EQ(status_.adverts_received, 0u);
}

TEST_F(AdvertIntakeTest, AnOwnerIgnoringAdvertsDropsValidOnesUncounted) {
  const InstanceSpec s = Spec(false, 255, true);
  EXPECT_EQ(Take(s, Packet(s, 10, 100)).fate, AdvertIntake::Fate::kIgnored);
  EXPECT_EQ(Take(s, Packet(s, 12, 100)).fate, AdvertIntake::Fate::kRejected);
  EXPECT_EQ(status_.adverts_received, 0u);
  EXPECT_EQ(status_.rejected.at("wrong_vrid"), 1u);
}

TEST_F(AdvertIntakeTest, APeerWithTheOldUnicastChecksumIsAnsweredInKind) {
  const InstanceSpec s = Spec(/*unicast=*/true);
  ASSERT_EQ(s.unicast_checksum, UnicastChecksum::kDetect);
  EXPECT_EQ(sender_.unicast_checksum(s), UnicastChecksum::kDetect);
  auto out = Take(s, Packet(s, 10, 150, "10.0.0.2", "10.0.0.1", UnicastChecksum::kLegacy));
  EXPECT_EQ(out.fate, AdvertIntake::Fate::kAccepted);
  EXPECT_EQ(sender_.unicast_checksum(s), UnicastChecksum::kLegacy);
}

}  // namespace
}  // namespace vigil::vrrp
