#include "net/interface_table.h"

#include <net/if.h>

#include <gtest/gtest.h>

namespace vigil::net {
namespace {

constexpr uint32_t kUpRunning = IFF_UP | IFF_RUNNING;

LinkInfo Link(int ifindex, const std::string& name, uint32_t flags = kUpRunning) {
  LinkInfo l;
  l.ifindex = ifindex;
  l.name = name;
  l.flags = flags;
  return l;
}

LinkChanged Event(int ifindex, const std::string& name, bool up, bool running,
                  bool removed = false) {
  return {ifindex, name, up, running, removed};
}

TEST(InterfaceTableTest, ReplaceReportsEveryNameThatChanged) {
  InterfaceTable t;
  EXPECT_EQ(t.Replace({Link(1, "lo"), Link(5, "eth0"), Link(6, "eth1", IFF_UP)}),
            (std::vector<InterfaceChange>{{"eth0", 0, 5, false, true},
                                          {"eth1", 0, 6, false, false},
                                          {"lo", 0, 1, false, true}}));
  // A dump after an overrun: eth0 went down, eth1 was re-created (new index) and is up,
  // vlan9 appeared, lo is as it was.
  EXPECT_EQ(t.Replace({Link(1, "lo"), Link(5, "eth0", IFF_UP), Link(9, "eth1"), Link(10, "vlan9")}),
            (std::vector<InterfaceChange>{{"eth0", 5, 5, true, false},
                                          {"eth1", 6, 9, false, true},
                                          {"vlan9", 0, 10, false, true}}));
  EXPECT_EQ(t.IndexOf("eth1"), 9);
  EXPECT_TRUE(t.Usable("vlan9"));
  EXPECT_FALSE(t.Usable("eth0"));
  EXPECT_EQ(t.Replace({Link(1, "lo")}),
            (std::vector<InterfaceChange>{{"eth0", 5, 0, false, false},
                                          {"eth1", 9, 0, true, false},
                                          {"vlan9", 10, 0, true, false}}));
  EXPECT_EQ(t.Find("eth0"), nullptr);
}

// A notification carries every flag and the master: `ip link set eth0 arp off` and
// enslaving eth0 to a VRF show in the table without a change of usability.
TEST(InterfaceTableTest, NotificationsReplaceFlagsAndMaster) {
  InterfaceTable t;
  t.Replace({Link(5, "eth0", kUpRunning | IFF_BROADCAST)});
  LinkChanged noarp{5, "eth0", true, true, false, kUpRunning | IFF_NOARP, 0};
  EXPECT_FALSE(t.Apply(noarp));
  EXPECT_EQ(t.Find("eth0")->flags, kUpRunning | IFF_NOARP);
  LinkChanged enslaved{5, "eth0", true, true, false, kUpRunning | IFF_BROADCAST, 9};
  EXPECT_FALSE(t.Apply(enslaved));
  EXPECT_EQ(t.Find("eth0")->flags, kUpRunning | IFF_BROADCAST);
  EXPECT_EQ(t.Find("eth0")->master_ifindex, 9);
  EXPECT_FALSE(t.Apply(Event(5, "eth0", true, true)));
  EXPECT_EQ(t.Find("eth0")->master_ifindex, 0);
}

TEST(InterfaceTableTest, DeletedAndRecreatedInterfaceIsFollowedByName) {
  InterfaceTable t;
  t.Replace({Link(5, "vlan9")});
  auto gone = t.Apply(Event(5, "vlan9", false, false, /*removed=*/true));
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, (InterfaceChange{"vlan9", 5, 0, true, false}));
  EXPECT_TRUE(gone->disappeared());
  EXPECT_EQ(t.IndexOf("vlan9"), 0);

  auto back = t.Apply(Event(12, "vlan9", false, false));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, (InterfaceChange{"vlan9", 0, 12, false, false}));
  EXPECT_TRUE(back->appeared());
  EXPECT_TRUE(back->rebound());
  auto up = t.Apply(Event(12, "vlan9", true, true));
  ASSERT_TRUE(up);
  EXPECT_EQ(*up, (InterfaceChange{"vlan9", 12, 12, false, true}));
  EXPECT_FALSE(up->rebound());
  // The same state again is no change.
  EXPECT_FALSE(t.Apply(Event(12, "vlan9", true, true)));
}

TEST(InterfaceTableTest, RecreatedWithoutADeleteSeenIsARebind) {
  // The RTM_DELLINK was lost (overrun) or arrives late: a new index under the same name.
  InterfaceTable t;
  t.Replace({Link(5, "vlan9")});
  auto c = t.Apply(Event(13, "vlan9", true, true));
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (InterfaceChange{"vlan9", 5, 13, true, true}));
  EXPECT_TRUE(c->rebound());
  // The late delete of the old interface does not remove the new one.
  EXPECT_FALSE(t.Apply(Event(5, "vlan9", false, false, /*removed=*/true)));
  EXPECT_EQ(t.IndexOf("vlan9"), 13);
}

TEST(InterfaceTableTest, RenameReportsTheOldNameGone) {
  InterfaceTable t;
  t.Replace({Link(5, "eth1")});
  std::vector<InterfaceChange> also;
  auto c = t.Apply(Event(5, "wan0", true, true), &also);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (InterfaceChange{"wan0", 0, 5, false, true}));
  EXPECT_EQ(also, (std::vector<InterfaceChange>{{"eth1", 5, 0, true, false}}));
  EXPECT_EQ(t.Find("eth1"), nullptr);
  ASSERT_NE(t.FindIndex(5), nullptr);
  EXPECT_EQ(t.FindIndex(5)->name, "wan0");
}

TEST(InterfaceTableTest, PutKeepsWhatTheKernelReportedAndRemoveForgets) {
  InterfaceTable t;
  LinkInfo vmac = Link(20, "vrrp.51");
  vmac.mac = {0, 0, 0x5e, 0, 1, 51};
  t.Put(vmac);
  ASSERT_NE(t.Find("vrrp.51"), nullptr);
  EXPECT_EQ(t.Find("vrrp.51")->mac, vmac.mac);
  // A notification about the same interface keeps its MAC.
  EXPECT_FALSE(t.Apply(Event(20, "vrrp.51", true, true)));
  EXPECT_EQ(t.Find("vrrp.51")->mac, vmac.mac);
  t.Remove(20);
  EXPECT_EQ(t.Find("vrrp.51"), nullptr);
}

}  // namespace
}  // namespace vigil::net
