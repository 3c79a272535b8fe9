#include "vrrp/gratuitous_sender.h"

#include <asio.hpp>
#include <gtest/gtest.h>

#include <net/if.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <vector>

#include "model/config.h"

namespace vigil::vrrp {
namespace {

using std::chrono::milliseconds;
using TimePoint = PacingSchedule::TimePoint;

const TimePoint kT0 = TimePoint() + std::chrono::hours(1);
using Slot = PacingSchedule::Slot;

}  // namespace

void PrintTo(const PacingSchedule::Slot& s, std::ostream* os) {
  *os << "{item " << s.item << " at T0+"
      << std::chrono::duration_cast<milliseconds>(s.at - kT0).count() << "ms}";
}

namespace {

// Items for `addresses` on eth0, each paced by `arp` (IPv4) or `na` (IPv6).
std::vector<GratuitousItem> Items(std::initializer_list<const char*> addresses,
                                  const GarpPacing& arp, const GarpPacing& na) {
  std::vector<GratuitousItem> out;
  for (const char* a : addresses) {
    GratuitousItem item;
    item.address = model::IpPrefix::Parse(a)->address;
    item.ifindex = 2;
    item.pacing = item.address.is_v4() ? arp : na;
    out.push_back(item);
  }
  return out;
}

TEST(PacingScheduleTest, UnpacedMessagesLeaveAtOnce) {
  PacingSchedule s;
  const GarpPacing unpaced{"eth0 arp", milliseconds(0)};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.Take(unpaced, kT0), kT0);
  EXPECT_EQ(s.Take(unpaced, kT0 + milliseconds(1)), kT0 + milliseconds(1));
}

TEST(PacingScheduleTest, PacedMessagesQueueOneIntervalApart) {
  PacingSchedule s;
  const GarpPacing p{"eth0 arp", milliseconds(200)};
  EXPECT_EQ(s.Take(p, kT0), kT0);
  EXPECT_EQ(s.Take(p, kT0), kT0 + milliseconds(200));
  EXPECT_EQ(s.Take(p, kT0), kT0 + milliseconds(400));
  // Ready later but before the queue has drained: behind the last one.
  EXPECT_EQ(s.Take(p, kT0 + milliseconds(250)), kT0 + milliseconds(600));
}

TEST(PacingScheduleTest, AFreePacingSendsAtOnceAgain) {
  PacingSchedule s;
  const GarpPacing p{"eth0 arp", milliseconds(200)};
  EXPECT_EQ(s.Take(p, kT0), kT0);
  EXPECT_EQ(s.Take(p, kT0 + milliseconds(200)), kT0 + milliseconds(200));
  EXPECT_EQ(s.Take(p, kT0 + milliseconds(1000)), kT0 + milliseconds(1000));
  EXPECT_EQ(s.Take(p, kT0 + milliseconds(1000)), kT0 + milliseconds(1200));
}

TEST(PacingScheduleTest, EachPacingHasItsOwnQueue) {
  PacingSchedule s;
  const GarpPacing group{"garp_group 1 arp", milliseconds(100)};
  const GarpPacing eth1{"eth1 arp", milliseconds(300)};
  EXPECT_EQ(s.Take(group, kT0), kT0);
  EXPECT_EQ(s.Take(eth1, kT0), kT0);
  EXPECT_EQ(s.Take(group, kT0), kT0 + milliseconds(100));
  EXPECT_EQ(s.Take(eth1, kT0), kT0 + milliseconds(300));
  // An unpaced kind on an interface does not wait behind a paced one of another key.
  EXPECT_EQ(s.Take(GarpPacing{"eth1 na", milliseconds(0)}, kT0), kT0);
}

// garp_master_repeat 3 with two VIPs under vrrp_garp_interval 0.2: round after round, VIP
// after VIP, each ARP one interval after the one before.
TEST(PacingScheduleTest, RoundsTakeSlotsItemAfterItem) {
  PacingSchedule s;
  const GarpPacing arp{"eth0 arp", milliseconds(200)}, na{"eth0 na", milliseconds(0)};
  const auto items = Items({"10.99.0.100", "10.99.0.101"}, arp, na);
  EXPECT_EQ(s.TakeRounds(items, 3, kT0),
            (std::vector<Slot>{{0, kT0}, {1, kT0 + milliseconds(200)},
                               {0, kT0 + milliseconds(400)}, {1, kT0 + milliseconds(600)},
                               {0, kT0 + milliseconds(800)}, {1, kT0 + milliseconds(1000)}}));
  // A second instance's messages on the same interface queue behind them.
  EXPECT_EQ(s.TakeRounds(Items({"10.99.0.102"}, arp, na), 1, kT0 + milliseconds(100)),
            (std::vector<Slot>{{0, kT0 + milliseconds(1200)}}));
  EXPECT_EQ(s.TakeRounds(items, 0, kT0), std::vector<Slot>{});
}

// After Stop, what would wait for its slot is dropped: no timer is left to fire (the first
// round still goes at once — to no socket here, as the sender is not opened).
TEST(GratuitousSenderTest, AStoppedSenderQueuesNothing) {
  const GarpPacing arp{"eth0 arp", milliseconds(5)}, na{"eth0 na", milliseconds(0)};
  const auto items = Items({"10.99.0.100", "10.99.0.101"}, arp, na);
  {
    asio::io_context io;
    GratuitousSender sender(io);
    sender.Send("VI_1", items, 2);
    EXPECT_EQ(io.run(), 3u);  // four messages: one at once, three on timers
  }
  asio::io_context io;
  GratuitousSender sender(io);
  sender.Stop();
  sender.Send("VI_1", items, 2);
  EXPECT_EQ(io.run(), 0u);
}

TEST(PacingScheduleTest, ArpsAndNasTakeTheirOwnPacing) {
  PacingSchedule s;
  const GarpPacing arp{"eth0 arp", milliseconds(200)}, na{"eth0 na", milliseconds(0)};
  EXPECT_EQ(s.TakeRounds(Items({"10.99.0.100", "fd00::100"}, arp, na), 2, kT0),
            (std::vector<Slot>{{0, kT0}, {1, kT0}, {0, kT0 + milliseconds(200)}, {1, kT0}}));
}

// The pacing of an interface as the configuration gives it (PacingFor), on the schedule:
// a garp_group's garp_interval paces its interfaces' ARPs; a group without one leaves them
// unpaced even under a global vrrp_garp_interval (keepalived's rule).
TEST(PacingScheduleTest, AGarpGroupPacesItsInterfacesOrLeavesThemUnpaced) {
  auto rounds = [](const model::Config& c) {
    const VrrpSpec spec = SpecFromModel(c);
    PacingSchedule s;
    return s.TakeRounds(Items({"10.99.0.100", "10.99.0.101"}, PacingFor(spec, "eth0", true),
                              PacingFor(spec, "eth0", false)),
                        3, kT0);
  };
  model::Config paces;
  model::GarpGroup g;
  g.interfaces = {"eth0"};
  g.garp_interval = milliseconds(200);
  paces.garp_groups = {g};
  EXPECT_EQ(rounds(paces),
            (std::vector<Slot>{{0, kT0}, {1, kT0 + milliseconds(200)},
                               {0, kT0 + milliseconds(400)}, {1, kT0 + milliseconds(600)},
                               {0, kT0 + milliseconds(800)}, {1, kT0 + milliseconds(1000)}}));
  model::Config replaces;
  replaces.global.vrrp_garp_interval = milliseconds(300);
  g.garp_interval = milliseconds(0);
  g.gna_interval = milliseconds(100);
  replaces.garp_groups = {g};
  EXPECT_EQ(rounds(replaces), (std::vector<Slot>{{0, kT0}, {1, kT0}, {0, kT0}, {1, kT0},
                                                 {0, kT0}, {1, kT0}}));
  // Without the group, the global interval paces them.
  replaces.garp_groups.clear();
  EXPECT_EQ(rounds(replaces)[1], (Slot{1, kT0 + milliseconds(300)}));
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

// An NA for fd00:99::100 from 00:00:5e:00:02:33 as scapy builds it (net/arp_ndisc_test.cc):
// flags byte 58 and checksum bytes 56-57 depend on the Router flag.
std::vector<uint8_t> ExpectedNa(uint8_t checksum_high, uint8_t flags) {
  return {
      0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x02, 0x33, 0x86, 0xdd,
      0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfd, 0x00, 0x00, 0x99, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xff, 0x02, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00,
      checksum_high, 0x38, flags, 0x00, 0x00, 0x00, 0xfd, 0x00, 0x00, 0x99, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01, 0x00, 0x00, 0x5e,
      0x00, 0x02, 0x33,
  };
}

GratuitousItem Na(bool router) {
  GratuitousItem item;
  item.address = model::IpPrefix::Parse("fd00:99::100")->address;
  item.ifindex = 2;
  item.mac = {0x00, 0x00, 0x5e, 0x00, 0x02, 0x33};
  item.router = router;
  return item;
}

TEST(GratuitousFrameTest, AnNaCarriesTheRouterFlagOfItsItem) {
  EXPECT_EQ(GratuitousFrame(Na(false)), ExpectedNa(0xf9, 0x20));  // O
  EXPECT_EQ(GratuitousFrame(Na(true)), ExpectedNa(0x79, 0xa0));   // R and O
}

TEST(GratuitousFrameTest, AnArpHasNoRouterFlag) {
  GratuitousItem item = Na(true);
  item.address = model::IpPrefix::Parse("10.99.1.100")->address;
  const std::vector<uint8_t> expected = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x5e, 0x00, 0x02, 0x33, 0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x02, 0x33,
      0x0a, 0x63, 0x01, 0x64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x63, 0x01, 0x64,
  };
  EXPECT_EQ(GratuitousFrame(item), expected);
}

// A fake /proc/sys with net/ipv6/conf/<if>/forwarding for eth0 ("1"), eth1 ("0") and eth2
// ("2": any number but 0 is on); eth3 has none.
class AnnounceRuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil_announce_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    for (auto [name, value] : {std::pair{"eth0", "1\n"}, {"eth1", "0\n"}, {"eth2", "2\n"}}) {
      const std::string dir = root_ + "/net/ipv6/conf/" + name;
      std::filesystem::create_directories(dir);
      std::ofstream(dir + "/forwarding") << value;
    }
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  AnnounceRule Read(const char* name, uint32_t flags) const {
    net::LinkInfo link;
    link.name = name;
    link.flags = flags;
    return ReadAnnounceRule(link, net::Sysctl(root_));
  }

  std::string root_;
};

TEST_F(AnnounceRuleTest, IPv6ForwardingSetsTheRouterFlag) {
  const uint32_t up = IFF_UP | IFF_RUNNING | IFF_BROADCAST | IFF_MULTICAST;
  EXPECT_EQ(Read("eth0", up), (AnnounceRule{.send = true, .router = true}));
  EXPECT_EQ(Read("eth1", up), (AnnounceRule{.send = true, .router = false}));
  EXPECT_EQ(Read("eth2", up), (AnnounceRule{.send = true, .router = true}));
  EXPECT_EQ(Read("eth3", up), (AnnounceRule{.send = true, .router = false}));
}

TEST_F(AnnounceRuleTest, ANoarpInterfaceAnnouncesNothing) {
  EXPECT_FALSE(Read("eth0", IFF_UP | IFF_NOARP).send);
  EXPECT_FALSE(Read("eth1", IFF_UP | IFF_NOARP).send);
  EXPECT_TRUE(Read("eth1", IFF_UP).send);
}

}  // namespace
}  // namespace vigil::vrrp
