#include "lb/nft_render.h"

#include <gtest/gtest.h>

#include <set>

#include <algorithm>

#include "lb/maglev.h"
#include "test_util.h"

namespace vigil::lb::nft {
namespace {

using testing::Dest;
using testing::Fwmark;
using testing::Ip;
using testing::Tcp;

std::string Render(const State& want, const State& have, Options options = {}) {
  auto r = RenderOps(Reconcile(want, have), want, have, options);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r.value_or("");
}

std::string ValidateError(const State& s) {
  auto r = Validate(s);
  return r.has_value() ? "ok" : r.error().ToString();
}

State OneService(Service svc, std::vector<Destination> dests) {
  State s;
  s.Put(svc);
  for (const auto& d : dests) s.PutDestination(svc.key, d);
  return s;
}

TEST(NftNamesTest, ChainAndSetNamesAreIdentifierSafe) {
  EXPECT_EQ(ServiceChainName(Tcp("10.0.0.1", 80).key), "s_tcp_10.0.0.1_80");
  EXPECT_EQ(ServiceChainName(Tcp("fd00::1", 80).key), "s_tcp_fd00--1_80");
  EXPECT_EQ(ServiceChainName(Fwmark(9, Scheduler::kRr, Family::kIpv6).key), "s_fwm6_9");
  EXPECT_EQ(DestinationChainName(Tcp("::ffff:1.2.3.4", 1).key, {Ip("fd00::a"), 2}),
            "d_tcp_--ffff-1.2.3.4_1_fd00--a_2");
  EXPECT_EQ(PersistenceSetName(Tcp("10.0.0.1", 80).key, {Ip("10.1.0.1"), 0}),
            "p_tcp_10.0.0.1_80_10.1.0.1_0");
}

TEST(NftRenderTest, SkeletonCreatesDispatchMapsHooksAndMasqueradeSets) {
  EXPECT_EQ(RenderSkeleton(),
            "add table inet vigil\n"
            "add map inet vigil svc4 { type inet_proto . ipv4_addr . inet_service : verdict; }\n"
            "add map inet vigil svc6 { type inet_proto . ipv6_addr . inet_service : verdict; }\n"
            "add map inet vigil fwm { type nf_proto . mark : verdict; }\n"
            "add set inet vigil masq4 { type ipv4_addr; }\n"
            "add set inet vigil masq6 { type ipv6_addr; }\n"
            "add set inet vigil masqm { type nf_proto . mark; }\n"
            "add chain inet vigil dispatch\n"
            "add rule inet vigil dispatch meta mark != 0 meta nfproto . meta mark vmap @fwm\n"
            "add rule inet vigil dispatch meta l4proto . ip daddr . th dport vmap @svc4\n"
            "add rule inet vigil dispatch meta l4proto . ip6 daddr . th dport vmap @svc6\n"
            "add chain inet vigil prerouting { type nat hook prerouting priority dstnat; policy "
            "accept; }\n"
            "add rule inet vigil prerouting jump dispatch\n"
            "add chain inet vigil output { type nat hook output priority -100; policy accept; }\n"
            "add rule inet vigil output jump dispatch\n"
            "add chain inet vigil postrouting { type nat hook postrouting priority srcnat; policy "
            "accept; }\n"
            "add rule inet vigil postrouting ct status dnat ct original ip daddr @masq4 "
            "masquerade\n"
            "add rule inet vigil postrouting ct status dnat ct original ip6 daddr @masq6 "
            "masquerade\n"
            "add rule inet vigil postrouting ct status dnat meta nfproto . meta mark @masqm "
            "masquerade\n");
}

TEST(NftRenderTest, WrrHonoursWeightsReducedByGcdAndSkipsWeightZero) {
  State want = OneService(
      Tcp("10.0.0.1", 80, Scheduler::kWrr),
      {Dest("10.1.0.1", 8080, 200), Dest("10.1.0.2", 8080, 100), Dest("10.1.0.3", 8080, 0)});
  EXPECT_EQ(Render(want, {}),
            "add map inet vigil v_tcp_10.0.0.1_80 { typeof numgen inc mod 1 : ip daddr . tcp dport; }\n"
            "add chain inet vigil s_tcp_10.0.0.1_80\n"
            "add element inet vigil svc4 { tcp . 10.0.0.1 . 80 : goto s_tcp_10.0.0.1_80 }\n"
            "add chain inet vigil d_tcp_10.0.0.1_80_10.1.0.1_8080\n"
            "add rule inet vigil d_tcp_10.0.0.1_80_10.1.0.1_8080 meta l4proto tcp dnat ip to "
            "10.1.0.1:8080 comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.1 8080 -\"\n"
            "add chain inet vigil d_tcp_10.0.0.1_80_10.1.0.2_8080\n"
            "add rule inet vigil d_tcp_10.0.0.1_80_10.1.0.2_8080 meta l4proto tcp dnat ip to "
            "10.1.0.2:8080 comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.2 8080 -\"\n"
            "add chain inet vigil d_tcp_10.0.0.1_80_10.1.0.3_8080\n"
            "add rule inet vigil d_tcp_10.0.0.1_80_10.1.0.3_8080 meta l4proto tcp dnat ip to "
            "10.1.0.3:8080 comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.3 8080 0\"\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 meta l4proto tcp dnat ip to numgen inc mod 3 map "
            "@v_tcp_10.0.0.1_80\n"
            "add element inet vigil v_tcp_10.0.0.1_80 { 0 comment \"vigil-dst tcp 10.0.0.1 80 "
            "10.1.0.1 8080 200\" : 10.1.0.1 . 8080, 1 comment \"vigil-dst tcp 10.0.0.1 80 "
            "10.1.0.2 8080 100\" : 10.1.0.2 . 8080, 2 : 10.1.0.1 . 8080 }\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 drop comment \"vigil-svc tcp 10.0.0.1 80 wrr 0 "
            "0 -\"\n");
}

TEST(NftRenderTest, RrGivesEachDestinationOneSlotWhateverItsWeight) {
  State want = OneService(Tcp("10.0.0.1", 80, Scheduler::kRr),
                          {Dest("10.1.0.1", 80, 5), Dest("10.1.0.2", 80, 1)});
  std::string text = Render(want, {});
  EXPECT_NE(text.find("s_tcp_10.0.0.1_80 meta l4proto tcp dnat ip to numgen inc mod 2 map "
                      "@v_tcp_10.0.0.1_80\n"
                      "add element inet vigil v_tcp_10.0.0.1_80 { 0 comment \"vigil-dst tcp "
                      "10.0.0.1 80 10.1.0.1 80 5\" : 10.1.0.1 . 80, 1 comment \"vigil-dst tcp "
                      "10.0.0.1 80 10.1.0.2 80 1\" : 10.1.0.2 . 80 }\n"),
            std::string::npos)
      << text;
}

TEST(NftRenderTest, RandomAndShSelectors) {
  Service random = Tcp("10.0.0.1", 80, Scheduler::kRandom);
  Service sh = Tcp("10.0.0.2", 53, Scheduler::kSh);
  sh.scheduler_flags = kSchedFlag2;  // sh-port
  State want = OneService(random, {Dest("10.1.0.1", 80, 3), Dest("10.1.0.2", 80, 1)});
  want.Put(sh);
  want.PutDestination(sh.key, Dest("10.1.0.1", 53));
  std::string text = Render(want, {});
  EXPECT_NE(text.find("s_tcp_10.0.0.1_80 meta l4proto tcp dnat ip to numgen random mod 4 map "
                      "@v_tcp_10.0.0.1_80\n"
                      "add element inet vigil v_tcp_10.0.0.1_80 { 0 comment \"vigil-dst tcp "
                      "10.0.0.1 80 10.1.0.1 80 3\" : 10.1.0.1 . 80, 1 comment \"vigil-dst tcp "
                      "10.0.0.1 80 10.1.0.2 80 1\" : 10.1.0.2 . 80, 2 : 10.1.0.1 . 80, "
                      "3 : 10.1.0.1 . 80 }\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("s_tcp_10.0.0.2_53 meta l4proto tcp dnat ip to jhash ip saddr . th sport "
                      "mod 1 seed 0x0 map @v_tcp_10.0.0.2_53\n"
                      "add element inet vigil v_tcp_10.0.0.2_53 { 0 comment \"vigil-dst tcp "
                      "10.0.0.2 53 10.1.0.1 53 1\" : 10.1.0.1 . 53 }\n"),
            std::string::npos)
      << text;
}

TEST(NftRenderTest, MhLoadsTheMaglevTableBehindAClientHash) {
  Service mh = Tcp("10.0.0.1", 80, Scheduler::kMh);
  mh.scheduler_flags = kSchedFlag2;  // mh-port
  State want = OneService(mh, {Dest("10.1.0.1", 8080, 2), Dest("10.1.0.2", 8080),
                               Dest("10.1.0.3", 8080, 0)});
  const std::string text = Render(want, {});
  EXPECT_NE(text.find("add rule inet vigil s_tcp_10.0.0.1_80 meta l4proto tcp dnat ip to jhash "
                      "ip saddr . th sport mod 65537 seed 0x0 map @v_tcp_10.0.0.1_80\n"),
            std::string::npos)
      << text.substr(0, 2000);
  // The slots are the Maglev table of the servers with a weight, in lines of 64.
  const std::vector<maglev::Server> servers = {{Dest("10.1.0.1", 8080).key, 2},
                                               {Dest("10.1.0.2", 8080).key, 1}};
  const std::vector<DestinationKey> table = maglev::BuildKeyTable(servers);
  ASSERT_EQ(table.size(), 65537u);
  EXPECT_EQ(Slots(want.services.begin()->second), table);
  // The first slot of each server carries its comment (with its weight).
  std::string elements;
  std::set<DestinationKey> noted;
  for (size_t i = 0; i < table.size(); ++i) {
    const bool first = noted.insert(table[i]).second;
    const uint32_t weight = want.services.begin()->second.destinations.at(table[i]).weight;
    elements += (i % 64 == 0 ? "add element inet vigil v_tcp_10.0.0.1_80 { " : ", ") +
                std::to_string(i) +
                (first ? " comment \"vigil-dst tcp 10.0.0.1 80 " + table[i].address.ToString() +
                             " 8080 " + std::to_string(weight) + "\""
                       : "") +
                " : " + table[i].address.ToString() + " . 8080" +
                (i % 64 == 63 || i + 1 == table.size() ? " }\n" : "");
  }
  EXPECT_EQ(noted.size(), 2u);
  EXPECT_NE(text.find(elements), std::string::npos);
  EXPECT_EQ(std::count(table.begin(), table.end(), Dest("10.1.0.1", 8080).key), 43691);
  // Without mh-port the client's address alone; no server with a weight, no slots.
  State plain = OneService(Tcp("10.0.0.1", 80, Scheduler::kMh), {Dest("10.1.0.1", 8080)});
  EXPECT_NE(Render(plain, {}).find("dnat ip to jhash ip saddr mod 65537 seed 0x0 map "),
            std::string::npos);
  State none = OneService(Tcp("10.0.0.1", 80, Scheduler::kMh), {Dest("10.1.0.1", 8080, 0)});
  EXPECT_EQ(Render(none, {}).find("add element inet vigil v_"), std::string::npos);
  // A fwmark service (slots are verdicts): the same table, each slot a goto.
  State marked = OneService(Fwmark(3, Scheduler::kMh), {Dest("10.1.0.1", 0), Dest("10.1.0.2", 0)});
  const std::vector<std::string> values = SlotValues(marked.services.begin()->second);
  ASSERT_EQ(values.size(), 65537u);
  EXPECT_EQ(values[0], "goto " + DestinationChainName(Fwmark(3).key,
                                                      Slots(marked.services.begin()->second)[0]));
}

TEST(NftRenderTest, PersistentIpv6ServiceRemembersClientsPerDestination) {
  Service p = Tcp("fd00::1", 443, Scheduler::kSh);
  p.persistence_timeout = 300;
  p.persistence_prefix = 64;
  State want = OneService(p, {Dest("fd00::10", 443), Dest("fd00::11", 443, 0)});
  EXPECT_EQ(Render(want, {}, Options{.masquerade = true}),
            "add map inet vigil v_tcp_fd00--1_443 { typeof numgen inc mod 1 : verdict; }\n"
            "add chain inet vigil s_tcp_fd00--1_443\n"
            "add element inet vigil svc6 { tcp . fd00::1 . 443 : goto s_tcp_fd00--1_443 }\n"
            "add element inet vigil masq6 { fd00::1 }\n"
            "add set inet vigil p_tcp_fd00--1_443_fd00--10_443 { type ipv6_addr; size 1048576; "
            "flags dynamic,timeout; timeout 300s; }\n"
            "add chain inet vigil d_tcp_fd00--1_443_fd00--10_443\n"
            "add rule inet vigil d_tcp_fd00--1_443_fd00--10_443 update "
            "@p_tcp_fd00--1_443_fd00--10_443 { ip6 saddr & ffff:ffff:ffff:ffff:: }\n"
            "add rule inet vigil d_tcp_fd00--1_443_fd00--10_443 meta l4proto tcp dnat ip6 to "
            "[fd00::10]:443 comment \"vigil-dst tcp fd00::1 443 fd00::10 443 1\"\n"
            "add set inet vigil p_tcp_fd00--1_443_fd00--11_443 { type ipv6_addr; size 1048576; "
            "flags dynamic,timeout; timeout 300s; }\n"
            "add chain inet vigil d_tcp_fd00--1_443_fd00--11_443\n"
            "add rule inet vigil d_tcp_fd00--1_443_fd00--11_443 update "
            "@p_tcp_fd00--1_443_fd00--11_443 { ip6 saddr & ffff:ffff:ffff:ffff:: }\n"
            "add rule inet vigil d_tcp_fd00--1_443_fd00--11_443 meta l4proto tcp dnat ip6 to "
            "[fd00::11]:443 comment \"vigil-dst tcp fd00::1 443 fd00::11 443 0\"\n"
            "add rule inet vigil s_tcp_fd00--1_443 ip6 saddr & ffff:ffff:ffff:ffff:: "
            "@p_tcp_fd00--1_443_fd00--10_443 goto d_tcp_fd00--1_443_fd00--10_443\n"
            "add rule inet vigil s_tcp_fd00--1_443 jhash ip6 saddr mod 1 seed 0x0 vmap "
            "@v_tcp_fd00--1_443\n"
            "add element inet vigil v_tcp_fd00--1_443 { 0 : goto d_tcp_fd00--1_443_fd00--10_443 }\n"
            "add rule inet vigil s_tcp_fd00--1_443 drop comment \"vigil-svc tcp fd00::1 443 sh 0 "
            "300 64\"\n");
}

TEST(NftRenderTest, FwmarkDestinationsMatchAnyPortProtocolOrKeepThePort) {
  State want = OneService(Fwmark(7), {Dest("10.1.0.1", 8080), Dest("10.1.0.2", 0)});
  std::string text = Render(want, {});
  EXPECT_NE(text.find("add element inet vigil fwm { ipv4 . 7 : goto s_fwm4_7 }\n"),
            std::string::npos);
  EXPECT_NE(text.find("d_fwm4_7_10.1.0.1_8080 meta l4proto { tcp, udp, sctp } dnat ip to "
                      "10.1.0.1:8080 comment \"vigil-dst fwmark ipv4 7 10.1.0.1 8080 1\"\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("d_fwm4_7_10.1.0.2_0 dnat ip to 10.1.0.2 comment"), std::string::npos);
}

// Many services, one weight change: only that service's chain and the server's chain move.
TEST(NftRenderTest, WeightChangeTouchesOnlyThatServiceChainAndDestinationChain) {
  State have;
  for (int i = 1; i <= 20; ++i) {
    Service s = Tcp("10.0.0." + std::to_string(i), 80, Scheduler::kWrr);
    have.Put(s);
    have.PutDestination(s.key, Dest("10.1.0.1", 80));
    have.PutDestination(s.key, Dest("10.1.0.2", 80));
  }
  State want = have;
  want.PutDestination(Tcp("10.0.0.7", 80).key, Dest("10.1.0.2", 80, 3));
  EXPECT_EQ(Render(want, have),
            "flush chain inet vigil s_tcp_10.0.0.7_80\n"
            "flush map inet vigil v_tcp_10.0.0.7_80\n"
            "flush chain inet vigil d_tcp_10.0.0.7_80_10.1.0.2_80\n"
            "add rule inet vigil d_tcp_10.0.0.7_80_10.1.0.2_80 meta l4proto tcp dnat ip to "
            "10.1.0.2:80 comment \"vigil-dst tcp 10.0.0.7 80 10.1.0.2 80 -\"\n"
            "add rule inet vigil s_tcp_10.0.0.7_80 meta l4proto tcp dnat ip to numgen inc mod 4 map "
            "@v_tcp_10.0.0.7_80\n"
            "add element inet vigil v_tcp_10.0.0.7_80 { 0 comment \"vigil-dst tcp 10.0.0.7 80 "
            "10.1.0.1 80 1\" : 10.1.0.1 . 80, 1 comment \"vigil-dst tcp 10.0.0.7 80 10.1.0.2 80 "
            "3\" : 10.1.0.2 . 80, 2 : 10.1.0.2 . 80, 3 : 10.1.0.2 . 80 }\n"
            "add rule inet vigil s_tcp_10.0.0.7_80 drop comment \"vigil-svc tcp 10.0.0.7 80 wrr 0 "
            "0 -\"\n");
}

TEST(NftRenderTest, RemovingAPersistentDestinationDropsItsChainAndSet) {
  Service p = Tcp("10.0.0.1", 80, Scheduler::kRr);
  p.persistence_timeout = 60;
  State have = OneService(p, {Dest("10.1.0.1", 80), Dest("10.1.0.2", 80)});
  State want = OneService(p, {Dest("10.1.0.1", 80)});
  EXPECT_EQ(Render(want, have),
            "flush chain inet vigil s_tcp_10.0.0.1_80\n"
            "flush map inet vigil v_tcp_10.0.0.1_80\n"
            "flush chain inet vigil d_tcp_10.0.0.1_80_10.1.0.2_80\n"
            "delete chain inet vigil d_tcp_10.0.0.1_80_10.1.0.2_80\n"
            "delete set inet vigil p_tcp_10.0.0.1_80_10.1.0.2_80\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 ip saddr @p_tcp_10.0.0.1_80_10.1.0.1_80 goto "
            "d_tcp_10.0.0.1_80_10.1.0.1_80\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 numgen inc mod 1 vmap @v_tcp_10.0.0.1_80\n"
            "add element inet vigil v_tcp_10.0.0.1_80 { 0 : goto d_tcp_10.0.0.1_80_10.1.0.1_80 }\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 drop comment \"vigil-svc tcp 10.0.0.1 80 rr 0 "
            "60 -\"\n");
}

TEST(NftRenderTest, DeletingAServiceKeepsTheMasqueradeVipWhileAnotherServiceUsesIt) {
  State have = OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80)});
  have.Put(Tcp("10.0.0.1", 443));
  State want;
  want.Put(Tcp("10.0.0.1", 443));
  EXPECT_EQ(Render(want, have, Options{.masquerade = true}),
            "flush chain inet vigil s_tcp_10.0.0.1_80\n"
            "flush map inet vigil v_tcp_10.0.0.1_80\n"
            "flush chain inet vigil d_tcp_10.0.0.1_80_10.1.0.1_80\n"
            "delete chain inet vigil d_tcp_10.0.0.1_80_10.1.0.1_80\n"
            "delete element inet vigil svc4 { tcp . 10.0.0.1 . 80 }\n"
            "delete chain inet vigil s_tcp_10.0.0.1_80\n"
            "delete map inet vigil v_tcp_10.0.0.1_80\n");
  EXPECT_EQ(Render({}, want, Options{.masquerade = true}),
            "flush chain inet vigil s_tcp_10.0.0.1_443\n"
            "flush map inet vigil v_tcp_10.0.0.1_443\n"
            "delete element inet vigil svc4 { tcp . 10.0.0.1 . 443 }\n"
            "delete element inet vigil masq4 { 10.0.0.1 }\n"
            "delete chain inet vigil s_tcp_10.0.0.1_443\n"
            "delete map inet vigil v_tcp_10.0.0.1_443\n");
}

TEST(NftRenderTest, PersistenceChangeRebuildsSetsOfKeptDestinations) {
  Service before = Tcp("10.0.0.1", 80, Scheduler::kRr);
  Service after = before;
  after.persistence_timeout = 30;
  after.persistence_prefix = 24;
  State have = OneService(before, {Dest("10.1.0.1", 80)});
  State want = OneService(after, {Dest("10.1.0.1", 80)});
  EXPECT_EQ(Render(want, have),
            "flush chain inet vigil s_tcp_10.0.0.1_80\n"
            "flush map inet vigil v_tcp_10.0.0.1_80\n"
            "delete map inet vigil v_tcp_10.0.0.1_80\n"
            "add map inet vigil v_tcp_10.0.0.1_80 { typeof numgen inc mod 1 : verdict; }\n"
            "flush chain inet vigil d_tcp_10.0.0.1_80_10.1.0.1_80\n"
            "add set inet vigil p_tcp_10.0.0.1_80_10.1.0.1_80 { type ipv4_addr; size 1048576; "
            "flags dynamic,timeout; timeout 30s; }\n"
            "add rule inet vigil d_tcp_10.0.0.1_80_10.1.0.1_80 update "
            "@p_tcp_10.0.0.1_80_10.1.0.1_80 { ip saddr & 255.255.255.0 }\n"
            "add rule inet vigil d_tcp_10.0.0.1_80_10.1.0.1_80 meta l4proto tcp dnat ip to "
            "10.1.0.1:80 comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 1\"\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 ip saddr & 255.255.255.0 "
            "@p_tcp_10.0.0.1_80_10.1.0.1_80 goto d_tcp_10.0.0.1_80_10.1.0.1_80\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 numgen inc mod 1 vmap @v_tcp_10.0.0.1_80\n"
            "add element inet vigil v_tcp_10.0.0.1_80 { 0 : goto d_tcp_10.0.0.1_80_10.1.0.1_80 }\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 drop comment \"vigil-svc tcp 10.0.0.1 80 rr 0 "
            "30 24\"\n");
}

TEST(NftRenderTest, ServiceWithNoSchedulableDestinationOnlyDrops) {
  State want = OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80, 0)});
  std::string text = Render(want, {});
  EXPECT_NE(text.find("add rule inet vigil s_tcp_10.0.0.1_80 drop comment"), std::string::npos);
  EXPECT_EQ(text.find("vmap"), std::string::npos) << text;
}

TEST(NftRenderTest, MasqueradeResyncFlushesAndRefills) {
  State have;
  have.Put(Tcp("10.0.0.1", 80));
  have.Put(Tcp("10.0.0.1", 443));
  have.Put(Fwmark(3));
  EXPECT_EQ(RenderMasqueradeResync(have, Options{.masquerade = true}),
            "flush set inet vigil masq4\n"
            "flush set inet vigil masq6\n"
            "flush set inet vigil masqm\n"
            "add element inet vigil masq4 { 10.0.0.1 }\n"
            "add element inet vigil masqm { ipv4 . 3 }\n");
  EXPECT_EQ(RenderMasqueradeResync(have, Options{}),
            "flush set inet vigil masq4\nflush set inet vigil masq6\nflush set inet vigil masqm\n");
}

TEST(NftValidateTest, NamesTheBackendAndTheAlternative) {
  EXPECT_EQ(ValidateError(OneService(Tcp("10.0.0.1", 80, Scheduler::kWlc), {})),
            "virtual server tcp 10.0.0.1:80: scheduler 'wlc' is not available with the nftables "
            "backend (use rr, wrr, sh, mh or random, or the ipvs backend)");
  for (Scheduler s :
       {Scheduler::kLc, Scheduler::kLblc, Scheduler::kLblcr, Scheduler::kDh, Scheduler::kSed,
        Scheduler::kNq, Scheduler::kFo, Scheduler::kOvf, Scheduler::kTwos}) {
    EXPECT_FALSE(Validate(OneService(Tcp("10.0.0.1", 80, s), {})).has_value());
  }
  Destination tun = Dest("10.1.0.1", 80);
  tun.forwarding = Forwarding::kTunnel;
  EXPECT_EQ(ValidateError(OneService(Tcp("10.0.0.1", 80), {tun})),
            "virtual server tcp 10.0.0.1:80: real server 10.1.0.1:80: forwarding method 'TUN' is "
            "not available with the nftables backend (use NAT or DR, or the ipvs backend)");
  Destination limited = Dest("10.1.0.1", 80);
  limited.upper_threshold = 100;
  EXPECT_EQ(ValidateError(OneService(Tcp("10.0.0.1", 80), {limited})),
            "virtual server tcp 10.0.0.1:80: real server 10.1.0.1:80: connection thresholds "
            "(uthreshold/lthreshold) are not available with the nftables backend (use the ipvs "
            "backend)");
}

Destination Dr(const std::string& address, uint16_t port, uint32_t weight = 1) {
  Destination d = Dest(address, port, weight);
  d.forwarding = Forwarding::kDirectRoute;
  return d;
}

TEST(NftValidateTest, DirectRoutingNeedsAHashingSchedulerAnAddressAndOneMethod) {
  EXPECT_EQ(ValidateError(OneService(Tcp("10.0.0.1", 80, Scheduler::kSh), {Dr("10.1.0.1", 80)})),
            "ok");
  EXPECT_EQ(ValidateError(OneService(Tcp("10.0.0.1", 80, Scheduler::kMh), {Dr("10.1.0.1", 80)})),
            "ok");
  EXPECT_EQ(ValidateError(OneService(Tcp("10.0.0.1", 80, Scheduler::kRr), {Dr("10.1.0.1", 80)})),
            "virtual server tcp 10.0.0.1:80: scheduler 'rr' with DR is not available with the "
            "nftables backend (DR keeps no connection state, so only the hashing schedulers sh "
            "and mh keep a connection on one real server: use sh or mh, or the ipvs backend)");
  Service persistent = Tcp("10.0.0.1", 80, Scheduler::kSh);
  persistent.persistence_timeout = 60;
  EXPECT_EQ(ValidateError(OneService(persistent, {Dr("10.1.0.1", 80)})),
            "virtual server tcp 10.0.0.1:80: persistence with DR is not available with the "
            "nftables backend (use sh or mh, or the ipvs backend)");
  EXPECT_EQ(ValidateError(OneService(Fwmark(3, Scheduler::kSh), {Dr("10.1.0.1", 0)})),
            "virtual server fwmark 3 ipv4: DR for a fwmark service is not available with the "
            "nftables backend (marks are set after the ingress hook DR runs at: use an address "
            "service, or the ipvs backend)");
  EXPECT_EQ(ValidateError(OneService(Tcp("10.0.0.1", 80, Scheduler::kSh),
                                     {Dr("10.1.0.1", 80), Dest("10.1.0.2", 80)})),
            "virtual server tcp 10.0.0.1:80: real server 10.1.0.2:80: forwarding method 'NAT' "
            "beside DR real servers is not available with the nftables backend (give all real "
            "servers of a virtual server one method)");
  // The egress device is the backend's to find: without it, nothing is rendered.
  State s = OneService(Tcp("10.0.0.1", 80, Scheduler::kSh), {Dr("10.1.0.1", 80)});
  auto r = RenderOps(Reconcile(s, {}), s, {}, Options{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().ToString(),
            "virtual server tcp 10.0.0.1:80: real server 10.1.0.1:80: no interface of this host "
            "has an address on its subnet (DR sends to real servers on a link of this host)");
}

Options DrOptions() {
  Options o;
  o.dr_devices = {{Ip("10.1.0.1"), "eth1"}, {Ip("10.1.0.2"), "eth2"}, {Ip("fd00::10"), "eth1"}};
  o.dr_hook_devices = {"eth0", "eth1", "eth2"};
  return o;
}

TEST(NftRenderTest, DirectRoutedServiceLivesInTheNetdevTableAndForwardsUnchanged) {
  State want = OneService(Tcp("10.0.0.1", 80, Scheduler::kSh),
                          {Dr("10.1.0.1", 80, 2), Dr("10.1.0.2", 8080, 1)});
  EXPECT_EQ(Render(want, {}, DrOptions()),
            "add table netdev vigil\n"
            "add map netdev vigil dr4 { type inet_proto . ipv4_addr . inet_service : verdict; }\n"
            "add map netdev vigil dr6 { type inet_proto . ipv6_addr . inet_service : verdict; }\n"
            "add chain netdev vigil ingress { type filter hook ingress devices = { \"eth0\", "
            "\"eth1\", \"eth2\" } priority filter; policy accept; }\n"
            "flush chain netdev vigil ingress\n"
            "add rule netdev vigil ingress meta pkttype host meta l4proto . ip daddr . th dport "
            "vmap @dr4\n"
            "add rule netdev vigil ingress meta pkttype host meta l4proto . ip6 daddr . th dport "
            "vmap @dr6\n"
            "add map netdev vigil v_tcp_10.0.0.1_80 { typeof numgen inc mod 1 : verdict; }\n"
            "add chain netdev vigil s_tcp_10.0.0.1_80\n"
            "add element netdev vigil dr4 { tcp . 10.0.0.1 . 80 : goto s_tcp_10.0.0.1_80 }\n"
            "add chain netdev vigil d_tcp_10.0.0.1_80_10.1.0.1_80\n"
            "add rule netdev vigil d_tcp_10.0.0.1_80_10.1.0.1_80 fwd ip to 10.1.0.1 device "
            "\"eth1\" comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 2\"\n"
            "add chain netdev vigil d_tcp_10.0.0.1_80_10.1.0.2_8080\n"
            "add rule netdev vigil d_tcp_10.0.0.1_80_10.1.0.2_8080 fwd ip to 10.1.0.2 device "
            "\"eth2\" comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.2 8080 1\"\n"
            "add rule netdev vigil s_tcp_10.0.0.1_80 jhash ip saddr mod 3 seed 0x0 vmap "
            "@v_tcp_10.0.0.1_80\n"
            "add element netdev vigil v_tcp_10.0.0.1_80 { 0 : goto d_tcp_10.0.0.1_80_10.1.0.1_80, "
            "1 : goto d_tcp_10.0.0.1_80_10.1.0.1_80, 2 : goto d_tcp_10.0.0.1_80_10.1.0.2_8080 }\n"
            "add rule netdev vigil s_tcp_10.0.0.1_80 drop comment \"vigil-svc tcp 10.0.0.1 80 sh 0 "
            "0 -\"\n");
}

TEST(NftRenderTest, DirectRoutedServiceMovesTablesWithItsRealServers) {
  Service mh = Tcp("10.0.0.1", 80, Scheduler::kMh);
  State dr = OneService(mh, {Dr("10.1.0.1", 80)});
  State none = OneService(mh, {});
  // The last real server fails: the service goes to the inet table (and drops), and the
  // netdev table goes with its last service.
  EXPECT_EQ(Render(none, dr, DrOptions()),
            "flush chain netdev vigil s_tcp_10.0.0.1_80\n"
            "flush map netdev vigil v_tcp_10.0.0.1_80\n"
            "flush chain netdev vigil d_tcp_10.0.0.1_80_10.1.0.1_80\n"
            "delete chain netdev vigil d_tcp_10.0.0.1_80_10.1.0.1_80\n"
            "delete element netdev vigil dr4 { tcp . 10.0.0.1 . 80 }\n"
            "delete chain netdev vigil s_tcp_10.0.0.1_80\n"
            "delete map netdev vigil v_tcp_10.0.0.1_80\n"
            "add map inet vigil v_tcp_10.0.0.1_80 { typeof numgen inc mod 1 : ip daddr . tcp "
            "dport; }\n"
            "add chain inet vigil s_tcp_10.0.0.1_80\n"
            "add element inet vigil svc4 { tcp . 10.0.0.1 . 80 : goto s_tcp_10.0.0.1_80 }\n"
            "add rule inet vigil s_tcp_10.0.0.1_80 drop comment \"vigil-svc tcp 10.0.0.1 80 mh 0 0 "
            "-\"\n"
            "delete table netdev vigil\n");
  // And back.
  const std::string back = Render(dr, none, DrOptions());
  EXPECT_EQ(back.substr(0, back.find("add map netdev vigil v_")),
            RenderDirectRouteSkeleton(DrOptions()) +
                "flush chain inet vigil s_tcp_10.0.0.1_80\n"
                "flush map inet vigil v_tcp_10.0.0.1_80\n"
                "delete element inet vigil svc4 { tcp . 10.0.0.1 . 80 }\n"
                "delete chain inet vigil s_tcp_10.0.0.1_80\n"
                "delete map inet vigil v_tcp_10.0.0.1_80\n");
  EXPECT_NE(back.find("add rule netdev vigil s_tcp_10.0.0.1_80 jhash ip saddr mod 65537 seed 0x0 "
                      "vmap @v_tcp_10.0.0.1_80\n"),
            std::string::npos);
  // A weight change stays in the netdev table.
  State heavier = OneService(mh, {Dr("10.1.0.1", 80, 5)});
  const std::string weight = Render(heavier, dr, DrOptions());
  EXPECT_NE(weight.find("add rule netdev vigil d_tcp_10.0.0.1_80_10.1.0.1_80 fwd ip to 10.1.0.1 "
                        "device \"eth1\" comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 5\"\n"),
            std::string::npos)
      << weight;
  EXPECT_EQ(weight.find("inet vigil"), std::string::npos) << weight;
}

TEST(NftParseTest, NetdevRecordsAreDirectRoutedRealServers) {
  const char* inet = R"({"nftables": [
    {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
    {"table": {"family": "inet", "name": "vigil", "handle": 1}}]})";
  const char* netdev = R"({"nftables": [
    {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
    {"table": {"family": "netdev", "name": "vigil", "handle": 2}},
    {"rule": {"family": "netdev", "table": "vigil", "chain": "d", "handle": 4,
              "comment": "vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 3", "expr": []}},
    {"rule": {"family": "netdev", "table": "vigil", "chain": "s", "handle": 5,
              "comment": "vigil-svc tcp 10.0.0.1 80 mh 0 0 -", "expr": []}}]})";
  auto joined = JoinListings(inet, netdev);
  ASSERT_TRUE(joined.has_value());
  auto state = ParseTable(*joined);
  ASSERT_TRUE(state.has_value()) << state.error().ToString();
  EXPECT_EQ(*state, OneService(Tcp("10.0.0.1", 80, Scheduler::kMh), {Dr("10.1.0.1", 80, 3)}))
      << ToString(*state);
  EXPECT_EQ(JoinListings(inet, ""), std::string(inet));
  EXPECT_FALSE(JoinListings(inet, "{}").has_value());
}

TEST(NftValidateTest, RejectsWhatTheTableCannotExpress) {
  Service ops = Tcp("10.0.0.1", 53);
  ops.one_packet = true;
  EXPECT_EQ(ValidateError(OneService(ops, {})),
            "virtual server tcp 10.0.0.1:53: one-packet scheduling (ops) is not available with "
            "the nftables backend (use the ipvs backend)");
  EXPECT_EQ(ValidateError(OneService(Tcp("10.0.0.1", 0), {})),
            "virtual server tcp 10.0.0.1:0: port 0 (all ports) is not available with the "
            "nftables backend (use a fwmark service, or the ipvs backend)");
  Service sip = Tcp("10.0.0.1", 5060);
  sip.persistence_timeout = 30;
  sip.persistence_engine = "sip";
  EXPECT_EQ(ValidateError(OneService(sip, {})),
            "virtual server tcp 10.0.0.1:5060: persistence engine 'sip' is not available with "
            "the nftables backend (use the ipvs backend)");
  Service fallback = Tcp("10.0.0.1", 80, Scheduler::kSh);
  fallback.scheduler_flags = kSchedFlag1;
  EXPECT_EQ(ValidateError(OneService(fallback, {})),
            "virtual server tcp 10.0.0.1:80: scheduler flag 'sh-fallback' is not available with "
            "the nftables backend (use the ipvs backend)");
  // mh-fallback is accepted: the Maglev table holds only servers that take connections.
  Service mh = Tcp("10.0.0.1", 80, Scheduler::kMh);
  mh.scheduler_flags = kSchedFlag1 | kSchedFlag2;
  EXPECT_EQ(ValidateError(OneService(mh, {})), "ok");
  mh.scheduler_flags = kSchedFlag3;
  EXPECT_EQ(ValidateError(OneService(mh, {})),
            "virtual server tcp 10.0.0.1:80: scheduler flags 4 with 'mh' are not available with "
            "the nftables backend (use the ipvs backend)");
  EXPECT_EQ(ValidateError(OneService(Tcp("fd00::1", 80), {Dest("10.1.0.1", 80)})),
            "virtual server tcp [fd00::1]:80: real server 10.1.0.1:80: a real server of another "
            "address family is not available with the nftables backend (use the same family as "
            "the virtual server)");
  Service wide = Tcp("10.0.0.1", 80);
  wide.persistence_timeout = 1;
  wide.persistence_prefix = 33;
  EXPECT_EQ(ValidateError(OneService(wide, {})),
            "virtual server tcp 10.0.0.1:80: persistence prefix /33 is longer than an ipv4 "
            "address");
  State fine = OneService(Tcp("10.0.0.1", 80, Scheduler::kWrr), {Dest("10.1.0.1", 80)});
  EXPECT_EQ(ValidateError(fine), "ok");
  EXPECT_FALSE(RenderOps(Reconcile(OneService(Tcp("10.0.0.1", 80, Scheduler::kWlc), {}), {}),
                         OneService(Tcp("10.0.0.1", 80, Scheduler::kWlc), {}), {}, {})
                   .has_value());
}

TEST(NftParseTest, ReadsServicesAndDestinationsFromRuleComments) {
  const char* json = R"({"nftables": [
    {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
    {"table": {"family": "inet", "name": "vigil", "handle": 1}},
    {"rule": {"family": "inet", "table": "vigil", "chain": "d", "handle": 4,
              "comment": "vigil-dst tcp fd00::1 443 fd00::10 443 7", "expr": []}},
    {"rule": {"family": "inet", "table": "vigil", "chain": "s", "handle": 5,
              "comment": "vigil-svc tcp fd00::1 443 sh 2 300 64", "expr": []}},
    {"rule": {"family": "inet", "table": "vigil", "chain": "s2", "handle": 6,
              "comment": "vigil-svc fwmark ipv4 7 rr 0 0 -", "expr": []}},
    {"rule": {"family": "inet", "table": "vigil", "chain": "x", "handle": 7,
              "comment": "someone else's rule", "expr": []}}
  ]})";
  auto state = ParseTable(json);
  ASSERT_TRUE(state.has_value()) << state.error().ToString();
  Service sh = Tcp("fd00::1", 443, Scheduler::kSh);
  sh.scheduler_flags = 2;
  sh.persistence_timeout = 300;
  sh.persistence_prefix = 64;
  State want = OneService(sh, {Dest("fd00::10", 443, 7)});
  want.Put(Fwmark(7));
  EXPECT_EQ(*state, want) << ToString(*state);
}

TEST(NftParseTest, WeightsInSlotCommentsOverrideTheRecords) {
  // 10.1.0.1's record says "-": its slot carries weight 5. 10.1.0.2's record says 1 (as an
  // older table's would), its slot 4. 10.1.0.3 has no slot (weight 0, in its record).
  const char* json = R"({"nftables": [
    {"rule": {"chain": "s", "comment": "vigil-svc tcp 10.0.0.1 80 rr 0 0 -"}},
    {"rule": {"chain": "d1", "comment": "vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 -"}},
    {"rule": {"chain": "d2", "comment": "vigil-dst tcp 10.0.0.1 80 10.1.0.2 80 1"}},
    {"rule": {"chain": "d3", "comment": "vigil-dst tcp 10.0.0.1 80 10.1.0.3 80 0"}},
    {"map": {"name": "v_tcp_10.0.0.1_80", "elem": [
      [{"elem": {"val": 0, "comment": "vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 5"}},
       {"concat": ["10.1.0.1", 80]}],
      [{"elem": {"val": 1, "comment": "vigil-dst tcp 10.0.0.1 80 10.1.0.2 80 4"}},
       {"concat": ["10.1.0.2", 80]}]]}}
  ]})";
  auto state = ParseTable(json);
  ASSERT_TRUE(state.has_value()) << state.error().ToString();
  EXPECT_EQ(*state, OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80, 5),
                                                     Dest("10.1.0.2", 80, 4),
                                                     Dest("10.1.0.3", 80, 0)}))
      << ToString(*state);
  // A record that leaves its weight to a slot that is gone: the table is inconsistent.
  auto lost = ParseTable(R"({"nftables": [
    {"rule": {"comment": "vigil-svc tcp 10.0.0.1 80 rr 0 0 -"}},
    {"rule": {"comment": "vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 -"}},
    {"map": {"name": "v_tcp_10.0.0.1_80", "elem": [[1, {"concat": ["10.1.0.1", 80]}]]}}]})");
  ASSERT_FALSE(lost.has_value());
  EXPECT_EQ(lost.error().code(), ErrorCode::kParse);
  EXPECT_EQ(lost.error().context(),
            "nftables: real server 10.1.0.1:80 of tcp 10.0.0.1:80 has its weight in a slot that "
            "is missing");
  // A slot's comment must carry the weight.
  auto dash = ParseTable(R"({"nftables": [
    {"rule": {"comment": "vigil-svc tcp 10.0.0.1 80 rr 0 0 -"}},
    {"map": {"name": "v", "elem": [[{"elem": {"val": 0, "comment":
      "vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 -"}}, {"concat": ["10.1.0.1", 80]}]]}}]})");
  ASSERT_FALSE(dash.has_value());
  EXPECT_EQ(dash.error().context(),
            "nftables: bad comment \"vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 -\"");
}

TEST(NftParseTest, RejectsOrphanDestinationsAndBadComments) {
  auto orphan = ParseTable(R"({"nftables": [{"rule": {"comment":
      "vigil-dst tcp 10.0.0.1 80 10.1.0.1 80 1"}}]})");
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().ToString(),
            "nftables: real server 10.1.0.1:80 belongs to no service (tcp 10.0.0.1:80)");
  auto bad = ParseTable(R"({"nftables": [{"rule": {"comment":
      "vigil-svc tcp 10.0.0.1 80 rr 0 x -"}}]})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().ToString(),
            "nftables: bad number 'x' in comment \"vigil-svc tcp 10.0.0.1 80 rr 0 x -\"");
  EXPECT_FALSE(ParseTable("not json").has_value());
}

}  // namespace
}  // namespace vigil::lb::nft
