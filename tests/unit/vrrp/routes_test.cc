#include "vrrp/routes.h"

#include "vrrp/route_check.h"

#include <linux/icmpv6.h>
#include <linux/rtnetlink.h>

#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

int Lookup(const std::string& name) { return name == "eth0" ? 2 : name == "eth1" ? 3 : 0; }

std::vector<std::string> W(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

TEST(RoutesTest, RouteWithGatewayDevMetricTable) {
  auto r = ParseRoute(W("10.1.0.0/16 via 192.168.1.1 dev eth1 metric 5 table 100 src 192.168.1.2"),
                      "eth0", Lookup);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->family, AF_INET);
  EXPECT_EQ(r->dst->ToString(), "10.1.0.0");
  EXPECT_EQ(r->dst_len, 16);
  EXPECT_EQ(r->gateway->ToString(), "192.168.1.1");
  EXPECT_EQ(r->oif, 3);
  EXPECT_EQ(r->metric, 5u);
  EXPECT_EQ(r->table, 100u);
  EXPECT_EQ(r->prefsrc->ToString(), "192.168.1.2");
}

TEST(RoutesTest, DeviceRouteUsesTheInstanceInterface) {
  auto r = ParseRoute(W("10.2.0.0/24 scope link"), "eth0", Lookup);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->oif, 2);
  EXPECT_EQ(r->scope, RT_SCOPE_LINK);
}

TEST(RoutesTest, BlackholeAndDefaultAndIpv6) {
  auto b = ParseRoute(W("blackhole 10.3.0.0/16"), "eth0", Lookup);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->type, RTN_BLACKHOLE);
  EXPECT_EQ(b->oif, 0);
  auto d = ParseRoute(W("default via 10.0.0.1 table main"), "eth0", Lookup);
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->dst.has_value());
  EXPECT_EQ(d->table, static_cast<uint32_t>(RT_TABLE_MAIN));
  auto v6 = ParseRoute(W("2001:db8::/64 via fe80::1 dev eth0"), "eth0", Lookup);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->family, AF_INET6);
}

// keepalived 2.2.7 on the lab (ip -j route / ip -j rule): every route it adds is scope
// global unless given, protocol "keepalived" (18) unless a protocol is given with
// no_track, onlink when asked; every rule protocol "keepalived" unless no_track.
TEST(RoutesTest, KeepalivedsScopeProtocolAndOnlink) {
  auto r = ParseRoute(W("10.2.0.0/24 dev eth0 src 10.0.0.1"), "eth0", Lookup);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->scope, RT_SCOPE_UNIVERSE);
  EXPECT_EQ(r->protocol, RTPROT_KEEPALIVED);
  EXPECT_EQ(r->flags, 0u);
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 dev eth0 protocol static"), "eth0", Lookup)->protocol,
            RTPROT_KEEPALIVED);  // tracked: keepalived resets it
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 dev eth0 protocol static no_track"), "eth0", Lookup)
                ->protocol,
            RTPROT_STATIC);
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 no_track"), "eth0", Lookup)->protocol, RTPROT_KEEPALIVED);
  EXPECT_EQ(ParseRoute(W("10.9.0.0/24 via 192.0.2.1 dev eth0 onlink"), "eth0", Lookup)->flags,
            static_cast<uint32_t>(RTNH_F_ONLINK));
  EXPECT_EQ(ParseRule(W("from 10.0.0.0/8 table 5")).value().protocol, RTPROT_KEEPALIVED);
  EXPECT_EQ(ParseRule(W("from 10.0.0.0/8 table 5 protocol static no_track")).value().protocol,
            RTPROT_STATIC);
  EXPECT_EQ(ParseRule(W("from 10.0.0.0/8 table 5 no_track")).value().protocol, std::nullopt);
}

// The metrics keepalived 2.2.7 takes (vrrp_iproute.c), `lock` where it allows it.
TEST(RoutesTest, MetricsAndLocks) {
  auto r = ParseRoute(W("10.2.0.0/24 dev eth0 mtu lock 1400 advmss 1300 hoplimit 10 initcwnd 10 "
                        "initrwnd 20 window 100 cwnd lock 10 ssthresh 20 reordering 5 quickack 1 "
                        "fastopen_no_cookie 1 features ecn congctl lock cubic"),
                      "eth0", Lookup);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  using M = std::vector<std::pair<uint16_t, uint32_t>>;
  EXPECT_EQ(r->metrics, (M{{RTAX_LOCK, (1u << RTAX_MTU) | (1u << RTAX_CWND) | (1u << RTAX_CC_ALGO)},
                           {RTAX_MTU, 1400},
                           {RTAX_WINDOW, 100},
                           {RTAX_SSTHRESH, 20},
                           {RTAX_CWND, 10},
                           {RTAX_ADVMSS, 1300},
                           {RTAX_REORDERING, 5},
                           {RTAX_HOPLIMIT, 10},
                           {RTAX_INITCWND, 10},
                           {RTAX_FEATURES, RTAX_FEATURE_ECN},
                           {RTAX_INITRWND, 20},
                           {RTAX_QUICKACK, 1},
                           {RTAX_FASTOPEN_NO_COOKIE, 1}}));
  EXPECT_EQ(r->congctl, "cubic");
  // rtt / rttvar / rto_min as keepalived's get_time_rtt (units of 1/8000, 1/4000, 1/1000 s;
  // a bare number is in those units; clamped to 200 ms .. 120 s): ip shows 200ms 1.25s 300ms,
  // then 120s.
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 rtt 100 rttvar 5000 rto_min 300ms"), "eth0", Lookup)
                ->metrics,
            (M{{RTAX_RTT, 1600}, {RTAX_RTTVAR, 5000}, {RTAX_RTO_MIN, 300}}));
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 rtt lock 1.5s rttvar 1.25SEC"), "eth0", Lookup)->metrics,
            (M{{RTAX_LOCK, 1u << RTAX_RTT}, {RTAX_RTT, 12000}, {RTAX_RTTVAR, 5000}}));
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 rtt 200s"), "eth0", Lookup)->metrics,
            (M{{RTAX_RTT, 960000}}));
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 rtt 1.5ms"), "eth0", Lookup).error().context(),
            "not a rtt: '1.5ms'");
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 rtt 1e3"), "eth0", Lookup).error().context(),
            "not a rtt: '1e3'");
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 mtu 1400 mtu 1500"), "eth0", Lookup)->metrics,
            (M{{RTAX_MTU, 1500}}));
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24"), "eth0", Lookup)->metrics, M{});
}

// tos, realms, pref, append, the route types and multipath nexthops, as keepalived 2.2.7
// reads them (vrrp_iproute.c, parse_nexthops).
TEST(RoutesTest, TosRealmsPrefAppendTypesAndNexthops) {
  auto r = ParseRoute(W("10.2.0.0/24 dev eth0 tos 0x10 realms 3/4 append"), "eth0", Lookup);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->tos, 0x10);
  EXPECT_EQ(r->realms, (3u << 16) | 4u);
  EXPECT_TRUE(r->append);
  auto p = ParseRoute(W("2001:db8::/64 dev eth0 pref high"), "eth0", Lookup);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pref, ICMPV6_ROUTER_PREF_HIGH);
  EXPECT_EQ(ParseRoute(W("throw 10.2.0.0/24 table 5"), "eth0", Lookup)->type, RTN_THROW);
  EXPECT_EQ(ParseRoute(W("local 10.2.0.1 dev eth0"), "eth0", Lookup)->type, RTN_LOCAL);
  auto m = ParseRoute(W("10.2.0.0/24 table 5 nexthop via 10.0.0.1 dev eth0 weight 1 "
                        "nexthop via inet 10.0.0.2 dev eth1 weight 256 onlink realms 7"),
                      "eth0", Lookup);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->oif, 0);  // no default device for a multipath route
  ASSERT_EQ(m->nexthops.size(), 2u);
  EXPECT_EQ(m->nexthops[0].gateway->ToString(), "10.0.0.1");
  EXPECT_EQ(m->nexthops[0].oif, 2);
  EXPECT_EQ(m->nexthops[0].hops, 0);
  EXPECT_EQ(m->nexthops[1].oif, 3);
  EXPECT_EQ(m->nexthops[1].hops, 255);
  EXPECT_EQ(m->nexthops[1].flags, RTNH_F_ONLINK);
  EXPECT_EQ(m->nexthops[1].realms, 7u);
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 nexthop via 10.0.0.1 weight 0"), "eth0", Lookup)
                .error().context(),
            "not a weight: '0'");
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 nexthop via 10.0.0.1 metric 5"), "eth0", Lookup)
                .error().context(),
            "unsupported nexthop option 'metric'");
  EXPECT_EQ(ParseRoute(W("10.2.0.0/24 pref urgent"), "eth0", Lookup).error().context(),
            "not a route preference: 'urgent'");
}

TEST(RoutesTest, RouteErrorsNameTheWord) {
  EXPECT_EQ(ParseRoute(W("10.0.0.0/8 dev eth9"), "eth0", Lookup).error().context(),
            "no interface 'eth9'");
  EXPECT_EQ(ParseRoute(W("10.0.0.0/8 expires 10"), "eth0", Lookup).error().context(),
            "unsupported route option 'expires'");
  EXPECT_EQ(ParseRoute(W("10.0.0.0/8 hoplimit 256"), "eth0", Lookup).error().context(),
            "not a hoplimit: '256'");
  EXPECT_EQ(ParseRoute(W("10.0.0.0/8 features sack"), "eth0", Lookup).error().context(),
            "not a route feature: 'sack'");
  EXPECT_EQ(ParseRoute(W("via 10.0.0.1"), "eth0", Lookup).error().context(),
            "route has no destination");
  EXPECT_EQ(ParseRoute(W("10.0.0.0/8 via"), "eth0", Lookup).error().context(),
            "via needs a value");
}

TEST(RoutesTest, Rules) {
  auto r = ParseRule(W("from 10.0.0.0/24 to 10.1.0.0/16 table 100 priority 200 fwmark 0x10/0xff"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->src->ToString(), "10.0.0.0");
  EXPECT_EQ(r->src_len, 24);
  EXPECT_EQ(r->dst_len, 16);
  EXPECT_EQ(r->table, 100u);
  EXPECT_EQ(r->priority, 200u);
  EXPECT_EQ(r->fwmark, 16u);
  EXPECT_EQ(r->fwmask, 255u);
  EXPECT_EQ(ParseRule(W("from all lookup main")).value().table, static_cast<uint32_t>(RT_TABLE_MAIN));
  EXPECT_EQ(ParseRule(W("iif eth0 table 5")).value().iifname, "eth0");
  EXPECT_EQ(ParseRule(W("from 10.0.0.0/8 dev eth1 table 5")).value().iifname, "eth1");
  EXPECT_EQ(ParseRule(W("from all table 5")).value().iifname, "");
  EXPECT_EQ(ParseRule(W("iif")).error().context(), "iif needs a value");
  EXPECT_EQ(ParseRule(W("from all")).error().context(),
            "no action (table, goto, nop, blackhole, unreachable, prohibit or l3mdev)");
  EXPECT_EQ(ParseRule(W("from all ipproto tcp sport 1 table 5 tunnel-id 3")).error().context(),
            "unsupported rule option 'tunnel-id'");
}

// The rule options keepalived 2.2.7 takes (vrrp_iprule.c) and its checks.
TEST(RoutesTest, RuleOptionsAndActions) {
  auto r = ParseRule(W("not from 10.0.0.0/8 oif eth1 tos 0x10 realms 3/4 table 5 "
                       "suppress_prefixlength 0 sup_group 7 uidrange 1000-2000 ipproto tcp "
                       "sport 1000-2000 dport 80 order 100"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->invert);
  EXPECT_EQ(r->oifname, "eth1");
  EXPECT_EQ(r->tos, 0x10);
  EXPECT_EQ(r->realms, (3u << 16) | 4u);
  EXPECT_EQ(r->action, FR_ACT_TO_TBL);
  EXPECT_EQ(r->suppress_prefixlen, 0u);
  EXPECT_EQ(r->suppress_ifgroup, 7u);
  EXPECT_EQ(r->uid_range, (std::pair<uint32_t, uint32_t>{1000, 2000}));
  EXPECT_EQ(r->ip_proto, 6);
  EXPECT_EQ(r->sport, (std::pair<uint16_t, uint16_t>{1000, 2000}));
  EXPECT_EQ(r->dport, (std::pair<uint16_t, uint16_t>{80, 80}));
  EXPECT_EQ(r->priority, 100u);
  auto g = ParseRule(W("from 10.0.0.0/8 goto 200 preference 100"));
  ASSERT_TRUE(g.has_value()) << g.error().ToString();
  EXPECT_EQ(g->action, FR_ACT_GOTO);
  EXPECT_EQ(g->goto_target, 200u);
  EXPECT_EQ(ParseRule(W("from 10.0.0.0/8 type blackhole")).value().action, FR_ACT_BLACKHOLE);
  EXPECT_EQ(ParseRule(W("from 10.0.0.0/8 unreachable")).value().action, FR_ACT_UNREACHABLE);
  EXPECT_EQ(ParseRule(W("from 10.0.0.0/8 prohibit")).value().action, FR_ACT_PROHIBIT);
  EXPECT_EQ(ParseRule(W("from 10.0.0.0/8 nop")).value().action, FR_ACT_NOP);
  auto l3 = ParseRule(W("l3mdev preference 1000"));
  ASSERT_TRUE(l3.has_value());
  EXPECT_TRUE(l3->l3mdev);
  EXPECT_EQ(ParseRule(W("goto 200 preference 300")).error().context(),
            "goto 200 needs a lower preference");
  EXPECT_EQ(ParseRule(W("table 5 prohibit")).error().context(),
            "more than one of table, goto, nop, blackhole, unreachable, prohibit and l3mdev");
  EXPECT_EQ(ParseRule(W("prohibit realms 3")).error().context(),
            "realms, suppress_prefixlength and suppress_ifgroup need a table");
  EXPECT_EQ(ParseRule(W("table 0")).error().context(), "not a table: '0'");
  EXPECT_EQ(ParseRule(W("uidrange 5 table 1")).error().context(), "not a uidrange: '5'");
}

// vigild -t reads every route and rule line as the engine will, interfaces aside.
TEST(RouteCheckTest, LinesTheEngineWouldDropAreReportedWhereTheyAre) {
  model::Config c;
  auto line = [](std::string_view words, uint32_t at) {
    model::RouteOrRule r;
    r.words = W(words);
    r.loc.line = at;
    return r;
  };
  c.static_routes = {line("10.1.0.0/16 dev nosuch0 protocol zebra", 2),
                     line("10.2.0.0/16 dev eth0 proto zebra", 3)};
  c.static_rules = {line("from 10.1.0.0/16 table 100 preference 10", 6)};
  model::VrrpInstance v;
  v.interface = "eth0";
  v.virtual_routes = {line("10.3.0.0/16 via 10.0.0.1", 10)};
  v.virtual_rules = {line("from 10.3.0.0/16 table 100 prio 10", 12)};
  c.vrrp_instances.push_back(v);
  const auto problems = CheckRouteLines(c, RtNames::Defaults());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].loc.line, 3u);
  EXPECT_EQ(problems[0].message,
            "route '10.2.0.0/16 dev eth0 proto zebra': unsupported route option 'proto'; "
            "the line is ignored");
  EXPECT_EQ(problems[1].loc.line, 12u);
  EXPECT_EQ(problems[1].message,
            "rule 'from 10.3.0.0/16 table 100 prio 10': unsupported rule option 'prio'; "
            "the line is ignored");
}

}  // namespace
}  // namespace vigil::vrrp
